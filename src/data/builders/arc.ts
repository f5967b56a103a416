/**
 * The ARC builder (the reference's build_arc_dataset).
 *
 * Input: dataset folders whose sub-folders hold task JSON files (`{"train": [...], "test": [...]}` of
 * input/output grids). Demonstration pairs go to train; test pairs of tasks in a sub-folder named
 * `evaluation` go to test, other folders' test pairs go to train. Each task gets up to `numAug` distinct
 * augmentations (dihedral id and a permutation of colours 1-9; duplicates found by hashing, at most
 * 5 x numAug tries), named `<task>_t<k>_<mapping>`. Every (task, augmentation) is a puzzle with its own
 * identifier; a task's augmentations form one group.
 * Tokens: 0 PAD, 1 EOS, colour c -> c + 2; 30x30 canvas; EOS along the row below and the column right of
 * the grid. In train, every example but one random one per puzzle is shifted by a random translation.
 *
 * Memory: augmentations are planned first (ids and colour maps only); the token arrays (several GB for
 * 1000 augmentations) are streamed to disk, so the build stays well under 4 GB.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Progress } from '../../util/progress.js';
import { Rng } from '../../util/random.js';
import { UserError, describeValue } from '../../util/errors.js';
import { readJsonFile } from '../../util/json-file.js';
import { cachedDihedralPermutation, dihedralShape, randomColourPermutation } from '../augment.js';
import { DatasetMetadata, DatasetWriter, Split, buildDataset } from '../dataset-format.js';
import { NpyStreamWriter } from '../../io/npy.js';
import { prepareOutputDir } from './output-dir.js';

export const ARC_MAX_GRID = 30;
export const ARC_SEQ_LEN = ARC_MAX_GRID * ARC_MAX_GRID;
export const ARC_VOCAB = 12;
export const ARC_PAD = 0;
export const ARC_EOS = 1;
const RETRIES_FACTOR = 5;

export interface Grid {
  h: number;
  w: number;
  data: Uint8Array; // h*w colours 0-9
}

export interface ArcExample {
  input: Grid;
  output: Grid;
}

export interface ArcTask {
  name: string;
  /** Examples that go to train (demonstrations, plus test pairs outside `evaluation` folders). */
  train: ArcExample[];
  /** Test pairs of `evaluation` tasks (they go to the test split). */
  test: ArcExample[];
}

/** One augmentation: dihedral id and colour mapping (mapping[c] = new colour; mapping[0] = 0). */
export interface ArcAug {
  t: number;
  mapping: Uint8Array;
}

export const IDENTITY_AUG: ArcAug = { t: 0, mapping: Uint8Array.from({ length: 10 }, (_, i) => i) };

export function augName(task: string, a: ArcAug): string {
  return `${task}_t${a.t}_${Array.from(a.mapping).join('')}`;
}

/** One grid from a task file's JSON (a list of equal rows of colours 0-9); `where` names it in errors. */
export function parseGrid(raw: unknown, where: string): Grid {
  if (!Array.isArray(raw) || raw.length === 0) throw new UserError(`${where}: expected a non-empty list of rows, got ${describeValue(raw)}`);
  const h = raw.length;
  if (!Array.isArray(raw[0]) || raw[0].length === 0) throw new UserError(`${where}: row 0 is not a non-empty list`);
  const w = raw[0].length;
  if (h > ARC_MAX_GRID || w > ARC_MAX_GRID) throw new UserError(`${where}: grid is ${h}x${w}, larger than ${ARC_MAX_GRID}x${ARC_MAX_GRID}`);
  const data = new Uint8Array(h * w);
  for (let r = 0; r < h; r++) {
    const row = raw[r];
    if (!Array.isArray(row) || row.length !== w) throw new UserError(`${where}: row ${r} has ${Array.isArray(row) ? row.length : 'no'} cells, expected ${w}`);
    for (let c = 0; c < w; c++) {
      const v = row[c];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 9) throw new UserError(`${where}: row ${r}, column ${c}: colour ${describeValue(v)} is not an integer 0-9`);
      data[r * w + c] = v;
    }
  }
  return { h, w, data };
}

/** A task's list of {"input", "output"} pairs; `nonEmpty`: an empty list is an error too. */
export function parseExamples(raw: unknown, where: string, nonEmpty = false): ArcExample[] {
  if (!Array.isArray(raw)) throw new UserError(`${where}: expected a list of {"input", "output"} pairs, got ${describeValue(raw)}`);
  if (nonEmpty && raw.length === 0) throw new UserError(`${where}: an empty list (an ARC task has at least one pair)`);
  return raw.map((ex, i) => {
    if (typeof ex !== 'object' || ex === null) throw new UserError(`${where}[${i}]: expected an object with "input" and "output"`);
    const o = ex as Record<string, unknown>;
    if (!('input' in o) || !('output' in o)) throw new UserError(`${where}[${i}]: needs both "input" and "output" grids`);
    return { input: parseGrid(o.input, `${where}[${i}].input`), output: parseGrid(o.output, `${where}[${i}].output`) };
  });
}

/** Reads one task file; `testToTest` says whether its test pairs belong to the test split. */
export function readArcTask(file: string, testToTest: boolean): ArcTask {
  const raw = readJsonFile(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${file}: expected a JSON object with "train" and "test"`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'train' && k !== 'test' && k !== 'name') throw new UserError(`${file}: unexpected key '${k}' (expected "train", "test" and optionally "name")`);
  if (!('train' in o) || !('test' in o)) throw new UserError(`${file}: needs both "train" and "test" lists`);
  const name = typeof o.name === 'string' ? o.name : basename(file).replace(/\.json$/, '');
  const train = parseExamples(o.train, `${file}: train`, true);
  const test = parseExamples(o.test, `${file}: test`, true);
  if (testToTest) return { name, train, test };
  return { name, train: [...train, ...test], test: [] };
}

/** Applies an augmentation to a grid (colour map, then dihedral transform). */
export function augmentGrid(g: Grid, a: ArcAug): Grid {
  const [h, w] = dihedralShape(a.t, g.h, g.w);
  const data = new Uint8Array(h * w);
  augmentInto(g, a, data, 0);
  return { h, w, data };
}

/** Writes the augmented grid's cells at dst[off..]; returns the number written. */
function augmentInto(g: Grid, a: ArcAug, dst: Uint8Array, off: number): number {
  const perm = cachedDihedralPermutation(a.t, g.h, g.w);
  const m = a.mapping;
  const src = g.data;
  for (let k = 0; k < perm.length; k++) dst[off + k] = m[src[perm[k]]];
  return perm.length;
}

function taskCells(task: ArcTask): number {
  let n = 0;
  for (const list of [task.train, task.test]) for (const ex of list) n += ex.input.data.length + ex.output.data.length + 4;
  return n;
}

/**
 * All of a task's grids under an augmentation, as one string (shapes and cells), so duplicate
 * augmentations (from symmetric tasks) are found exactly.
 */
function taskKey(task: ArcTask, a: ArcAug, scratch: Uint8Array): string {
  let off = 0;
  for (const list of [task.train, task.test]) {
    for (const ex of list) {
      for (const g of [ex.input, ex.output]) {
        const [h, w] = dihedralShape(a.t, g.h, g.w);
        scratch[off++] = h;
        scratch[off++] = w;
        off += augmentInto(g, a, scratch, off);
      }
    }
  }
  return Buffer.from(scratch.buffer, scratch.byteOffset, off).toString('latin1');
}

/** The augmentations of one task: identity first, then up to numAug distinct ones. */
export function planAugmentations(task: ArcTask, numAug: number, rng: Rng): ArcAug[] {
  const group: ArcAug[] = [IDENTITY_AUG];
  if (numAug <= 0) return group;
  const scratch = new Uint8Array(taskCells(task));
  const seen = new Set<string>([taskKey(task, IDENTITY_AUG, scratch)]);
  for (let trial = 0; trial < RETRIES_FACTOR * numAug && group.length < numAug + 1; trial++) {
    const a: ArcAug = { t: rng.int(8), mapping: randomColourPermutation(rng) };
    const h = taskKey(task, a, scratch);
    if (!seen.has(h)) {
      seen.add(h);
      group.push(a);
    }
  }
  return group;
}

/**
 * Writes an input/output pair into two 900-token canvases at offset (padR, padC), with EOS markers.
 * The offset is shared by input and output, as in the reference.
 */
export function placePair(inp: Grid, out: Grid, padR: number, padC: number, dstIn: Uint8Array, dstOut: Uint8Array): void {
  placeGrid(inp, padR, padC, dstIn);
  placeGrid(out, padR, padC, dstOut);
}

/** Writes one grid into a 900-token canvas at offset (padR, padC), with its EOS markers (hrm solve arc). */
export function placeGrid(g: Grid, padR: number, padC: number, dst: Uint8Array | Int32Array): void {
  dst.fill(ARC_PAD);
  for (let r = 0; r < g.h; r++) {
    const row = (padR + r) * ARC_MAX_GRID + padC;
    for (let c = 0; c < g.w; c++) dst[row + c] = g.data[r * g.w + c] + 2;
  }
  const eosRow = padR + g.h;
  const eosCol = padC + g.w;
  if (eosRow < ARC_MAX_GRID) for (let c = padC; c < eosCol; c++) dst[eosRow * ARC_MAX_GRID + c] = ARC_EOS;
  if (eosCol < ARC_MAX_GRID) for (let r = padR; r < eosRow; r++) dst[r * ARC_MAX_GRID + eosCol] = ARC_EOS;
}

interface PlannedTask {
  task: ArcTask;
  augs: ArcAug[];
}

/** Lists dataset sub-folders and their task files, in a fixed (sorted) order. */
function listTaskFolders(dir: string): { folder: string; files: string[] }[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: dataset folder not found`);
  const subs = readdirSync(dir).filter((n) => statSync(join(dir, n)).isDirectory()).sort();
  if (subs.length === 0) throw new UserError(`${dir}: has no sub-folders of task files (expected e.g. training/ and evaluation/, or one folder per concept)`);
  return subs.map((s) => ({
    folder: s,
    files: readdirSync(join(dir, s)).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, s, f)),
  }));
}

export interface ArcBuildOptions {
  datasetDirs: string[];
  outputDir: string;
  numAug: number;
  seed: number;
  quiet?: boolean;
  /** Kaggle combined files (TRM): `<prefix>_<subset>_challenges.json` + `_solutions.json`, instead of folders */
  inputFilePrefix?: string;
  /** with inputFilePrefix: the subsets to read (TRM's default: training, evaluation, concept) */
  subsets?: string[];
  /** the folder / subset whose test pairs form the test split (default: evaluation) */
  testSetName?: string;
  /** keep at most this many tasks of each folder / subset (the first in sorted order that fit maxGrid) */
  maxTasks?: number;
  /** keep only tasks whose grids all fit in maxGrid x maxGrid */
  maxGrid?: number;
  /** replace an existing hrm dataset at outputDir (anything else is never replaced) */
  force?: boolean;
}

export interface ArcBuildSummary {
  tasks: number;
  identifiers: number;
  examples: Record<string, number>;
  puzzles: Record<string, number>;
}

/** One folder or Kaggle subset: its tasks in sorted order (read lazily, one at a time). */
interface TaskGroup {
  name: string;
  count: number;
  read(i: number, testToTest: boolean): ArcTask;
}

function fits(t: ArcTask, s: number): boolean {
  return [...t.train, ...t.test].every((e) => Math.max(e.input.h, e.input.w, e.output.h, e.output.w) <= s);
}

/** Applies maxTasks / maxGrid to a group (reads the tasks to check their sizes). */
function limitGroup(g: TaskGroup, o: ArcBuildOptions): TaskGroup {
  if (o.maxTasks === undefined && o.maxGrid === undefined) return g;
  const keep: number[] = [];
  for (let i = 0; i < g.count && keep.length < (o.maxTasks ?? Infinity); i++) if (o.maxGrid === undefined || fits(g.read(i, true), o.maxGrid)) keep.push(i);
  return { name: g.name, count: keep.length, read: (i, tt) => g.read(keep[i], tt) };
}

/** The Kaggle layout TRM reads: {task: {train, test}} challenges and {task: [output grid, ...]} solutions. */
function kaggleGroup(prefix: string, subset: string): TaskGroup {
  const cPath = `${prefix}_${subset}_challenges.json`;
  const sPath = `${prefix}_${subset}_solutions.json`;
  const read = (p: string): Record<string, unknown> => {
    if (!existsSync(p)) throw new UserError(`${p}: not found (--input-file-prefix ${prefix} with subset '${subset}')`);
    const raw = readJsonFile(p);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${p}: expected a JSON object keyed by task id`);
    return raw as Record<string, unknown>;
  };
  const challenges = read(cPath);
  const solutions = read(sPath);
  const names = Object.keys(challenges).sort();
  return {
    name: subset,
    count: names.length,
    read(i, testToTest) {
      const name = names[i];
      const c = challenges[name] as Record<string, unknown>;
      if (typeof c !== 'object' || c === null || !Array.isArray(c.train) || !Array.isArray(c.test)) throw new UserError(`${cPath}: task '${name}': expected {"train": [...], "test": [...]}`);
      const sol = solutions[name];
      if (!Array.isArray(sol) || sol.length !== c.test.length) throw new UserError(`${sPath}: task '${name}': expected ${c.test.length} output grids (one per test input), got ${Array.isArray(sol) ? sol.length : 'none'}`);
      const train = parseExamples(c.train, `${cPath}: task '${name}' train`, true);
      if (c.test.length === 0) throw new UserError(`${cPath}: task '${name}' test: an empty list (an ARC task has at least one test input)`);
      const test = c.test.map((ex, k) => {
        if (typeof ex !== 'object' || ex === null || !('input' in ex)) throw new UserError(`${cPath}: task '${name}' test[${k}]: needs an "input" grid`);
        return { input: parseGrid((ex as { input: unknown }).input, `${cPath}: task '${name}' test[${k}].input`), output: parseGrid(sol[k], `${sPath}: task '${name}' [${k}]`) };
      });
      return testToTest ? { name, train, test } : { name, train: [...train, ...test], test: [] };
    },
  };
}

export async function buildArcDataset(o: ArcBuildOptions): Promise<ArcBuildSummary> {
  if (o.datasetDirs.length === 0 && !o.inputFilePrefix) throw new UserError('give at least one --dataset-dirs folder (or --input-file-prefix for Kaggle files)');
  prepareOutputDir(o.outputDir, o.force);
  const rng = new Rng(o.seed);
  const testSet = o.testSetName ?? 'evaluation';
  // 1. Read tasks and plan their augmentations (small: ids and colour maps only).
  const planned: PlannedTask[] = [];
  const groups: TaskGroup[] = o.inputFilePrefix
    ? (o.subsets ?? ['training', 'evaluation', 'concept']).map((s) => kaggleGroup(o.inputFilePrefix!, s))
    : o.datasetDirs.flatMap((d) => listTaskFolders(d).map(({ folder, files }) => ({ name: folder, count: files.length, read: (i: number, tt: boolean) => readArcTask(files[i], tt) })));
  const limited = groups.map((g) => limitGroup(g, o));
  const totalFiles = limited.reduce((s, g) => s + g.count, 0);
  const progress = new Progress('arc: planning augmentations', totalFiles, { unit: 'tasks', silent: o.quiet });
  for (const g of limited) {
    const order = rng.permutation(g.count); // the reference shuffles each folder's tasks
    for (const i of order) {
      const task = g.read(i, g.name === testSet);
      planned.push({ task, augs: planAugmentations(task, o.numAug, rng) });
      progress.tick();
    }
  }
  progress.finish();
  if (planned.length === 0) throw new UserError(`no tasks found under ${o.inputFilePrefix ?? o.datasetDirs.join(', ')}${o.maxGrid !== undefined ? ` with grids up to ${o.maxGrid}x${o.maxGrid}` : ''}`);

  // 2. Identifiers: 0 is <blank>, then every puzzle name in order of first appearance (train, then test).
  const ids = new Map<string, number>();
  const names = ['<blank>'];
  for (const split of ['train', 'test'] as const) {
    for (const p of planned) {
      if (p.task[split].length === 0) continue;
      for (const a of p.augs) {
        const n = a === IDENTITY_AUG ? p.task.name : augName(p.task.name, a);
        if (!ids.has(n)) {
          ids.set(n, names.length);
          names.push(n);
        }
      }
    }
  }

  // 3. Stream each split's arrays to disk.
  const summary: ArcBuildSummary = { tasks: planned.length, identifiers: names.length, examples: {}, puzzles: {} };
  await buildDataset(o.outputDir, (w) => {
    for (const split of ['train', 'test'] as const) {
      const r = writeArcSplit(w, split, planned, ids, names.length, rng, o.quiet);
      if (r) {
        summary.examples[split] = r.examples;
        summary.puzzles[split] = r.puzzles;
      }
    }
    w.writeIdentifiers(names);
  }, o.force);
  return summary;
}

function writeArcSplit(
  w: DatasetWriter, split: Split, planned: PlannedTask[], ids: Map<string, number>, numIds: number, rng: Rng, quiet?: boolean,
): { examples: number; puzzles: number } | null {
  let examples = 0;
  let puzzles = 0;
  let groups = 0;
  for (const p of planned) {
    const n = p.task[split].length;
    if (n === 0) continue;
    examples += n * p.augs.length;
    puzzles += p.augs.length;
    groups++;
  }
  if (groups === 0) return null;
  const translate = split === 'train';
  const inputs = new NpyStreamWriter(w.arrayPath(split, 'all', 'inputs'), 'u1', [examples, ARC_SEQ_LEN]);
  const labels = new NpyStreamWriter(w.arrayPath(split, 'all', 'labels'), 'u1', [examples, ARC_SEQ_LEN]);
  try {
    const puzzleIdentifiers = new Int32Array(puzzles);
    const puzzleIndices = new Int32Array(puzzles + 1);
    const groupIndices = new Int32Array(groups + 1);
    const bufIn = new Uint8Array(ARC_SEQ_LEN);
    const bufOut = new Uint8Array(ARC_SEQ_LEN);
    const progress = new Progress(`arc ${split}`, examples, { unit: 'examples', silent: quiet });
    let e = 0;
    let pz = 0;
    let g = 0;
    for (const p of planned) {
      const exs = p.task[split];
      if (exs.length === 0) continue;
      for (const a of p.augs) {
        const keep = rng.int(exs.length); // this example is never translated
        for (let i = 0; i < exs.length; i++) {
          const inp = augmentGrid(exs[i].input, a);
          const out = augmentGrid(exs[i].output, a);
          let padR = 0;
          let padC = 0;
          if (translate && i !== keep) {
            padR = rng.int(ARC_MAX_GRID - Math.max(inp.h, out.h) + 1);
            padC = rng.int(ARC_MAX_GRID - Math.max(inp.w, out.w) + 1);
          }
          placePair(inp, out, padR, padC, bufIn, bufOut);
          inputs.append(bufIn);
          labels.append(bufOut);
          e++;
        }
        puzzleIndices[pz + 1] = e;
        puzzleIdentifiers[pz] = ids.get(a === IDENTITY_AUG ? p.task.name : augName(p.task.name, a))!;
        pz++;
        progress.tick(exs.length);
      }
      groupIndices[++g] = pz;
    }
    progress.finish();
    inputs.close();
    labels.close();
    w.writeArray(split, 'all', 'puzzle_identifiers', puzzleIdentifiers, [puzzles]);
    w.writeArray(split, 'all', 'puzzle_indices', puzzleIndices, [puzzles + 1]);
    w.writeArray(split, 'all', 'group_indices', groupIndices, [groups + 1]);
    const m: DatasetMetadata = {
      pad_id: ARC_PAD,
      ignore_label_id: 0,
      blank_identifier_id: 0,
      vocab_size: ARC_VOCAB,
      seq_len: ARC_SEQ_LEN,
      num_puzzle_identifiers: numIds,
      total_groups: groups,
      mean_puzzle_examples: examples / puzzles,
      sets: ['all'],
    };
    w.writeMetadata(split, m);
    return { examples, puzzles };
  } catch (e) {
    inputs.abort();
    labels.abort();
    throw e;
  }
}
