/** Shared checks for the ops: live inputs, one backend, dtypes; errors name the op and the shapes. */
import type { Backend } from '../backend.js';
import { empty, fmtShape, type DType, type Tensor } from '../tensor.js';

/** Checks the inputs are live, float32 (unless listed in `ints`) and on one backend; returns it. */
export function prepare(op: string, ts: (Tensor | null | undefined)[], ints: Tensor[] = []): Backend {
  let b: Backend | null = null;
  for (const t of ts) {
    if (!t) continue;
    t.assertLive(op);
    if (b === null) b = t.backend;
    else if (t.backend !== b) {
      throw new Error(`${op}: inputs live on different backends (${b.name} and ${t.backend.name})`);
    }
  }
  for (const t of ts) {
    if (!t) continue;
    const want: DType = ints.includes(t) ? 'int32' : 'float32';
    if (t.dtype !== want) throw new Error(`${op}: ${t.describe()} must be ${want}`);
  }
  return b!;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function shapeErr(op: string, what: string, ...parts: [string, readonly number[]][]): Error {
  return new Error(`${op}: ${parts.map(([n, s]) => `${n} ${fmtShape(s)}`).join(' and ')}: ${what}`);
}

/** Normalises a possibly negative axis. */
export function axisOf(op: string, axis: number, ndim: number): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (!Number.isInteger(a) || a < 0 || a >= ndim) throw new Error(`${op}: axis ${axis} out of range for ${ndim} dims`);
  return a;
}

export function out(shape: readonly number[], b: Backend, dtype: DType = 'float32'): Tensor {
  return empty(shape, dtype, b);
}

/**
 * Throws unless every value of int32 `t` is in [0, V) or equals `ignore`: the kernels index memory
 * with them. Decided from what the host uploaded when it is known (Storage.intRange), so a training
 * step reads nothing back; otherwise the values are copied out and checked one by one, and the error
 * names the first bad one through `describe(value, index)`.
 */
export function checkIndices(t: Tensor, V: number, describe: (value: number, index: number) => string, ignore?: number): void {
  if (t.size === 0) return;
  const r = t.storage.intRange;
  if (r && r.max < V) {
    if (r.min >= 0) return;
    if (ignore !== undefined && ignore < 0 && r.min === ignore && r.maxNegative === ignore) return;
  }
  const v = t.backend.readI32(t.ptr, t.size);
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== ignore && (v[i] < 0 || v[i] >= V)) throw new Error(describe(v[i], i));
  }
}
