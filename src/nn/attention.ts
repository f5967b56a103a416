/**
 * Attention: qkv_proj -> fused multi-head attention with RoPE -> o_proj (no biases), as the reference.
 * head_dim = floor(hidden / heads), as the reference computes it: when heads do not divide hidden (TRM's
 * baseline: 12 heads in 512 -> 42), attention works in heads * head_dim dimensions and o_proj maps them
 * back to hidden.
 */
import { attention, type ComputeDType, type Rope, type Tensor } from '../engine/index.js';
import type { Rng } from '../util/random.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/** floor(hidden / heads); at least 1. */
export function headDim(hidden: number, heads: number): number {
  const d = Math.floor(hidden / heads);
  if (!(d >= 1)) throw new Error(`Attention: ${heads} heads do not fit in hidden ${hidden}`);
  return d;
}

export class Attention extends Module {
  readonly qkv_proj: Linear;
  readonly o_proj: Linear;
  readonly _heads: number;
  readonly _dtype: ComputeDType;

  constructor(rng: Rng, hidden: number, heads: number, dtype: ComputeDType = 'float32') {
    super();
    const inner = heads * headDim(hidden, heads);
    this._heads = heads;
    this._dtype = dtype;
    this.qkv_proj = new Linear(rng, hidden, 3 * inner, { dtype });
    this.o_proj = new Linear(rng, inner, hidden, { dtype });
  }

  /** h [B, S, hidden] -> [B, S, hidden]. */
  forward(h: Tensor, rope: Rope | null): Tensor {
    const qkv = this.qkv_proj.forward(h);
    const a = attention(qkv, this._heads, rope, this._dtype);
    qkv.dispose();
    const o = this.o_proj.forward(a);
    a.dispose();
    return o;
  }
}
