/**
 * addRmsNorm: s = x + y (y optional), out = s / sqrt(mean(s^2) + eps) over the last axis, no weight.
 * bfloat16: s is a bf16 add (rounded), the norm is float32, out is rounded; backward takes dout in
 * bf16 and rounds ds (the gradient of the bf16 sum).
 */
import { needsGrad, record } from '../autograd.js';
import { dtypeKernels, type ComputeDType } from '../dtype.js';
import { type Tensor } from '../tensor.js';
import { roundedGrad, roundInPlace } from './cast.js';
import { out, prepare, sameShape, shapeErr } from './util.js';

export function addRmsNorm(x: Tensor, y: Tensor | null, eps = 1e-5, dtype: ComputeDType = 'float32'): Tensor {
  const be = prepare('addRmsNorm', [x, y]);
  const kd = dtypeKernels(be.k, dtype);
  if (y && !sameShape(x.shape, y.shape)) throw shapeErr('addRmsNorm', 'shapes differ', ['x', x.shape], ['y', y.shape]);
  if (x.ndim < 1) throw new Error(`addRmsNorm: x ${x.describe()} needs at least one axis`);
  const C = x.shape[x.ndim - 1];
  const N = C > 0 ? x.size / C : 0;
  const o = out(x.shape, be);
  const rstd = out([N], be);
  if (o.size > 0) kd.add_rmsnorm_forward(o.ptr, rstd.ptr, x.ptr, y ? y.ptr : 0, N, C, eps);
  if (needsGrad(x, y)) {
    const need = [x.requiresGrad, !!y?.requiresGrad];
    record('addRmsNorm', o, [x, y], [o, rstd], (g0, [so, sr]) => {
      const g = roundedGrad(g0, kd);
      const ds = out(g.shape, g.backend);
      if (g.size > 0) g.backend.k.rmsnorm_backward(ds.ptr, g.ptr, so.ptr, sr.ptr, N, C);
      g.dispose();
      roundInPlace(ds, kd);
      if (need[0] && need[1]) return [ds, ds.share()];
      return need[0] ? [ds, null] : [null, ds];
    });
  }
  rstd.dispose();
  return o;
}

/** rmsNorm(x) = addRmsNorm(x, null, eps). */
export function rmsNorm(x: Tensor, eps = 1e-5, dtype: ComputeDType = 'float32'): Tensor {
  return addRmsNorm(x, null, eps, dtype);
}
