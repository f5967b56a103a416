/** Linear: y = x W^T (+ b); W [out, in] initialised truncated normal with std 1/sqrt(in), b zeros. */
import { linear, zeros, type ComputeDType, type Tensor } from '../engine/index.js';
import type { Rng } from '../util/random.js';
import { lecunStd, truncNormal } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  /** weight std (default 1/sqrt(in)); 0 gives zeros */
  std?: number;
  /** the compute dtype (default float32; bfloat16 casts the weight per use, src/engine/dtype.ts) */
  dtype?: ComputeDType;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly _dtype: ComputeDType;

  constructor(rng: Rng, inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.weight = truncNormal(rng, [outFeatures, inFeatures], opts.std ?? lecunStd(inFeatures)).requireGrad();
    this.bias = opts.bias ? zeros([outFeatures]).requireGrad() : null;
    this._dtype = opts.dtype ?? 'float32';
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, this._dtype);
  }
}
