/**
 * The Sudoku builder (the reference's build_sudoku_dataset): rows of (puzzle, solution) become one-example
 * puzzles; with num_aug, each train puzzle gets that many shuffled copies, all in one group.
 * Tokens: digit + 1 (blank 1, digits 2..10), vocab 11, seq_len 81, pad 0, ignore_label_id 0.
 *
 * Sources: the reference's CSV (`source,question,answer,rating`), a `question,answer` CSV, or a plain
 * file with one 81-character puzzle per line and no solutions (solved here; each must be unique).
 */
import { Progress } from '../../util/progress.js';
import { Rng } from '../../util/random.js';
import { UserError } from '../../util/errors.js';
import { applySudokuShuffle, randomSudokuShuffle } from '../augment.js';
import { readQuestionAnswerCsv, forEachLine } from '../csv.js';
import { SetArrays, buildDataset, singleExampleMetadata, DatasetWriter } from '../dataset-format.js';
import { SudokuSolver, agreesWithClues, isValidSolution, parseSudoku } from '../sudoku-solver.js';
import { gatherRows, resolveSources, splitIndices, subsampleIndices } from './sources.js';
import { prepareOutputDir } from './output-dir.js';
import { refuseSpecialFile } from '../../util/regular-file.js';

export const SUDOKU_SEQ_LEN = 81;
export const SUDOKU_VOCAB = 11;

/** Puzzles and solutions as digits (0 = blank), n rows of 81. */
export interface SudokuRows {
  puzzles: Uint8Array;
  solutions: Uint8Array;
  count: number;
  /** Rating per row (the CSV's `rating`, or our solver's branch count for plain files). */
  ratings: Float64Array;
}

export interface SudokuReadOptions {
  minDifficulty?: number;
  quiet?: boolean;
}

class RowBuffer {
  puzzles = new Uint8Array(81 * 1024);
  solutions = new Uint8Array(81 * 1024);
  ratings = new Float64Array(1024);
  count = 0;
  push(p: Uint8Array, s: Uint8Array, rating: number): void {
    if (this.count === this.ratings.length) {
      const grow = <T extends Uint8Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as { new (n: number): T })(a.length * 2);
        b.set(a);
        return b;
      };
      this.puzzles = grow(this.puzzles);
      this.solutions = grow(this.solutions);
      this.ratings = grow(this.ratings);
    }
    this.puzzles.set(p, this.count * 81);
    this.solutions.set(s, this.count * 81);
    this.ratings[this.count++] = rating;
  }
  rows(): SudokuRows {
    return {
      puzzles: this.puzzles.slice(0, this.count * 81),
      solutions: this.solutions.slice(0, this.count * 81),
      ratings: this.ratings.slice(0, this.count),
      count: this.count,
    };
  }
}

/** True when the first non-comment line is an 81-character puzzle (no CSV header). */
function looksLikePlainPuzzles(path: string): boolean {
  let first: string | null = null;
  forEachLine(path, (line) => {
    if (line.trim() === '' || line.startsWith('#')) return true;
    first = line;
    return false;
  });
  const f = first as string | null;
  return f !== null && !f.includes(',') && parseSudoku(f.trim().slice(0, 81)) !== null;
}

/** Reads Sudoku rows from a CSV or a plain puzzle file, validating every row. */
export function readSudokuSource(path: string, opts: SudokuReadOptions = {}): SudokuRows {
  refuseSpecialFile(path);
  const out = new RowBuffer();
  if (looksLikePlainPuzzles(path)) {
    const solver = new SudokuSolver();
    const progress = new Progress(`solving ${path}`, 0, { unit: 'puzzles', silent: opts.quiet });
    forEachLine(path, (line, lineNo) => {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) return;
      const p = parseSudoku(t.slice(0, 81));
      if (!p || (t.length > 81 && !/^\s/.test(t.slice(81)))) {
        throw new UserError(`${path}:${lineNo}: expected 81 characters of 1-9 and '.'/'0', got '${t.slice(0, 90)}'`);
      }
      const r = solver.solve(p, 2);
      if (r.count === 0) throw new UserError(`${path}:${lineNo}: puzzle has no solution`);
      if (r.count > 1) throw new UserError(`${path}:${lineNo}: puzzle has more than one solution`);
      progress.tick();
      if (opts.minDifficulty !== undefined && r.guesses < opts.minDifficulty) return;
      out.push(p, r.solution!, r.guesses);
    });
    progress.finish();
    return out.rows();
  }
  readQuestionAnswerCsv(path, (rec) => {
    const where = `${path}:${rec.line}`;
    if (opts.minDifficulty !== undefined) {
      if (rec.rating === null) {
        throw new UserError(`${path}: --min-difficulty needs a 'rating' column, and this CSV has none`);
      }
      if (rec.rating < opts.minDifficulty) return;
    }
    const p = parseSudoku(rec.question);
    if (!p) throw new UserError(`${where}: question must be 81 characters of 1-9 and '.' (blank), got ${rec.question.length} characters '${rec.question.slice(0, 90)}'`);
    const s = parseSudoku(rec.answer);
    if (!s || s.includes(0)) throw new UserError(`${where}: answer must be 81 digits 1-9, got '${rec.answer.slice(0, 90)}'`);
    if (!isValidSolution(s)) throw new UserError(`${where}: answer breaks the Sudoku rules (a row, column or box repeats a digit)`);
    if (!agreesWithClues(p, s)) throw new UserError(`${where}: answer contradicts the question's clues`);
    out.push(p, s, rec.rating ?? 0);
  });
  return out.rows();
}

export function selectSudokuRows(rows: SudokuRows, idx: ArrayLike<number>): SudokuRows {
  return {
    puzzles: gatherRows(rows.puzzles, 81, idx),
    solutions: gatherRows(rows.solutions, 81, idx),
    ratings: Float64Array.from(idx, (i) => rows.ratings[i]),
    count: idx.length,
  };
}

/**
 * The arrays of one split: each row and its `numAug` shuffled copies are separate puzzles of one group.
 * Tokens are digit + 1.
 */
export function sudokuSetArrays(rows: SudokuRows, numAug: number, rng: Rng, progress?: Progress): SetArrays {
  const per = 1 + numAug;
  const n = rows.count * per;
  const inputs = new Uint8Array(n * 81);
  const labels = new Uint8Array(n * 81);
  const puzzle_identifiers = new Int32Array(n);
  const puzzle_indices = new Int32Array(n + 1);
  const group_indices = new Int32Array(rows.count + 1);
  const shuffle = { cells: new Uint8Array(81), digits: new Uint8Array(10) };
  let e = 0;
  for (let r = 0; r < rows.count; r++) {
    for (let a = 0; a < per; a++, e++) {
      if (a === 0) {
        inputs.set(rows.puzzles.subarray(r * 81, r * 81 + 81), e * 81);
        labels.set(rows.solutions.subarray(r * 81, r * 81 + 81), e * 81);
      } else {
        const s = randomSudokuShuffle(rng, shuffle);
        applySudokuShuffle(s, rows.puzzles, inputs, r * 81, e * 81);
        applySudokuShuffle(s, rows.solutions, labels, r * 81, e * 81);
      }
      puzzle_indices[e + 1] = e + 1;
    }
    group_indices[r + 1] = e;
    progress?.tick(per);
  }
  for (let i = 0; i < inputs.length; i++) {
    inputs[i] += 1;
    labels[i] += 1;
  }
  return { inputs, labels, puzzle_identifiers, puzzle_indices, group_indices };
}

/** Writes a Sudoku dataset (train with numAug copies, test without) into an open writer. */
export function writeSudokuSplits(w: DatasetWriter, train: SudokuRows, test: SudokuRows | null, numAug: number, rng: Rng, quiet = false): void {
  const splits: ['train' | 'test', SudokuRows, number][] = [['train', train, numAug]];
  if (test) splits.push(['test', test, 0]);
  for (const [split, rows, aug] of splits) {
    const progress = new Progress(`sudoku ${split}`, rows.count * (1 + aug), { unit: 'puzzles', silent: quiet });
    const a = sudokuSetArrays(rows, aug, rng, progress);
    progress.finish();
    w.writeSet(split, 'all', SUDOKU_SEQ_LEN, a);
    w.writeMetadata(split, singleExampleMetadata(SUDOKU_VOCAB, SUDOKU_SEQ_LEN, rows.count));
  }
  w.writeIdentifiers(['<blank>']);
}

export interface SudokuBuildOptions {
  source: string;
  outputDir: string;
  testSource?: string;
  /** Take this fraction of the source as the test split (when there is no test file). */
  testFraction?: number;
  subsampleSize?: number;
  minDifficulty?: number;
  numAug: number;
  seed: number;
  quiet?: boolean;
  /** replace an existing hrm dataset at outputDir (anything else is never replaced) */
  force?: boolean;
}

export interface BuildSummary {
  train: number;
  test: number;
  trainPuzzles: number;
}

export async function buildSudokuDataset(o: SudokuBuildOptions): Promise<BuildSummary> {
  prepareOutputDir(o.outputDir, o.force);
  const rng = new Rng(o.seed);
  const src = resolveSources(o.source, o.testSource);
  let train = readSudokuSource(src.train, { minDifficulty: o.minDifficulty, quiet: o.quiet });
  let test = src.test ? readSudokuSource(src.test, { minDifficulty: o.minDifficulty, quiet: o.quiet }) : null;
  if (train.count === 0) throw new UserError(`${src.train}: no puzzles${o.minDifficulty !== undefined ? ` with rating >= ${o.minDifficulty}` : ''}`);
  if (!test && o.testFraction !== undefined && o.testFraction > 0) {
    const s = splitIndices(train.count, o.testFraction, rng);
    test = selectSudokuRows(train, s.test);
    train = selectSudokuRows(train, s.train);
  }
  if (o.subsampleSize !== undefined) train = selectSudokuRows(train, subsampleIndices(train.count, o.subsampleSize, rng, 'puzzles'));
  await buildDataset(o.outputDir, (w) => writeSudokuSplits(w, train, test, o.numAug, rng, o.quiet), o.force);
  return { train: train.count, test: test?.count ?? 0, trainPuzzles: train.count * (1 + o.numAug) };
}
