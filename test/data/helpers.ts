/** Shared helpers for the data tests: where the shared data lives, temporary folders. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '../fixtures.js';

/** ../shared/data next to the repository (override with HRM_DATA_DIR). */
export const DATA_DIR = process.env.HRM_DATA_DIR ?? resolve(repoRoot(), '../shared/data');

/** Path of a shared data file, or null (with a message) when it is not there. */
export function sharedData(rel: string): string | null {
  const p = join(DATA_DIR, rel);
  if (existsSync(p)) return p;
  console.log(`# skipping: ${p} not found (set HRM_DATA_DIR)`);
  return null;
}

export const SLOW = process.env.HRM_SLOW_TESTS === '1';

/** A fresh temporary folder, removed after `fn`. */
export async function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const d = mkdtempSync(join(tmpdir(), 'hrm-data-test-'));
  try {
    return await fn(d);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
