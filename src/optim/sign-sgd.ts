/**
 * SignSGD for the sparse puzzle-embedding rows (REFERENCE.md section 4). The puzzle embedding is a
 * buffer, not a parameter: in training the rows of the batch's ids are copied into a [batch, ndim]
 * tensor that receives the gradient. A step sums the gradients of equal ids, then for each id used in
 * the batch: w *= 1 - lr*wd; w -= lr * sign(summed grad). Rows not in the batch are untouched (no decay).
 * The optimizer has no state beyond its hyper-parameters.
 *
 * Everything stays on the device: the batch's ids are on the host already (they came from the data),
 * so only the map from rows to distinct ids is made here; the kernels sum the rows of equal ids
 * (embedding_backward, float32 in batch order, as the reference's scatter_add) and update the
 * distinct rows (sign_sgd_rows, with lr and wd in float64 as before the move).
 */
import { empty, tidy, zeros, type Tensor } from '../engine/index.js';

export class SparseSignSGD {
  /** `weights`: the [num_ids, ndim] embedding table, updated in place. */
  constructor(
    readonly weights: Tensor,
    readonly weightDecay: number,
  ) {}

  /**
   * `localGrad`: [B, ndim] gradient of the copied rows (the step disposes it); `ids`: [B] the rows'
   * puzzle ids. Does nothing when localGrad is null (no puzzle rows in this model).
   */
  step(lr: number, localGrad: Tensor | null, ids: Int32Array): void {
    if (!localGrad) return;
    const [numIds, D] = this.weights.shape;
    try {
      if (localGrad.size !== ids.length * D) {
        throw new Error(`SparseSignSGD: gradient ${localGrad.describe()} does not hold ${ids.length} rows of width ${D}`);
      }
      if (ids.length === 0 || D === 0) return;
      const slot = new Int32Array(ids.length);
      const distinct: number[] = [];
      const slotOf = new Map<number, number>();
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        if (!(id >= 0 && id < numIds)) throw new Error(`SparseSignSGD: puzzle id ${id} out of range [0, ${numIds})`);
        let k = slotOf.get(id);
        if (k === undefined) {
          k = distinct.length;
          slotOf.set(id, k);
          distinct.push(id);
        }
        slot[i] = k;
      }
      tidy(() => {
        const be = this.weights.backend;
        const sums = zeros([distinct.length, D], 'float32', be);
        const slots = empty([ids.length], 'int32', be).set(slot);
        const rows = empty([distinct.length], 'int32', be).set(distinct);
        be.k.embedding_backward(sums.ptr, slots.ptr, localGrad.ptr, ids.length, D);
        be.k.sign_sgd_rows(this.weights.ptr, rows.ptr, sums.ptr, distinct.length, D, lr, this.weightDecay);
      });
    } finally {
      localGrad.dispose();
    }
  }

  /** No state to save (kept for a uniform optimizer interface). */
  state(): Record<string, never> {
    return {};
  }

  loadState(_state: unknown, _source: string): void {}
}
