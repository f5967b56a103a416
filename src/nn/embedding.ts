/** Embedding: rows of `embedding_weight` [num, dim] looked up by int32 ids (the reference's CastedEmbedding). */
import { embedding, type ComputeDType, type Tensor } from '../engine/index.js';
import type { Rng } from '../util/random.js';
import { truncNormal } from './init.js';
import { Module } from './module.js';

export class Embedding extends Module {
  readonly embedding_weight: Tensor;
  readonly _dtype: ComputeDType;

  /** std: the init std (the reference uses 1/sqrt(hidden) for token embeddings); dtype: the compute dtype. */
  constructor(rng: Rng, num: number, dim: number, std: number, dtype: ComputeDType = 'float32') {
    super();
    this.embedding_weight = truncNormal(rng, [num, dim], std).requireGrad();
    this._dtype = dtype;
  }

  forward(ids: Tensor): Tensor {
    return embedding(ids, this.embedding_weight, this._dtype);
  }
}
