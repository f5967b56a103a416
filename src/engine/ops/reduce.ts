/** Reductions: sum and mean to a scalar (float64 accumulation), argmax over the last axis. */
import { needsGrad, record } from '../autograd.js';
import { type Tensor } from '../tensor.js';
import { out, prepare } from './util.js';

function reduceAll(op: 'sum' | 'mean', x: Tensor): Tensor {
  const be = prepare(op, [x]);
  const n = x.size;
  const y = out([], be);
  if (n > 0) be.k.sum(y.ptr, x.ptr, n);
  else be.k.fill(y.ptr, op === 'mean' ? NaN : 0, 1);
  const f = op === 'mean' ? 1 / n : 1;
  if (op === 'mean' && n > 0) be.k.scale(y.ptr, y.ptr, f, 1);
  if (needsGrad(x)) {
    const shape = [...x.shape];
    record(op, y, [x], [], (g) => {
      // on the device: the backward pass reads nothing back to the host
      const dx = out(shape, g.backend);
      if (n > 0) g.backend.k.fill_scaled(dx.ptr, g.ptr, f, n);
      return [dx];
    });
  }
  return y;
}

/** Sum of all elements -> scalar (shape []). */
export function sum(x: Tensor): Tensor {
  return reduceAll('sum', x);
}

/** Mean of all elements -> scalar (shape []). */
export function mean(x: Tensor): Tensor {
  return reduceAll('mean', x);
}

/** Index of the first maximum along the last axis -> int32 [...]; no gradient. */
export function argmax(x: Tensor): Tensor {
  const be = prepare('argmax', [x]);
  if (x.ndim < 1 || x.shape[x.ndim - 1] === 0) throw new Error(`argmax: x ${x.describe()} needs a non-empty last axis`);
  const V = x.shape[x.ndim - 1];
  const N = x.size / V;
  const y = out(x.shape.slice(0, -1), be, 'int32');
  if (N > 0) be.k.argmax(y.ptr, x.ptr, N, V);
  return y;
}
