/**
 * Losses: stablemax and softmax cross entropy over logits [N, V] with int32 labels [N] (rows whose
 * label is `ignore` give 0) -> per-row loss [N]; binary cross entropy with logits, elementwise.
 */
import { needsGrad, record } from '../autograd.js';
import { type Tensor } from '../tensor.js';
import type { Kernels } from '../backend.js';
import { checkIndices, out, prepare, sameShape, shapeErr } from './util.js';

type CeKind = 'stablemax' | 'softmax';

function crossEntropy(kind: CeKind, logits: Tensor, labels: Tensor, ignore: number): Tensor {
  const op = `${kind}CrossEntropy`;
  const be = prepare(op, [logits, labels], [labels]);
  if (logits.ndim !== 2 || labels.ndim !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw shapeErr(op, 'need logits [N, V] and labels [N]', ['logits', logits.shape], ['labels', labels.shape]);
  }
  const [N, V] = logits.shape;
  checkIndices(labels, V, (l, i) => `${op}: label ${l} at row ${i} is outside [0, ${V}) and is not the ignore index ${ignore}`, ignore);
  const k = be.k as Kernels;
  const fwd = kind === 'stablemax' ? k.stablemax_ce_forward : k.softmax_ce_forward;
  const loss = out([N], be);
  if (N > 0) fwd(loss.ptr, logits.ptr, labels.ptr, N, V, ignore);
  if (needsGrad(logits)) {
    record(op, loss, [logits, null], [logits, labels], (g, [sl, slab]) => {
      const kk = g.backend.k;
      const bwd = kind === 'stablemax' ? kk.stablemax_ce_backward : kk.softmax_ce_backward;
      const d = out([N, V], g.backend);
      if (d.size > 0) bwd(d.ptr, g.ptr, sl.ptr, slab.ptr, N, V, ignore);
      return [d, null];
    });
  }
  return loss;
}

/** Stablemax cross entropy (float64 inside), per row; 0 where label == ignore. */
export function stablemaxCrossEntropy(logits: Tensor, labels: Tensor, ignore = -100): Tensor {
  return crossEntropy('stablemax', logits, labels, ignore);
}

/** Softmax cross entropy, per row; 0 where label == ignore. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, ignore = -100): Tensor {
  return crossEntropy('softmax', logits, labels, ignore);
}

/** max(x,0) - x*t + log(1 + exp(-|x|)) elementwise; the gradient flows to x only (t is a target). */
export function bceWithLogits(x: Tensor, t: Tensor): Tensor {
  const be = prepare('bceWithLogits', [x, t]);
  if (!sameShape(x.shape, t.shape)) throw shapeErr('bceWithLogits', 'shapes differ', ['x', x.shape], ['t', t.shape]);
  const loss = out(x.shape, be);
  if (x.size > 0) be.k.bce_logits_forward(loss.ptr, x.ptr, t.ptr, x.size);
  if (needsGrad(x)) {
    record('bceWithLogits', loss, [x, null], [x, t], (g, [sx, st]) => {
      const d = out(sx.shape, g.backend);
      if (d.size > 0) g.backend.k.bce_logits_backward(d.ptr, g.ptr, sx.ptr, st.ptr, d.size);
      return [d, null];
    });
  }
  return loss;
}
