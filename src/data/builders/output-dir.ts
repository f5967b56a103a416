/**
 * The safety rules for a builder's --output-dir, shared by every builder (Sudoku, Maze, ARC, the
 * generators), so that no builder ever deletes something a user made:
 *
 * - "" (an unset shell variable) is an error;
 * - a path that does not exist, or an empty folder, is fine;
 * - an existing folder is replaced only when it is recognisably an hrm dataset (identifiers.json and
 *   train/ and test/ folders holding dataset.json and <set>__<array>.npy files, nothing else) and only
 *   with --force; anything else (a file, a symlink, the current folder, a source folder, a dataset
 *   with a user's file in it) is refused before any work starts.
 *
 * It also removes the temporary folders (`.<name>.building-<pid>-<time>`) that a build killed with
 * kill -9 left next to the output, once their process is gone.
 */
import { existsSync, lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../util/errors.js';
import { pidAlive } from '../../util/pid.js';

const SPLIT_FOLDERS = new Set(['train', 'test']);
const SPLIT_FILE = /^(dataset\.json|[A-Za-z0-9_.-]+__(inputs|labels|puzzle_identifiers|puzzle_indices|group_indices)\.npy)$/;

/** Why `dir` (which exists) is not a dataset folder a builder may replace, or null when it is one. */
export function notADatasetReason(dir: string): string | null {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isDirectory()) return 'it is a file';
  let datasets = 0;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (n === 'identifiers.json' && lstatSync(p).isFile()) continue;
    if (!SPLIT_FOLDERS.has(n) || !lstatSync(p).isDirectory()) return `it holds '${n}'`;
    for (const m of readdirSync(p)) {
      if (!SPLIT_FILE.test(m) || !lstatSync(join(p, m)).isFile()) return `it holds '${n}/${m}'`;
      if (m === 'dataset.json') datasets++;
    }
  }
  return datasets > 0 ? null : 'it has no train/dataset.json or test/dataset.json';
}

/** True when `dir` is an empty folder (not a link). */
function isEmptyFolder(dir: string): boolean {
  const st = lstatSync(dir);
  return st.isDirectory() && !st.isSymbolicLink() && readdirSync(dir).length === 0;
}

/**
 * Throws a UserError unless a build may write `dir`: it does not exist, is an empty folder, or is an
 * hrm dataset and `force` is set. Called before any work and again just before the new folder
 * replaces the old one.
 */
export function assertReplaceable(dir: string, force: boolean): void {
  if (dir.trim() === '') throw new UserError('--output-dir is empty (an unset shell variable?); name the folder to write');
  if (!existsSync(dir) && !isDanglingLink(dir)) return;
  if (isEmptyFolder(dir)) return;
  const why = notADatasetReason(dir);
  if (why !== null) throw new UserError(`${dir} exists and is not an hrm dataset; choose another --output-dir (${why})`);
  if (!force) throw new UserError(`${dir} holds an hrm dataset; add --force to replace it, or choose another --output-dir`);
}

function isDanglingLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

const BUILDING = /^\.(.+)\.building-(\d+)-(\d+)(\.old)?$/;

/**
 * Removes `.<name>.building-<pid>-<time>` folders (and their `.old` twins) in `parent` whose process
 * is gone. A `.old` folder is the previous dataset moved aside during a commit: if the commit was cut
 * short and the output itself is missing, it is moved back instead of deleted.
 */
export function removeDeadBuildFolders(parent: string): string[] {
  if (!existsSync(parent)) return [];
  const removed: string[] = [];
  for (const n of readdirSync(parent)) {
    const m = BUILDING.exec(n);
    if (!m || Number(m[2]) === process.pid || pidAlive(Number(m[2]))) continue;
    const p = join(parent, n);
    const out = join(parent, m[1]);
    if (m[4] && !existsSync(out)) {
      renameSync(p, out);
      continue;
    }
    rmSync(p, { recursive: true, force: true });
    removed.push(p);
  }
  return removed;
}

/**
 * The first thing every builder does: checks `dir` (see assertReplaceable) and clears what killed
 * builds left next to it. Returns the resolved path.
 */
export function prepareOutputDir(dir: string, force = false): string {
  assertReplaceable(dir, force);
  const out = resolve(dir);
  removeDeadBuildFolders(dirname(out));
  return out;
}

/** Temporary build folders of this process, so that an interrupted build can remove them. */
export const activeBuildFolders = new Set<string>();
/** Called with each new temporary build folder (the data CLI forwards them from its worker). */
export const buildFolderListeners = new Set<(tmp: string, out: string) => void>();

/**
 * After a build was stopped midway: removes its temporary folder and, if it was stopped inside the
 * commit after the old dataset was moved aside, puts the old dataset back.
 */
export function cleanUpInterruptedBuild(tmp: string, out: string): void {
  const old = `${tmp}.old`;
  if (existsSync(old)) {
    if (!existsSync(out)) renameSync(old, out);
    else rmSync(old, { recursive: true, force: true });
  }
  rmSync(tmp, { recursive: true, force: true });
}

/**
 * This process's temporary build folders for `out` (a worker thread has the process's pid): what a
 * signal must clean up, also one the worker made but had not yet reported when the signal came.
 */
export function ownBuildFolders(out: string): string[] {
  const parent = dirname(out);
  if (!existsSync(parent)) return [];
  const prefix = `.${basename(out)}.building-${process.pid}-`;
  return readdirSync(parent)
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => join(parent, n));
}

export function buildingFolderName(out: string): string {
  return join(dirname(out), `.${basename(out)}.building-${process.pid}-${Date.now()}`);
}
