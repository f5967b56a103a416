/**
 * node:fs for the browser Worker: an in-memory file system of Blobs (files the user chose or dropped,
 * model files fetched from `hrm serve`). The project's readers (safetensors, torch checkpoints,
 * all_config.yaml, dataset.json, .npy, metrics.jsonl) call node:fs synchronously; here those calls are
 * served by FileReaderSync, which Workers have, reading only the byte ranges asked for, so a multi-GB
 * dataset is never loaded whole. Writing is not possible: those functions throw.
 */
import { Buffer, type Bytes } from './buffer.js';
import { normalize } from './path.js';

/** FileReaderSync exists in Workers only (lib.webworker); the page's tsconfig uses lib.dom */
declare const FileReaderSync: { new (): { readAsArrayBuffer(b: Blob): ArrayBuffer } };

const files = new Map<string, Blob>();
const fds = new Map<number, Blob>();
let nextFd = 3;

/** Makes `blob` readable at the absolute path `path` (replacing what was there). */
export function mount(path: string, blob: Blob): void {
  files.set(normalize(path), blob);
}

/** Forgets every file under `dir` (a dataset or model that was replaced). */
export function unmount(dir: string): void {
  const d = normalize(dir) + '/';
  for (const p of [...files.keys()]) if (p.startsWith(d)) files.delete(p);
}

function fsError(code: string, syscall: string, path: string): Error {
  const e = new Error(`${code}: ${syscall} '${path}'`) as Error & { code: string; path: string };
  e.code = code;
  e.path = path;
  return e;
}

function isDir(p: string): boolean {
  if (p === '/') return true;
  const d = p + '/';
  for (const k of files.keys()) if (k.startsWith(d)) return true;
  return false;
}

function bytesOf(blob: Blob, start = 0, end = blob.size): Uint8Array {
  return new Uint8Array(new FileReaderSync().readAsArrayBuffer(blob.slice(start, end)));
}

interface Stats {
  size: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

function stats(p: string): Stats | null {
  const f = files.get(p);
  if (f) return { size: f.size, isFile: () => true, isDirectory: () => false };
  if (isDir(p)) return { size: 0, isFile: () => false, isDirectory: () => true };
  return null;
}

export function existsSync(path: string): boolean {
  return stats(normalize(path)) !== null;
}

export function statSync(path: string): Stats {
  const s = stats(normalize(path));
  if (!s) throw fsError('ENOENT', 'stat', path);
  return s;
}

/** the in-memory file system has no links */
export function lstatSync(path: string): Stats {
  return statSync(path);
}

export function readdirSync(path: string): string[] {
  const p = normalize(path);
  if (!isDir(p)) throw fsError(files.has(p) ? 'ENOTDIR' : 'ENOENT', 'scandir', path);
  const prefix = p === '/' ? '/' : p + '/';
  const names = new Set<string>();
  for (const k of files.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0]);
  return [...names].sort();
}

export function readFileSync(path: string | number, options?: string | { encoding?: string | null }): Bytes | string {
  const p = typeof path === 'number' ? null : normalize(path);
  const f = p === null ? fds.get(path as number) : files.get(p);
  if (!f) throw fsError(p !== null && isDir(p) ? 'EISDIR' : 'ENOENT', 'open', String(path));
  const bytes = Buffer.from(bytesOf(f));
  const enc = typeof options === 'string' ? options : options?.encoding;
  return enc ? bytes.toString(enc) : bytes;
}

export function openSync(path: string, flags = 'r'): number {
  if (flags !== 'r') throw fsError('EROFS', 'open', path);
  const p = normalize(path);
  const f = files.get(p);
  if (!f) throw fsError(isDir(p) ? 'EISDIR' : 'ENOENT', 'open', path);
  const fd = nextFd++;
  fds.set(fd, f);
  return fd;
}

export function fstatSync(fd: number): Stats {
  const f = fds.get(fd);
  if (!f) throw fsError('EBADF', 'fstat', String(fd));
  return { size: f.size, isFile: () => true, isDirectory: () => false };
}

export function readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number {
  const f = fds.get(fd);
  if (!f) throw fsError('EBADF', 'read', String(fd));
  const start = position ?? 0;
  const got = bytesOf(f, start, Math.min(f.size, start + length));
  buffer.set(got, offset);
  return got.length;
}

export function closeSync(fd: number): void {
  fds.delete(fd);
}

function readOnly(name: string): (...a: unknown[]) => never {
  return () => {
    throw new Error(`${name}: the page cannot write files`);
  };
}

export const writeSync = readOnly('writeSync');
export const fsyncSync = readOnly('fsyncSync');
export const renameSync = readOnly('renameSync');
export const rmSync = readOnly('rmSync');
export const mkdirSync = readOnly('mkdirSync');
export const truncateSync = readOnly('truncateSync');
export const rmdirSync = readOnly('rmdirSync');
export const writeFileSync = readOnly('writeFileSync');
export const linkSync = readOnly('linkSync');
