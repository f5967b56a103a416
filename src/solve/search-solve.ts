/**
 * The Solver's side of the Sudoku search (src/solve/sudoku-search.ts): the budget as the CLI and the
 * library take it, the model call behind the search (one batch of boards, the final segment's logits)
 * and the search's outcomes as SolveResults.
 */
import { infer } from '../models/shared/inference.js';
import type { ReasoningModel } from '../models/registry.js';
import { UserError } from '../util/errors.js';
import { OPTION_LIMITS } from '../util/limits.js';
import type { Puzzle } from './puzzle.js';
import { searchSudoku, viewsFromLogits, type FixedCell, type SearchOptions, type SearchOutcome, type SearchStep } from './sudoku-search.js';
import { SUDOKU } from './sudoku.js';

/** A search budget: model calls per puzzle (a number, or '200') or time per puzzle ('500ms', '2s'). */
export type SearchBudget = number | string;

/** What a SolveResult of the search adds: the model's own answer beside the search's, and how it went. */
export interface SearchReport {
  /** the model's own answer to the puzzle (its first call), and whether it is valid */
  model_answer: string;
  model_valid: boolean;
  /** why an unsolved search stopped: its budget ('calls', 'ms'), every board ruled out, clashing clues */
  stopped?: SearchOutcome['stopped'];
  steps: SearchStep[];
  /** solved: how and when (after which model call) each cell was fixed, in order */
  fixed: FixedCell[];
}

/** `budget` as the search's limits; a UserError naming `what` when it is neither calls nor a time. */
export function parseBudget(budget: SearchBudget | undefined, what = 'budget'): Pick<SearchOptions, 'calls' | 'ms'> {
  if (budget === undefined) return {};
  if (typeof budget === 'number') {
    if (Number.isInteger(budget) && budget > OPTION_LIMITS.search_calls) throw new UserError(`${what} of ${budget} model calls is above its limit of ${OPTION_LIMITS.search_calls} per puzzle (docs/RELIABILITY.md)`);
    if (Number.isInteger(budget) && budget >= 1) return { calls: budget };
    throw new UserError(`${what} must be a whole number of model calls >= 1 or a time such as 500ms or 2s, got ${budget}`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(budget);
  if (!m) throw new UserError(`${what} must be a whole number of model calls >= 1 or a time such as 500ms or 2s, got '${budget}'`);
  const x = Number(m[1]);
  if (m[2] === undefined) return parseBudget(x, what);
  const ms = m[2] === 's' ? x * 1000 : x;
  if (!(ms > 0)) throw new UserError(`${what} must be a time above 0, got '${budget}'`);
  if (ms > OPTION_LIMITS.search_ms) throw new UserError(`${what} of '${budget}' is above its limit of ${OPTION_LIMITS.search_ms / 1000} s per puzzle (docs/RELIABILITY.md)`);
  return { ms };
}

/**
 * Segments per model call for the search's boards after the puzzle's own call (which runs all of
 * them, so that the model's own answer is the one `hrm solve` gives). On the first 50 Sudoku-Extreme
 * puzzles at a budget of 128 calls, every call at 3 segments against 8: 92% against 90% solved, median
 * 412 against 736 ms a puzzle (11 against 7 calls: each call costs 3/8, and its guidance is nearly as
 * good); on the first 100, later calls at 2, 3, 4 segments: 80, 83, 82% at medians of 430, 620, 703 ms.
 */
export const DEFAULT_SEARCH_SEGMENTS = 3;

export interface SearchRun {
  /** segments of the puzzle's own call (default halt_max_steps) */
  segments?: number;
  /** segments of every later call (default DEFAULT_SEARCH_SEGMENTS, at most `segments`) */
  searchSegments?: number;
  budget?: SearchBudget;
  /** moves made on one model answer before asking again (SearchOptions.reuse) */
  reuse?: number;
  /** boards per model call (default 32) */
  batchSize?: number;
  width?: number;
  trust?: number;
}

/** The search's results in SolveResult's shape (answer in the puzzle's notation, checked by the rules). */
export interface SearchSolved {
  index: number;
  answer: string;
  valid: boolean;
  problem?: string;
  solved: boolean | null;
  calls: number;
  ms: number;
  segments: number;
  q_halt: number;
  q_continue: number;
  search: SearchReport;
}

/** A parsed Sudoku as the search's board: 81 digits, 0 blank (tokens 2..10 are digits 1..9). */
export function sudokuDigits(p: Puzzle): Uint8Array {
  return Uint8Array.from(p.tokens, (t) => (t >= 2 && t <= 10 ? t - 1 : 0));
}

/** Runs the search on Sudoku puzzles with `model`; `onResult` sees each in input order. */
export function runSudokuSearch(model: ReasoningModel, puzzles: Puzzle[], run: SearchRun, onResult?: (r: SearchSolved) => void): SearchSolved[] {
  const limits = parseBudget(run.budget);
  const segments = run.segments ?? model.config.halt_max_steps;
  const searchSegments = Math.min(segments, run.searchSegments ?? DEFAULT_SEARCH_SEGMENTS);
  const vocab = model.config.vocab_size;
  const stablemax = model.config.loss_type === 'stablemax_cross_entropy';
  const questions = puzzles.map(sudokuDigits);
  const ask = (boards: Uint8Array[], own: boolean) => {
    const inputs = new Int32Array(boards.length * 81);
    boards.forEach((b, i) => {
      for (let k = 0; k < 81; k++) inputs[i * 81 + k] = b[k] + 1;
    });
    const t0 = performance.now();
    const r = infer(model, { inputs, puzzle_identifiers: new Int32Array(boards.length) }, { segments: own ? segments : searchSegments, logits: true });
    const last = r.trace[r.trace.length - 1];
    const views = viewsFromLogits(last.logits!, boards.length, vocab, stablemax);
    const ms = performance.now() - t0;
    return { views: views.map((v, i) => ({ ...v, q_halt: r.q_halt[i], q_continue: r.q_continue[i] })), ms };
  };
  const out: SearchSolved[] = [];
  const opts: SearchOptions = { ...limits, batch: run.batchSize ?? 32, ...(run.width ? { width: run.width } : {}), ...(run.trust ? { trust: run.trust } : {}), ...(run.reuse !== undefined ? { reuse: run.reuse } : {}) };
  searchSudoku(questions, ask, opts, (i, o) => {
    const p = puzzles[i];
    const answer = SUDOKU.decode(Array.from(o.grid, (d) => (d === 0 ? 0 : d + 1)), p);
    const v = SUDOKU.judge(answer, p);
    const r: SearchSolved = {
      index: i,
      answer,
      valid: v.valid,
      ...(v.problem ? { problem: v.problem } : {}),
      solved: p.label === null ? null : answer === p.label,
      calls: o.calls,
      ms: o.ms,
      segments,
      q_halt: o.q_halt,
      q_continue: o.q_continue,
      search: {
        model_answer: SUDOKU.decode(Array.from(o.model_grid, (d) => (d === 0 ? 0 : d + 1)), p),
        model_valid: o.model_valid,
        ...(o.stopped ? { stopped: o.stopped } : {}),
        steps: o.steps,
        fixed: o.fixed,
      },
    };
    out.push(r);
    onResult?.(r);
  });
  return out;
}
