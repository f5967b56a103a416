/**
 * The checks `hrm arc report` makes on an arc_votes.json before drawing it: a damaged or hand-edited
 * file is one line naming the file, the place in it and what is wrong, never a TypeError half-way
 * through the report. Every field the report reads is checked; fields it does not read are left alone.
 */
import { parseGrid } from '../data/builders/arc.js';
import { UserError, describeValue, quote } from '../util/errors.js';
import { PASS_KS, type ArcScores } from './voting.js';

type Rows = number[][];

/** arc_votes.json: what `hrm eval` writes for ARC and `hrm arc report` reads. */
export interface VotesFile {
  format: string;
  step: number;
  scores: ArcScores;
  tasks: {
    task: string;
    tests: {
      input: Rows;
      label: Rows | null;
      copies: number;
      candidates_total: number;
      votes_total: number;
      right_rank: number | null;
      candidates: { grid: Rows; votes: number; mean_q: number }[];
    }[];
  }[];
}

type Obj = Record<string, unknown>;

function fail(file: string, where: string, problem: string): never {
  throw new UserError(`${file}: ${where}: ${problem}`);
}

function object(v: unknown, file: string, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(file, where, `expected an object, got ${describeValue(v)}`);
  return v as Obj;
}

function list(v: unknown, file: string, where: string, nonEmpty = false): unknown[] {
  if (!Array.isArray(v)) fail(file, where, `expected a list, got ${describeValue(v)}`);
  if (nonEmpty && v.length === 0) fail(file, where, 'is an empty list');
  return v;
}

function count(v: unknown, file: string, where: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(file, where, `expected a whole number >= ${min}, got ${describeValue(v)}`);
  return v;
}

function fraction(v: unknown, file: string, where: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(file, where, `expected a fraction between 0 and 1, got ${describeValue(v)}`);
  return v;
}

function grid(v: unknown, file: string, where: string): void {
  parseGrid(v, `${file}: ${where}`);
}

function checkScores(v: unknown, file: string, tasks: number): void {
  const s = object(v, file, 'scores');
  count(s.tasks, file, 'scores.tasks');
  if (s.tasks !== tasks) fail(file, 'scores.tasks', `is ${s.tasks}, but the file lists ${tasks} tasks`);
  const allowed = PASS_KS.map(String);
  const keys: string[][] = [];
  for (const rule of ['official', 'allTests'] as const) {
    const r = object(s[rule], file, `scores.${rule}`);
    for (const [k, x] of Object.entries(r)) {
      if (!allowed.includes(k)) fail(file, `scores.${rule}`, `unexpected key ${quote(k)} (expected pass@K for K in ${allowed.join(', ')})`);
      fraction(x, file, `scores.${rule}["${k}"]`);
    }
    keys.push(Object.keys(r).sort());
  }
  if (keys[0].join() !== keys[1].join()) fail(file, 'scores', `official has pass@[${keys[0]}], allTests pass@[${keys[1]}]; expected the same`);
}

/** `raw` (arc_votes.json parsed) as a VotesFile, or a UserError naming `file` and the first problem. */
export function checkVotesFile(raw: unknown, file: string, format: string): VotesFile {
  const v = object(raw, file, 'the top level');
  if (v.format !== format) fail(file, 'format', `is ${describeValue(v.format)}, expected "${format}" (not an hrm-ts arc_votes.json?)`);
  count(v.step, file, 'step');
  const tasks = list(v.tasks, file, 'tasks');
  checkScores(v.scores, file, tasks.length);
  tasks.forEach((rawTask, i) => {
    const t = object(rawTask, file, `tasks[${i}]`);
    if (typeof t.task !== 'string' || t.task === '') fail(file, `tasks[${i}].task`, `expected the task's name, got ${describeValue(t.task)}`);
    const at = `tasks[${i}] (${quote(t.task)})`;
    list(t.tests, file, `${at}.tests`, true).forEach((rawTest, j) => {
      const w = `${at}.tests[${j}]`;
      const x = object(rawTest, file, w);
      grid(x.input, file, `${w}.input`);
      if (x.label !== null) grid(x.label, file, `${w}.label`);
      count(x.copies, file, `${w}.copies`);
      const total = count(x.candidates_total, file, `${w}.candidates_total`);
      count(x.votes_total, file, `${w}.votes_total`);
      const cands = list(x.candidates, file, `${w}.candidates`);
      if (cands.length > total) fail(file, `${w}.candidates`, `holds ${cands.length} candidates, but candidates_total is ${total}`);
      if (x.right_rank !== null && count(x.right_rank, file, `${w}.right_rank`, 1) > total) {
        fail(file, `${w}.right_rank`, `is ${x.right_rank}, but there are ${total} candidates`);
      }
      cands.forEach((rawCand, k) => {
        const c = object(rawCand, file, `${w}.candidates[${k}]`);
        grid(c.grid, file, `${w}.candidates[${k}].grid`);
        count(c.votes, file, `${w}.candidates[${k}].votes`);
        // a diverged model's NaN halting logits are written as null
        if (c.mean_q === null) c.mean_q = NaN;
        else fraction(c.mean_q, file, `${w}.candidates[${k}].mean_q`);
      });
    });
  });
  return v as unknown as VotesFile;
}
