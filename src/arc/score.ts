/**
 * Scoring an ARC submission the way the ARC Prize does: a test input is right when either attempt equals
 * the solution exactly; a task scores the fraction of its test inputs right; the total is the mean over
 * the solutions' tasks. Both files are untrusted: they are parsed as JSON (which executes nothing) and
 * every level is checked, with one line naming the file, the task and the problem.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { pathKind } from '../util/io-errors.js';
import { readJsonFile } from '../util/json-file.js';

type Rows = number[][];

export interface TaskScore {
  task: string;
  right: number;
  total: number;
  score: number;
}

export interface ScoreResult {
  score: number;
  tasks: TaskScore[];
}

function readJson(path: string, what: string): unknown {
  if (pathKind(path) === null) throw new UserError(`${path}: no such ${what}`);
  return readJsonFile(path);
}

/** Checks an ARC grid: a non-empty list of equal-length non-empty rows of integers 0-9, at most 30x30. */
export function checkGrid(raw: unknown, where: string): Rows {
  if (!Array.isArray(raw) || raw.length === 0) throw new UserError(`${where}: expected a grid (a non-empty list of rows), got ${describe(raw)}`);
  if (raw.length > 30) throw new UserError(`${where}: ${raw.length} rows, more than 30`);
  let w = -1;
  raw.forEach((row, r) => {
    if (!Array.isArray(row) || row.length === 0) throw new UserError(`${where}: row ${r} is ${describe(row)}, expected a non-empty list of cells`);
    if (w < 0) w = row.length;
    if (row.length !== w) throw new UserError(`${where}: row ${r} has ${row.length} cells, row 0 has ${w}`);
    if (w > 30) throw new UserError(`${where}: ${w} columns, more than 30`);
    row.forEach((v, c) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 9) throw new UserError(`${where}: row ${r}, column ${c}: ${JSON.stringify(v)} is not an integer 0-9`);
    });
  });
  return raw as Rows;
}

function describe(x: unknown): string {
  if (Array.isArray(x)) return x.length ? 'a list' : 'an empty list';
  if (x === null) return 'null';
  return typeof x === 'object' ? 'an object' : `${typeof x} ${JSON.stringify(x)}`.slice(0, 40);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Solutions: a folder of task JSON files (`test[i].output`) or a Kaggle `_solutions.json` ({task: [grid, ...]}). */
export function readSolutions(path: string): Map<string, Rows[]> {
  const sols = new Map<string, Rows[]>();
  if (pathKind(path) === 'dir') {
    const files = readdirSync(path).filter((f) => f.endsWith('.json')).sort();
    if (files.length === 0) throw new UserError(`${path}: no task JSON files in this folder (give the folder that holds them, e.g. .../evaluation, or a Kaggle _solutions.json)`);
    for (const f of files) {
      const file = join(path, f);
      const raw = readJson(file, 'file');
      if (!isObject(raw) || !Array.isArray(raw.test)) throw new UserError(`${file}: expected a task object with a "test" list`);
      sols.set(basename(f, '.json'), raw.test.map((ex, i) => {
        if (!isObject(ex) || !('output' in ex)) throw new UserError(`${file}: test[${i}] has no "output" grid (these are not solutions)`);
        return checkGrid(ex.output, `${file}: test[${i}].output`);
      }));
    }
    return sols;
  }
  const raw = readJson(path, 'solutions file or folder');
  if (!isObject(raw)) throw new UserError(`${path}: expected a JSON object {task id: [output grid, ...]}`);
  for (const [task, list] of Object.entries(raw)) {
    if (!Array.isArray(list) || list.length === 0) throw new UserError(`${path}: task '${task}': expected a non-empty list of output grids`);
    sols.set(task, list.map((g, i) => checkGrid(g, `${path}: task '${task}', test ${i}`)));
  }
  return sols;
}

/** Reads and checks a submission against the solutions' tasks (every task, every test input, two attempts). */
export function readSubmission(path: string, sols: Map<string, Rows[]>, onlySubmitted = false): Map<string, Rows[][]> {
  const raw = readJson(path, 'submission file');
  if (!isObject(raw)) throw new UserError(`${path}: expected a JSON object {task id: [{"attempt_1": grid, "attempt_2": grid}, ...]}`);
  if (onlySubmitted) for (const task of [...sols.keys()]) if (!(task in raw)) sols.delete(task);
  if (sols.size === 0) throw new UserError(`${path}: none of its tasks are in the solutions`);
  for (const task of sols.keys()) if (!(task in raw)) throw new UserError(`${path}: task '${task}' is missing (the solutions have ${sols.size} tasks)`);
  const out = new Map<string, Rows[][]>();
  for (const [task, list] of Object.entries(raw)) {
    const sol = sols.get(task);
    if (!sol) throw new UserError(`${path}: task '${task}' is not in the solutions`);
    if (!Array.isArray(list)) throw new UserError(`${path}: task '${task}': expected a list with one {"attempt_1", "attempt_2"} object per test input, got ${describe(list)}`);
    if (list.length !== sol.length) throw new UserError(`${path}: task '${task}': ${list.length} test entries, the task has ${sol.length} test inputs`);
    out.set(task, list.map((entry, i) => {
      const where = `${path}: task '${task}', test ${i}`;
      if (!isObject(entry)) throw new UserError(`${where}: expected an object {"attempt_1": grid, "attempt_2": grid}, got ${describe(entry)}`);
      const keys = Object.keys(entry);
      for (const k of keys) if (!/^attempt_[1-9]\d*$/.test(k)) throw new UserError(`${where}: unexpected key '${k}' (expected attempt_1, attempt_2)`);
      if (!('attempt_1' in entry)) throw new UserError(`${where}: no attempt_1`);
      return keys.sort().map((k) => checkGrid(entry[k], `${where}, ${k}`));
    }));
  }
  return out;
}

function sameGrid(a: Rows, b: Rows): boolean {
  return a.length === b.length && a.every((row, r) => row.length === b[r].length && row.every((v, c) => v === b[r][c]));
}

export function scoreSubmission(sub: Map<string, Rows[][]>, sols: Map<string, Rows[]>): ScoreResult {
  const tasks: TaskScore[] = [];
  for (const [task, sol] of sols) {
    const attempts = sub.get(task)!;
    // The ARC Prize counts at most two attempts.
    const right = sol.filter((g, i) => attempts[i].slice(0, 2).some((a) => sameGrid(a, g))).length;
    tasks.push({ task, right, total: sol.length, score: right / sol.length });
  }
  const score = tasks.length ? tasks.reduce((s, t) => s + t.score, 0) / tasks.length : 0;
  return { score, tasks };
}

/** `onlySubmitted`: score only the submission's tasks (a subset of the solutions, e.g. a small recipe's). */
export function scoreFiles(submission: string, solutions: string, onlySubmitted = false): ScoreResult {
  const sols = readSolutions(solutions);
  return scoreSubmission(readSubmission(submission, sols, onlySubmitted), sols);
}

export function formatScoreTable(r: ScoreResult): string {
  const w = Math.max(4, ...r.tasks.map((t) => t.task.length));
  const lines = [`${'task'.padEnd(w)}  right  score`];
  for (const t of r.tasks) lines.push(`${t.task.padEnd(w)}  ${`${t.right}/${t.total}`.padStart(5)}  ${t.score.toFixed(3)}`);
  const solved = r.tasks.reduce((s, t) => s + t.right, 0);
  const total = r.tasks.reduce((s, t) => s + t.total, 0);
  lines.push(`score ${r.score.toFixed(4)} (mean over ${r.tasks.length} tasks; ${solved}/${total} test inputs right)`);
  return lines.join('\n');
}
