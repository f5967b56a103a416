/** Attention: qkv_proj -> fused multi-head attention with RoPE -> o_proj (no biases), as the reference. */
import { attention, type ComputeDType, type Rope, type Tensor } from '../engine/index.js';
import type { Rng } from '../util/random.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export class Attention extends Module {
  readonly qkv_proj: Linear;
  readonly o_proj: Linear;
  readonly _heads: number;
  readonly _dtype: ComputeDType;

  constructor(rng: Rng, hidden: number, heads: number, dtype: ComputeDType = 'float32') {
    super();
    if (hidden % heads !== 0) throw new Error(`Attention: hidden ${hidden} is not a multiple of ${heads} heads`);
    this._heads = heads;
    this._dtype = dtype;
    this.qkv_proj = new Linear(rng, hidden, 3 * hidden, { dtype });
    this.o_proj = new Linear(rng, hidden, hidden, { dtype });
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
