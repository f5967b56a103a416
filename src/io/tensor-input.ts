/**
 * The checks writeSafetensors and writeTorchCheckpoint make on the tensors a caller hands them (the
 * library exports both): a shape that does not match the data, data that is not a typed array, an
 * unknown dtype or a bad name is a UserError naming the tensor, before any byte is written.
 */
import { UserError, describeValue, quote } from '../util/errors.js';

/** Bytes per element of each dtype the writers know. */
const ELEMENT_BYTES: Record<string, number> = { F32: 4, F64: 8, I32: 4, I64: 8, BOOL: 1, U8: 1, BF16: 2, F16: 2 };

/**
 * `tensors` as [name, tensor] entries, each checked: `shape` a list of whole numbers, `data` a typed
 * array holding exactly shape's product of `dtype` elements. `dtypes` lists the dtypes the writer
 * accepts; `needDtype` (torch): the dtype must be given and the data's elements must be of its size
 * (else the dtype follows from the data's array type and any view of the right bytes will do).
 */
export function checkTensorInputs<T>(tensors: unknown, call: string, dtypes: readonly string[], needDtype: boolean): [string, T][] {
  let entries: [string, unknown][];
  if (tensors instanceof Map) entries = [...tensors.entries()];
  else if (typeof tensors === 'object' && tensors !== null && !Array.isArray(tensors) && !ArrayBuffer.isView(tensors)) entries = Object.entries(tensors);
  else throw new UserError(`${call}: tensors must be a Map (or an object) from names to { shape, data, dtype }, got ${describeValue(tensors)}`);
  for (const [name, t] of entries) {
    if (typeof name !== 'string' || name === '' || name === '__metadata__') throw new UserError(`${call}: ${typeof name === 'string' ? quote(name) : describeValue(name)} is not a tensor name`);
    const at = `${call}: tensor ${quote(name, 80)}`;
    if (typeof t !== 'object' || t === null) throw new UserError(`${at}: expected { shape, data, dtype }, got ${describeValue(t)}`);
    const { shape, data, dtype } = t as { shape?: unknown; data?: unknown; dtype?: unknown };
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
      throw new UserError(`${at}: shape must be a list of whole numbers >= 0, got ${describeValue(shape)}`);
    }
    if (!ArrayBuffer.isView(data) || data instanceof DataView) throw new UserError(`${at}: data must be a typed array (Float32Array, Int32Array, ...), got ${describeValue(data)}`);
    const implied = data instanceof Float32Array ? 'F32' : data instanceof Float64Array ? 'F64' : data instanceof Int32Array ? 'I32'
      : data instanceof BigInt64Array ? 'I64' : data instanceof Uint16Array ? 'BF16' : data instanceof Uint8Array ? 'U8' : null;
    if (dtype === undefined ? needDtype || implied === null : !(typeof dtype === 'string' && dtypes.includes(dtype))) {
      throw new UserError(`${at}: dtype must be one of ${dtypes.join(', ')}, got ${describeValue(dtype)}`);
    }
    const dt = (dtype ?? implied) as string;
    const n = shape.reduce((a: number, b: number) => a * b, 1);
    const per = ELEMENT_BYTES[dt];
    if (data.byteLength !== n * per || (needDtype && (data as unknown as ArrayLike<unknown>).length !== n)) {
      throw new UserError(`${at}: shape [${shape.join(', ')}] holds ${n} ${dt} elements (${n * per} bytes), the data is a ${data.constructor.name} of ${data.byteLength} bytes`);
    }
  }
  return entries as [string, T][];
}

/** The path a writer was given: a non-empty string. */
export function checkOutputPath(path: unknown, call: string): string {
  if (typeof path !== 'string' || path === '') throw new UserError(`${call}: the path must be a non-empty string, got ${describeValue(path)}`);
  return path;
}
