/**
 * Staging folders: a command that writes a whole folder (a dataset build, hrm convert) assembles it in
 * a hidden sibling `.<name>.<kind>-<pid>-<time>` and moves it into place only when complete, so an
 * interruption never leaves half an output.
 *
 * Each staging folder holds a marker file naming the output and the staging folder itself. A kill -9
 * leaves the folder behind; the next command that writes the same output removes it, once its
 * process is gone. Nothing else is ever touched: a folder with that kind of name but without the
 * marker, or one for another output, belongs to someone else (a name alone proves nothing).
 *
 * Replacing an existing output (a dataset build with --force) moves the old one aside to
 * `<staging>.old`, moves the staging folder into place (the marker with it), removes the old one,
 * then the marker. So while `<staging>.old` exists, either the staging folder or the output carries
 * the marker naming that staging folder, and a kill at any point is finished by the next command:
 * the old output is put back if the new one never arrived, removed if it did.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pidAlive } from './pid.js';

/** The marker's file name inside a staging folder (and, during a commit, the output). */
export const STAGING_MARKER = '.hrm-ts-staging';

interface Marker {
  output: string;
  staging: string;
}

function readMarker(dir: string): Marker | null {
  try {
    const p = join(dir, STAGING_MARKER);
    if (!lstatSync(p).isFile()) return null;
    const o = JSON.parse(readFileSync(p, 'utf8')) as Partial<Marker>;
    return typeof o.output === 'string' && typeof o.staging === 'string' ? { output: o.output, staging: o.staging } : null;
  } catch {
    return null;
  }
}

/** True when `dir` carries hrm's marker for output `out` (any staging folder). */
export function markedFor(dir: string, out: string): boolean {
  return readMarker(dir)?.output === resolve(out);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function namePattern(out: string, kind: string): RegExp {
  return new RegExp(`^\\.${escape(basename(out))}\\.${escape(kind)}-(\\d+)-(\\d+)(\\.old)?$`);
}

/** Creates a staging folder for `out` with its marker; returns its path. */
export function makeStagingFolder(out: string, kind: string): string {
  const abs = resolve(out);
  const dir = join(dirname(abs), `.${basename(abs)}.${kind}-${process.pid}-${Date.now()}`);
  mkdirSync(dir);
  try {
    writeFileSync(join(dir, STAGING_MARKER), JSON.stringify({ output: abs, staging: basename(dir) }) + '\n', { flag: 'wx' });
  } catch (e) {
    rmdirSync(dir);
    throw e;
  }
  return dir;
}

/** Removes the marker from a finished output (it came with the staging folder). */
export function unmark(out: string): void {
  rmSync(join(out, STAGING_MARKER), { force: true });
}

/**
 * Moves the finished staging folder `staging` to `out`. If `out` exists it is first moved aside to
 * `<staging>.old` and removed after; `replaceable` is checked right before.
 */
export function commitStagingFolder(staging: string, out: string, replaceable: () => void): void {
  replaceable();
  let old: string | null = null;
  if (existsSync(out)) {
    old = `${staging}.old`;
    renameSync(out, old);
  }
  renameSync(staging, out);
  if (old) rmSync(old, { recursive: true, force: true });
  unmark(out);
}

/**
 * After this process stopped a command midway (a signal): puts the old output back if the commit was
 * cut short after moving it aside, and removes the staging folder.
 */
export function abandonStagingFolder(staging: string, out: string): void {
  const old = `${staging}.old`;
  if (existsSync(old)) {
    if (!existsSync(out)) renameSync(old, out);
    else rmSync(old, { recursive: true, force: true });
    if (readMarker(out)?.staging === basename(staging)) unmark(out);
  }
  rmSync(staging, { recursive: true, force: true });
}

function isEmptyFolder(p: string): boolean {
  try {
    return lstatSync(p).isDirectory() && readdirSync(p).length === 0;
  } catch {
    return false;
  }
}

/**
 * Finishes what killed commands writing `out` left (their process is gone): removes their staging
 * folders, puts back or removes the old output they moved aside, and removes their marker from
 * `out`. Only folders carrying the marker for `out` are touched (and empty ones, which a kill between
 * creating a folder and writing its marker leaves). Returns what it removed.
 */
export function cleanUpDeadStaging(out: string, kind: string): string[] {
  const abs = resolve(out);
  const parent = dirname(abs);
  if (!existsSync(parent)) return [];
  const pattern = namePattern(abs, kind);
  const dead = (name: string) => {
    const m = pattern.exec(name);
    if (!m) return null;
    const pid = Number(m[1]);
    return pid === process.pid || pidAlive(pid) ? null : m;
  };
  const removed: string[] = [];
  const outMarker = readMarker(abs);
  const names = readdirSync(parent);
  // The old outputs first: whether one is put back depends on its staging folder still being there.
  for (const n of names) {
    const m = dead(n);
    if (!m || !m[3]) continue;
    const staging = n.slice(0, -'.old'.length);
    const p = join(parent, n);
    if (!lstatSync(p).isDirectory()) continue;
    if (outMarker?.output === abs && outMarker.staging === staging) {
      // the new output arrived; the old one was being removed
      rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } else if (readMarker(join(parent, staging))?.output === abs && !existsSync(abs)) {
      renameSync(p, abs); // cut short between the two renames: the old output goes back
    }
  }
  for (const n of names) {
    const m = dead(n);
    if (!m || m[3]) continue;
    const p = join(parent, n);
    if (isEmptyFolder(p)) rmdirSync(p);
    else if (readMarker(p)?.output === abs && readMarker(p)?.staging === n) rmSync(p, { recursive: true, force: true });
    else continue;
    removed.push(p);
  }
  if (outMarker?.output === abs && dead(outMarker.staging) && !existsSync(join(parent, `${outMarker.staging}.old`))) unmark(abs);
  return removed;
}

/** This process's staging folders for `out` (also one a worker thread made but had not yet reported). */
export function ownStagingFolders(out: string, kind: string): string[] {
  const abs = resolve(out);
  const parent = dirname(abs);
  if (!existsSync(parent)) return [];
  const pattern = namePattern(abs, kind);
  return readdirSync(parent)
    .filter((n) => {
      const m = pattern.exec(n);
      return m !== null && !m[3] && Number(m[1]) === process.pid;
    })
    .map((n) => join(parent, n));
}
