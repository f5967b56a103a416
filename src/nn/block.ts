/** The HRM block (post-norm): h = rms_norm(h + attn(h)); h = rms_norm(h + swiglu(h)). RMSNorm has no weight. */
import { addRmsNorm, type ComputeDType, type Rope, type Tensor } from '../engine/index.js';
import type { Rng } from '../util/random.js';
import { Attention } from './attention.js';
import { Module } from './module.js';
import { SwiGLU } from './swiglu.js';

export interface BlockConfig {
  hidden: number;
  heads: number;
  expansion: number;
  eps?: number;
  /** the compute dtype of every op in the block (default float32) */
  dtype?: ComputeDType;
}

export class HRMBlock extends Module {
  readonly self_attn: Attention;
  readonly mlp: SwiGLU;
  readonly _eps: number;
  readonly _dtype: ComputeDType;

  constructor(rng: Rng, cfg: BlockConfig) {
    super();
    this._dtype = cfg.dtype ?? 'float32';
    this.self_attn = new Attention(rng, cfg.hidden, cfg.heads, this._dtype);
    this.mlp = new SwiGLU(rng, cfg.hidden, cfg.expansion, this._dtype);
    this._eps = cfg.eps ?? 1e-5;
  }

  /** h [B, S, hidden] -> [B, S, hidden]; intermediates are released as soon as they are used. */
  forward(h: Tensor, rope: Rope | null): Tensor {
    const a = this.self_attn.forward(h, rope);
    const h1 = addRmsNorm(h, a, this._eps, this._dtype);
    a.dispose();
    const m = this.mlp.forward(h1);
    const h2 = addRmsNorm(h1, m, this._eps, this._dtype);
    m.dispose();
    h1.dispose();
    return h2;
  }
}
