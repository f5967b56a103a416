/**
 * `hrm solve sudoku|maze [PUZZLE] [--file F] [--model NAME | --checkpoint PATH] [--json] [--trace]
 * [--segments N] [--halt] [--batch N]`: answers puzzles with a trained model (the bundled model of the
 * puzzle's kind unless told otherwise) and checks every answer.
 * `hrm solve arc TASK.json --checkpoint PATH --data DIR`: votes across the dataset's augmented copies
 * (src/solve/arc.ts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { drawGrid, type Puzzle } from '../solve/puzzle.js';
import { readArcTestTask, solveArc, type ArcTestResult } from '../solve/arc.js';
import { Solver, summarize, type SolveResult, type TaskName } from '../solve/solver.js';
import { bundledModelNames, bundledModelPath } from '../model-files/bundle.js';
import { DEFAULT_SEARCH_CALLS, DEFAULT_SEARCH_REUSE } from '../solve/sudoku-search.js';
import { DEFAULT_SEARCH_SEGMENTS, parseBudget } from '../solve/search-solve.js';
import { LIMITS, OPTION_LIMITS } from '../util/limits.js';
import { writeOut } from '../util/output.js';
import { refuseSpecialFile } from '../util/regular-file.js';

// a function: the bundled models are listed when the help is asked for, not when the module loads
const help = (): string => `usage: hrm solve sudoku|maze [PUZZLE] [--file F ...] [--model NAME | --checkpoint PATH] [options]
       hrm solve arc TASK.json --checkpoint PATH --data DIR [--task-id ID] [--json] [--segments N] [--halt] [--batch N]

Answers puzzles with a trained model (HRM, TRM or the baseline) and checks each answer. Without
--model or --checkpoint the bundled model of the puzzle's kind answers (models/<kind>.safetensors).
  PUZZLE             sudoku: 81 characters ('.' or '0' blank, 1-9);
                     maze: a file holding one grid ('#' wall, ' ' open, 'S', 'G')
  --file F           sudoku: a text file of 81-character puzzles (one per line, '#' comments) or a
                     CSV with a question (and optional answer) column, e.g. the reference's
                     source,question,answer,rating; maze: one grid per file, or the reference's CSV.
                     '-' reads standard input. May be repeated.
  --model NAME       a bundled model (${bundledModelNames().join(', ') || 'none installed'}); default: the puzzle's kind
  --checkpoint PATH  a run folder (newest step_N.safetensors), a step_N.safetensors, a model file
                     from hrm export, or a reference checkpoint folder as published (checkpoint +
                     all_config.yaml)
  --json             one JSON object per line per puzzle, in input order: answer (the input's
                     notation: 81 digits; a maze's rows joined with 'o' on the path), valid
                     (sudoku: a valid grid keeping every clue; maze: S connected to G through the
                     path, the maze kept), shortest (maze), solved (equals the given answer; null
                     without one), segments, attempts, ms (the puzzle's share of its batches), q_halt,
                     q_continue; with --trace a 'trace' list with, per segment, preds (raw output
                     token ids), q_halt, q_continue. Several puzzles end with a summary line.
  --trace            print the grid after every segment (changed cells marked) and the halting values
  --segments N       run N segments (default: the model's halt_max_steps, as the reference evaluates)
  --halt             stop each puzzle when the model halts (q_halt > q_continue; TRM: q_halt > 0),
                     at most --segments
  --retries N        an answer that breaks the rules (maze: or is not a shortest path) is tried
                     again on up to N symmetric copies of the puzzle (sudoku: digits relabelled, rows,
                     columns, bands and stacks permuted, transposed; maze: its 7 rotations and
                     reflections) and the first right answer is kept. Only the rules judge, never a given answer. Default 0: the model's own
                     answer, as the reference evaluates; 'attempts' says how many were run
  --search           sudoku: search instead (src/solve/sudoku-search.ts): the model is asked about
                     the puzzle, the cells it is sure of that break no rule are kept as clues
                     (with naked and hidden singles) and it is asked again; where it is unsure it
                     guesses the cell with the fewest candidates, most probable digit first, and
                     backs off on a contradiction. The model is asked again after every
                     --search-reuse moves: the puzzle's own call with all segments (--segments),
                     later ones with --search-segments; boards of many puzzles run as one batch.
                     Only the rules judge. --json adds
                     calls, model_valid (the model's own answer) and the search's steps with --trace
  --search-segments N  segments of each search call after the puzzle's own (default
                     ${DEFAULT_SEARCH_SEGMENTS}, at most --segments); implies --search
  --search-reuse N   moves (trusted cells, guesses) made on one model answer before it is asked
                     again (default ${DEFAULT_SEARCH_REUSE}; 0: every board is a call); implies --search
  --budget N|Tms|Ts  the search's budget per puzzle: N model calls (default ${DEFAULT_SEARCH_CALLS}) or a
                     time (500ms, 2s: the puzzle's share of the batches); implies --search
  --batch N          puzzles per batch (default 32)
arc: TASK.json is an ARC task ({"train": [...], "test": [{"input": grid, "output": grid?}, ...]}),
  DIR the dataset the model was trained on (hrm data arc): the model has a puzzle embedding per
  identifier, so only a task named in DIR/identifiers.json can be answered, under each of its
  augmented copies there (the task's name is the file's, or --task-id ID). Every copy of each test
  input runs all segments; the answers are mapped back and voted on as hrm eval votes (most votes,
  then mean sigmoid(q_halt)). Printed per test input: the top two candidates (attempt 1 and 2) with
  their votes and mean halting confidence, and whether each is right when the file has the output.
  --json: one object per test input: task, test, attempts {attempt_1, attempt_2} (Kaggle's format),
  votes, mean_q (of the top two candidates), copies, candidates (distinct answers), correct
  ({attempt_1, attempt_2}; null without an output), segments, ms.
environment: HRM_BACKEND=native|wasm|webgpu (or --backend), HRM_THREADS=n`;

export async function run(args: string[]): Promise<number> {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    // no arguments is a mistake: the usage goes to stderr with status 1; --help asks for it: stdout, 0
    (args.length === 0 ? console.error : console.log)(help());
    return args.length === 0 ? 1 : 0;
  }
  const [task, ...rest] = args;
  if (task === 'arc') return runArc(rest);
  if (task !== 'sudoku' && task !== 'maze') throw new UserError(`hrm solve: unknown puzzle kind '${task}' (sudoku, maze; see hrm solve --help)`);
  let checkpoint: string | undefined;
  let modelName: string | undefined;
  const files: string[] = [];
  const positional: string[] = [];
  let json = false;
  let trace = false;
  let halt = false;
  let segments: number | undefined;
  let batchSize: number | undefined;
  let retries = 0;
  let search = false;
  let budget: string | undefined;
  let searchSegments: number | undefined;
  let searchReuse: number | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new UserError(`${a} needs a value (see hrm solve --help)`);
      return v;
    };
    if (a === '--checkpoint') checkpoint = value();
    else if (a === '--model') modelName = value();
    else if (a === '--file') files.push(value());
    else if (a === '--json') json = true;
    else if (a === '--trace') trace = true;
    else if (a === '--halt') halt = true;
    else if (a === '--segments') segments = segmentsArg(intArg(a, rest[++i]));
    else if (a === '--batch') batchSize = intArg(a, rest[++i], 1, LIMITS.batch_size);
    else if (a === '--retries') retries = intArg(a, rest[++i], 0, OPTION_LIMITS.retries);
    else if (a === '--search') search = true;
    else if (a === '--search-segments') {
      searchSegments = segmentsArg(intArg(a, rest[++i]));
      search = true;
    } else if (a === '--search-reuse') {
      searchReuse = intArg(a, rest[++i], 0, OPTION_LIMITS.search_reuse);
      search = true;
    }
    else if (a === '--budget') {
      budget = value();
      parseBudget(budget, '--budget');
      search = true;
    }
    else if (a.startsWith('--')) throw new UserError(`hrm solve: unknown option '${a}' (see hrm solve --help)`);
    else positional.push(a);
  }
  if (search && retries > 0) throw new UserError('hrm solve: --search and --retries are two ways of asking again; give one');
  if (search && halt) throw new UserError('hrm solve: --search runs every segment of each call; leave out --halt');
  if (checkpoint && modelName) throw new UserError('hrm solve: give --model NAME or --checkpoint PATH, not both');
  if (positional.length + files.length === 0) throw new UserError(`hrm solve ${task}: give a puzzle or --file F (see hrm solve --help)`);
  if (!checkpoint && !modelName && !bundledModelNames().includes(task)) {
    throw new UserError(
      `hrm solve ${task}: this package has no bundled ${task} model (bundled: ${bundledModelNames().join(', ') || 'none'}); give --checkpoint PATH (a ${task} run folder or checkpoint)`,
    );
  }
  const modelPath = checkpoint ?? bundledModelPath(modelName ?? task);

  // parse everything first, so a bad line is reported before minutes of work
  const solver = Solver.load(modelPath);
  try {
    const puzzles: Puzzle[] = [];
    for (const p of positional) {
      if (task === 'maze' || (existsSync(p) && statSync(p).isFile())) puzzles.push(...solver.parse(task, readText(p), p, true));
      else puzzles.push(...solver.parse(task as TaskName, p, 'argument', false));
    }
    for (const f of files) puzzles.push(...solver.parse(task as TaskName, readText(f), f === '-' ? '<stdin>' : f, true));
    const color = !json && process.stdout.isTTY === true;
    const results = solver.solve(task as TaskName, puzzles, { segments, halt, trace, batchSize, retries, search, budget, searchSegments, searchReuse }, (r) => {
      // throws OutputClosed when the reader has gone (| head -1): the remaining puzzles are not solved
      writeOut(json ? jsonLine(r, trace) + '\n' : humanReport(r, puzzles[r.index], color) + '\n');
    });
    if (results.length > 1) {
      const s = summarize(results);
      if (json) writeOut(JSON.stringify({ summary: s }) + '\n');
      else {
        console.log(
          `${s.puzzles} puzzles: ${s.solved_pct === null ? 'solved n/a (no answers given)' : `solved ${s.solved_pct}%`}, valid ${s.valid_pct}%${s.shortest_pct !== undefined ? `, shortest ${s.shortest_pct}%` : ''}, ${s.ms_per_puzzle} ms per puzzle`,
        );
      }
    }
    return 0;
  } finally {
    solver.dispose();
  }
}

function readText(path: string): string {
  if (path !== '-') refuseSpecialFile(path);
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, expected a file' : code ?? String(e)})`);
  }
}

function round(x: number, d = 4): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

function jsonLine(r: SolveResult, trace: boolean): string {
  const o: Record<string, unknown> = {
    index: r.index,
    source: r.source,
    answer: r.answer,
    valid: r.valid,
    ...(r.shortest !== undefined ? { shortest: r.shortest } : {}),
    solved: r.solved,
    segments: r.segments,
    attempts: r.attempts,
    calls: r.calls,
    ms: round(r.ms, 2),
    q_halt: r.q_halt,
    q_continue: r.q_continue,
    ...(r.problem ? { problem: r.problem } : {}),
  };
  if (r.search) {
    o.model_answer = r.search.model_answer;
    o.model_valid = r.search.model_valid;
    if (r.search.stopped) o.stopped = r.search.stopped;
    if (trace) {
      o.steps = r.search.steps;
      o.fixed = r.search.fixed;
    }
  }
  if (trace && r.trace) o.trace = r.trace.map((t) => ({ segment: t.segment, preds: t.preds, q_halt: t.q_halt, q_continue: t.q_continue }));
  return JSON.stringify(o);
}

function humanReport(r: SolveResult, p: Puzzle, color: boolean): string {
  const lines: string[] = [];
  const verdict = r.valid ? (r.shortest === false ? 'valid, not shortest' : 'valid') : 'NOT valid';
  const solved = r.solved === null ? '' : r.solved ? ', matches the given answer' : ', differs from the given answer';
  const attempts = r.search
    ? `; search: ${r.calls} model call${r.calls === 1 ? '' : 's'}, the model's own answer ${r.search.model_valid ? 'valid' : 'not valid'}${r.search.stopped ? `, stopped (${r.search.stopped})` : ''}`
    : r.attempts > 1 ? (r.valid ? ` (attempt ${r.attempts}, a symmetric copy)` : ` (after ${r.attempts} attempts; the first is shown)`) : '';
  lines.push(`puzzle ${r.index + 1} (${r.source}): ${verdict}${solved}${attempts}; ${r.segments} segments, ${r.ms.toFixed(1)} ms${r.problem ? ` (${r.problem})` : ''}`);
  if (!r.valid && r.attempts === 1 && !r.search) lines.push('(the model can be asked again on symmetric copies of the puzzle: --retries 8)');
  if (r.trace) {
    let prev: string | null = null;
    for (const t of r.trace) {
      lines.push(`segment ${t.segment}: q_halt ${t.q_halt.toFixed(3)}, q_continue ${t.q_continue.toFixed(3)}${t.q_halt > t.q_continue ? ' (halt)' : ''}${prev !== null ? `, ${countChanged(prev, t.answer)} cells changed (marked)` : ''}`);
      lines.push(drawGrid(t.answer, p.width, prev, color));
      prev = t.answer;
    }
  } else {
    lines.push(drawGrid(r.answer, p.width, null, color));
  }
  return lines.join('\n');
}

function countChanged(a: string, b: string): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

async function runArc(rest: string[]): Promise<number> {
  let checkpoint: string | undefined;
  let data: string | undefined;
  let taskId: string | undefined;
  let json = false;
  let halt = false;
  let segments: number | undefined;
  let batchSize: number | undefined;
  const files: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new UserError(`${a} needs a value (see hrm solve --help)`);
      return v;
    };
    const int = (max: number): number => intArg(a, rest[++i], 1, max);
    if (a === '--checkpoint') checkpoint = value();
    else if (a === '--data') data = value();
    else if (a === '--task-id') taskId = value();
    else if (a === '--file') files.push(value());
    else if (a === '--json') json = true;
    else if (a === '--halt') halt = true;
    else if (a === '--segments') segments = segmentsArg(int(Infinity));
    else if (a === '--batch') batchSize = int(LIMITS.batch_size);
    else if (a === '--trace') throw new UserError('hrm solve arc: --trace is for sudoku and maze (an ARC answer is a vote over many copies; see arc_votes.json from hrm eval)');
    else if (a.startsWith('--')) throw new UserError(`hrm solve arc: unknown option '${a}' (see hrm solve --help)`);
    else files.push(a);
  }
  if (files.length !== 1) throw new UserError(`hrm solve arc: give one task JSON file, got ${files.length} (see hrm solve --help)`);
  if (!checkpoint) throw new UserError('hrm solve arc: --checkpoint PATH is required (a run folder, a step_N.safetensors or a reference checkpoint folder)');
  if (!data) throw new UserError('hrm solve arc: --data DIR is required: the dataset the model was trained on (its identifiers.json names the tasks and augmentations the model knows)');
  // the task file first: a bad file is reported before the model is loaded
  const arcTask = readArcTestTask(files[0], taskId);
  const solver = Solver.load(checkpoint);
  try {
    const results = solveArc(solver, arcTask, data, { segments, halt, batchSize });
    for (const r of results) writeOut((json ? arcJson(r) : arcReport(r)) + '\n');
    return 0;
  } finally {
    solver.dispose();
  }
}

function arcJson(r: ArcTestResult): string {
  const top = r.candidates.slice(0, 2);
  return JSON.stringify({
    task: r.task,
    test: r.index,
    attempts: r.attempts,
    votes: top.map((c) => c.votes),
    mean_q: top.map((c) => round(c.meanQ, 6)),
    copies: r.copies,
    candidates: r.candidates.length,
    correct: r.correct,
    segments: r.segments,
    ms: round(r.ms, 2),
  });
}

function arcReport(r: ArcTestResult): string {
  const lines: string[] = [];
  const verdict = (k: 'attempt_1' | 'attempt_2'): string => (r.correct === null ? '' : r.correct[k] ? ', right' : ', wrong');
  const known = r.correct === null ? 'output unknown' : r.correct.attempt_1 ? 'attempt 1 is right' : r.correct.attempt_2 ? 'attempt 2 is right' : 'neither attempt is right';
  lines.push(`task ${r.task} test ${r.index}: ${known}; ${r.copies} copies, ${r.candidates.length} distinct answers; ${r.segments} segments, ${r.ms.toFixed(1)} ms`);
  if (r.candidates.length === 0) lines.push('no candidate: every copy\'s answer was empty (attempts are [[0]])');
  r.candidates.slice(0, 2).forEach((c, k) => {
    lines.push(`attempt ${k + 1}: ${c.votes} of ${r.copies} votes, mean halting confidence ${c.meanQ.toFixed(3)}${verdict(k === 0 ? 'attempt_1' : 'attempt_2')} (${c.grid.h}x${c.grid.w})`);
    for (let row = 0; row < c.grid.h; row++) lines.push('  ' + Array.from(c.grid.data.subarray(row * c.grid.w, (row + 1) * c.grid.w)).join(''));
  });
  if (r.candidates.length === 1) lines.push(`attempt 2: the same grid (one candidate only)${verdict('attempt_2')}`);
  return lines.join('\n');
}

/** `flag`'s value: an integer in min..max (one line naming the flag otherwise). */
function intArg(flag: string, v: string | undefined, min = 1, max = Infinity): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isInteger(n) || n < min) throw new UserError(`${flag} needs an integer >= ${min}, got ${v === undefined ? 'nothing' : `'${v}'`}`);
  if (n > max) throw new UserError(`${flag} ${v} is above its limit of ${max} (docs/RELIABILITY.md)`);
  return n;
}

/** --segments at most what a model may ask for itself (halt_max_steps' limit): 1e9 segments ran on without end. */
function segmentsArg(n: number): number {
  if (n > LIMITS.halt_max_steps) throw new UserError(`--segments ${n} is above the limit of ${LIMITS.halt_max_steps} (halt_max_steps' limit; docs/RELIABILITY.md)`);
  return n;
}
