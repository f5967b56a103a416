/**
 * The HRM model configuration: every model key of the reference (REFERENCE.md section 1) with its
 * default, plus the data-derived sizes. `parseHRMConfig` validates a plain object (from YAML, JSON or a
 * fixture's metadata) and throws a UserError naming the source and the key on anything wrong.
 */
import { COMPUTE_DTYPES, type ComputeDType } from '../../engine/dtype.js';
import { UserError } from '../../util/errors.js';
import { swigluInter } from '../../nn/swiglu.js';
import { checkLimits } from '../../util/limits.js';

export type PosEncodings = 'rope' | 'rope_2d' | 'learned';
import type { LossType } from '../shared/act.js';
import { checkGrid, checkHeads, type CommonModelConfig } from '../shared/config-schema.js';
export type { LossType };

/** HRM's keys: the shared ones, with the reference's position encodings and an optional dtype. */
export interface HRMConfig extends CommonModelConfig {
  pos_encodings: PosEncodings;
  /** what the forward and backward compute in (src/engine/dtype.ts); absent: float32 */
  forward_dtype?: ComputeDType;
}

/** Reference defaults; the data keys have none and must be given. */
export const HRM_DEFAULTS = {
  hidden_size: 512,
  num_heads: 8,
  expansion: 4,
  H_layers: 4,
  L_layers: 4,
  H_cycles: 2,
  L_cycles: 2,
  halt_max_steps: 16,
  halt_exploration_prob: 0.1,
  pos_encodings: 'rope' as PosEncodings,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  loss_type: 'stablemax_cross_entropy' as LossType,
};

const DATA_KEYS = ['batch_size', 'seq_len', 'vocab_size', 'num_puzzle_identifiers'] as const;
const POSITIVE_INT_KEYS = ['hidden_size', 'num_heads', 'H_layers', 'L_layers', 'H_cycles', 'L_cycles', 'halt_max_steps'] as const;
/** Keys the reference's config carries that do not change what we compute. */
const IGNORED_KEYS = new Set(['name', 'loss', '__pydantic_extra__']);
const KNOWN_KEYS = new Set<string>([
  ...DATA_KEYS,
  ...POSITIVE_INT_KEYS,
  'expansion',
  'halt_exploration_prob',
  'pos_encodings',
  'puzzle_emb_ndim',
  'rms_norm_eps',
  'rope_theta',
  'loss_type',
  'forward_dtype',
]);

function num(obj: Record<string, unknown>, key: string, source: string, fallback?: number): number {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new UserError(`${source}: missing required model key '${key}'`);
    return fallback;
  }
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new UserError(`${source}: model key '${key}' must be a number, got ${JSON.stringify(v)}`);
  }
  return n;
}

function int(obj: Record<string, unknown>, key: string, source: string, min: number, fallback?: number): number {
  const n = num(obj, key, source, fallback);
  if (!Number.isInteger(n) || n < min) {
    throw new UserError(`${source}: model key '${key}' must be an integer >= ${min}, got ${n}`);
  }
  return n;
}

/**
 * Validates `obj` into an HRMConfig. `source` names where it came from (a file, 'fixture x', ...).
 * Unknown keys are an error (a typo would otherwise silently fall back to a default).
 * `loss_type` may also be given as `loss` (the fixtures' metadata key) or as the reference's
 * `loss: {loss_type: ...}` object.
 */
export function parseHRMConfig(obj: unknown, source: string): HRMConfig {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new UserError(`${source}: the model configuration must be an object`);
  }
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KNOWN_KEYS.has(k) && !IGNORED_KEYS.has(k)) {
      throw new UserError(`${source}: unknown model key '${k}' (known: ${[...KNOWN_KEYS].join(', ')})`);
    }
  }
  if (o.forward_dtype !== undefined && !COMPUTE_DTYPES.includes(o.forward_dtype as ComputeDType)) {
    throw new UserError(`${source}: model key 'forward_dtype' must be float32 or bfloat16, got ${JSON.stringify(o.forward_dtype)}`);
  }

  const hidden_size = int(o, 'hidden_size', source, 1, HRM_DEFAULTS.hidden_size);
  const num_heads = int(o, 'num_heads', source, 1, HRM_DEFAULTS.num_heads);
  // head_dim = hidden_size // num_heads as the reference (attention in num_heads * head_dim dimensions)
  if (num_heads > hidden_size) {
    throw new UserError(`${source}: num_heads (${num_heads}) must not exceed hidden_size (${hidden_size})`);
  }
  const pos = o.pos_encodings ?? HRM_DEFAULTS.pos_encodings;
  if (pos !== 'rope' && pos !== 'rope_2d' && pos !== 'learned') {
    throw new UserError(`${source}: model key 'pos_encodings' must be 'rope', 'rope_2d' or 'learned', got ${JSON.stringify(pos)}`);
  }
  if (pos === 'rope' && Math.floor(hidden_size / num_heads) % 2 !== 0) {
    throw new UserError(`${source}: rope needs an even head dimension, hidden_size // num_heads = ${Math.floor(hidden_size / num_heads)}`);
  }
  checkHeads(hidden_size, num_heads, pos, source);
  let lossRaw: unknown = o.loss_type ?? o.loss ?? HRM_DEFAULTS.loss_type;
  if (typeof lossRaw === 'object' && lossRaw !== null) lossRaw = (lossRaw as Record<string, unknown>).loss_type;
  if (typeof lossRaw === 'string') lossRaw = lossRaw.replace(/^.*@/, ''); // 'losses@ACTLossHead' style names
  if (lossRaw !== 'stablemax_cross_entropy' && lossRaw !== 'softmax_cross_entropy') {
    throw new UserError(
      `${source}: model key 'loss_type' must be 'stablemax_cross_entropy' or 'softmax_cross_entropy', got ${JSON.stringify(lossRaw)}`,
    );
  }
  const expansion = num(o, 'expansion', source, HRM_DEFAULTS.expansion);
  if (!(expansion > 0)) throw new UserError(`${source}: model key 'expansion' must be positive, got ${expansion}`);
  const p = num(o, 'halt_exploration_prob', source, HRM_DEFAULTS.halt_exploration_prob);
  if (!(p >= 0 && p <= 1)) {
    throw new UserError(`${source}: model key 'halt_exploration_prob' must be in [0, 1], got ${p}`);
  }
  const eps = num(o, 'rms_norm_eps', source, HRM_DEFAULTS.rms_norm_eps);
  if (!(eps > 0)) throw new UserError(`${source}: model key 'rms_norm_eps' must be positive, got ${eps}`);
  const theta = num(o, 'rope_theta', source, HRM_DEFAULTS.rope_theta);
  if (!(theta > 0)) throw new UserError(`${source}: model key 'rope_theta' must be positive, got ${theta}`);

  const cfg: HRMConfig = {
    batch_size: int(o, 'batch_size', source, 1),
    seq_len: int(o, 'seq_len', source, 1),
    vocab_size: int(o, 'vocab_size', source, 1),
    num_puzzle_identifiers: int(o, 'num_puzzle_identifiers', source, 1),
    hidden_size,
    num_heads,
    expansion,
    H_layers: int(o, 'H_layers', source, 1, HRM_DEFAULTS.H_layers),
    L_layers: int(o, 'L_layers', source, 1, HRM_DEFAULTS.L_layers),
    H_cycles: int(o, 'H_cycles', source, 1, HRM_DEFAULTS.H_cycles),
    L_cycles: int(o, 'L_cycles', source, 1, HRM_DEFAULTS.L_cycles),
    halt_max_steps: int(o, 'halt_max_steps', source, 1, HRM_DEFAULTS.halt_max_steps),
    halt_exploration_prob: p,
    pos_encodings: pos,
    // The reference's default is hidden_size.
    puzzle_emb_ndim: int(o, 'puzzle_emb_ndim', source, 0, hidden_size),
    rms_norm_eps: eps,
    rope_theta: theta,
    loss_type: lossRaw,
  };
  // only bfloat16 is written out, so that float32 configurations stay what they were
  if (o.forward_dtype === 'bfloat16') cfg.forward_dtype = 'bfloat16';
  checkLimits(cfg as unknown as Record<string, unknown>, source);
  checkGrid(cfg.seq_len, pos, source);
  return cfg;
}

/** SwiGLU intermediate width: ceil(round(expansion * hidden * 2/3) / 256) * 256. */
export function intermediateSize(cfg: Pick<HRMConfig, 'hidden_size' | 'expansion'>): number {
  return swigluInter(cfg.hidden_size, cfg.expansion);
}

/** Puzzle-embedding positions in front of the sequence: P = ceil(puzzle_emb_ndim / hidden). */
export function puzzleEmbLen(cfg: Pick<HRMConfig, 'hidden_size' | 'puzzle_emb_ndim'>): number {
  return Math.ceil(cfg.puzzle_emb_ndim / cfg.hidden_size);
}

/** Sequence length inside the model, S = seq_len + P. */
export function innerSeqLen(cfg: HRMConfig): number {
  return cfg.seq_len + puzzleEmbLen(cfg);
}
