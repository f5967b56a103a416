/**
 * A small schema-driven parser for model configurations (TRM, the transformer baseline): each key with
 * its kind, range and default; unknown keys are an error (a typo would silently fall back to a default);
 * every error is one UserError naming the source and the key. The data keys (batch_size, seq_len,
 * vocab_size, num_puzzle_identifiers) have no default.
 */
import { UserError } from '../../util/errors.js';
import { checkLimits } from '../../util/limits.js';
import type { ComputeDType } from '../../engine/index.js';
import type { LossType } from './act.js';
import type { PositionEncoding } from './inner-base.js';

/** The keys every model's configuration has: HRM's (the reference's), TRM's and the baseline's. */
export interface CommonModelConfig {
  // from the data
  batch_size: number;
  seq_len: number;
  vocab_size: number;
  num_puzzle_identifiers: number;
  // model
  hidden_size: number;
  num_heads: number;
  expansion: number;
  H_layers: number;
  L_layers: number;
  H_cycles: number;
  L_cycles: number;
  halt_max_steps: number;
  halt_exploration_prob: number;
  puzzle_emb_ndim: number;
  rms_norm_eps: number;
  rope_theta: number;
  loss_type: LossType;
}

/** The configuration TRM and the baseline share (each adds its own keys). */
export interface SchemaModelConfig extends CommonModelConfig {
  pos_encodings: PositionEncoding;
  /** puzzle-embedding positions; 0 = ceil(puzzle_emb_ndim / hidden_size) */
  puzzle_emb_len: number;
  no_ACT_continue: boolean;
  /** every op's compute dtype (TRM's default bfloat16: as the reference rounds, src/engine/dtype.ts) */
  forward_dtype: ComputeDType;
}

export type KeySpec =
  | { t: 'int'; min: number; def?: number }
  | { t: 'float'; min?: number; max?: number; positive?: boolean; def: number }
  | { t: 'bool'; def: boolean }
  | { t: 'enum'; of: readonly string[]; def: string };

/** Keys a config may carry that do not change what we compute. */
const IGNORED = new Set(['name', 'loss', 'loss_type', '__pydantic_extra__']);

export const DATA_KEYS: Record<string, KeySpec> = {
  batch_size: { t: 'int', min: 1 },
  seq_len: { t: 'int', min: 1 },
  vocab_size: { t: 'int', min: 1 },
  num_puzzle_identifiers: { t: 'int', min: 1 },
};

function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  return null;
}

/** Validates `obj` against `schema`; returns every schema key with its value. */
export function parseWithSchema(obj: unknown, source: string, schema: Record<string, KeySpec>): Record<string, number | boolean | string> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new UserError(`${source}: the model configuration must be an object`);
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(k in schema) && !IGNORED.has(k)) throw new UserError(`${source}: unknown model key '${k}' (known: ${Object.keys(schema).join(', ')})`);
  }
  const out: Record<string, number | boolean | string> = {};
  for (const [k, spec] of Object.entries(schema)) {
    const v = o[k];
    if (v === undefined || v === null) {
      if (spec.def === undefined) throw new UserError(`${source}: missing required model key '${k}'`);
      out[k] = spec.def;
      continue;
    }
    if (spec.t === 'bool') {
      const b = bool(v);
      if (b === null) throw new UserError(`${source}: model key '${k}' must be true or false, got ${JSON.stringify(v)}`);
      out[k] = b;
    } else if (spec.t === 'enum') {
      if (typeof v !== 'string' || !spec.of.includes(v)) {
        throw new UserError(`${source}: model key '${k}' must be one of ${spec.of.join(', ')}, got ${JSON.stringify(v)}`);
      }
      out[k] = v;
    } else {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new UserError(`${source}: model key '${k}' must be a number, got ${JSON.stringify(v)}`);
      if (spec.t === 'int' && (!Number.isInteger(n) || n < spec.min)) {
        throw new UserError(`${source}: model key '${k}' must be an integer >= ${spec.min}, got ${n}`);
      }
      if (spec.t === 'float') {
        if (spec.positive && !(n > 0)) throw new UserError(`${source}: model key '${k}' must be positive, got ${n}`);
        if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
          throw new UserError(`${source}: model key '${k}' must be in [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}], got ${n}`);
        }
      }
      out[k] = n;
    }
  }
  checkLimits(out, source);
  return out;
}

/** `loss_type`, also given as `loss` or the reference's `loss: {loss_type: ...}` object. */
export function parseLossType(obj: Record<string, unknown>, source: string): LossType {
  let raw: unknown = obj.loss_type ?? obj.loss ?? 'stablemax_cross_entropy';
  if (typeof raw === 'object' && raw !== null) raw = (raw as Record<string, unknown>).loss_type;
  if (typeof raw === 'string') raw = raw.replace(/^.*@/, '');
  if (raw !== 'stablemax_cross_entropy' && raw !== 'softmax_cross_entropy') {
    throw new UserError(`${source}: model key 'loss_type' must be 'stablemax_cross_entropy' or 'softmax_cross_entropy', got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** head_dim = hidden // heads must be >= 1, even for RoPE, a multiple of 4 for rope_2d (whose seq_len must be a square grid). */
export function checkHeads(hidden: number, heads: number, pos: string, source: string): void {
  if (heads > hidden) throw new UserError(`${source}: num_heads (${heads}) must not exceed hidden_size (${hidden})`);
  const d = Math.floor(hidden / heads);
  if (pos === 'rope' && d % 2 !== 0) throw new UserError(`${source}: rope needs an even head dimension, hidden_size // num_heads = ${d}`);
  if (pos === 'rope_2d' && d % 4 !== 0) throw new UserError(`${source}: rope_2d needs a head dimension divisible by 4, hidden_size // num_heads = ${d}`);
}

/** rope_2d lays the sequence out as a square grid. */
export function checkGrid(seqLen: number, pos: string, source: string): void {
  const side = Math.round(Math.sqrt(seqLen));
  if (pos === 'rope_2d' && side * side !== seqLen) throw new UserError(`${source}: rope_2d needs a square grid, but seq_len ${seqLen} is not a square`);
}

/** TRM's and the baseline's puzzle_emb_ndim default: hidden_size (a copy of `obj` when it is filled in). */
export function withPuzzleEmbDefault(obj: unknown, defaultHidden: number): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return obj;
  const o = obj as Record<string, unknown>;
  if (o.puzzle_emb_ndim !== undefined && o.puzzle_emb_ndim !== null) return obj;
  return { ...o, puzzle_emb_ndim: o.hidden_size ?? defaultHidden };
}

/** P, the puzzle-embedding positions: puzzle_emb_len, or ceil(puzzle_emb_ndim / hidden_size) when 0 (none without a puzzle embedding). */
export function puzzleEmbPositions(cfg: { puzzle_emb_len: number; puzzle_emb_ndim: number; hidden_size: number }): number {
  if (cfg.puzzle_emb_ndim === 0) return 0;
  return cfg.puzzle_emb_len === 0 ? Math.ceil(cfg.puzzle_emb_ndim / cfg.hidden_size) : cfg.puzzle_emb_len;
}

/** The P positions must hold the puzzle embedding (it is zero-padded to P * hidden_size). */
export function checkPuzzleEmbFits(cfg: { puzzle_emb_len: number; puzzle_emb_ndim: number; hidden_size: number }, source: string): void {
  if (puzzleEmbPositions(cfg) * cfg.hidden_size < cfg.puzzle_emb_ndim) {
    throw new UserError(`${source}: puzzle_emb_len (${cfg.puzzle_emb_len}) positions of hidden_size ${cfg.hidden_size} cannot hold puzzle_emb_ndim ${cfg.puzzle_emb_ndim}`);
  }
}
