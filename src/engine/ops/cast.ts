/**
 * toDType(x, dtype): x as the compute dtype sees it, the reference's `tensor.to(dtype)`.
 * float32 returns x itself; bfloat16 rounds (nearest, ties to even) and its backward rounds the
 * gradient too (the gradient of a bf16 tensor is bf16). Also the helper the ops use for that.
 */
import { needsGrad, record } from '../autograd.js';
import { dtypeKernels, type ComputeDType, type DTypeKernels } from '../dtype.js';
import { type Tensor } from '../tensor.js';
import { out, prepare } from './util.js';

export function toDType(x: Tensor, dtype: ComputeDType): Tensor {
  const be = prepare('toDType', [x]);
  const kd = dtypeKernels(be.k, dtype);
  if (!kd.round) return x;
  const round = kd.round;
  const y = out(x.shape, be);
  if (y.size > 0) round(y.ptr, x.ptr, x.size);
  if (needsGrad(x)) record('toDType', y, [x], [], (g) => [roundedGrad(g, kd)]);
  return y;
}

/** A new handle on g in the dtype: a rounded copy for bfloat16, g itself (shared) for float32. */
export function roundedGrad(g: Tensor, kd: DTypeKernels): Tensor {
  if (!kd.round) return g.share();
  const r = out(g.shape, g.backend);
  if (r.size > 0) kd.round(r.ptr, g.ptr, g.size);
  return r;
}

/** Rounds t in place to the dtype (nothing for float32); returns t. */
export function roundInPlace(t: Tensor, kd: DTypeKernels): Tensor {
  if (kd.round && t.size > 0) kd.round(t.ptr, t.ptr, t.size);
  return t;
}
