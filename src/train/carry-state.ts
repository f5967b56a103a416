/**
 * Saving and restoring the ACT carry for an exact resume. The carry is kept across training batches
 * (rows that have not halted continue on their data in the next step), so a resumed run must start
 * from the same carry, not a fresh one.
 *
 * The carry's structure belongs to the model; this walks it generically: tensors and typed arrays go
 * into named arrays (`carry/<path>`), everything else into a JSON skeleton. Restoring fills a fresh
 * carry from `model.initialCarry` (the template) in place, so class instances keep their methods.
 */
import { fromTyped, Tensor } from '../engine/index.js';
import { UserError } from '../util/errors.js';
import { toFloat32, toInt32 } from '../io/safetensors.js';
import type { LoadedTensors, Tensors } from './checkpoint.js';

type Skeleton = null | boolean | number | string | Skeleton[] | { [k: string]: Skeleton } | { $array: string; kind: string };

const PREFIX = 'carry/';

export function serializeCarry(carry: unknown, out: Tensors): Skeleton {
  const walk = (v: unknown, path: string): Skeleton => {
    const name = PREFIX + path;
    if (v instanceof Tensor) {
      const data = v.dtype === 'int32' ? v.toInt32Array() : v.toFloat32Array();
      out.set(name, { data, shape: [...v.shape] });
      return { $array: name, kind: 'Tensor' };
    }
    if (v instanceof Float32Array || v instanceof Int32Array) {
      out.set(name, { data: v.slice(), shape: [v.length] });
      return { $array: name, kind: v.constructor.name };
    }
    if (v instanceof Uint8Array) {
      out.set(name, { data: Int32Array.from(v), shape: [v.length] });
      return { $array: name, kind: 'Uint8Array' };
    }
    if (ArrayBuffer.isView(v)) throw new Error(`carry: unsupported array type ${v.constructor.name} at '${path}'`);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}.${i}`));
    if (v !== null && typeof v === 'object') {
      const fields: { [k: string]: Skeleton } = {};
      for (const [k, x] of Object.entries(v)) if (typeof x !== 'function') fields[k] = walk(x, path ? `${path}.${k}` : k);
      return fields;
    }
    if (v === undefined) return null;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || v === null) return v;
    throw new Error(`carry: cannot save a ${typeof v} at '${path}'`);
  };
  return walk(carry, '');
}

/**
 * Fills `template` (a fresh carry of the same model and batch size) from what serializeCarry wrote.
 * Returns the filled carry (the template itself unless the skeleton is a bare value).
 */
export function restoreCarry(template: unknown, skeleton: Skeleton, saved: LoadedTensors, source: string): unknown {
  const mismatch = (path: string, what: string) => new UserError(`${source}: saved carry does not fit this model at '${path || '<root>'}': ${what}`);
  const fill = (t: unknown, s: Skeleton, path: string): unknown => {
    if (s !== null && typeof s === 'object' && !Array.isArray(s) && '$array' in s) {
      const entry = saved.get(s.$array as string);
      if (!entry) throw mismatch(path, `missing array ${s.$array}`);
      const data = s.kind === 'Float32Array' || (s.kind === 'Tensor' && entry.dtype !== 'I32') ? toFloat32(entry) : toInt32(entry, source, s.$array as string);
      if (t instanceof Tensor || ArrayBuffer.isView(t)) {
        const len = t instanceof Tensor ? t.size : (t as Float32Array).length;
        if (len !== data.length) throw mismatch(path, `${data.length} values, expected ${len}`);
        (t as Tensor | Float32Array).set(data);
        return t;
      }
      if (t !== null && t !== undefined) throw mismatch(path, 'expected an array');
      // The template has nothing there yet (e.g. no data before the first batch): make it.
      switch (s.kind) {
        case 'Tensor':
          return fromTyped(data.slice(), entry.shape);
        case 'Uint8Array':
          return Uint8Array.from(data);
        case 'Float32Array':
          return Float32Array.from(data);
        default:
          return Int32Array.from(data);
      }
    }
    if (Array.isArray(s)) {
      if (!Array.isArray(t) || t.length !== s.length) throw mismatch(path, 'list length differs');
      for (let i = 0; i < s.length; i++) t[i] = fill(t[i], s[i], `${path}.${i}`);
      return t;
    }
    if (s !== null && typeof s === 'object') {
      if (t === null || typeof t !== 'object') throw mismatch(path, 'expected an object');
      const obj = t as Record<string, unknown>;
      for (const [k, x] of Object.entries(s)) obj[k] = fill(obj[k], x as Skeleton, path ? `${path}.${k}` : k);
      return t;
    }
    return s;
  };
  return fill(template, skeleton, '');
}
