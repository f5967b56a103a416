/**
 * The library API's checks on what a caller passes (src/index.ts): JavaScript callers are not held to
 * the TypeScript types, so a null, a number where a string belongs, an option of the wrong type or a
 * misspelt option is a UserError naming the call and the argument, as the CLI names a flag, instead
 * of a TypeError deep inside, or a silently ignored option.
 */
import type { InferenceOptions } from './models/shared/inference.js';
import type { Puzzle } from './solve/puzzle.js';
import type { SolveOptions, SolveResult } from './solve/solver.js';
import { UserError, describeValue, quote } from './util/errors.js';
import { LIMITS } from './util/limits.js';

type Checks = Record<string, (v: unknown) => string | null>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bool = (v: unknown): string | null => (typeof v === 'boolean' ? null : 'must be true or false');
const wholeAtLeast = (min: number) => (v: unknown): string | null => (typeof v === 'number' && Number.isInteger(v) && v >= min ? null : `must be an integer >= ${min}`);

/** `opts` checked against `checks`: an object (or undefined: {}), known keys only, each of its type. */
function options<T>(opts: unknown, checks: Checks, call: string): T {
  if (opts === undefined) return {} as T;
  if (!isObject(opts)) throw new UserError(`${call}: options must be an object such as { segments: 4 }, got ${describeValue(opts)}`);
  for (const [k, v] of Object.entries(opts)) {
    const check = checks[k];
    if (!check) throw new UserError(`${call}: unknown option ${quote(k)} (known: ${Object.keys(checks).join(', ')})`);
    if (v === undefined) continue;
    const problem = check(v);
    if (problem) throw new UserError(`${call}: ${k} ${problem}, got ${describeValue(v)}`);
  }
  return opts as T;
}

// at most what a model may ask for itself (halt_max_steps' limit): { segments: 1e9 } ran on without end
const segmentsCheck = (v: unknown): string | null => wholeAtLeast(1)(v) ?? ((v as number) > LIMITS.halt_max_steps ? `must be at most ${LIMITS.halt_max_steps}` : null);

const SOLVE_OPTIONS: Checks = {
  segments: segmentsCheck,
  halt: bool,
  trace: bool,
  batchSize: wholeAtLeast(1),
  retries: wholeAtLeast(0),
  search: bool,
  searchSegments: segmentsCheck,
  searchReuse: wholeAtLeast(0),
  // its form (calls or a time) is checked where it is parsed
  budget: (v) => (typeof v === 'number' || typeof v === 'string' ? null : "must be a number of model calls or a time such as '2s'"),
};

const INFER_OPTIONS: Checks = {
  segments: segmentsCheck,
  halt: (v) => (v === 'all' || v === 'q' ? null : "must be 'all' or 'q'"),
  trace: bool,
  logits: bool,
  noContinueHead: bool,
};

export function solveOptions(opts: unknown, call: string): SolveOptions {
  return options<SolveOptions>(opts, SOLVE_OPTIONS, call);
}

export function inferOptions(opts: unknown, call: string): InferenceOptions {
  return options<InferenceOptions>(opts, INFER_OPTIONS, call);
}

/** A string, or a list of strings, as a list. */
export function stringList(v: unknown, call: string, what: string): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) throw new UserError(`${call}: ${what} must be a string or a list of strings, got ${describeValue(v)}`);
  v.forEach((x, i) => {
    if (typeof x !== 'string') throw new UserError(`${call}: ${what}[${i}] must be a string, got ${describeValue(x)}`);
  });
  return v as string[];
}

export function string(v: unknown, call: string, what: string): string {
  if (typeof v !== 'string') throw new UserError(`${call}: ${what} must be a string, got ${describeValue(v)}`);
  return v;
}

/**
 * Whole numbers in [0, limit) as an Int32Array: an Int32Array as it is, another array or typed array
 * when every value is a whole number (a Float32Array of 1.5 is refused, not truncated).
 */
export function ids(v: unknown, limit: number, call: string, what: string, limitName: string): Int32Array {
  const isTyped = ArrayBuffer.isView(v) && !(v instanceof DataView);
  if (!isTyped && !Array.isArray(v)) throw new UserError(`${call}: ${what} must be an Int32Array (or a list of whole numbers), got ${describeValue(v)}`);
  const xs = v as ArrayLike<unknown>;
  const out = v instanceof Int32Array ? v : new Int32Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (!(typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < limit)) {
      throw new UserError(`${call}: ${what}[${i}] is ${typeof x === 'bigint' ? `${x}n` : describeValue(x)}, expected a whole number in [0, ${limitName}=${limit})`);
    }
    out[i] = x;
  }
  return out;
}

/** Puzzles as parse() returns them (a hand-made one checked as far as solving relies on it). */
export function puzzles(v: unknown, call: string): Puzzle[] {
  if (!Array.isArray(v)) throw new UserError(`${call}: puzzles must be a list of puzzles (from model.parse), got ${describeValue(v)}`);
  v.forEach((p, i) => {
    const at = `${call}: puzzles[${i}]`;
    if (!isObject(p)) throw new UserError(`${at} must be a puzzle object (from model.parse), got ${describeValue(p)}`);
    if (!(p.tokens instanceof Int32Array) || p.tokens.length === 0) throw new UserError(`${at}.tokens must be a non-empty Int32Array, got ${describeValue(p.tokens)}`);
    const n = p.tokens.length;
    if (typeof p.question !== 'string' || p.question.length !== n) throw new UserError(`${at}.question must be a string of ${n} characters (one per token)`);
    if (p.label !== null && (typeof p.label !== 'string' || p.label.length !== n)) throw new UserError(`${at}.label must be null or a string of ${n} characters`);
    if (typeof p.source !== 'string') throw new UserError(`${at}.source must be a string, got ${describeValue(p.source)}`);
    if (!(typeof p.width === 'number' && Number.isInteger(p.width) && p.width >= 1 && n % p.width === 0)) throw new UserError(`${at}.width must be a whole number that divides ${n}, got ${describeValue(p.width)}`);
  });
  return v as Puzzle[];
}

/** Results as solve() returns them: what summarize reads. */
export function results(v: unknown, call: string): SolveResult[] {
  if (!Array.isArray(v)) throw new UserError(`${call}: results must be a list of solve results, got ${describeValue(v)}`);
  v.forEach((r, i) => {
    const at = `${call}: results[${i}]`;
    if (!isObject(r)) throw new UserError(`${at} must be a solve result, got ${describeValue(r)}`);
    if (typeof r.valid !== 'boolean') throw new UserError(`${at}.valid must be true or false, got ${describeValue(r.valid)}`);
    if (r.solved !== null && typeof r.solved !== 'boolean') throw new UserError(`${at}.solved must be true, false or null, got ${describeValue(r.solved)}`);
    if (!(typeof r.ms === 'number' && r.ms >= 0 && Number.isFinite(r.ms))) throw new UserError(`${at}.ms must be a number >= 0, got ${describeValue(r.ms)}`);
  });
  return v as SolveResult[];
}
