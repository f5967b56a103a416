/**
 * `hrm solve arc`: answers an ARC task's test inputs with a trained model, by voting across the
 * augmented copies the model was trained on, as ARC evaluation does (src/arc/voting.ts).
 *
 * The model's puzzle embedding is one vector per identifier, so a task can be answered only under the
 * identifiers the dataset gave it: the task's own name and one `<task>_t<k>_<mapping>` per augmentation
 * (identifiers.json). Each test input is augmented as the builder augments it (augmentGrid, then
 * placeGrid at the top-left, as the test split is built: no translation), every copy runs through the
 * inference path (all segments by default, as evaluation), and the voter maps each prediction back
 * to the task's frame and ranks the candidates (votes, then mean sigmoid(q_halt)). The two attempts are
 * the submission's (src/arc/submission.ts).
 */
import { basename } from 'node:path';
import { ArcVoter, gridKey, rowsToGrid, type Candidate } from '../arc/voting.js';
import { makeSubmission } from '../arc/submission.js';
import { parseArcPuzzleName } from '../data/arc-grid.js';
import { ARC_SEQ_LEN, ARC_VOCAB, augmentGrid, parseExamples, parseGrid, placeGrid, type Grid } from '../data/builders/arc.js';
import { readIdentifiers } from '../data/dataset-format.js';
import { infer } from '../models/shared/inference.js';
import { UserError, quote } from '../util/errors.js';
import { pathKind } from '../util/io-errors.js';
import { readJsonFile } from '../util/json-file.js';
import type { Solver } from './solver.js';

/** A task file's test inputs (and their outputs when the file has them). */
export interface ArcTestTask {
  name: string;
  file: string;
  tests: { input: Grid; output: Grid | null }[];
}

export interface ArcSolveOptions {
  /** segments to run (default: the model's halt_max_steps, as evaluation) */
  segments?: number;
  /** stop each copy when q_halt > q_continue, at most `segments` */
  halt?: boolean;
  /** rows (augmented copies) per batch (default 32) */
  batchSize?: number;
}

export interface ArcTestResult {
  task: string;
  /** the test input's position in the task file (0-based) */
  index: number;
  input: Grid;
  /** the known output, when the task file has it */
  output: Grid | null;
  /** augmented copies answered (one per identifier of the task) */
  copies: number;
  /** ranked: most votes first, then highest mean sigmoid(q_halt) */
  candidates: Candidate[];
  /** Kaggle's two attempts (the top two candidates; the first repeated when there is one) */
  attempts: { attempt_1: number[][]; attempt_2: number[][] };
  /** per attempt, equal to the known output; null without one */
  correct: { attempt_1: boolean; attempt_2: boolean } | null;
  /** the most segments any copy ran */
  segments: number;
  /** this test input's share of the inference time */
  ms: number;
}

/** Reads a task JSON (`{"train": [...], "test": [{"input", "output"?}, ...]}`); the name is the file's unless given. */
export function readArcTestTask(file: string, name?: string): ArcTestTask {
  if (pathKind(file) === 'dir') throw new UserError(`${file}: a folder, expected an ARC task JSON file`);
  const raw = readJsonFile(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${file}: expected an ARC task, a JSON object with a "test" list`);
  const o = raw as Record<string, unknown>;
  if (!Array.isArray(o.test) || o.test.length === 0) throw new UserError(`${file}: "test" must be a non-empty list of {"input": grid} (with "output" when known)`);
  // the model does not read the demonstrations, but a malformed file is still refused, as hrm data arc refuses it
  if (o.train !== undefined) parseExamples(o.train, `${file}: train`);
  const tests = o.test.map((ex: unknown, i: number) => {
    if (typeof ex !== 'object' || ex === null || !('input' in ex)) throw new UserError(`${file}: test[${i}]: expected an object with an "input" grid`);
    const e = ex as { input: unknown; output?: unknown };
    return {
      input: parseGrid(e.input, `${file}: test[${i}].input`),
      output: e.output === undefined ? null : parseGrid(e.output, `${file}: test[${i}].output`),
    };
  });
  const taskName = name ?? (typeof o.name === 'string' ? o.name : basename(file).replace(/\.json$/i, ''));
  return { name: taskName, file, tests };
}

/** The identifiers (index, name) the dataset gave `task`: its own name and its augmented copies. */
export function taskIdentifiers(identifiers: readonly string[], task: string): number[] {
  const out: number[] = [];
  identifiers.forEach((n, i) => {
    if (i > 0 && parseArcPuzzleName(n).task === task) out.push(i);
  });
  return out;
}

/** Answers every test input of `task` by voting across its augmented copies. */
export function solveArc(solver: Solver, task: ArcTestTask, dataDir: string, opts: ArcSolveOptions = {}): ArcTestResult[] {
  const arch = solver.spec.arch;
  if (arch.vocab_size !== ARC_VOCAB) {
    throw new UserError(`${solver.files.weights}: this model's vocabulary has ${arch.vocab_size} tokens, an ARC model has ${ARC_VOCAB} (was it trained on another kind of puzzle?)`);
  }
  const identifiers = readIdentifiers(dataDir);
  if (!identifiers) throw new UserError(`${dataDir}: no identifiers.json (--data needs the dataset folder the model was trained on, built with hrm data arc)`);
  if (identifiers.length !== arch.num_puzzle_identifiers) {
    throw new UserError(
      `${dataDir}/identifiers.json: ${identifiers.length} identifiers, the model has puzzle embeddings for ${arch.num_puzzle_identifiers} (is this the dataset the model was trained on?)`,
    );
  }
  const ids = taskIdentifiers(identifiers, task.name);
  if (ids.length === 0) {
    throw new UserError(
      `task ${quote(task.name, 80)} is not in ${dataDir}/identifiers.json: the model has no puzzle embedding for it; only tasks of its training dataset can be answered (give --task-id if the file's name is not the task's)`,
    );
  }
  const segments = opts.segments;
  if (segments !== undefined && !(Number.isInteger(segments) && segments >= 1)) throw new UserError(`segments must be an integer >= 1, got ${segments}`);
  const batchSize = opts.batchSize ?? 32;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new UserError(`batch size must be an integer >= 1, got ${batchSize}`);

  const T = ARC_SEQ_LEN;
  const nTests = task.tests.length;
  const { rowIds, inputs } = encodeTaskRows(identifiers, ids, task);
  const rows = rowIds.length;

  const model = solver.modelFor(T);
  const voter = new ArcVoter(identifiers, T);
  const segs = new Int32Array(nTests);
  const ms = new Float64Array(nTests);
  for (let s = 0; s < rows; s += batchSize) {
    const e = Math.min(rows, s + batchSize);
    const t0 = process.hrtime.bigint();
    const r = infer(model, { inputs: inputs.subarray(s * T, e * T), puzzle_identifiers: rowIds.subarray(s, e) }, { segments, halt: opts.halt ? 'q' : 'all' });
    const share = Number(process.hrtime.bigint() - t0) / 1e6 / (e - s);
    for (let b = 0; b < e - s; b++) {
      const i = (s + b) % nTests;
      segs[i] = Math.max(segs[i], r.segments[b]);
      ms[i] += share;
    }
    voter.add(rowIds.subarray(s, e), inputs.subarray(s * T, e * T), r.preds, r.q_halt);
  }

  const [votes] = voter.result();
  const sub = makeSubmission([votes])[votes.task];
  return task.tests.map((t, i) => {
    // identical test inputs share one vote (as in evaluation): find this input's entry by its grid
    const k = votes.tests.findIndex((v) => gridKey(v.input) === gridKey(t.input));
    const v = votes.tests[k];
    const attempts = sub[k];
    const right = (g: number[][]): boolean => t.output !== null && gridKey(rowsToGrid(g)) === gridKey(t.output);
    return {
      task: task.name,
      index: i,
      input: t.input,
      output: t.output,
      copies: v.copies,
      candidates: v.candidates,
      attempts,
      correct: t.output ? { attempt_1: right(attempts.attempt_1), attempt_2: right(attempts.attempt_2) } : null,
      segments: segs[i],
      ms: ms[i],
    };
  });
}

/**
 * The model's rows for a task: one per (identifier, test input), identifier by identifier (the voter
 * reads a test input's position from the rows of one identifier coming one after another, as in the
 * test split), each the test input under the identifier's augmentation, encoded as the builder encodes
 * the test split (top-left, no translation).
 */
export function encodeTaskRows(identifiers: readonly string[], ids: readonly number[], task: ArcTestTask): { rowIds: Int32Array; inputs: Int32Array } {
  const T = ARC_SEQ_LEN;
  const nTests = task.tests.length;
  const rowIds = new Int32Array(ids.length * nTests);
  const inputs = new Int32Array(rowIds.length * T);
  ids.forEach((id, k) => {
    const { aug } = parseArcPuzzleName(identifiers[id]);
    task.tests.forEach((t, i) => {
      const r = k * nTests + i;
      rowIds[r] = id;
      placeGrid(augmentGrid(t.input, aug), 0, 0, inputs.subarray(r * T, (r + 1) * T));
    });
  });
  return { rowIds, inputs };
}
