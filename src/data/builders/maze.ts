/**
 * The Maze builder (the reference's build_maze_dataset): each n x n maze is one puzzle of one example;
 * with --aug, train mazes get all 8 dihedral transforms (ids 0-7 in order), one group per maze.
 * Tokens: index in "# SGo" + 1 (wall 1, open 2, S 3, G 4, path 5), vocab 6, seq_len n*n.
 */
import { Progress } from '../../util/progress.js';
import { Rng } from '../../util/random.js';
import { UserError } from '../../util/errors.js';
import { dihedralPermutation } from '../augment.js';
import { readQuestionAnswerCsv } from '../csv.js';
import { DatasetWriter, SetArrays, buildDataset, singleExampleMetadata } from '../dataset-format.js';
import { MAZE_CHARSET } from '../maze-generator.js';
import { gatherRows, resolveSources, splitIndices, subsampleIndices } from './sources.js';
import type { BuildSummary } from './sudoku.js';
import { prepareOutputDir } from './output-dir.js';
import { refuseSpecialFile } from '../../util/regular-file.js';

export const MAZE_VOCAB = MAZE_CHARSET.length + 1;

/** Char code -> token (0 = not allowed). */
const CHAR_TO_TOKEN = new Uint8Array(256);
for (let i = 0; i < MAZE_CHARSET.length; i++) CHAR_TO_TOKEN[MAZE_CHARSET.charCodeAt(i)] = i + 1;

/** Mazes as tokens, count rows of side*side. */
export interface MazeRows {
  side: number;
  inputs: Uint8Array;
  labels: Uint8Array;
  count: number;
}

function encode(field: string, allowPath: boolean, where: string, what: string, out: Uint8Array, off: number): void {
  for (let k = 0; k < field.length; k++) {
    const c = field.charCodeAt(k);
    const t = c < 256 ? CHAR_TO_TOKEN[c] : 0;
    if (t === 0 || (!allowPath && t === 5)) {
      throw new UserError(`${where}: ${what} has character ${JSON.stringify(field[k])} at position ${k} (allowed: ${allowPath ? '"# SGo"' : '"# SG"'})`);
    }
    out[off + k] = t;
  }
}

/**
 * Whether the answer's 'o' cells (token 5) join S (3) to G (4) through 4-neighbours, with none left
 * over: a flood fill from S over 'o' cells must reach G and every 'o'.
 */
function pathConnects(labels: Uint8Array, off: number, side: number): boolean {
  const L = side * side;
  const seen = new Uint8Array(L);
  const queue = new Int32Array(L);
  let head = 0;
  let tail = 0;
  let paths = 0;
  for (let k = 0; k < L; k++) {
    if (labels[off + k] === 5) paths++;
    if (labels[off + k] === 3) {
      queue[tail++] = k;
      seen[k] = 1;
    }
  }
  let reachedG = false;
  let reachedPaths = 0;
  while (head < tail) {
    const k = queue[head++];
    const r = (k / side) | 0;
    const c = k - r * side;
    for (const nb of [r > 0 ? k - side : -1, r < side - 1 ? k + side : -1, c > 0 ? k - 1 : -1, c < side - 1 ? k + 1 : -1]) {
      if (nb < 0 || seen[nb]) continue;
      const t = labels[off + nb];
      if (t === 4) {
        reachedG = true;
        seen[nb] = 1;
      } else if (t === 5) {
        seen[nb] = 1;
        reachedPaths++;
        queue[tail++] = nb;
      }
    }
  }
  return reachedG && reachedPaths === paths;
}

/** Collects validated mazes as tokens. */
export class MazeRowBuffer {
  side: number;
  private inputs = new Uint8Array(0);
  private labels = new Uint8Array(0);
  count = 0;

  constructor(side = 0) {
    this.side = side;
  }

  /** Validates and appends one maze; `where` names the file and line for errors. */
  push(q: string, a: string, where: string): void {
    if (this.side === 0) {
      const side = Math.round(Math.sqrt(q.length));
      if (side * side !== q.length || side < 2) throw new UserError(`${where}: question has ${q.length} characters, not a square grid (were spaces trimmed?)`);
      this.side = side;
    }
    const side = this.side;
    const L = side * side;
    if (q.length !== L) throw new UserError(`${where}: question has ${q.length} characters, expected ${L} (${side}x${side}); were spaces trimmed?`);
    if (a.length !== L) throw new UserError(`${where}: answer has ${a.length} characters, expected ${L} (${side}x${side})`);
    if ((this.count + 1) * L > this.inputs.length) {
      const grow = (x: Uint8Array) => {
        const y = new Uint8Array(Math.max(L * 1024, x.length * 2));
        y.set(x);
        return y;
      };
      this.inputs = grow(this.inputs);
      this.labels = grow(this.labels);
    }
    const off = this.count * L;
    encode(q, false, where, 'question', this.inputs, off);
    encode(a, true, where, 'answer', this.labels, off);
    let s = 0;
    let g = 0;
    for (let k = 0; k < L; k++) {
      const t = this.inputs[off + k];
      if (t === 3) s++;
      else if (t === 4) g++;
      const u = this.labels[off + k];
      if (u !== t && !(u === 5 && t === 2)) {
        throw new UserError(`${where}: answer differs from the question at cell ${k} ('${q[k]}' vs '${a[k]}'); only open cells may become 'o'`);
      }
    }
    if (s !== 1 || g !== 1) throw new UserError(`${where}: maze must have exactly one S and one G, has ${s} S and ${g} G`);
    if (!pathConnects(this.labels, off, side)) {
      throw new UserError(`${where}: answer has no path of 'o' cells from S to G (or has 'o' cells off that path)`);
    }
    this.count++;
  }

  rows(): MazeRows {
    const L = this.side * this.side;
    return { side: this.side, inputs: this.inputs.slice(0, this.count * L), labels: this.labels.slice(0, this.count * L), count: this.count };
  }
}

/** Reads and validates a Maze CSV (fields are not trimmed: leading spaces are open cells). */
export function readMazeSource(path: string, expectedSide?: number): MazeRows {
  refuseSpecialFile(path);
  const buf = new MazeRowBuffer(expectedSide ?? 0);
  readQuestionAnswerCsv(path, (rec) => buf.push(rec.question, rec.answer, `${path}:${rec.line}`));
  return buf.rows();
}

export function selectMazeRows(rows: MazeRows, idx: ArrayLike<number>): MazeRows {
  const L = rows.side * rows.side;
  return { side: rows.side, inputs: gatherRows(rows.inputs, L, idx), labels: gatherRows(rows.labels, L, idx), count: idx.length };
}

/** One split's arrays; with `aug`, each maze becomes 8 puzzles (dihedral ids 0-7) of one group. */
export function mazeSetArrays(rows: MazeRows, aug: boolean, progress?: Progress): SetArrays {
  const L = rows.side * rows.side;
  const per = aug ? 8 : 1;
  const n = rows.count * per;
  const inputs = new Uint8Array(n * L);
  const labels = new Uint8Array(n * L);
  const perms = Array.from({ length: per }, (_, t) => dihedralPermutation(t, rows.side, rows.side));
  const puzzle_indices = new Int32Array(n + 1);
  const group_indices = new Int32Array(rows.count + 1);
  let e = 0;
  for (let r = 0; r < rows.count; r++) {
    for (let t = 0; t < per; t++, e++) {
      const perm = perms[t];
      const src = r * L;
      const dst = e * L;
      for (let k = 0; k < L; k++) {
        inputs[dst + k] = rows.inputs[src + perm[k]];
        labels[dst + k] = rows.labels[src + perm[k]];
      }
      puzzle_indices[e + 1] = e + 1;
    }
    group_indices[r + 1] = e;
    progress?.tick(per);
  }
  return { inputs, labels, puzzle_identifiers: new Int32Array(n), puzzle_indices, group_indices };
}

export function writeMazeSplits(w: DatasetWriter, train: MazeRows, test: MazeRows | null, aug: boolean, quiet = false): void {
  const splits: ['train' | 'test', MazeRows, boolean][] = [['train', train, aug]];
  if (test) {
    if (test.side !== train.side) throw new UserError(`test mazes are ${test.side}x${test.side} but train mazes are ${train.side}x${train.side}`);
    splits.push(['test', test, false]);
  }
  for (const [split, rows, a] of splits) {
    const progress = new Progress(`maze ${split}`, rows.count * (a ? 8 : 1), { unit: 'mazes', silent: quiet });
    const arrays = mazeSetArrays(rows, a, progress);
    progress.finish();
    const L = rows.side * rows.side;
    w.writeSet(split, 'all', L, arrays);
    w.writeMetadata(split, singleExampleMetadata(MAZE_VOCAB, L, rows.count));
  }
  w.writeIdentifiers(['<blank>']);
}

export interface MazeBuildOptions {
  source: string;
  outputDir: string;
  testSource?: string;
  testFraction?: number;
  subsampleSize?: number;
  aug: boolean;
  seed: number;
  quiet?: boolean;
  /** replace an existing hrm dataset at outputDir (anything else is never replaced) */
  force?: boolean;
}

export async function buildMazeDataset(o: MazeBuildOptions): Promise<BuildSummary> {
  prepareOutputDir(o.outputDir, o.force);
  const rng = new Rng(o.seed);
  const src = resolveSources(o.source, o.testSource);
  let train = readMazeSource(src.train);
  if (train.count === 0) throw new UserError(`${src.train}: no mazes`);
  let test = src.test ? readMazeSource(src.test, train.side) : null;
  if (!test && o.testFraction !== undefined && o.testFraction > 0) {
    const s = splitIndices(train.count, o.testFraction, rng);
    test = selectMazeRows(train, s.test);
    train = selectMazeRows(train, s.train);
  }
  if (o.subsampleSize !== undefined) train = selectMazeRows(train, subsampleIndices(train.count, o.subsampleSize, rng, 'mazes'));
  await buildDataset(o.outputDir, (w) => writeMazeSplits(w, train, test, o.aug, o.quiet), o.force);
  return { train: train.count, test: test?.count ?? 0, trainPuzzles: train.count * (o.aug ? 8 : 1) };
}
