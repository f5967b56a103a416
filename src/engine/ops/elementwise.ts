/**
 * Elementwise ops: add (same shape, or b broadcast over a's leading dims), sub, mul, scale, sigmoid, where;
 * without gradient: sigmoid64 (float64 inside) and maximum, for targets computed under noGrad.
 */
import { needsGrad, record } from '../autograd.js';
import { dtypeKernels, type ComputeDType } from '../dtype.js';
import { fmtShape, zeros, type Tensor } from '../tensor.js';
import { roundedGrad, roundInPlace } from './cast.js';
import { out, prepare, sameShape, shapeErr } from './util.js';

function trailing(a: readonly number[], b: readonly number[]): boolean {
  if (b.length > a.length) return false;
  for (let i = 1; i <= b.length; i++) if (a[a.length - i] !== b[b.length - i]) return false;
  return true;
}

/** a + b; b has a's shape or a's trailing dims (e.g. a [hidden] vector added to every row).
 * bfloat16: the sum is rounded, and so is its gradient. */
export function add(a: Tensor, b: Tensor, dtype: ComputeDType = 'float32'): Tensor {
  const be = prepare('add', [a, b]);
  const kd = dtypeKernels(be.k, dtype);
  const same = sameShape(a.shape, b.shape);
  if (!same && !trailing(a.shape, b.shape)) {
    throw shapeErr('add', "b must have a's shape or its trailing dims", ['a', a.shape], ['b', b.shape]);
  }
  const y = out(a.shape, be);
  if (y.size > 0) {
    if (same) be.k.add(y.ptr, a.ptr, b.ptr, a.size);
    else be.k.add_rows(y.ptr, a.ptr, b.ptr, a.size, b.size);
    roundInPlace(y, kd);
  }
  if (needsGrad(a, b)) {
    const bShape = [...b.shape];
    const bNeeds = b.requiresGrad;
    record('add', y, [a, b], [], (g0) => {
      const g = roundedGrad(g0, kd);
      let db: Tensor | null = null;
      if (bNeeds) {
        if (same) db = g.share();
        else {
          db = zeros(bShape, 'float32', g.backend);
          if (db.size > 0) g.backend.k.bias_grad(db.ptr, g.ptr, g.size / db.size, db.size);
          roundInPlace(db, kd);
        }
      }
      return [g, db];
    });
  }
  return y;
}

/** a - b (same shapes). */
export function sub(a: Tensor, b: Tensor): Tensor {
  const be = prepare('sub', [a, b]);
  if (!sameShape(a.shape, b.shape)) throw shapeErr('sub', 'shapes differ', ['a', a.shape], ['b', b.shape]);
  const y = out(a.shape, be);
  if (y.size > 0) {
    be.k.copy2d(y.ptr, a.size, a.ptr, a.size, 1, a.size);
    be.k.axpy(y.ptr, b.ptr, -1, a.size);
  }
  if (needsGrad(a, b)) {
    const bNeeds = b.requiresGrad;
    record('sub', y, [a, b], [], (g) => {
      let db: Tensor | null = null;
      if (bNeeds) {
        db = out(g.shape, g.backend);
        if (g.size > 0) g.backend.k.scale(db.ptr, g.ptr, -1, g.size);
      }
      return [g.share(), db];
    });
  }
  return y;
}

/** a * b elementwise (same shapes). */
export function mul(a: Tensor, b: Tensor): Tensor {
  const be = prepare('mul', [a, b]);
  if (!sameShape(a.shape, b.shape)) throw shapeErr('mul', 'shapes differ', ['a', a.shape], ['b', b.shape]);
  const y = out(a.shape, be);
  if (y.size > 0) be.k.mul(y.ptr, a.ptr, b.ptr, a.size);
  if (needsGrad(a, b)) {
    const need = [a.requiresGrad, b.requiresGrad];
    record('mul', y, [a, b], [a, b], (g, [sa, sb]) => {
      const k = g.backend.k;
      let da: Tensor | null = null;
      let db: Tensor | null = null;
      if (need[0]) {
        da = out(g.shape, g.backend);
        if (g.size > 0) k.mul(da.ptr, g.ptr, sb.ptr, g.size);
      }
      if (need[1]) {
        db = out(g.shape, g.backend);
        if (g.size > 0) k.mul(db.ptr, g.ptr, sa.ptr, g.size);
      }
      return [da, db];
    });
  }
  return y;
}

/** s * x for a number s. bfloat16: the product is rounded, and so is its gradient. */
export function scale(x: Tensor, s: number, dtype: ComputeDType = 'float32'): Tensor {
  const be = prepare('scale', [x]);
  const kd = dtypeKernels(be.k, dtype);
  if (!Number.isFinite(s)) throw new Error(`scale: factor ${s} is not finite (x ${fmtShape(x.shape)})`);
  const y = out(x.shape, be);
  if (y.size > 0) be.k.scale(y.ptr, x.ptr, s, x.size);
  roundInPlace(y, kd);
  if (needsGrad(x)) {
    record('scale', y, [x], [], (g0) => {
      const g = roundedGrad(g0, kd);
      const dx = out(g.shape, g.backend);
      if (g.size > 0) g.backend.k.scale(dx.ptr, g.ptr, s, g.size);
      g.dispose();
      return [dx];
    });
  }
  return y;
}

/** 1 / (1 + exp(-x)). */
export function sigmoid(x: Tensor): Tensor {
  const be = prepare('sigmoid', [x]);
  const y = out(x.shape, be);
  if (y.size > 0) be.k.sigmoid(y.ptr, x.ptr, x.size);
  if (needsGrad(x)) {
    record('sigmoid', y, [x], [y], (g, [sy]) => {
      // dx = g*y - g*y*y
      const k = g.backend.k;
      const dx = out(g.shape, g.backend);
      const t = out(g.shape, g.backend);
      if (g.size > 0) {
        k.mul(dx.ptr, g.ptr, sy.ptr, g.size);
        k.mul(t.ptr, dx.ptr, sy.ptr, g.size);
        k.axpy(dx.ptr, t.ptr, -1, g.size);
      }
      t.dispose();
      return [dx];
    });
  }
  return y;
}

/**
 * 1/(1+exp(-x)) computed in float64 and rounded once: the bits JS gets from 1/(1+Math.exp(-x)) (the
 * ACT Q target was computed that way on the host). No gradient: for targets.
 */
export function sigmoid64(x: Tensor): Tensor {
  const be = prepare('sigmoid64', [x]);
  if (needsGrad(x)) throw new Error(`sigmoid64: ${x.describe()} needs a gradient; sigmoid64 has none (use sigmoid)`);
  const y = out(x.shape, be);
  if (y.size > 0) be.k.sigmoid_f64(y.ptr, x.ptr, x.size);
  return y;
}

/** Elementwise max(a, b), NaN when either is NaN (torch.maximum, Math.max). No gradient: for targets. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  const be = prepare('maximum', [a, b]);
  if (!sameShape(a.shape, b.shape)) throw shapeErr('maximum', 'shapes differ', ['a', a.shape], ['b', b.shape]);
  if (needsGrad(a, b)) throw new Error(`maximum: an input needs a gradient; maximum has none`);
  const y = out(a.shape, be);
  if (y.size > 0) be.k.maximum(y.ptr, a.ptr, b.ptr, a.size);
  return y;
}

/** Row select over the batch: out[i] = cond[i] != 0 ? a[i] : b[i]; cond int32 [B], a and b [B, ...]. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const be = prepare('where', [cond, a, b], [cond]);
  if (!sameShape(a.shape, b.shape) || a.ndim < 1 || cond.ndim !== 1 || cond.shape[0] !== a.shape[0]) {
    throw shapeErr('where', 'need cond [B] and a, b of one shape [B, ...]', ['cond', cond.shape], ['a', a.shape], ['b', b.shape]);
  }
  const B = a.shape[0];
  const R = B > 0 ? a.size / B : 0;
  const y = out(a.shape, be);
  if (y.size > 0) be.k.where_rows(y.ptr, cond.ptr, a.ptr, b.ptr, B, R);
  if (needsGrad(a, b)) {
    const need = [a.requiresGrad, b.requiresGrad];
    record('where', y, [a, b], [cond], (g, [sc]) => {
      const k = g.backend.k;
      const z = zeros(g.shape, 'float32', g.backend);
      let da: Tensor | null = null;
      let db: Tensor | null = null;
      if (need[0]) {
        da = out(g.shape, g.backend);
        if (g.size > 0) k.where_rows(da.ptr, sc.ptr, g.ptr, z.ptr, B, R);
      }
      if (need[1]) {
        db = out(g.shape, g.backend);
        if (g.size > 0) k.where_rows(db.ptr, sc.ptr, z.ptr, g.ptr, B, R);
      }
      z.dispose();
      return [da, db];
    });
  }
  return y;
}
