/**
 * Shape ops: reshape (a view), narrow (a view when the slice is contiguous, else a strided copy),
 * concat along any axis, copy and repeatRows. Strided moves use the `copy2d` kernel: a tensor seen as
 * [outer, shape[axis] * inner] rows.
 */
import { needsGrad, record } from '../autograd.js';
import { ELEMENT_BYTES, empty, fmtShape, shapeSize, zeros, type Tensor } from '../tensor.js';
import { axisOf, out } from './util.js';

function resolveShape(op: string, x: Tensor, shape: number[]): number[] {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) {
    const known = s.reduce((p, d, i) => (i === free ? p : p * d), 1);
    if (known === 0 || x.size % known !== 0) throw new Error(`${op}: cannot view ${x.describe()} as ${fmtShape(shape)}`);
    s[free] = x.size / known;
  }
  if (s.some((d) => !Number.isInteger(d) || d < 0) || shapeSize(s) !== x.size) {
    throw new Error(`${op}: cannot view ${x.describe()} as ${fmtShape(shape)} (${x.size} elements)`);
  }
  return s;
}

/** A view with another shape (one entry may be -1). */
export function reshape(x: Tensor, shape: number[]): Tensor {
  x.assertLive('reshape');
  const s = resolveShape('reshape', x, shape);
  const y = x.share(s, x.offset, true);
  if (needsGrad(x)) record('reshape', y, [x], [], (g) => [g.share(x.shape, g.offset)]);
  return y;
}

function dims(shape: readonly number[], axis: number): { outer: number; inner: number } {
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, inner };
}

/** Elements [start, start+length) along `axis`. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  x.assertLive('narrow');
  const a = axisOf('narrow', axis, x.ndim);
  const n = x.shape[a];
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > n) {
    throw new Error(`narrow: [${start}, ${start + length}) out of range for axis ${a} of ${x.describe()}`);
  }
  const shape = [...x.shape];
  shape[a] = length;
  const { outer, inner } = dims(x.shape, a);
  let y: Tensor;
  if (outer === 1 || length === n) {
    y = x.share(shape, x.offset + (outer === 1 ? start * inner : 0), true);
  } else {
    const b = x.backend;
    y = out(shape, b, x.dtype);
    if (y.size > 0) b.k.copy2d(y.ptr, length * inner, x.ptr + start * inner * ELEMENT_BYTES[x.dtype], n * inner, outer, length * inner);
  }
  if (needsGrad(x)) {
    record('narrow', y, [x], [], (g) => {
      const dx = zeros(x.shape, 'float32', g.backend);
      if (g.size > 0) g.backend.k.copy2d(dx.ptr + start * inner * ELEMENT_BYTES[dx.dtype], n * inner, g.ptr, length * inner, outer, length * inner);
      return [dx];
    });
  }
  return y;
}

/** Joins tensors along `axis` (all other sizes equal, one dtype). */
export function concat(ts: Tensor[], axis: number): Tensor {
  if (ts.length === 0) throw new Error('concat: no tensors');
  for (const t of ts) t.assertLive('concat');
  const first = ts[0];
  const a = axisOf('concat', axis, first.ndim);
  let total = 0;
  for (const t of ts) {
    const ok = t.ndim === first.ndim && t.dtype === first.dtype && t.shape.every((d, i) => i === a || d === first.shape[i]);
    if (!ok || t.backend !== first.backend) {
      throw new Error(`concat: ${ts.map((u) => u.describe()).join(', ')}: sizes must agree except along axis ${a}`);
    }
    total += t.shape[a];
  }
  const shape = [...first.shape];
  shape[a] = total;
  const b = first.backend;
  const y = out(shape, b, first.dtype);
  const { outer, inner } = dims(shape, a);
  const offs: number[] = [];
  let off = 0;
  for (const t of ts) {
    offs.push(off);
    const w = t.shape[a] * inner;
    if (t.size > 0) b.k.copy2d(y.ptr + off * inner * ELEMENT_BYTES[y.dtype], total * inner, t.ptr, w, outer, w);
    off += t.shape[a];
  }
  if (needsGrad(...ts)) {
    const need = ts.map((t) => t.requiresGrad);
    const shapes = ts.map((t) => [...t.shape]);
    record('concat', y, ts, [], (g) =>
      shapes.map((s, i) => {
        if (!need[i]) return null;
        const gi = out(s, g.backend);
        const w = s[a] * inner;
        if (gi.size > 0) g.backend.k.copy2d(gi.ptr, w, g.ptr + offs[i] * inner * ELEMENT_BYTES[g.dtype], total * inner, outer, w);
        return gi;
      }),
    );
  }
  return y;
}

/**
 * x (any shape, C elements) repeated as the rows of a [rows, ...x.shape] tensor, on the device (copy2d
 * with source stride 0): e.g. a model's H_init tiled over batch and positions with no host array.
 */
export function repeatRows(x: Tensor, rows: number): Tensor {
  x.assertLive('repeatRows');
  if (!Number.isInteger(rows) || rows < 0) throw new Error(`repeatRows: rows must be an integer >= 0, got ${rows}`);
  const C = x.size;
  const y = out([rows, ...x.shape], x.backend, x.dtype);
  if (y.size > 0) x.backend.k.copy2d(y.ptr, C, x.ptr, 0, rows, C);
  if (needsGrad(x)) {
    record('repeatRows', y, [x], [], (g) => {
      const gx = zeros(x.shape, 'float32', g.backend);
      if (g.size > 0) g.backend.k.bias_grad(gx.ptr, g.ptr, rows, C);
      return [gx];
    });
  }
  return y;
}

/** A copy with its own storage. */
export function copy(x: Tensor): Tensor {
  x.assertLive('copy');
  const y = out(x.shape, x.backend, x.dtype);
  if (x.size > 0) x.backend.k.copy2d(y.ptr, x.size, x.ptr, x.size, 1, x.size);
  if (needsGrad(x)) record('copy', y, [x], [], (g) => [g.share()]);
  return y;
}

