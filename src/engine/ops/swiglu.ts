/** swiglu: gu [..., 2I] = [gate, up] -> silu(gate) * up [..., I], fused forward and backward. */
import { needsGrad, record } from '../autograd.js';
import { type Tensor } from '../tensor.js';
import { out, prepare } from './util.js';

export function swiglu(gu: Tensor): Tensor {
  const be = prepare('swiglu', [gu]);
  const W = gu.ndim > 0 ? gu.shape[gu.ndim - 1] : 0;
  if (gu.ndim < 1 || W % 2 !== 0) throw new Error(`swiglu: gu ${gu.describe()} must end in an even size [..., 2*I]`);
  const I = W / 2;
  const N = W > 0 ? gu.size / W : 0;
  const y = out([...gu.shape.slice(0, -1), I], be);
  if (y.size > 0) be.k.swiglu_forward(y.ptr, gu.ptr, N, I);
  if (needsGrad(gu)) {
    record('swiglu', y, [gu], [gu], (g, [sgu]) => {
      const d = out(sgu.shape, g.backend);
      if (d.size > 0) g.backend.k.swiglu_backward(d.ptr, g.ptr, sgu.ptr, N, I);
      return [d];
    });
  }
  return y;
}
