/**
 * A loaded model that solves puzzles: the object behind `hrm solve` and the library API (src/index.ts).
 * It loads from a run folder, a step_N.safetensors or a reference checkpoint folder
 * (src/models/hrm/load.ts), runs batches through the inference path (src/models/hrm/inference.ts),
 * decodes and checks each answer (src/solve/sudoku.ts, maze.ts) and keeps the per-segment trace when
 * asked. With RoPE the weights do not fix seq_len, so the model is built for the first puzzle's size
 * (and rebuilt if a later batch has another). `dispose()` frees its native memory at once.
 */
import type { SafeTensor } from '../io/safetensors.js';
import type { ReasoningModel } from '../models/registry.js';
import { infer, type InferenceResult } from '../models/shared/inference.js';
import { buildLoadedModel, locateModel, readInferenceWeights, readModelSpec, unservedSide, type ModelFiles, type ModelSpec } from '../model-files/load.js';
import { UserError } from '../util/errors.js';
import { MAZE } from './maze.js';
import { runSudokuSearch, type SearchBudget, type SearchReport } from './search-solve.js';
import type { Puzzle, PuzzleKind } from './puzzle.js';
import { SUDOKU } from './sudoku.js';

export type TaskName = 'sudoku' | 'maze';
export const KINDS: Record<TaskName, PuzzleKind> = { sudoku: SUDOKU, maze: MAZE };

export interface SolveOptions {
  /** segments to run (default: the model's halt_max_steps; with `halt`, the most) */
  segments?: number;
  /** stop each puzzle when the model's Q head says halt (q_halt > q_continue) */
  halt?: boolean;
  /** keep the reasoning trace: every segment's predictions and Q values */
  trace?: boolean;
  /** puzzles per batch (default 32) */
  batchSize?: number;
  /**
   * try a puzzle whose answer breaks the rules (a maze: or is not a shortest path) again on up to this
   * many symmetric copies (PuzzleKind.symmetry) and keep the first right answer (default 0: the model's
   * own answer)
   */
  retries?: number;
  /**
   * Sudoku: the test-time search (src/solve/sudoku-search.ts): a guess tree over the model's sure cells,
   * judged by the rules, every board one model call, boards of many puzzles batched together
   */
  search?: boolean;
  /** the search's budget per puzzle: model calls (DEFAULT_SEARCH_CALLS, 1,024, unless given) or a time ('500ms', '2s') */
  budget?: SearchBudget;
  /** segments of each search call after the puzzle's own (default DEFAULT_SEARCH_SEGMENTS, at most `segments`) */
  searchSegments?: number;
  /** moves (trusted cells, guesses) the search makes on one model answer before asking again (default DEFAULT_SEARCH_REUSE; 0: a call per board) */
  searchReuse?: number;
}

export interface TraceStep {
  segment: number;
  /** raw output token ids */
  preds: number[];
  /** the answer these predictions decode to */
  answer: string;
  q_halt: number;
  q_continue: number;
}

export interface SolveResult {
  task: TaskName;
  /** position in the input (0-based) */
  index: number;
  source: string;
  question: string;
  answer: string;
  valid: boolean;
  /** mazes: the path is a shortest one */
  shortest?: boolean;
  /** what is wrong when not valid (or not shortest) */
  problem?: string;
  /** the answer equals the known one; null when none was given */
  solved: boolean | null;
  /** segments run for the answer given */
  segments: number;
  /** this puzzle's share of its batches' inference time, retries included */
  ms: number;
  /** 1 + the retries run (the answer is the first valid one, else the model's first answer) */
  attempts: number;
  /** model calls spent on this puzzle (each runs every segment): attempts, or the search's boards asked */
  calls: number;
  /** with `search`: the model's own answer beside the search's, and the search's steps */
  search?: SearchReport;
  q_halt: number;
  q_continue: number;
  trace?: TraceStep[];
}

export interface SolveSummary {
  puzzles: number;
  /** over puzzles with a known answer (null when none had one) */
  solved_pct: number | null;
  valid_pct: number;
  /** mazes: valid and a shortest path (BFS), the figure a maze model is judged by */
  shortest_pct?: number;
  ms_per_puzzle: number;
  /** with the search: the model's own answers beside it, and the median cost per puzzle */
  search?: { model_valid_pct: number; median_calls: number; median_ms: number };
}

export class Solver {
  readonly files: ModelFiles;
  readonly spec: ModelSpec;
  private weights: Map<string, SafeTensor> | null;
  private model: ReasoningModel | null = null;
  private disposed = false;

  private constructor(files: ModelFiles, spec: ModelSpec, weights: Map<string, SafeTensor>) {
    this.files = files;
    this.spec = spec;
    this.weights = weights;
    if (spec.seqLen !== null) {
      this.model = buildLoadedModel(spec, weights, spec.seqLen);
      this.weights = null; // seq_len is fixed: the host copy is no longer needed
    }
  }

  /** Loads a run folder, a step_N.safetensors or a reference checkpoint folder. */
  static load(path: string): Solver {
    const files = locateModel(path);
    const { weights } = readInferenceWeights(files); // a run trained with ema answers with its EMA weights
    // building the model checks the weights (loadStateDict), so the spec need not build one to check them
    return new Solver(files, readModelSpec(files, weights, { check: false }), weights);
  }

  /** The model's halt_max_steps (the default number of segments). */
  get haltMaxSteps(): number {
    return this.spec.arch.halt_max_steps;
  }

  /** The model built for sequences of `seqLen` tokens (built or rebuilt on demand). */
  modelFor(seqLen: number): ReasoningModel {
    if (this.disposed) throw new Error('Solver: used after dispose()');
    if (this.model && this.model.config.seq_len === seqLen) return this.model;
    if (!this.weights) throw new UserError(`${this.files.weights}: this model works on sequences of ${this.model!.config.seq_len} tokens; the puzzle has ${seqLen}`);
    this.model?.dispose();
    this.model = null;
    this.model = buildLoadedModel(this.spec, this.weights, seqLen);
    return this.model;
  }

  /** Parses puzzles of `task` from an argument or a file's text. */
  parse(task: TaskName, text: string, source: string, isFile: boolean): Puzzle[] {
    return kindOf(task).parse(text, source, isFile);
  }

  /**
   * Solves puzzles in input order, batch by batch; `onResult` sees each result as soon as its batch is
   * done (the CLI prints while later batches run).
   */
  solve(task: TaskName, puzzles: Puzzle[], opts: SolveOptions = {}, onResult?: (r: SolveResult) => void): SolveResult[] {
    const kind = kindOf(task);
    if (this.spec.arch.vocab_size !== kind.vocab) {
      throw new UserError(
        `${this.files.weights}: this model's vocabulary has ${this.spec.arch.vocab_size} tokens, a ${task} model has ${kind.vocab} (was it trained on another kind of puzzle?)`,
      );
    }
    // a rope_2d model serves a range of grid sides: one line for a size it does not, before any work
    for (const p of puzzles) {
      const unserved = p.tokens.length === p.width * p.width ? unservedSide(this.spec, p.width) : null;
      if (unserved) throw new UserError(`${p.source}: ${unserved}`);
    }
    for (const [name, n] of [['segments', opts.segments], ['searchSegments', opts.searchSegments]] as const) {
      if (n !== undefined && !(Number.isInteger(n) && n >= 1)) throw new UserError(`${name} must be an integer >= 1, got ${n}`);
    }
    const batchSize = opts.batchSize ?? 32;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new UserError(`batch size must be an integer >= 1, got ${batchSize}`);
    const retries = opts.retries ?? 0;
    if (!(Number.isInteger(retries) && retries >= 0)) throw new UserError(`retries must be an integer >= 0, got ${retries}`);
    const reuse = opts.searchReuse;
    if (reuse !== undefined && !(Number.isInteger(reuse) && reuse >= 0)) throw new UserError(`searchReuse must be an integer >= 0, got ${reuse}`);
    const results: SolveResult[] = [];
    if (opts.search || opts.budget !== undefined || opts.searchSegments !== undefined || reuse !== undefined) {
      if (task !== 'sudoku') throw new UserError(`the search is for sudoku; a ${task} is asked again with retries instead`);
      const run = runSudokuSearch(this.modelFor(81), puzzles, { segments: opts.segments, searchSegments: opts.searchSegments, reuse, budget: opts.budget, batchSize }, (s) => {
        const p = puzzles[s.index];
        const r: SolveResult = { task, source: p.source, question: p.question, attempts: s.calls, ...s };
        results.push(r);
        onResult?.(r);
      });
      if (run.length !== puzzles.length) throw new Error('search: an outcome is missing');
      return results;
    }
    let i = 0;
    while (i < puzzles.length) {
      // a batch holds puzzles of one size
      const T = puzzles[i].tokens.length;
      let j = i;
      while (j < puzzles.length && j - i < batchSize && puzzles[j].tokens.length === T) j++;
      const batch = puzzles.slice(i, j);
      const model = this.modelFor(T);
      const first = runBatch(model, batch.map((p) => p.tokens), opts);
      const done = batch.map((p, b) => judged(task, kind, p, i + b, first, b, (x) => x));
      // Retries: a wrong answer (for a maze also a path that is not a shortest one) is tried again on
      // symmetric copies; only the rules judge, never the label.
      const right = (r: SolveResult): boolean => r.valid && r.shortest !== false;
      let pending = done.map((_, b) => b).filter((b) => !right(done[b]));
      for (let k = 1; k <= retries && pending.length > 0; k++) {
        const copies = pending.map((b) => ({ b, copy: kind.symmetry(batch[b], k) })).filter((c) => c.copy !== null);
        if (copies.length === 0) break;
        const run = runBatch(model, copies.map((c) => c.copy!.tokens), opts);
        copies.forEach(({ b, copy }, m) => {
          const again = judged(task, kind, batch[b], i + b, run, m, (x) => copy!.back(x));
          const ms = done[b].ms + again.ms;
          if (right(again)) done[b] = again;
          done[b].ms = ms;
          done[b].attempts = k + 1;
          done[b].calls = k + 1;
        });
        pending = pending.filter((b) => !right(done[b]));
      }
      for (const r of done) {
        results.push(r);
        onResult?.(r);
      }
      i = j;
    }
    return results;
  }

  /** Frees the model's native memory now (idempotent). */
  dispose(): void {
    this.model?.dispose();
    this.model = null;
    this.weights = null;
    this.disposed = true;
  }
}

/** One batch's inference, with each puzzle's share of its time and the sequence length. */
type BatchRun = InferenceResult & { ms: number; T: number };

function runBatch(model: ReasoningModel, tokens: Int32Array[], opts: SolveOptions): BatchRun {
  const T = tokens[0].length;
  const inputs = new Int32Array(tokens.length * T);
  tokens.forEach((t, b) => inputs.set(t, b * T));
  const t0 = process.hrtime.bigint();
  const r = infer(model, { inputs, puzzle_identifiers: new Int32Array(tokens.length) }, {
    segments: opts.segments,
    halt: opts.halt ? 'q' : 'all',
    trace: opts.trace,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / tokens.length;
  return { ...r, ms, T };
}

/** The result for row `b` of a batch run; `back` maps the row's output tokens to the puzzle's frame. */
function judged(task: TaskName, kind: PuzzleKind, p: Puzzle, index: number, run: BatchRun, b: number, back: (preds: Int32Array) => ArrayLike<number>): SolveResult {
  const { T } = run;
  const preds = back(run.preds.subarray(b * T, (b + 1) * T));
  const answer = kind.decode(preds, p);
  const v = kind.judge(answer, p);
  const res: SolveResult = {
    task,
    index,
    source: p.source,
    question: p.question,
    answer,
    valid: v.valid,
    ...(v.shortest !== undefined ? { shortest: v.shortest } : {}),
    ...(v.problem ? { problem: v.problem } : {}),
    solved: p.label === null ? null : answer === p.label,
    segments: run.segments[b],
    ms: run.ms,
    attempts: 1,
    calls: 1,
    q_halt: run.q_halt[b],
    q_continue: run.q_continue[b],
  };
  if (run.trace.length > 0) {
    res.trace = run.trace.slice(0, run.segments[b]).map((s, k) => {
      const sp = back(s.preds.subarray(b * T, (b + 1) * T));
      return { segment: k + 1, preds: Array.from(sp), answer: kind.decode(sp, p), q_halt: s.q_halt[b], q_continue: s.q_continue[b] };
    });
  }
  return res;
}

function kindOf(task: string): PuzzleKind {
  const k = KINDS[task as TaskName];
  if (!k) throw new UserError(`unknown puzzle kind '${task}' (have: sudoku, maze)`);
  return k;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(results: SolveResult[]): SolveSummary {
  const labelled = results.filter((r) => r.solved !== null);
  const pct = (n: number, d: number): number => Math.round((1000 * n) / d) / 10;
  return {
    puzzles: results.length,
    solved_pct: labelled.length ? pct(labelled.filter((r) => r.solved).length, labelled.length) : null,
    valid_pct: results.length ? pct(results.filter((r) => r.valid).length, results.length) : 0,
    ...(results.some((r) => r.shortest !== undefined) ? { shortest_pct: pct(results.filter((r) => r.valid && r.shortest === true).length, results.length) } : {}),
    ms_per_puzzle: results.length ? Math.round((100 * results.reduce((s, r) => s + r.ms, 0)) / results.length) / 100 : 0,
    ...(results.length && results.every((r) => r.search)
      ? {
          search: {
            model_valid_pct: pct(results.filter((r) => r.search!.model_valid).length, results.length),
            median_calls: median(results.map((r) => r.calls)),
            median_ms: Math.round(100 * median(results.map((r) => r.ms))) / 100,
          },
        }
      : {}),
  };
}
