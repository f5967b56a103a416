/**
 * NumPy `.npy` files: read (format versions 1, 2 and 3; little- and big-endian; bool, the integer dtypes,
 * float32 and float64; C order) and write (version 1.0 laid out as current NumPy writes it).
 *
 * The data of a file is read straight into one typed array (no JS arrays in between), so the 3.8M x 81
 * Sudoku-Extreme arrays load in one pass. Files too large to hold can be read row by row with
 * `NpyRowReader` (the reference memory-maps its inputs; Node has no mmap, positioned reads do the job).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync, fsyncSync, renameSync, rmSync } from 'node:fs';
import { UserError, quote } from '../util/errors.js';
import { tempPathFor, writeFileAtomic } from '../util/atomic-write.js';
import { withPath } from '../util/io-errors.js';

export type NpyDtype = 'b1' | 'u1' | 'i1' | 'u2' | 'i2' | 'u4' | 'i4' | 'u8' | 'i8' | 'f4' | 'f8';
export type NpyData =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | BigUint64Array | BigInt64Array | Float32Array | Float64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

export interface NpyHeader {
  dtype: NpyDtype;
  /** Byte order of the file's data ('<' or '>'; '|' for one-byte types). */
  byteOrder: '<' | '>' | '|';
  shape: number[];
  fortranOrder: boolean;
  /** Byte offset of the data in the file. */
  dataOffset: number;
  version: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ITEMSIZE: Record<NpyDtype, number> = { b1: 1, u1: 1, i1: 1, u2: 2, i2: 2, u4: 4, i4: 4, u8: 8, i8: 8, f4: 4, f8: 8 };

export function itemSize(dtype: NpyDtype): number {
  return ITEMSIZE[dtype];
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The dtype that matches a typed array (Uint8Array -> 'u1', ...). */
export function dtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Uint8Array) return 'u1';
  if (data instanceof Int8Array) return 'i1';
  if (data instanceof Uint16Array) return 'u2';
  if (data instanceof Int16Array) return 'i2';
  if (data instanceof Uint32Array) return 'u4';
  if (data instanceof Int32Array) return 'i4';
  if (data instanceof BigUint64Array) return 'u8';
  if (data instanceof BigInt64Array) return 'i8';
  if (data instanceof Float32Array) return 'f4';
  if (data instanceof Float64Array) return 'f8';
  throw new TypeError('npy: unsupported array type');
}

/** The typed array of `dtype` over `length` elements of `buf` from `byteOffset` (no copy). */
export function makeArray(dtype: NpyDtype, buf: ArrayBuffer, byteOffset: number, length: number): NpyData {
  switch (dtype) {
    case 'b1': case 'u1': return new Uint8Array(buf, byteOffset, length);
    case 'i1': return new Int8Array(buf, byteOffset, length);
    case 'u2': return new Uint16Array(buf, byteOffset, length);
    case 'i2': return new Int16Array(buf, byteOffset, length);
    case 'u4': return new Uint32Array(buf, byteOffset, length);
    case 'i4': return new Int32Array(buf, byteOffset, length);
    case 'u8': return new BigUint64Array(buf, byteOffset, length);
    case 'i8': return new BigInt64Array(buf, byteOffset, length);
    case 'f4': return new Float32Array(buf, byteOffset, length);
    case 'f8': return new Float64Array(buf, byteOffset, length);
  }
}

/** Parses the header dict, e.g. `{'descr': '<i4', 'fortran_order': False, 'shape': (3, 81), }`. */
function parseHeaderDict(text: string, file: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const bad = (why: string) => new UserError(`${file}: not a valid .npy header (${why}): ${JSON.stringify(text.trim().slice(0, 200))}`);
  const descrM = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  const fortM = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descrM) throw bad("no 'descr' string (structured dtypes are not supported)");
  if (!fortM) throw bad("no 'fortran_order'");
  if (!shapeM) throw bad("no 'shape'");
  const shape: number[] = [];
  for (const part of shapeM[1].split(',')) {
    const t = part.trim().replace(/L$/, '');
    if (t === '') continue;
    if (!/^\d+$/.test(t)) throw bad(`bad dimension ${quote(t, 20)}`);
    shape.push(Number(t));
  }
  return { descr: descrM[1], fortranOrder: fortM[1] === 'True', shape };
}

function parseDescr(descr: string, file: string): { dtype: NpyDtype; byteOrder: '<' | '>' | '|' } {
  const m = /^([<>|=]?)([biuf])(\d+)$/.exec(descr);
  const unsupported = () =>
    new UserError(`${file}: unsupported dtype '${JSON.stringify(descr).slice(1, -1)}' (supported: bool, int8-64, uint8-64, float32, float64)`);
  if (!m) throw unsupported();
  const key = `${m[2]}${m[3]}` as NpyDtype;
  if (!(key in ITEMSIZE) || key === ('b2' as NpyDtype)) throw unsupported();
  let order = (m[1] || '|') as '<' | '>' | '|' | '=';
  if (order === '=') order = '<'; // native: every platform we run on is little-endian
  if (ITEMSIZE[key] === 1) order = '|';
  else if (order === '|') throw unsupported();
  return { dtype: key, byteOrder: order };
}

/** Reads and validates the header of an open .npy file. */
function readHeaderFd(fd: number, file: string, fileSize: number): NpyHeader {
  const pre = Buffer.alloc(12);
  const got = readSync(fd, pre, 0, 12, 0);
  if (got < 10 || MAGIC.some((b, i) => pre[i] !== b)) throw new UserError(`${file}: not a NumPy .npy file (bad magic bytes)`);
  const version = pre[6];
  let headerLen: number;
  let start: number;
  if (version === 1) {
    headerLen = pre.readUInt16LE(8);
    start = 10;
  } else if (version === 2 || version === 3) {
    if (got < 12) throw new UserError(`${file}: truncated .npy header`);
    headerLen = pre.readUInt32LE(8);
    start = 12;
  } else {
    throw new UserError(`${file}: unsupported .npy format version ${version}.${pre[7]}`);
  }
  if (start + headerLen > fileSize) throw new UserError(`${file}: truncated .npy header`);
  const hb = Buffer.alloc(headerLen);
  readSync(fd, hb, 0, headerLen, start);
  const text = hb.toString(version === 3 ? 'utf8' : 'latin1');
  const { descr, fortranOrder, shape } = parseHeaderDict(text, file);
  const { dtype, byteOrder } = parseDescr(descr, file);
  const dataOffset = start + headerLen;
  const need = numel(shape) * ITEMSIZE[dtype];
  if (fileSize - dataOffset < need) {
    throw new UserError(`${file}: data is truncated: shape (${shape.join(', ')}) of ${JSON.stringify(descr).slice(1, -1)} needs ${need} bytes, file has ${fileSize - dataOffset}`);
  }
  return { dtype, byteOrder, shape, fortranOrder, dataOffset, version };
}

function openForRead(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot open (${code === 'ENOENT' ? 'no such file' : code ?? String(e)})`);
  }
}

export function readNpyHeader(path: string): NpyHeader {
  const fd = openForRead(path);
  try {
    return readHeaderFd(fd, path, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

/** Reads `length` bytes at `position` into `dst` (loops over short reads; positions may exceed 2 GiB). */
function readFully(fd: number, dst: Uint8Array, position: number): void {
  let off = 0;
  const CHUNK = 1 << 30;
  while (off < dst.byteLength) {
    const n = readSync(fd, dst, off, Math.min(CHUNK, dst.byteLength - off), position + off);
    if (n <= 0) throw new Error('unexpected end of file');
    off += n;
  }
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Converts a Fortran-ordered array's data to C order (transpose of the reversed shape). */
function fortranToC(src: NpyData, shape: number[]): NpyData {
  const n = src.length;
  const dst = new (src.constructor as { new (n: number): NpyData })(n);
  const nd = shape.length;
  const idx = new Array(nd).fill(0);
  // Walk the C-order destination; compute the Fortran-order source offset.
  const fstride = new Array(nd);
  let s = 1;
  for (let d = 0; d < nd; d++) {
    fstride[d] = s;
    s *= shape[d];
  }
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < nd; d++) off += idx[d] * fstride[d];
    (dst as any)[i] = (src as any)[off];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return dst;
}

/** Reads a whole .npy file. Data comes back in C order and native (little-endian) byte order. */
export function readNpy(path: string): NpyArray {
  const fd = openForRead(path);
  try {
    const h = readHeaderFd(fd, path, fstatSync(fd).size);
    const n = numel(h.shape);
    const size = ITEMSIZE[h.dtype];
    const buf = new ArrayBuffer(n * size);
    const bytes = new Uint8Array(buf);
    readFully(fd, bytes, h.dataOffset);
    if (h.byteOrder === '>') swapBytes(bytes, size);
    let data = makeArray(h.dtype, buf, 0, n);
    if (h.fortranOrder && h.shape.length > 1) data = fortranToC(data, h.shape);
    return { dtype: h.dtype, shape: h.shape, data };
  } finally {
    closeSync(fd);
  }
}

/** The header bytes NumPy (>= 1.24) writes for format 1.0: padded with spaces to a multiple of 64 bytes. */
export function npyHeaderBytes(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const descr = ITEMSIZE[dtype] === 1 ? `|${dtype}` : `<${dtype}`;
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  // NumPy leaves room so the first dimension can grow in place (21 digits).
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, 21 - String(shape[0]).length));
  const unpadded = 10 + dict.length + 1;
  const pad = (64 - (unpadded % 64)) % 64;
  const headerLen = dict.length + pad + 1;
  if (headerLen > 65535) throw new Error('npy: header too long for format 1.0');
  const out = new Uint8Array(10 + headerLen);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = headerLen & 0xff;
  out[9] = headerLen >> 8;
  out.set(Buffer.from(dict + ' '.repeat(pad) + '\n', 'latin1'), 10);
  return out;
}

function checkShape(data: NpyData, shape: readonly number[]): void {
  if (numel(shape) !== data.length) throw new Error(`npy: shape (${shape.join(', ')}) does not match ${data.length} elements`);
}

function dataBytes(data: NpyData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Writes an array as .npy (format 1.0, little-endian, C order), atomically. */
export function writeNpy(path: string, data: NpyData, shape: readonly number[] = [data.length]): void {
  checkShape(data, shape);
  writeFileAtomic(path, [npyHeaderBytes(dtypeOf(data), shape), dataBytes(data)]);
}

/** The bytes of a .npy file in memory. */
export function npyBytes(data: NpyData, shape: readonly number[] = [data.length]): Uint8Array {
  checkShape(data, shape);
  const h = npyHeaderBytes(dtypeOf(data), shape);
  const out = new Uint8Array(h.length + data.byteLength);
  out.set(h, 0);
  out.set(dataBytes(data), h.length);
  return out;
}

/**
 * Writes a .npy whose shape is known up front, from chunks appended in order (for arrays larger than we
 * want in memory). The file appears at `path` only when `close()` finds every element written.
 */
export class NpyStreamWriter {
  private fd: number;
  private readonly tmp: string;
  private written = 0;
  private readonly expected: number;
  private buf: Uint8Array;
  private bufLen = 0;

  constructor(private readonly path: string, readonly dtype: NpyDtype, readonly shape: readonly number[]) {
    this.tmp = tempPathFor(path);
    this.fd = openSync(this.tmp, 'w');
    this.expected = numel(shape) * ITEMSIZE[dtype];
    this.buf = new Uint8Array(1 << 22);
    this.writeRaw(npyHeaderBytes(dtype, shape));
  }

  private writeRaw(b: Uint8Array): void {
    withPath(this.path, () => {
      let off = 0;
      while (off < b.byteLength) off += writeSync(this.fd, b, off, b.byteLength - off);
    });
  }

  /** Appends elements (a typed array of this writer's dtype, or raw little-endian bytes). */
  append(chunk: NpyData): void {
    const bytes = dataBytes(chunk);
    this.written += bytes.byteLength;
    if (this.written > this.expected) throw new Error(`npy stream ${this.path}: more data than shape (${this.shape.join(', ')})`);
    if (this.bufLen + bytes.byteLength > this.buf.byteLength) this.flush();
    if (bytes.byteLength > this.buf.byteLength) {
      this.writeRaw(bytes);
      return;
    }
    this.buf.set(bytes, this.bufLen);
    this.bufLen += bytes.byteLength;
  }

  private flush(): void {
    if (this.bufLen > 0) this.writeRaw(this.buf.subarray(0, this.bufLen));
    this.bufLen = 0;
  }

  close(): void {
    this.flush();
    if (this.written !== this.expected) {
      this.abort();
      throw new Error(`npy stream ${this.path}: wrote ${this.written} of ${this.expected} bytes`);
    }
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.tmp, { force: true });
  }
}

/**
 * Reads rows of a 2-D .npy on demand with positioned reads, for arrays too large to load (the ARC
 * training inputs with 1000 augmentations are several GB).
 */
export class NpyRowReader {
  readonly header: NpyHeader;
  readonly rows: number;
  readonly rowLen: number;
  private fd: number;
  private readonly rowBytes: number;

  constructor(readonly path: string) {
    this.fd = openForRead(path);
    this.header = readHeaderFd(this.fd, path, fstatSync(this.fd).size);
    if (this.header.shape.length !== 2) throw new UserError(`${path}: expected a 2-D array, got shape (${this.header.shape.join(', ')})`);
    if (this.header.fortranOrder) throw new UserError(`${path}: Fortran-ordered arrays cannot be read row by row; re-save in C order`);
    [this.rows, this.rowLen] = this.header.shape;
    this.rowBytes = this.rowLen * ITEMSIZE[this.header.dtype];
  }

  /** Reads row `r` into `dst` (raw bytes of the file's dtype, byte-swapped if big-endian). */
  readRowBytes(r: number, dst: Uint8Array): void {
    if (r < 0 || r >= this.rows) throw new RangeError(`row ${r} out of range [0, ${this.rows})`);
    readFully(this.fd, dst.subarray(0, this.rowBytes), this.header.dataOffset + r * this.rowBytes);
    if (this.header.byteOrder === '>') swapBytes(dst.subarray(0, this.rowBytes), ITEMSIZE[this.header.dtype]);
  }

  /** Reads rows [r, r + count) into `dst` in one positioned read (raw bytes, native byte order). */
  readRowsBytes(r: number, count: number, dst: Uint8Array): void {
    if (r < 0 || count < 0 || r + count > this.rows) throw new RangeError(`rows ${r}..${r + count} out of range [0, ${this.rows})`);
    const bytes = dst.subarray(0, count * this.rowBytes);
    readFully(this.fd, bytes, this.header.dataOffset + r * this.rowBytes);
    if (this.header.byteOrder === '>') swapBytes(bytes, ITEMSIZE[this.header.dtype]);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
