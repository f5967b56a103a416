/**
 * The safety rules for a builder's --output-dir, shared by every builder (Sudoku, Maze, ARC, the
 * generators), so that no builder ever deletes something a user made:
 *
 * - "" (an unset shell variable) is an error;
 * - a path that does not exist, or an empty folder, is fine;
 * - an existing folder is replaced only when it is recognisably an hrm dataset (identifiers.json and
 *   train/ and test/ folders holding dataset.json and exactly the arrays of the sets it lists, nothing
 *   else) and only with --force; anything else (a file, a symlink, the current folder, a source
 *   folder, a dataset with a user's file in it, even one named like an array) is refused before any
 *   work starts.
 *
 * Builds write into a staging folder (src/util/staging.ts); what a build killed with kill -9 left for
 * the same output is cleaned up by the next build of that output.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../util/errors.js';
import { STAGING_MARKER, abandonStagingFolder, cleanUpDeadStaging, markedFor, ownStagingFolders } from '../../util/staging.js';

const SPLIT_FOLDERS = new Set(['train', 'test']);
const ARRAYS = ['inputs', 'labels', 'puzzle_identifiers', 'puzzle_indices', 'group_indices'];

/** The files a split folder of hrm's may hold: dataset.json and the arrays of the sets it lists. */
function splitFiles(splitDir: string): Set<string> | null {
  let sets: unknown;
  try {
    sets = (JSON.parse(readFileSync(join(splitDir, 'dataset.json'), 'utf8')) as { sets?: unknown }).sets;
  } catch {
    return null;
  }
  if (!Array.isArray(sets) || !sets.every((x) => typeof x === 'string' && /^[A-Za-z0-9_.-]+$/.test(x))) return null;
  return new Set(['dataset.json', ...sets.flatMap((set: string) => ARRAYS.map((a) => `${set}__${a}.npy`))]);
}

/** Why `dir` (which exists) is not a dataset folder a builder may replace, or null when it is one. */
export function notADatasetReason(dir: string): string | null {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isDirectory()) return 'it is a file';
  let datasets = 0;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (n === 'identifiers.json' && lstatSync(p).isFile()) continue;
    if (n === STAGING_MARKER && markedFor(dir, dir)) continue; // a commit of a killed build: its own marker
    if (!SPLIT_FOLDERS.has(n) || !lstatSync(p).isDirectory()) return `it holds '${n}'`;
    const own = splitFiles(p);
    for (const m of readdirSync(p)) {
      if (m === 'dataset.json' && own === null) return `'${n}/dataset.json' is not a dataset.json hrm wrote`;
      if (!own?.has(m) || !lstatSync(join(p, m)).isFile()) return `it holds '${n}/${m}'`;
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

/** The kind of staging folder a build writes into: `.<name>.building-<pid>-<time>`. */
export const BUILDING = 'building';

/**
 * The first thing every builder does: checks `dir` (see assertReplaceable) and clears what killed
 * builds left next to it. Returns the resolved path.
 */
export function prepareOutputDir(dir: string, force = false): string {
  if (dir.trim() === '') assertReplaceable(dir, force);
  const out = resolve(dir);
  cleanUpDeadStaging(out, BUILDING);
  assertReplaceable(dir, force);
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
  abandonStagingFolder(tmp, out);
}

/**
 * This process's temporary build folders for `out` (a worker thread has the process's pid): what a
 * signal must clean up, also one the worker made but had not yet reported when the signal came.
 */
export function ownBuildFolders(out: string): string[] {
  return ownStagingFolders(out, BUILDING);
}
