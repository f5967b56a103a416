/**
 * Ordinary I/O failures (a full disk, a read-only file system, a missing permission, a busy mount
 * point) are the user's situation, not a bug: they become one line naming the path and the cause.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError, quote } from './errors.js';

const CAUSES: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  EBUSY: 'busy (in use, or a mount point)',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder',
  ENOENT: 'no such file or folder',
  ENOTEMPTY: 'folder not empty',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'input/output error',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  EXDEV: 'on another file system',
  EFBIG: 'file too large',
  ETXTBSY: 'file busy',
};

const VERBS: Record<string, string> = {
  open: 'open', write: 'write', read: 'read', mkdir: 'create folder', rename: 'rename', unlink: 'delete',
  rmdir: 'delete folder', scandir: 'list folder', fsync: 'sync', stat: 'inspect', lstat: 'inspect', ftruncate: 'truncate',
  copyfile: 'copy', close: 'close', rm: 'delete', mkdtemp: 'create folder', fstat: 'inspect',
};

/** The one-line description of an ordinary I/O error, or null when `e` is not one. */
export function ioErrorMessage(e: unknown): string | null {
  if (!(e instanceof Error)) return null;
  const err = e as NodeJS.ErrnoException & { dest?: string };
  const code = err.code;
  if (!code || !(code in CAUSES)) return null;
  const verb = err.syscall ? VERBS[err.syscall] ?? err.syscall : 'access';
  const where = err.path ? `${err.path}${err.dest ? ` -> ${err.dest}` : ''}: ` : '';
  return `${where}cannot ${verb}: ${CAUSES[code]} (${code})`;
}

/** Records which file an error concerns (writes through a descriptor carry no path). */
export function withPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (e instanceof Error && err.code && !err.path) err.path = path;
    throw e;
  }
}

/**
 * `e` as a UserError: UserErrors pass through; ordinary I/O errors become one line with `kept`
 * (what is left intact) appended; anything else is returned unchanged (a bug, reported as such).
 */
export function asUserError(e: unknown, kept?: string): unknown {
  if (e instanceof UserError) return e;
  const m = ioErrorMessage(e);
  if (m !== null) return new UserError(kept ? `${m}; ${kept}` : m);
  if (e instanceof RangeError && /Array buffer allocation failed|Invalid typed array length|Invalid array length/.test(e.message)) {
    return new UserError(`not enough memory (${e.message}); ${kept ?? 'nothing was written'}`);
  }
  return e;
}

/**
 * What is at `path`: 'dir', 'file' (anything else) or null when nothing is (or a part of the path is a
 * file). Unlike existsSync, a path that cannot be looked at (a folder without permission) is not
 * "missing": it is a UserError naming the path and the real cause.
 */
export function pathKind(path: string): 'dir' | 'file' | null {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    // a path from a file may hold a NUL byte, which no file system accepts
    if (code === 'ERR_INVALID_ARG_VALUE') throw new UserError(`${quote(path, 200)}: not a usable path (it holds a NUL character)`);
    throw asUserError(e);
  }
}

/**
 * mkdir -p one level at a time: Node's recursive mkdir reports a read-only or full parent as ENOENT,
 * this reports the real cause (EROFS, EACCES, ENOSPC, ENOTDIR) for the folder it could not make.
 */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) mkdirSync(d);
}
