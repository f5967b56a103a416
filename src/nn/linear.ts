/** Linear: y = x W^T (+ b); W [out, in] initialised truncated normal with std 1/sqrt(in), b zeros. */
import { linear, zeros, type Tensor } from '../engine/index.js';
import type { Rng } from '../util/random.js';
import { lecunStd, truncNormal } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  /** weight std (default 1/sqrt(in)); 0 gives zeros */
  std?: number;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(rng: Rng, inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.weight = truncNormal(rng, [outFeatures, inFeatures], opts.std ?? lecunStd(inFeatures)).requireGrad();
    this.bias = opts.bias ? zeros([outFeatures]).requireGrad() : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
