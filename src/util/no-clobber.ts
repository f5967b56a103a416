/**
 * Writing where a user may keep files of their own. A path is written only when nothing is there, or
 * when what is there is a file hrm itself wrote (each caller says how to recognise its own files, by
 * their content, never by their name alone). A user's file, a symbolic link (dangling or not) and a
 * folder are never replaced: the command stops with one line naming the path.
 */
import { linkSync, lstatSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './errors.js';
import { syncFolder, tempPathFor, writeFileAtomic, writeTempFile } from './atomic-write.js';
import { withPath } from './io-errors.js';

/** True when anything is at `p`, a dangling symbolic link included (existsSync follows links). */
export function pathTaken(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw e;
  }
}

/**
 * Throws a UserError unless hrm may write `path`: nothing is there, or a regular file that `isOwn`
 * recognises as one hrm wrote. `hint` says what the user can do instead.
 */
export function assertReplaceableFile(path: string, isOwn: (path: string) => boolean, hint = 'move it away or write elsewhere'): void {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw e;
  }
  if (st.isSymbolicLink()) throw new UserError(`${path}: is a symbolic link; refusing to replace it (${hint})`);
  if (st.isDirectory()) throw new UserError(`${path}: is a folder; refusing to replace it (${hint})`);
  if (!st.isFile() || !safely(() => isOwn(path))) throw new UserError(`${path}: exists and was not written by hrm; refusing to replace it (${hint})`);
}

function safely(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false; // unreadable or malformed: not a file hrm wrote
  }
}

/** Writes `path` atomically, replacing only a file hrm wrote (see assertReplaceableFile). */
export function writeOwnFile(path: string, data: string | Uint8Array | Uint8Array[], isOwn: (path: string) => boolean, hint?: string): void {
  assertReplaceableFile(path, isOwn, hint);
  if (pathTaken(path)) writeFileAtomic(path, data);
  else writeNewFile(path, data, hint);
}

/**
 * Writes `path` only if nothing is there, atomically: the data goes to a temporary file that is then
 * hard-linked to `path`, which fails if anything (a file someone made meanwhile, a link) is there.
 * Where a file system has no hard links it falls back to a check and a rename.
 */
export function writeNewFile(path: string, data: string | Uint8Array | Uint8Array[], hint = 'choose another name'): void {
  withPath(path, () => {
    const tmp = tempPathFor(path);
    writeTempFile(tmp, data);
    try {
      linkSync(tmp, path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const taken = code === 'EEXIST' || pathTaken(path);
      if (!taken && (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EMLINK')) {
        try {
          renameSync(tmp, path);
        } catch (e2) {
          rmSync(tmp, { force: true });
          throw e2;
        }
        syncFolder(dirname(path));
        return;
      }
      rmSync(tmp, { force: true });
      if (taken) throw new UserError(`${path}: already exists; refusing to replace it (${hint})`);
      throw e;
    }
    rmSync(tmp, { force: true });
    syncFolder(dirname(path));
  });
}
