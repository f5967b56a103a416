/**
 * safetensors: 8-byte little-endian header length, a JSON header {name: {dtype, shape,
 * data_offsets: [begin, end]}, "__metadata__"?: {string: string}}, then the raw little-endian data
 * (offsets relative to the end of the header). Reading validates everything and throws UserError
 * naming the file; writing is atomic.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UserError, oneLine } from '../util/errors.js';
import { checkOutputPath, checkTensorInputs } from './tensor-input.js';

export type SafeDType = 'F32' | 'F64' | 'I32' | 'I64' | 'BOOL' | 'U8' | 'BF16' | 'F16';

/** Data as read: F32 Float32Array, F64 Float64Array, I32 Int32Array, I64 BigInt64Array,
 * BOOL/U8 Uint8Array, BF16/F16 Uint16Array (raw bits; see toFloat32). */
export type SafeData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  data: SafeData;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafeDType, number> = { F32: 4, F64: 8, I32: 4, I64: 8, BOOL: 1, U8: 1, BF16: 2, F16: 2 };
const MAX_HEADER = 100 * 1024 * 1024;

function isDType(s: unknown): s is SafeDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(BYTES, s);
}

const badFile = (file: string, msg: string): UserError => new UserError(`${file}: not a valid safetensors file: ${msg}`);

/** The header length from the first 8 bytes, checked against the file's size. */
function headerLength(prefix: Uint8Array, fileBytes: number, file: string): number {
  if (fileBytes < 8) throw badFile(file, `only ${fileBytes} bytes, need at least 8 for the header length`);
  const hlen = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  if (hlen > MAX_HEADER) throw badFile(file, `header length ${hlen} is larger than ${MAX_HEADER}`);
  if (8 + hlen > fileBytes) throw badFile(file, `header length ${hlen} runs past the end of the file (${fileBytes} bytes)`);
  return hlen;
}

/** The JSON header (`bytes` = its hlen bytes) and its checked `__metadata__`. */
function parseHeader(bytes: Uint8Array, file: string): { header: Record<string, unknown>; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw badFile(file, `header is not valid JSON (${oneLine((e as Error).message)})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw badFile(file, 'header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entry = (header as Record<string, unknown>).__metadata__;
  if (entry !== undefined) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw badFile(file, '__metadata__ is not an object');
    for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
      if (typeof v !== 'string') throw badFile(file, `__metadata__.${k} is not a string`);
      metadata[k] = v;
    }
  }
  return { header: header as Record<string, unknown>, metadata };
}

/** Parses safetensors bytes; `file` names the source in error messages. */
export function parseSafetensors(buf: Uint8Array, file = '<buffer>'): SafetensorsFile {
  const bad = (msg: string): UserError => badFile(file, msg);
  const hlen = headerLength(buf, buf.byteLength, file);
  const { header, metadata } = parseHeader(buf.subarray(8, 8 + hlen), file);
  const dataStart = 8 + hlen;
  const dataLen = buf.byteLength - dataStart;
  const tensors = new Map<string, SafeTensor>();
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (entry === null || typeof entry !== 'object') throw bad(`entry '${name}' is not an object`);
    const { dtype, shape, data_offsets: offs } = entry as Record<string, unknown>;
    if (!isDType(dtype)) throw bad(`tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`tensor '${name}' has a bad shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`tensor '${name}' has bad data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as number[];
    const n = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end - begin !== n * BYTES[dtype]) {
      throw bad(`tensor '${name}' (${dtype} [${shape}]) needs ${n * BYTES[dtype]} bytes but data_offsets [${begin}, ${end}] give ${end - begin}`);
    }
    if (end > dataLen) throw bad(`tensor '${name}' data_offsets [${begin}, ${end}] run past the data (${dataLen} bytes)`);
    ranges.push([begin, end, name]);
    tensors.set(name, { dtype, shape: shape as number[], data: view(dtype, buf.subarray(dataStart + begin, dataStart + end), n) });
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) throw bad(`tensors '${ranges[i - 1][2]}' and '${ranges[i][2]}' overlap`);
  }
  return { tensors, metadata };
}

// Copies the bytes so the typed array is aligned and independent of the file buffer.
function view(dtype: SafeDType, bytes: Uint8Array, n: number): SafeData {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const ab = copy.buffer;
  switch (dtype) {
    case 'F32':
      return new Float32Array(ab, 0, n);
    case 'F64':
      return new Float64Array(ab, 0, n);
    case 'I32':
      return new Int32Array(ab, 0, n);
    case 'I64':
      return new BigInt64Array(ab, 0, n);
    case 'BF16':
    case 'F16':
      return new Uint16Array(ab, 0, n);
    default:
      return copy;
  }
}

/**
 * Only the header's `__metadata__`, reading the 8 + header-length bytes and not the tensors (what a
 * loader needs to tell a bundled model from a plain checkpoint before reading its weights once).
 */
export function readSafetensorsMetadata(path: string): Record<string, string> {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const prefix = new Uint8Array(8);
    readSync(fd, prefix, 0, Math.min(8, size), 0);
    const hlen = headerLength(prefix, size, path);
    const bytes = new Uint8Array(hlen);
    readSync(fd, bytes, 0, hlen, 8);
    return parseHeader(bytes, path).metadata;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${path}: cannot read safetensors file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export function readSafetensors(path: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read safetensors file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseSafetensors(buf, path);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Any numeric safetensors tensor as float32 values (BF16/F16 decoded, I64 converted). */
export function toFloat32(t: SafeTensor): Float32Array {
  const d = t.data;
  if (d instanceof Float32Array) return d;
  if (d instanceof BigInt64Array) return Float32Array.from(d, (v) => Number(v));
  if (t.dtype === 'BF16') {
    const u = new Uint32Array(d.length);
    for (let i = 0; i < d.length; i++) u[i] = (d as Uint16Array)[i] << 16;
    return new Float32Array(u.buffer);
  }
  if (t.dtype === 'F16') return Float32Array.from(d as Uint16Array, halfToFloat);
  return Float32Array.from(d as ArrayLike<number>);
}

/** Integer tensors (I32, I64, U8, BOOL) as int32; throws if an I64 value does not fit. */
export function toInt32(t: SafeTensor, file = '<safetensors>', name = '?'): Int32Array {
  const d = t.data;
  if (d instanceof Int32Array) return d;
  if (d instanceof BigInt64Array) {
    const out = new Int32Array(d.length);
    for (let i = 0; i < d.length; i++) {
      if (d[i] > 2147483647n || d[i] < -2147483648n) throw new UserError(`${file}: tensor '${name}' value ${d[i]} does not fit int32`);
      out[i] = Number(d[i]);
    }
    return out;
  }
  if (t.dtype === 'U8' || t.dtype === 'BOOL') return Int32Array.from(d as Uint8Array);
  throw new UserError(`${file}: tensor '${name}' is ${t.dtype}, expected an integer dtype`);
}

/** What `writeSafetensors` accepts per tensor: the dtype follows the array unless given. */
export interface SafeTensorInput {
  shape: readonly number[];
  data: SafeData;
  dtype?: SafeDType;
}

function dtypeOf(d: SafeData): SafeDType {
  if (d instanceof Float32Array) return 'F32';
  if (d instanceof Float64Array) return 'F64';
  if (d instanceof Int32Array) return 'I32';
  if (d instanceof BigInt64Array) return 'I64';
  if (d instanceof Uint16Array) return 'BF16';
  return 'U8';
}

/** Serialises tensors (in the given order) and metadata to safetensors bytes. */
export function serializeSafetensors(
  tensors: Map<string, SafeTensorInput> | Record<string, SafeTensorInput>,
  metadata?: Record<string, string>,
): Uint8Array[] {
  const entries = checkTensorInputs<SafeTensorInput>(tensors, 'writeSafetensors', Object.keys(BYTES), false);
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Object.values(metadata).some((v) => typeof v !== 'string'))) {
    throw new UserError('writeSafetensors: metadata must be an object of strings (safetensors stores text only)');
  }
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let off = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new Error("serializeSafetensors: '__metadata__' is not a tensor name");
    const dtype = t.dtype ?? dtypeOf(t.data);
    const n = t.shape.reduce((a, b) => a * b, 1);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (bytes.byteLength !== n * BYTES[dtype]) {
      throw new Error(`serializeSafetensors: '${name}' ${dtype} [${t.shape}] needs ${n * BYTES[dtype]} bytes, data has ${bytes.byteLength}`);
    }
    header[name] = { dtype, shape: [...t.shape], data_offsets: [off, off + bytes.byteLength] };
    parts.push(bytes);
    off += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const hbytes = Buffer.from(json, 'utf8');
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(hbytes.byteLength), true);
  return [len, hbytes, ...parts];
}

/** Writes a safetensors file atomically. */
export function writeSafetensors(
  path: string,
  tensors: Map<string, SafeTensorInput> | Record<string, SafeTensorInput>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(checkOutputPath(path, 'writeSafetensors'), serializeSafetensors(tensors, metadata));
}
