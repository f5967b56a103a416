/** Helpers for the reliability tests: temporary folders, running the CLI, small tmpfs mounts. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../fixtures.js';

export const CLI = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
export const ENV = { ...process.env, HRM_THREADS: '1' };

/** Runs `hrm <args>` to completion. */
export function hrm(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: opts.env ?? ENV, cwd: opts.cwd });
}

/** The process failed with one clear line: exit 1, "hrm: ..." on stderr, no stack trace, no "internal error". */
export function oneLineError(r: SpawnSyncReturns<string>): string {
  const err = r.stderr.trim();
  const msg = `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  if (r.status !== 1) throw new Error(`expected exit status 1, ${msg}`);
  if (/internal error|\n\s+at |Error: /.test(err)) throw new Error(`expected a one-line error, ${msg}`);
  const last = err.split('\n').filter((l) => l.startsWith('hrm: ')).pop();
  if (!last) throw new Error(`expected an 'hrm: ' line, ${msg}`);
  return last;
}

export function tempDir(prefix = 'hrm-rel-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every file under dir (relative path -> contents), to compare a folder before and after. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const r = rel ? `${rel}/${n}` : n;
      if (statSync(p).isDirectory()) {
        out[r + '/'] = '';
        walk(p, r);
      } else out[r] = readFileSync(p).toString('base64');
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Mounts a tmpfs of `size` (e.g. '2m') at a fresh folder and returns it with an unmount function, or
 * null (with a skip message) where mounting is impossible: not root, no tmpfs, a container without
 * the capability.
 */
export function mountTmpfs(size: string, t?: { skip(msg: string): void }): { dir: string; remountReadOnly(): void; unmount(): void } | null {
  const dir = tempDir('hrm-tmpfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const why = `cannot mount a tmpfs (${(r.stderr || r.error?.message || '').trim()})`;
    if (t) t.skip(why);
    else console.log(`skipping: ${why}`);
    return null;
  }
  return {
    dir,
    remountReadOnly() {
      const m = spawnSync('mount', ['-o', 'remount,ro', dir], { encoding: 'utf8' });
      if (m.status !== 0) throw new Error(`remount ro failed: ${m.stderr}`);
    },
    unmount() {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function mkdirp(p: string): string {
  mkdirSync(p, { recursive: true });
  return p;
}
