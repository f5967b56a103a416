/**
 * `hrm data ...`: build datasets in the reference's format (sudoku, maze, arc), generate puzzles, and
 * show examples. Option names follow the reference's builders (--source, --output-dir, --subsample-size,
 * --min-difficulty, --num-aug, --aug, --dataset-dirs, --seed).
 */
import { UserError } from '../util/errors.js';
import { OPTION_LIMITS } from '../util/limits.js';
import { asUserError } from '../util/io-errors.js';
import { Worker, isMainThread } from 'node:worker_threads';
import { existsSync, realpathSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { cleanUpInterruptedBuild, ownBuildFolders } from '../data/builders/output-dir.js';
import { buildSudokuDataset } from '../data/builders/sudoku.js';
import { buildMazeDataset } from '../data/builders/maze.js';
import { buildArcDataset } from '../data/builders/arc.js';
import { generateMazeDataset, generateSudokuDataset } from '../data/builders/generated.js';
import { DIFFICULTY_CLUES, Difficulty } from '../data/sudoku-generator.js';
import { showDataset } from '../data/show.js';

const HELP: Record<string, string> = {
  data: `usage: hrm data <command> [options]

commands:
  sudoku   build a Sudoku dataset from a CSV or puzzle file, or generate puzzles
  maze     build a Maze dataset from a CSV, or generate mazes
  arc      build an ARC dataset from task JSON folders
  show     print examples of a built dataset

Run 'hrm data <command> --help' for its options.`,
  sudoku: `usage: hrm data sudoku --source FILE --output-dir DIR [options]
       hrm data sudoku --generate N --output-dir DIR [--clues MIN-MAX | --difficulty easy|medium|hard] [options]

Builds the reference's Sudoku dataset (tokens digit+1, vocab 11, seq_len 81).
  --source FILE          train rows: a CSV with question,answer columns (the reference's
                         source,question,answer,rating or question,answer), or a file of 81-char
                         puzzles one per line ('.' or 0 blank, '#' comments), solved here
                         (each must have exactly one solution). A folder means FOLDER/train.csv.
                         The test split comes from test.csv next to a train.csv when present.
  --test-source FILE     test rows from this file instead
  --test-fraction F      no test file: hold out this fraction of the source as test
                         (without either, only a train split is written)
  --output-dir DIR       where to write (a new or empty folder; written atomically when the
                         build succeeds)
  --force                replace DIR if it already holds an hrm dataset (a folder holding
                         anything else is never replaced)
  --subsample-size N     keep a random N of the train rows
  --min-difficulty R     keep rows with rating >= R (CSV 'rating' column; for puzzle files our
                         solver's branch count)
  --num-aug N            N shuffled copies of each train puzzle (default 0)
  --seed S               random seed (default 0)
  --generate N           generate N unique-solution puzzles instead of reading a source
  --clues MIN-MAX        clue count range for --generate (default 30-45)
  --difficulty D         easy (singles suffice), medium (1-9 solver branches), hard (10+);
                         sets the default clue range ${Object.entries(DIFFICULTY_CLUES).map(([k, v]) => `${k} ${v[0]}-${v[1]}`).join(', ')}
  --save-csv FILE        with --generate, also save the puzzles as a question,answer CSV
  --quiet                no progress output

examples:
  hrm data sudoku --source ../shared/data/sudoku/sudoku-extreme-train-1k/train.csv --output-dir data/sudoku-1k --num-aug 1000
  hrm data sudoku --source ../shared/data/sudoku/tdoku/puzzles2_17_clue --test-fraction 0.1 --output-dir data/sudoku-17
  hrm data sudoku --generate 20000 --clues 40-50 --output-dir data/sudoku-easy`,
  maze: `usage: hrm data maze --source FILE --output-dir DIR [--subsample-size N] [--aug]
       hrm data maze --generate N --size 30 --output-dir DIR [--min-path 100]

Builds the reference's Maze dataset (tokens: index in "# SGo" + 1, vocab 6, seq_len size*size).
  --source FILE          CSV with question,answer columns of size*size characters (# wall, space open,
                         S start, G goal, o path in answers); fields are not trimmed. A folder means
                         FOLDER/train.csv; test.csv next to train.csv becomes the test split.
  --test-source FILE     test rows from this file instead
  --test-fraction F      hold out this fraction as test (default 0 for --source, 0.1 for --generate)
  --output-dir DIR       where to write (a new or empty folder)
  --force                replace DIR if it already holds an hrm dataset (a folder holding
                         anything else is never replaced)
  --subsample-size N     keep a random N of the train mazes
  --aug                  add the 8 dihedral transforms of each train maze
  --seed S               random seed (default 0)
  --generate N           generate N mazes with random walls, verified by BFS
  --size N               grid side for --generate (default 30)
  --min-path L           minimum shortest-path length in steps (default 100)
  --save-csv FILE        with --generate, also save the mazes as a question,answer CSV
  --quiet                no progress output

examples:
  hrm data maze --source ../shared/data/maze/maze-30x30-hard-1k/train.csv --output-dir data/maze-1k --aug
  hrm data maze --generate 1000 --size 30 --min-path 100 --output-dir data/maze-gen`,
  arc: `usage: hrm data arc (--dataset-dirs DIR... | --input-file-prefix P [--subsets S...]) --output-dir DIR [--num-aug 1000] [--seed 42]

Builds the reference's ARC dataset (vocab 12: PAD, EOS, colours+2; 30x30 canvas, seq_len 900).
  --dataset-dirs DIR...  folders whose sub-folders hold task JSON files. Test pairs of tasks in a
                         sub-folder named 'evaluation' go to the test split; all else goes to train.
                         The reference uses ARC-AGI-1 (training + evaluation) with ConceptARC.
  --output-dir DIR       where to write (about 7 GB for ARC-AGI-1 + ConceptARC with 1000 augmentations)
  --force                replace DIR if it already holds an hrm dataset (a folder holding
                         anything else is never replaced)
  --num-aug N            augmentations per task (dihedral + colour permutation; default 1000)
  --seed S               random seed (default 42)
  --input-file-prefix P  instead of folders, TRM's Kaggle combined files P_<subset>_challenges.json and
                         P_<subset>_solutions.json (e.g. kaggle/combined/arc-agi)
  --subsets S...         with --input-file-prefix: subsets to read (default training evaluation concept)
  --test-set-name NAME   the folder / subset whose test pairs form the test split (default evaluation)
  --max-tasks N          keep at most N tasks per folder / subset (first in file-name order; small recipes)
  --max-grid S           keep only tasks whose grids all fit in S x S
  --quiet                no progress output

examples:
  hrm data arc --input-file-prefix kaggle/arc-agi --subsets training evaluation --output-dir data/arc-kaggle
  hrm data arc --dataset-dirs ../shared/data/arc-agi-1 ../shared/data/concept-arc/corpus --output-dir data/arc-aug-1000
  hrm data arc --dataset-dirs ../shared/data/arc-agi-2 --output-dir data/arc-2-aug-1000`,
  show: `usage: hrm data show DIR [--split train|test] [--index I] [--count N] [--color|--no-color]

Prints examples of a built dataset (input and label side by side; ARC grids in colour on a terminal).
  --split S      train or test (default train)
  --index I      first example (default 0)
  --count N      how many examples (default 1)`,
};

interface Flags {
  positional: string[];
  values: Map<string, string[]>;
}

/** Flags that take no value. */
const BOOLEAN = new Set(['aug', 'quiet', 'help', 'color', 'no-color', 'force']);
/** Flags that take several values. */
const MULTI = new Set(['dataset-dirs', 'subsets']);

function parseFlags(args: string[], allowed: string[]): Flags {
  const f: Flags = { positional: [], values: new Map() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-h') {
      f.values.set('help', []);
      continue;
    }
    if (!a.startsWith('--')) {
      f.positional.push(a);
      continue;
    }
    let name = a.slice(2);
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    name = name.replace(/_/g, '-'); // accept the reference's snake_case spellings too
    if (!allowed.includes(name) && name !== 'help') throw new UserError(`unknown option --${name} (allowed: ${allowed.map((x) => '--' + x).join(' ')})`);
    if (BOOLEAN.has(name)) {
      f.values.set(name, inline !== undefined ? [inline] : []);
      continue;
    }
    if (MULTI.has(name)) {
      const vals = inline !== undefined ? [inline] : [];
      while (i + 1 < args.length && !args[i + 1].startsWith('--')) vals.push(args[++i]);
      if (vals.length === 0) throw new UserError(`--${name} needs at least one value`);
      f.values.set(name, vals);
      continue;
    }
    const v = inline ?? args[++i];
    if (v === undefined) throw new UserError(`--${name} needs a value`);
    f.values.set(name, [v]);
  }
  return f;
}

function str(f: Flags, name: string): string | undefined {
  return f.values.get(name)?.[0];
}

function num(f: Flags, name: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  const s = str(f, name);
  if (s === undefined) return undefined;
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v))) throw new UserError(`--${name}: '${s}' is not ${opts.int ? 'an integer' : 'a number'}`);
  if (opts.min !== undefined && v < opts.min) throw new UserError(`--${name} must be >= ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw new UserError(`--${name} must be <= ${opts.max}, got ${v}`);
  return v;
}

/** --seed: any integer a double holds exactly (1e300 passes Number.isInteger but means nothing) */
const SEED = { int: true, min: -OPTION_LIMITS.seed, max: OPTION_LIMITS.seed };

function required(f: Flags, name: string, cmd: string): string {
  const v = str(f, name);
  if (v === undefined) throw new UserError(`hrm data ${cmd}: --${name} is required\n\n${HELP[cmd]}`);
  return v;
}

function bool(f: Flags, name: string): boolean {
  const v = f.values.get(name);
  if (!v) return false;
  if (v.length === 0) return true;
  if (/^(1|true|yes)$/i.test(v[0])) return true;
  if (/^(0|false|no)$/i.test(v[0])) return false;
  throw new UserError(`--${name}: expected true or false, got '${v[0]}'`);
}

function parseClues(s: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim());
  if (!m) throw new UserError(`--clues: expected MIN-MAX (e.g. 40-50), got '${s}'`);
  const lo = Number(m[1]);
  const hi = Number(m[2] ?? m[1]);
  if (lo > hi || lo < 17 || hi > 80) throw new UserError(`--clues: need 17 <= MIN <= MAX <= 80 (17 is the fewest any unique Sudoku has), got '${s}'`);
  return [lo, hi];
}

/** Training evaluates on the test split, so say when a build has none. */
function noTestSplit(): void {
  console.error('note: no test split was written (no test.csv next to the source); hrm train needs one: add --test-source FILE or --test-fraction F');
}

function say(quiet: boolean, s: string): void {
  if (!quiet) console.log(s);
}

async function sudoku(args: string[]): Promise<number> {
  const f = parseFlags(args, ['source', 'test-source', 'test-fraction', 'output-dir', 'subsample-size', 'min-difficulty', 'num-aug', 'seed', 'generate', 'clues', 'difficulty', 'save-csv', 'quiet', 'force']);
  if (f.values.has('help')) return help('sudoku');
  if (f.positional.length) throw new UserError(`hrm data sudoku: unexpected argument '${f.positional[0]}'`);
  const outputDir = required(f, 'output-dir', 'sudoku');
  const quiet = bool(f, 'quiet');
  const numAug = num(f, 'num-aug', { int: true, min: 0, max: OPTION_LIMITS.num_aug }) ?? 0;
  const seed = num(f, 'seed', SEED) ?? 0;
  const testFraction = num(f, 'test-fraction', { min: 0, max: 0.99 });
  const t0 = Date.now();
  // Two arrays of 81 bytes per puzzle (and the train split's augmentations) must fit in memory.
  const gen = num(f, 'generate', { int: true, min: 1, max: 10_000_000 });
  if (gen !== undefined) {
    if (str(f, 'source')) throw new UserError('hrm data sudoku: give either --source or --generate, not both');
    const d = str(f, 'difficulty');
    if (d !== undefined && !(d in DIFFICULTY_CLUES)) throw new UserError(`--difficulty must be easy, medium or hard, got '${d}'`);
    const difficulty = d as Difficulty | undefined;
    const cluesFlag = str(f, 'clues');
    const clues = cluesFlag ? parseClues(cluesFlag) : difficulty ? DIFFICULTY_CLUES[difficulty] : ([30, 45] as [number, number]);
    const st = await generateSudokuDataset({ count: gen, outputDir, clues, difficulty, testFraction: testFraction ?? 0.1, numAug, seed, saveCsv: str(f, 'save-csv'), quiet, force: bool(f, 'force') });
    say(quiet, `generated ${st.count} unique-solution Sudoku puzzles (${st.min}-${st.max} clues, mean solver branches ${st.mean.toFixed(2)}) in ${st.seconds.toFixed(1)} s`);
    say(quiet, `wrote ${outputDir} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  }
  const source = str(f, 'source');
  if (!source) throw new UserError(`hrm data sudoku: give --source FILE or --generate N\n\n${HELP.sudoku}`);
  for (const k of ['clues', 'difficulty', 'save-csv']) if (f.values.has(k)) throw new UserError(`--${k} works only with --generate`);
  const r = await buildSudokuDataset({
    source, outputDir, testSource: str(f, 'test-source'), testFraction,
    subsampleSize: num(f, 'subsample-size', { int: true, min: 1, max: OPTION_LIMITS.count }), minDifficulty: num(f, 'min-difficulty'), numAug, seed, quiet, force: bool(f, 'force'),
  });
  say(quiet, `wrote ${outputDir}: train ${r.train} puzzles (${r.trainPuzzles} with augmentations), test ${r.test} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (r.test === 0) noTestSplit();
  return 0;
}

async function maze(args: string[]): Promise<number> {
  const f = parseFlags(args, ['source', 'test-source', 'test-fraction', 'output-dir', 'subsample-size', 'aug', 'seed', 'generate', 'size', 'min-path', 'save-csv', 'quiet', 'force']);
  if (f.values.has('help')) return help('maze');
  if (f.positional.length) throw new UserError(`hrm data maze: unexpected argument '${f.positional[0]}'`);
  const outputDir = required(f, 'output-dir', 'maze');
  const quiet = bool(f, 'quiet');
  const seed = num(f, 'seed', SEED) ?? 0;
  const aug = bool(f, 'aug');
  const testFraction = num(f, 'test-fraction', { min: 0, max: 0.99 });
  const t0 = Date.now();
  // Each maze is held as two strings of size*size characters while it is generated.
  const gen = num(f, 'generate', { int: true, min: 1, max: 1_000_000 });
  if (gen !== undefined) {
    if (str(f, 'source')) throw new UserError('hrm data maze: give either --source or --generate, not both');
    const size = num(f, 'size', { int: true, min: 2, max: 255 }) ?? 30;
    // a path visits each cell once at most
    const minPath = num(f, 'min-path', { int: true, min: 1, max: size * size }) ?? 100;
    const st = await generateMazeDataset({ count: gen, outputDir, size, minPath, testFraction: testFraction ?? 0.1, aug, seed, saveCsv: str(f, 'save-csv'), quiet, force: bool(f, 'force') });
    say(quiet, `generated ${st.count} ${size}x${size} mazes (shortest paths ${st.min}-${st.max} steps, mean ${st.mean.toFixed(1)}) in ${st.seconds.toFixed(1)} s`);
    say(quiet, `wrote ${outputDir} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  }
  const source = str(f, 'source');
  if (!source) throw new UserError(`hrm data maze: give --source FILE or --generate N\n\n${HELP.maze}`);
  for (const k of ['size', 'min-path', 'save-csv']) if (f.values.has(k)) throw new UserError(`--${k} works only with --generate`);
  const r = await buildMazeDataset({ source, outputDir, testSource: str(f, 'test-source'), testFraction, subsampleSize: num(f, 'subsample-size', { int: true, min: 1, max: OPTION_LIMITS.count }), aug, seed, quiet, force: bool(f, 'force') });
  say(quiet, `wrote ${outputDir}: train ${r.train} mazes (${r.trainPuzzles} puzzles), test ${r.test} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (r.test === 0) noTestSplit();
  return 0;
}

async function arc(args: string[]): Promise<number> {
  const f = parseFlags(args, ['dataset-dirs', 'output-dir', 'num-aug', 'seed', 'quiet', 'force', 'input-file-prefix', 'subsets', 'test-set-name', 'max-tasks', 'max-grid']);
  if (f.values.has('help')) return help('arc');
  if (f.positional.length) throw new UserError(`hrm data arc: unexpected argument '${f.positional[0]}' (list folders after --dataset-dirs)`);
  const dirs = f.values.get('dataset-dirs');
  const inputFilePrefix = str(f, 'input-file-prefix');
  if (dirs && inputFilePrefix) throw new UserError('hrm data arc: give either --dataset-dirs or --input-file-prefix, not both');
  if (f.values.has('subsets') && !inputFilePrefix) throw new UserError('hrm data arc: --subsets works only with --input-file-prefix');
  if (!dirs && !inputFilePrefix) throw new UserError(`hrm data arc: --dataset-dirs is required (where are your ARC copies?)\n\n${HELP.arc}`);
  const outputDir = required(f, 'output-dir', 'arc');
  const quiet = bool(f, 'quiet');
  // One folder given twice (perhaps spelled differently) would put every task in twice.
  const seen = new Map<string, string>();
  for (const d of dirs ?? []) {
    const key = existsSync(d) ? realpathSync(d) : resolvePath(d);
    const first = seen.get(key);
    if (first !== undefined) throw new UserError(`${d} is given twice in --dataset-dirs (also as ${first})`);
    seen.set(key, d);
  }
  const t0 = Date.now();
  const r = await buildArcDataset({
    datasetDirs: dirs ?? [], inputFilePrefix, subsets: f.values.get('subsets'), testSetName: str(f, 'test-set-name'),
    maxTasks: num(f, 'max-tasks', { int: true, min: 1, max: OPTION_LIMITS.count }), maxGrid: num(f, 'max-grid', { int: true, min: 1, max: 30 }), outputDir, numAug: num(f, 'num-aug', { int: true, min: 0, max: OPTION_LIMITS.num_aug }) ?? 1000, seed: num(f, 'seed', SEED) ?? 42, quiet, force: bool(f, 'force') });
  const ex = Object.entries(r.examples).map(([k, v]) => `${k} ${v} examples / ${r.puzzles[k]} puzzles`).join(', ');
  say(quiet, `wrote ${outputDir}: ${r.tasks} tasks, ${r.identifiers} identifiers; ${ex}; in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

async function show(args: string[]): Promise<number> {
  const f = parseFlags(args, ['split', 'index', 'count', 'color', 'no-color']);
  if (f.values.has('help')) return help('show');
  if (f.positional.length !== 1) throw new UserError(`hrm data show: give one dataset folder\n\n${HELP.show}`);
  const split = str(f, 'split') ?? 'train';
  if (split !== 'train' && split !== 'test') throw new UserError(`--split must be train or test, got '${split}'`);
  const colour = bool(f, 'no-color') ? false : bool(f, 'color') || (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
  console.log(showDataset(f.positional[0], {
    split, index: num(f, 'index', { int: true, min: 0 }) ?? 0, count: num(f, 'count', { int: true, min: 1, max: OPTION_LIMITS.show_count }) ?? 1, colour,
  }));
  return 0;
}

function help(cmd: string): number {
  console.log(HELP[cmd]);
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = { sudoku, maze, arc, show };

export async function run(args: string[]): Promise<number> {
  const cmd = args[0];
  if (isMainThread && BUILD_COMMANDS.has(cmd) && !args.includes('--help') && !args.includes('-h')) return runBuildInWorker(args);
  return runCommand(args);
}

const BUILD_COMMANDS = new Set(['sudoku', 'maze', 'arc']);

/**
 * Runs a build in a worker thread. Its work is synchronous for long stretches (generating, solving,
 * augmenting, writing GBs), during which a JS signal handler in the same thread could never run; here
 * the main thread waits, so on SIGINT/SIGTERM it stops the worker at once, removes the worker's
 * temporary folder (putting an old dataset back if the stop came inside the commit's two renames)
 * and exits with 130 / 143.
 */
function runBuildInWorker(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const workerData = { args, stderrTTY: Boolean(process.stderr.isTTY), columns: process.stderr.columns };
    const worker = new Worker(new URL('./data-worker.js', import.meta.url), { workerData });
    const temps = new Map<string, string>();
    let outcome: { code: number } | { error: Error } | null = null;
    const onSignal = (sig: NodeJS.Signals) => {
      void worker.terminate().finally(() => {
        // the worker may have made its folder without its message having arrived yet
        const o = args.indexOf('--output-dir');
        if (o >= 0 && args[o + 1]) {
          const out = resolvePath(args[o + 1]);
          for (const tmp of ownBuildFolders(out)) if (!temps.has(tmp)) temps.set(tmp, out);
        }
        for (const [tmp, out] of temps) cleanUpInterruptedBuild(tmp, out);
        process.stderr.write(`hrm: interrupted (${sig}); the build stopped, its temporary folder was removed and any existing dataset at --output-dir is untouched\n`);
        process.exit(sig === 'SIGINT' ? 130 : 143);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    worker.on('message', (m: { kind: string; tmp: string; out: string; code: number; message: string }) => {
      if (m.kind === 'tmp') temps.set(m.tmp, m.out);
      else if (m.kind === 'done') outcome = { code: m.code };
      else if (m.kind === 'user') outcome = { error: new UserError(m.message) };
      else outcome = { error: new Error(`the build failed: ${m.message}`) };
    });
    worker.on('error', (e) => (outcome = { error: e }));
    // Settle on exit, so that everything the worker printed has been passed on.
    worker.on('exit', (code) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const o = outcome as { code: number } | { error: Error } | null;
      if (o && 'code' in o) resolve(o.code);
      else reject(o?.error ?? new Error(`the build's worker thread stopped with exit code ${code}`));
    });
  });
}

/** Runs `hrm data <args>` in this thread. */
export async function runCommand(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    (cmd ? console.log : console.error)(HELP.data);
    return cmd ? 0 : 1;
  }
  const c = COMMANDS[cmd];
  if (!c) throw new UserError(`hrm data: unknown command '${cmd}'\n\n${HELP.data}`);
  try {
    return await c(rest);
  } catch (e) {
    // A build writes into a temporary folder that replaces the output only when complete.
    throw asUserError(e, cmd === 'show' ? undefined : 'the build stopped; nothing was written and an existing dataset at --output-dir is untouched');
  }
}
