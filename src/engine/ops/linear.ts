/**
 * linear: y = x W^T (+ b) over batched inputs x [..., in], W [out, in], b [out].
 * Backward: dx = dy W (gemm NN), dW = dy^T x (gemm TN; straight into an existing W.grad with beta 1),
 * db = column sums of dy.
 * bfloat16 (src/engine/dtype.ts): the reference's CastedLinear: W and b cast to bf16 per use, bf16
 * products with float32 accumulation, y rounded; backward takes dy in bf16 and rounds dW and db (the
 * gradients of the bf16 copies), which then add into the float32 master gradient.
 */
import { needsGrad, record } from '../autograd.js';
import { dtypeKernels, type ComputeDType } from '../dtype.js';
import { zeros, type Tensor } from '../tensor.js';
import { roundedGrad, roundInPlace } from './cast.js';
import { out, prepare, shapeErr } from './util.js';

export function linear(x: Tensor, w: Tensor, bias: Tensor | null = null, dtype: ComputeDType = 'float32'): Tensor {
  const be = prepare('linear', [x, w, bias]);
  const kd = dtypeKernels(be.k, dtype);
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
    else kd.gemm(0, 1, M, N, K, 1, x.ptr, K, w.ptr, K, 0, y.ptr, N);
    if (bias && kd.round) {
      const rb = out([N], be);
      kd.round(rb.ptr, bias.ptr, N);
      be.k.add_bias(y.ptr, rb.ptr, M, N);
      rb.dispose();
    } else if (bias) be.k.add_bias(y.ptr, bias.ptr, M, N);
    roundInPlace(y, kd);
  }
  if (needsGrad(x, w, bias)) {
    const need = [x.requiresGrad, w.requiresGrad, !!bias?.requiresGrad];
    const xShape = [...x.shape];
    // Save only what backward reads: x for dW, W for dx.
    const saved = [need[1] ? x : null, need[0] ? w : null].filter((t): t is Tensor => t !== null);
    record('linear', y, [x, w, bias], saved, (g0, sv, acc) => {
      // dy is the gradient of a bf16 tensor, in bf16: gemm_bf16 rounds its operands as it packs them,
      // so only the bias gradient needs a rounded copy
      const g = need[2] ? roundedGrad(g0, kd) : g0.share();
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
          else kd.gemm(0, 0, M, K, N, 1, g.ptr, N, sw.ptr, K, into ? 1 : 0, dx.ptr, K);
        }
      }
      if (sx) {
        // bf16: this use's dW is rounded on its own before it joins the float32 sum
        const into = M > 0 && !kd.round ? acc(1) : null;
        dw = into ?? out(w.shape, g.backend);
        if (dw.size > 0) {
          if (M === 0) k.fill(dw.ptr, 0, dw.size);
          else kd.gemm(1, 0, N, K, M, 1, g.ptr, N, sx.ptr, K, into ? 1 : 0, dw.ptr, K);
        }
        roundInPlace(dw, kd);
      }
      if (need[2]) {
        db = zeros([N], 'float32', g.backend);
        if (M > 0 && N > 0) k.bias_grad(db.ptr, g.ptr, M, N);
        roundInPlace(db, kd);
      }
      g.dispose();
      return [dx, dw, db];
    });
  }
  return y;
}
