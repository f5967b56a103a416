/** swiglu: gu [..., 2I] = [gate, up] -> silu(gate) * up [..., I], fused forward and backward. */
import { needsGrad, record } from '../autograd.js';
import { dtypeKernels, type ComputeDType } from '../dtype.js';
import { type Tensor } from '../tensor.js';
import { roundedGrad } from './cast.js';
import { out, prepare } from './util.js';

/** bfloat16: bf16(bf16(silu(gate)) * up), the reference's two bf16 ops, and their bf16 backward. */
export function swiglu(gu: Tensor, dtype: ComputeDType = 'float32'): Tensor {
  const be = prepare('swiglu', [gu]);
  const kd = dtypeKernels(be.k, dtype);
  const W = gu.ndim > 0 ? gu.shape[gu.ndim - 1] : 0;
  if (gu.ndim < 1 || W % 2 !== 0) throw new Error(`swiglu: gu ${gu.describe()} must end in an even size [..., 2*I]`);
  const I = W / 2;
  const N = W > 0 ? gu.size / W : 0;
  const y = out([...gu.shape.slice(0, -1), I], be);
  if (y.size > 0) kd.swiglu_forward(y.ptr, gu.ptr, N, I);
  if (needsGrad(gu)) {
    record('swiglu', y, [gu], [gu], (g0, [sgu]) => {
      const g = roundedGrad(g0, kd);
      const d = out(sgu.shape, g.backend);
      if (d.size > 0) kd.swiglu_backward(d.ptr, g.ptr, sgu.ptr, N, I);
      g.dispose();
      return [d];
    });
  }
  return y;
}
