/**
 * linear: y = x W^T (+ b) over batched inputs x [..., in], W [out, in], b [out].
 * Backward: dx = dy W (gemm NN), dW = dy^T x (gemm TN; straight into an existing W.grad with beta 1),
 * db = column sums of dy.
 */
import { needsGrad, record } from '../autograd.js';
import { zeros, type Tensor } from '../tensor.js';
import { out, prepare, shapeErr } from './util.js';

export function linear(x: Tensor, w: Tensor, bias: Tensor | null = null): Tensor {
  const be = prepare('linear', [x, w, bias]);
  if (w.ndim !== 2 || x.ndim < 1) throw shapeErr('linear', 'need x [..., in] and w [out, in]', ['x', x.shape], ['w', w.shape]);
  const K = w.shape[1];
  const N = w.shape[0];
  if (x.shape[x.ndim - 1] !== K) throw shapeErr('linear', 'inner sizes differ', ['x', x.shape], ['w', w.shape]);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== N)) {
    throw shapeErr('linear', 'bias must be [out]', ['w', w.shape], ['bias', bias.shape]);
  }
  const M = K > 0 ? x.size / K : 0;
  const yShape = [...x.shape.slice(0, -1), N];
  const y = out(yShape, be);
  if (y.size > 0) {
    if (K === 0) be.k.fill(y.ptr, 0, y.size);
    else be.k.gemm(0, 1, M, N, K, 1, x.ptr, K, w.ptr, K, 0, y.ptr, N);
    if (bias) be.k.add_bias(y.ptr, bias.ptr, M, N);
  }
  if (needsGrad(x, w, bias)) {
    const need = [x.requiresGrad, w.requiresGrad, !!bias?.requiresGrad];
    const xShape = [...x.shape];
    // Save only what backward reads: x for dW, W for dx.
    const saved = [need[1] ? x : null, need[0] ? w : null].filter((t): t is Tensor => t !== null);
    record('linear', y, [x, w, bias], saved, (g, sv, acc) => {
      const k = g.backend.k;
      let i = 0;
      const sx = need[1] ? sv[i++] : null;
      const sw = need[0] ? sv[i++] : null;
      let dx: Tensor | null = null;
      let dw: Tensor | null = null;
      let db: Tensor | null = null;
      // Where a gradient is already accumulating (a residual branch, a weight used twice), add into it.
      if (sw) {
        const into = M > 0 && N > 0 ? acc(0) : null;
        dx = into ?? out(xShape, g.backend);
        if (dx.size > 0) {
          if (N === 0) k.fill(dx.ptr, 0, dx.size);
          else k.gemm(0, 0, M, K, N, 1, g.ptr, N, sw.ptr, K, into ? 1 : 0, dx.ptr, K);
        }
      }
      if (sx) {
        const into = M > 0 ? acc(1) : null;
        dw = into ?? out(w.shape, g.backend);
        if (dw.size > 0) {
          if (M === 0) k.fill(dw.ptr, 0, dw.size);
          else k.gemm(1, 0, N, K, M, 1, g.ptr, N, sx.ptr, K, into ? 1 : 0, dw.ptr, K);
        }
      }
      if (need[2]) {
        db = zeros([N], 'float32', g.backend);
        if (M > 0 && N > 0) k.bias_grad(db.ptr, g.ptr, M, N);
      }
      return [dx, dw, db];
    });
  }
  return y;
}
