/**
 * `hrm solve sudoku|maze|arc [PUZZLE] [--file F] --checkpoint PATH [--json] [--trace] [--segments N]
 * [--halt] [--batch N]`: answers puzzles with a trained model and checks every answer.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { drawGrid, type Puzzle } from '../solve/puzzle.js';
import { Solver, summarize, type SolveResult, type TaskName } from '../solve/solver.js';

const HELP = `usage: hrm solve sudoku|maze [PUZZLE] [--file F ...] --checkpoint PATH [options]

Answers puzzles with a trained HRM and checks each answer.
  PUZZLE             sudoku: 81 characters ('.' or '0' blank, 1-9);
                     maze: a file holding one grid ('#' wall, ' ' open, 'S', 'G')
  --file F           sudoku: a text file of 81-character puzzles (one per line, '#' comments) or a
                     CSV with a question (and optional answer) column, e.g. the reference's
                     source,question,answer,rating; maze: one grid per file, or the reference's CSV.
                     '-' reads standard input. May be repeated.
  --checkpoint PATH  a run folder (newest step_N.safetensors), a step_N.safetensors, or a reference
                     checkpoint folder as published (checkpoint + all_config.yaml)
  --json             one JSON object per line per puzzle, in input order: answer (the input's
                     notation: 81 digits; a maze's rows joined with 'o' on the path), valid
                     (sudoku: a valid grid keeping every clue; maze: S connected to G through the
                     path, the maze kept), shortest (maze), solved (equals the given answer; null
                     without one), segments, ms (the puzzle's share of its batch), q_halt,
                     q_continue; with --trace a 'trace' list with, per segment, preds (raw output
                     token ids), q_halt, q_continue. Several puzzles end with a summary line.
  --trace            print the grid after every segment (changed cells marked) and the halting values
  --segments N       run N segments (default: the model's halt_max_steps, as the reference evaluates)
  --halt             stop each puzzle when the model halts (q_halt > q_continue), at most --segments
  --batch N          puzzles per batch (default 32)
  (arc is not available here yet: evaluate an ARC model with hrm eval on its dataset)
environment: HRM_BACKEND=native|wasm, HRM_THREADS=n`;

export async function run(args: string[]): Promise<number> {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    console.log(HELP);
    return args.length === 0 ? 1 : 0;
  }
  const [task, ...rest] = args;
  if (task === 'arc') {
    throw new UserError('hrm solve arc: not yet: ARC answers need voting across the dataset\'s augmentations; use hrm eval checkpoint=... on an ARC dataset built with hrm data arc');
  }
  if (task !== 'sudoku' && task !== 'maze') throw new UserError(`hrm solve: unknown puzzle kind '${task}' (sudoku, maze; see hrm solve --help)`);
  let checkpoint: string | undefined;
  const files: string[] = [];
  const positional: string[] = [];
  let json = false;
  let trace = false;
  let halt = false;
  let segments: number | undefined;
  let batchSize: number | undefined;
  const intArg = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 1) throw new UserError(`${flag} needs an integer >= 1, got ${v === undefined ? 'nothing' : `'${v}'`}`);
    return n;
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new UserError(`${a} needs a value (see hrm solve --help)`);
      return v;
    };
    if (a === '--checkpoint') checkpoint = value();
    else if (a === '--file') files.push(value());
    else if (a === '--json') json = true;
    else if (a === '--trace') trace = true;
    else if (a === '--halt') halt = true;
    else if (a === '--segments') segments = intArg(a, rest[++i]);
    else if (a === '--batch') batchSize = intArg(a, rest[++i]);
    else if (a.startsWith('--')) throw new UserError(`hrm solve: unknown option '${a}' (see hrm solve --help)`);
    else positional.push(a);
  }
  if (!checkpoint) throw new UserError('hrm solve: --checkpoint PATH is required (a run folder, a step_N.safetensors or a reference checkpoint folder)');
  if (positional.length + files.length === 0) throw new UserError(`hrm solve ${task}: give a puzzle or --file F (see hrm solve --help)`);

  // parse everything first, so a bad line is reported before minutes of work
  const solver = Solver.load(checkpoint);
  try {
    const puzzles: Puzzle[] = [];
    for (const p of positional) {
      if (task === 'maze' || (existsSync(p) && statSync(p).isFile())) puzzles.push(...solver.parse(task, readText(p), p, true));
      else puzzles.push(...solver.parse(task as TaskName, p, 'argument', false));
    }
    for (const f of files) puzzles.push(...solver.parse(task as TaskName, readText(f), f === '-' ? '<stdin>' : f, true));
    const color = !json && process.stdout.isTTY === true;
    const results = solver.solve(task as TaskName, puzzles, { segments, halt, trace, batchSize }, (r) => {
      process.stdout.write(json ? jsonLine(r, trace) + '\n' : humanReport(r, puzzles[r.index], color) + '\n');
    });
    if (results.length > 1) {
      const s = summarize(results);
      if (json) process.stdout.write(JSON.stringify({ summary: s }) + '\n');
      else {
        console.log(
          `${s.puzzles} puzzles: ${s.solved_pct === null ? 'solved n/a (no answers given)' : `solved ${s.solved_pct}%`}, valid ${s.valid_pct}%, ${s.ms_per_puzzle} ms per puzzle`,
        );
      }
    }
    return 0;
  } finally {
    solver.dispose();
  }
}

function readText(path: string): string {
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
    ms: round(r.ms, 2),
    q_halt: r.q_halt,
    q_continue: r.q_continue,
    ...(r.problem ? { problem: r.problem } : {}),
  };
  if (trace && r.trace) o.trace = r.trace.map((t) => ({ segment: t.segment, preds: t.preds, q_halt: t.q_halt, q_continue: t.q_continue }));
  return JSON.stringify(o);
}

function humanReport(r: SolveResult, p: Puzzle, color: boolean): string {
  const lines: string[] = [];
  const verdict = r.valid ? (r.shortest === false ? 'valid, not shortest' : 'valid') : 'NOT valid';
  const solved = r.solved === null ? '' : r.solved ? ', matches the given answer' : ', differs from the given answer';
  lines.push(`puzzle ${r.index + 1} (${r.source}): ${verdict}${solved}; ${r.segments} segments, ${r.ms.toFixed(1)} ms${r.problem ? ` (${r.problem})` : ''}`);
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
