/**
 * embedding: out[..., :] = w[ids[...]]; the gradient scatter-adds rows into dW.
 * bfloat16: the rows of w cast to bf16 (the reference's CastedEmbedding); dW is the bf16 gradient of
 * that copy (rounded after the scatter-add of the bf16 row gradients).
 */
import { needsGrad, record } from '../autograd.js';
import { dtypeKernels, type ComputeDType } from '../dtype.js';
import { zeros, type Tensor } from '../tensor.js';
import { roundedGrad, roundInPlace } from './cast.js';
import { checkIndices, out, prepare, shapeErr } from './util.js';

export function embedding(ids: Tensor, w: Tensor, dtype: ComputeDType = 'float32'): Tensor {
  const be = prepare('embedding', [ids, w], [ids]);
  const kd = dtypeKernels(be.k, dtype);
  if (w.ndim !== 2) throw shapeErr('embedding', 'w must be [V, C]', ['ids', ids.shape], ['w', w.shape]);
  const [V, C] = w.shape;
  const N = ids.size;
  // Out-of-range ids would read outside the table.
  checkIndices(ids, V, (v, i) => `embedding: id ${v} at position ${i} is outside [0, ${V}) (w ${w.describe()})`);
  const y = out([...ids.shape, C], be);
  if (y.size > 0) be.k.embedding_forward(y.ptr, ids.ptr, w.ptr, N, C);
  roundInPlace(y, kd);
  if (needsGrad(w)) {
    record('embedding', y, [null, w], [ids], (g0, [sid]) => {
      const g = roundedGrad(g0, kd);
      const dw = zeros([V, C], 'float32', g.backend);
      if (g.size > 0) g.backend.k.embedding_backward(dw.ptr, sid.ptr, g.ptr, N, C);
      g.dispose();
      return [null, roundInPlace(dw, kd)];
    });
  }
  return y;
}
