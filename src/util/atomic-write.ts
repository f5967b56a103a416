/**
 * Crash-safe file writes: write to a temporary file in the same folder, fsync, then rename over the
 * target, so a reader (or a run resumed after `kill -9`) sees either the old file or the new one,
 * never half of one.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { withPath } from './io-errors.js';

let counter = 0;

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter++}`);
}

/** Writes `data` (one buffer or several, concatenated) to `path` atomically. */
export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  withPath(path, () => writeAtomic(path, data));
}

function writeAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  const tmp = tempPathFor(path);
  writeTempFile(tmp, data);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true }); // e.g. the target is a folder: leave nothing behind
    throw e;
  }
  syncFolder(dirname(path));
}

/** Writes and fsyncs `tmp` (a fresh temporary name); on failure it is removed. */
export function writeTempFile(tmp: string, data: string | Uint8Array | Uint8Array[]): void {
  const parts = Array.isArray(data) ? data : [typeof data === 'string' ? Buffer.from(data) : data];
  const fd = openSync(tmp, 'w');
  try {
    for (const p of parts) {
      let off = 0;
      while (off < p.byteLength) off += writeSync(fd, p, off, p.byteLength - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
}

/** Makes a rename or link in `dir` durable. */
export function syncFolder(dir: string): void {
  try {
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    /* some filesystems do not allow fsync on a directory */
  }
}
