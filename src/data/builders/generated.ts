/**
 * Datasets from the generators: `hrm data sudoku --generate N` and `hrm data maze --generate N`.
 * N puzzles are generated, a fraction becomes the test split, and the usual builder writes the folder
 * (so augmentation options work the same). Optionally the puzzles are also saved as a question,answer CSV.
 */
import { Progress } from '../../util/progress.js';
import { Rng } from '../../util/random.js';
import { UserError } from '../../util/errors.js';
import { pathTaken, writeNewFile } from '../../util/no-clobber.js';
import { buildDataset } from '../dataset-format.js';
import { formatSudoku } from '../sudoku-solver.js';
import { Difficulty, SudokuGenerator } from '../sudoku-generator.js';
import { MazeGenerator } from '../maze-generator.js';
import { SudokuRows, selectSudokuRows, writeSudokuSplits } from './sudoku.js';
import { MazeRowBuffer, selectMazeRows, writeMazeSplits } from './maze.js';
import { splitIndices } from './sources.js';
import { prepareOutputDir } from './output-dir.js';

export interface GenerateStats {
  count: number;
  seconds: number;
  /** Sudoku: clue-count range and mean branch count; Maze: path-length range. */
  min: number;
  max: number;
  mean: number;
}

export interface SudokuGenerateOptions {
  count: number;
  outputDir: string;
  clues: [number, number];
  difficulty?: Difficulty;
  testFraction: number;
  numAug: number;
  seed: number;
  saveCsv?: string;
  quiet?: boolean;
  /** replace an existing hrm dataset at outputDir (anything else is never replaced) */
  force?: boolean;
}

export function generateSudokuRows(count: number, clues: [number, number], difficulty: Difficulty | undefined, rng: Rng, quiet = false): { rows: SudokuRows; stats: GenerateStats } {
  const gen = new SudokuGenerator(rng);
  const puzzles = new Uint8Array(count * 81);
  const solutions = new Uint8Array(count * 81);
  const ratings = new Float64Array(count);
  const progress = new Progress('generating sudoku', count, { unit: 'puzzles', silent: quiet });
  const t0 = Date.now();
  let min = 81;
  let max = 0;
  for (let i = 0; i < count; i++) {
    const g = gen.generate(clues[0], clues[1], difficulty);
    if (!g) throw new UserError(`could not generate a unique-solution Sudoku with ${clues[0]}-${clues[1]} clues${difficulty ? ` and difficulty ${difficulty}` : ''} (1000 tries); widen the range`);
    puzzles.set(g.puzzle, i * 81);
    solutions.set(g.solution, i * 81);
    ratings[i] = g.guesses;
    min = Math.min(min, g.clues);
    max = Math.max(max, g.clues);
    progress.tick();
  }
  progress.finish();
  const mean = ratings.reduce((s, x) => s + x, 0) / Math.max(1, count);
  return { rows: { puzzles, solutions, ratings, count }, stats: { count, seconds: (Date.now() - t0) / 1000, min, max, mean } };
}

/**
 * --save-csv writes a new file only: an existing one (the user's source CSV, perhaps) or a link is
 * never replaced. Checked before any work, and the write itself fails if one appeared meanwhile.
 */
function checkSaveCsv(path: string | undefined): void {
  if (path === undefined) return;
  if (path.trim() === '') throw new UserError('--save-csv is empty (an unset shell variable?); name the CSV file to write');
  if (pathTaken(path)) throw new UserError(`${path}: already exists; --save-csv writes a new file only, it never replaces one (choose another name)`);
}

function saveCsv(path: string, lines: string[]): void {
  writeNewFile(path, lines.join('\n') + '\n', '--save-csv writes a new file only; choose another name');
}

export async function generateSudokuDataset(o: SudokuGenerateOptions): Promise<GenerateStats> {
  checkSaveCsv(o.saveCsv);
  prepareOutputDir(o.outputDir, o.force);
  const rng = new Rng(o.seed);
  const { rows, stats } = generateSudokuRows(o.count, o.clues, o.difficulty, rng, o.quiet);
  if (o.saveCsv) {
    const lines = ['question,answer'];
    for (let i = 0; i < rows.count; i++) lines.push(`${formatSudoku(rows.puzzles.subarray(i * 81, i * 81 + 81))},${formatSudoku(rows.solutions.subarray(i * 81, i * 81 + 81))}`);
    saveCsv(o.saveCsv, lines);
  }
  const s = splitIndices(rows.count, o.testFraction, rng);
  const train = selectSudokuRows(rows, s.train);
  const test = s.test.length > 0 ? selectSudokuRows(rows, s.test) : null;
  await buildDataset(o.outputDir, (w) => writeSudokuSplits(w, train, test, o.numAug, rng, o.quiet), o.force);
  return stats;
}

export interface MazeGenerateOptions {
  count: number;
  outputDir: string;
  size: number;
  minPath: number;
  testFraction: number;
  aug: boolean;
  seed: number;
  saveCsv?: string;
  quiet?: boolean;
  /** replace an existing hrm dataset at outputDir (anything else is never replaced) */
  force?: boolean;
}

export function generateMazes(count: number, size: number, minPath: number, rng: Rng, quiet = false): { questions: string[]; answers: string[]; stats: GenerateStats } {
  const gen = new MazeGenerator(rng, size, minPath);
  const questions: string[] = [];
  const answers: string[] = [];
  const progress = new Progress('generating mazes', count, { unit: 'mazes', silent: quiet });
  const t0 = Date.now();
  let min = Infinity;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const m = gen.generate();
    if (!m) throw new UserError(`could not generate a ${size}x${size} maze with a shortest path of at least ${minPath} steps (10000 tries); lower --min-path`);
    questions.push(m.question);
    answers.push(m.answer);
    min = Math.min(min, m.pathLength);
    max = Math.max(max, m.pathLength);
    sum += m.pathLength;
    progress.tick();
  }
  progress.finish();
  return { questions, answers, stats: { count, seconds: (Date.now() - t0) / 1000, min, max, mean: sum / Math.max(1, count) } };
}

export async function generateMazeDataset(o: MazeGenerateOptions): Promise<GenerateStats> {
  if (!(o.size >= 2 && o.size <= 255)) throw new UserError(`--size must be between 2 and 255, got ${o.size}`);
  checkSaveCsv(o.saveCsv);
  prepareOutputDir(o.outputDir, o.force);
  const rng = new Rng(o.seed);
  const { questions, answers, stats } = generateMazes(o.count, o.size, o.minPath, rng, o.quiet);
  if (o.saveCsv) saveCsv(o.saveCsv, ['question,answer', ...questions.map((q, i) => `${q},${answers[i]}`)]);
  // Encode through the same validation as CSV sources.
  const buf = new MazeRowBuffer(o.size);
  for (let i = 0; i < questions.length; i++) buf.push(questions[i], answers[i], `generated maze ${i}`);
  const rows = buf.rows();
  const s = splitIndices(rows.count, o.testFraction, rng);
  const train = selectMazeRows(rows, s.train);
  const test = s.test.length > 0 ? selectMazeRows(rows, s.test) : null;
  await buildDataset(o.outputDir, (w) => writeMazeSplits(w, train, test, o.aug, o.quiet), o.force);
  return stats;
}
