/**
 * TRM's `mlp_t` block (post-norm): the attention sublayer is replaced by a SwiGLU across the sequence
 * axis. h [B, S, D] -> transpose [B, D, S] -> t = rms_norm(t + swiglu_S(t)) -> transpose back ->
 * h = rms_norm(h + swiglu_D(h)). swiglu_S has width S (seq_len + puzzle-embedding positions), so it
 * ties the block to one sequence length. RMSNorm has no weight.
 */
import { addRmsNorm, transpose, type ComputeDType, type Tensor } from '../engine/index.js';
import type { Rng } from '../util/random.js';
import { Module } from './module.js';
import { SwiGLU } from './swiglu.js';

export interface MLPTBlockConfig {
  hidden: number;
  /** the sequence length the block mixes over */
  seq: number;
  expansion: number;
  eps?: number;
  /** the compute dtype of every op (default float32); the transposes move values and round nothing */
  dtype?: ComputeDType;
}

export class MLPTBlock extends Module {
  readonly mlp_t: SwiGLU;
  readonly mlp: SwiGLU;
  readonly _eps: number;
  readonly _dtype: ComputeDType;

  constructor(rng: Rng, cfg: MLPTBlockConfig) {
    super();
    this._dtype = cfg.dtype ?? 'float32';
    this.mlp_t = new SwiGLU(rng, cfg.seq, cfg.expansion, this._dtype);
    this.mlp = new SwiGLU(rng, cfg.hidden, cfg.expansion, this._dtype);
    this._eps = cfg.eps ?? 1e-5;
  }

  /** h [B, S, hidden] -> [B, S, hidden] (the rope argument is unused: the sequence MLP has no positions). */
  forward(h: Tensor, _rope?: unknown): Tensor {
    const t = transpose(h);
    const m = this.mlp_t.forward(t);
    const t1 = addRmsNorm(t, m, this._eps, this._dtype);
    m.dispose();
    t.dispose();
    const h1 = transpose(t1);
    t1.dispose();
    const f = this.mlp.forward(h1);
    const h2 = addRmsNorm(h1, f, this._eps, this._dtype);
    f.dispose();
    h1.dispose();
    return h2;
  }
}
