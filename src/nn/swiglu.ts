/** SwiGLU MLP: [g, u] = h W_gu^T, out = (silu(g) * u) W_down^T. */
import { swiglu, type ComputeDType, type Tensor } from '../engine/index.js';
import type { Rng } from '../util/random.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/** The reference's intermediate width: ceil(round(expansion * hidden * 2/3) / 256) * 256. */
export function swigluInter(hidden: number, expansion: number): number {
  // Python's round() is round-half-to-even.
  const x = (expansion * hidden * 2) / 3;
  const r = Math.round(x);
  const even = Math.abs(x - Math.trunc(x)) === 0.5 ? (r % 2 === 0 ? r : r - 1) : r;
  return Math.ceil(even / 256) * 256;
}

export class SwiGLU extends Module {
  readonly gate_up_proj: Linear;
  readonly down_proj: Linear;
  readonly _dtype: ComputeDType;

  constructor(rng: Rng, hidden: number, expansion: number, dtype: ComputeDType = 'float32') {
    super();
    const inter = swigluInter(hidden, expansion);
    this._dtype = dtype;
    this.gate_up_proj = new Linear(rng, hidden, 2 * inter, { dtype });
    this.down_proj = new Linear(rng, inter, hidden, { dtype });
  }

  forward(h: Tensor): Tensor {
    const gu = this.gate_up_proj.forward(h);
    const a = swiglu(gu, this._dtype);
    gu.dispose();
    const y = this.down_proj.forward(a);
    a.dispose();
    return y;
  }
}
