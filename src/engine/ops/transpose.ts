/** transpose: swaps the last two axes, [..., R, C] -> [..., C, R] (a copy; its gradient is the same swap). */
import { needsGrad, record } from '../autograd.js';
import { type Tensor } from '../tensor.js';
import { out, prepare } from './util.js';

export function transpose(x: Tensor): Tensor {
  const be = prepare('transpose', [x]);
  if (x.ndim < 2) throw new Error(`transpose: ${x.describe()} needs at least 2 dims`);
  const R = x.shape[x.ndim - 2];
  const C = x.shape[x.ndim - 1];
  const B = R * C > 0 ? x.size / (R * C) : 0;
  const y = out([...x.shape.slice(0, -2), C, R], be);
  if (y.size > 0) be.k.transpose(y.ptr, x.ptr, B, R, C);
  if (needsGrad(x)) {
    const xShape = [...x.shape];
    record('transpose', y, [x], [], (g) => {
      const d = out(xShape, g.backend);
      if (d.size > 0) g.backend.k.transpose(d.ptr, g.ptr, B, C, R);
      return [d];
    });
  }
  return y;
}
