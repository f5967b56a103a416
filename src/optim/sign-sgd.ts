/**
 * SignSGD for the sparse puzzle-embedding rows (REFERENCE.md section 4). The puzzle embedding is a
 * buffer, not a parameter: in training the rows of the batch's ids are copied into a [batch, ndim]
 * tensor that receives the gradient. A step sums the gradients of equal ids, then for each id used in
 * the batch: w *= 1 - lr*wd; w -= lr * sign(summed grad). Rows not in the batch are untouched (no decay).
 * The optimizer has no state beyond its hyper-parameters.
 */
import type { Tensor } from '../engine/index.js';

export class SparseSignSGD {
  /** `weights`: the [num_ids, ndim] embedding table, updated in place. */
  constructor(
    readonly weights: Tensor,
    readonly weightDecay: number,
  ) {}

  /**
   * `localGrad`: [B, ndim] gradient of the copied rows; `ids`: [B] the rows' puzzle ids.
   * Does nothing when localGrad is null (no gradient reached the rows).
   */
  step(lr: number, localGrad: Float32Array | null, ids: Int32Array): void {
    if (!localGrad) return;
    const [numIds, D] = this.weights.shape;
    if (localGrad.length !== ids.length * D) {
      throw new Error(`SparseSignSGD: gradient has ${localGrad.length} values for ${ids.length} ids of width ${D}`);
    }
    const sums = new Map<number, Float64Array>();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < 0 || id >= numIds) throw new Error(`SparseSignSGD: puzzle id ${id} out of range [0, ${numIds})`);
      let s = sums.get(id);
      if (!s) sums.set(id, (s = new Float64Array(D)));
      // Float32 sums, as the reference's scatter_add in float32.
      for (let c = 0; c < D; c++) s[c] = Math.fround(s[c] + localGrad[i * D + c]);
    }
    const decay = Math.fround(1 - lr * this.weightDecay);
    // Only the batch's rows move between the backend and JS (read, update, write back).
    const be = this.weights.backend;
    for (const [id, s] of sums) {
      const ptr = this.weights.ptr + id * D * Float32Array.BYTES_PER_ELEMENT;
      const w = be.readF32(ptr, D);
      for (let c = 0; c < D; c++) {
        const g = s[c];
        const sign = g > 0 ? 1 : g < 0 ? -1 : 0;
        w[c] = Math.fround(w[c] * decay) - lr * sign;
      }
      be.writeF32(ptr, w);
    }
  }

  /** No state to save (kept for a uniform optimizer interface). */
  state(): Record<string, never> {
    return {};
  }

  loadState(_state: unknown, _source: string): void {}
}
