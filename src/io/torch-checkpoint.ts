/**
 * PyTorch `torch.save` files of a state dict, read and written without Python.
 *
 * The file is a zip archive (src/io/zip.ts) with one folder `<name>/`: `data.pkl`, a pickle of a dict
 * of tensors whose storages are persistent ids ('storage', torch.<T>Storage, key, location, numel),
 * `data/<key>` with each storage's raw little-endian bytes, and `version`. The pickle is read by
 * src/io/pickle.ts with an allow-list of exactly what a state dict needs (OrderedDict, the tensor and
 * parameter rebuild functions, the storage types of float32, bfloat16, float16, int32, int64 and bool),
 * so nothing in the file can run code. bfloat16 and float16 are widened to float32 on reading.
 *
 * Writing makes the same layout (protocol 2 pickle, 64-byte aligned stored members), which
 * `torch.load(path, weights_only=True)` accepts.
 */
import { readFileSync } from 'node:fs';
import type { SafeDType, SafeTensor } from './safetensors.js';
import { PickleWriter, PyDict, PyGlobal, PyTuple, unpickle } from './pickle.js';
import { readZip, writeZip, type ZipArchive } from './zip.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UserError, describeValue } from '../util/errors.js';
import { checkOutputPath, checkTensorInputs } from './tensor-input.js';

/** torch storage class -> (our dtype, bytes per element) */
const STORAGES: Record<string, { dtype: SafeDType; bytes: number }> = {
  'torch.FloatStorage': { dtype: 'F32', bytes: 4 },
  'torch.BFloat16Storage': { dtype: 'BF16', bytes: 2 },
  'torch.HalfStorage': { dtype: 'F16', bytes: 2 },
  'torch.IntStorage': { dtype: 'I32', bytes: 4 },
  'torch.LongStorage': { dtype: 'I64', bytes: 8 },
  'torch.BoolStorage': { dtype: 'BOOL', bytes: 1 },
};
const STORAGE_OF: Partial<Record<SafeDType, string>> = { F32: 'FloatStorage', BF16: 'BFloat16Storage', F16: 'HalfStorage', I32: 'IntStorage', I64: 'LongStorage', BOOL: 'BoolStorage' };

class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: SafeDType,
    readonly bytes: number,
    readonly numel: number,
  ) {}
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

export interface TorchCheckpoint {
  /** name -> tensor; bfloat16/float16 already widened to F32 */
  tensors: Map<string, SafeTensor>;
  /** name -> the dtype stored in the file (before widening) */
  storedDtypes: Map<string, SafeDType>;
  /** the archive's folder name */
  archiveName: string;
}

const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

export function readTorchCheckpoint(path: string): TorchCheckpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseTorchCheckpoint(buf, path);
}

export function parseTorchCheckpoint(buf: Uint8Array, file: string): TorchCheckpoint {
  if (buf.byteLength >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04) return parseZipCheckpoint(readZip(buf, file), file);
  if (LEGACY_MAGIC.every((b, i) => buf[i] === b) || (buf[0] === 0x80 && buf[1] === 0x02)) {
    throw new UserError(
      `${file}: a legacy (non-zip) PyTorch file is not supported; re-save it with torch.save(torch.load(f), path, _use_new_zipfile_serialization=True)`,
    );
  }
  throw new UserError(`${file}: not a PyTorch checkpoint (expected a torch.save zip archive)`);
}

function parseZipCheckpoint(zip: ZipArchive, file: string): TorchCheckpoint {
  const names = [...zip.entries.keys()];
  const pkl = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1) {
    throw new UserError(`${file}: expected one '<name>/data.pkl' in the archive, found ${pkl.length ? pkl.join(', ') : 'none'} (is this a torch.save file?)`);
  }
  const prefix = pkl[0].slice(0, -'data.pkl'.length);
  for (const n of names) if (!n.startsWith(prefix)) throw new UserError(`${file}: archive member '${n}' lies outside the archive's folder '${prefix}'`);
  const where = `${file} (${pkl[0]})`;
  const storages = new Map<string, StorageRef>();
  const globals = new Map<string, ((args: unknown[], fail: (m: string) => never) => unknown) | null>();
  globals.set('collections.OrderedDict', (args, fail) => {
    if (args.length !== 0) fail('OrderedDict called with arguments');
    return new PyDict();
  });
  globals.set('torch._utils._rebuild_tensor_v2', (args, fail) => rebuildTensor(args, fail));
  globals.set('torch._utils._rebuild_parameter', (args, fail) => {
    if (args.length !== 3 || !(args[0] instanceof TensorRef)) fail('_rebuild_parameter(data, requires_grad, hooks) without a tensor');
    return args[0];
  });
  globals.set('torch._utils._rebuild_parameter_with_state', (args, fail) => {
    if (args.length !== 4 || !(args[0] instanceof TensorRef)) fail('_rebuild_parameter_with_state without a tensor');
    return args[0];
  });
  for (const s of Object.keys(STORAGES)) globals.set(s, null);

  const root = unpickle(zip.read(pkl[0]), where, {
    globals,
    persistentLoad: (pid, fail) => {
      if (!(pid instanceof PyTuple)) return fail('a persistent id that is not a tuple');
      const [kind, type, key, location, numel] = pid.items;
      if (pid.items.length !== 5 || kind !== 'storage') return fail(`a persistent id other than ('storage', type, key, location, numel)`);
      if (!(type instanceof PyGlobal) || !STORAGES[type.qualified]) return fail('a storage of a type that is not allowed');
      if (typeof key !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(key)) return fail(`a storage key ${JSON.stringify(key)}`);
      if (typeof location !== 'string') return fail('a storage location that is not a string');
      if (!isInt(numel) || numel < 0) return fail(`a storage of ${String(numel)} elements`);
      const { dtype, bytes } = STORAGES[type.qualified];
      const prev = storages.get(key);
      if (prev && (prev.dtype !== dtype || prev.numel !== numel)) return fail(`storage '${key}' declared twice with different types or sizes`);
      const entry = zip.entries.get(`${prefix}data/${key}`);
      if (!entry) return fail(`storage '${key}' has no member ${prefix}data/${key}`);
      if (entry.size < numel * bytes) {
        return fail(`storage '${key}' declares ${numel} ${dtype} elements (${numel * bytes} bytes) but its member holds only ${entry.size} bytes`);
      }
      // torch writes a storage's bytes and nothing more: a longer member is data the pickle does not account for
      if (entry.size > numel * bytes) return fail(`storage '${key}' declares ${numel} ${dtype} elements (${numel * bytes} bytes) but its member holds ${entry.size} bytes`);
      const ref = prev ?? new StorageRef(key, dtype, bytes, numel);
      storages.set(key, ref);
      return ref;
    },
    // an OrderedDict's attributes (a state dict's `_metadata` of module versions): kept out
    allowBuild: (obj) => obj instanceof PyDict,
  });

  if (!(root instanceof PyDict)) throw new UserError(`${where}: the pickle holds no dict of tensors (not a state dict)`);
  const tensors = new Map<string, SafeTensor>();
  const storedDtypes = new Map<string, SafeDType>();
  const storageData = new Map<string, Uint8Array>();
  // One copy per distinct view: tied weights (keys naming the same view of one storage) share it, as
  // they share memory in torch. Distinct views may together hold at most EXPANSION times what their
  // storages hold (a weight and its transpose are 2x), so a few kilobytes of pickle cannot turn one
  // storage into gigabytes of copies.
  const views = new Map<string, SafeTensor>();
  let budget = 0;
  for (const v of root.map.values()) if (v instanceof TensorRef && !storageData.has(v.storage.key)) storageData.set(v.storage.key, EMPTY);
  for (const key of storageData.keys()) {
    const st = storages.get(key)!;
    budget += st.numel * widenedBytes(st.dtype) * EXPANSION;
  }
  let used = 0;
  for (const [k, v] of root.map) {
    if (typeof k !== 'string') throw new UserError(`${where}: a state-dict key that is not a string (${String(k)})`);
    if (!(v instanceof TensorRef)) throw new UserError(`${where}: state-dict entry '${k}' is not a tensor`);
    const st = v.storage;
    const viewKey = `${st.key}|${v.offset}|${v.shape.join(',')}|${v.stride.join(',')}`;
    let t = views.get(viewKey);
    if (!t) {
      used += v.shape.reduce((a, b) => a * b, 1) * widenedBytes(st.dtype);
      if (used > budget) {
        throw new UserError(
          `${where}: its tensors would expand to more than ${EXPANSION}x the ${budget / EXPANSION} bytes their storages hold (overlapping views of one storage); refusing it`,
        );
      }
      let raw = storageData.get(st.key)!;
      if (raw === EMPTY && st.numel > 0) storageData.set(st.key, (raw = zip.read(`${prefix}data/${st.key}`)));
      views.set(viewKey, (t = materialize(v, raw)));
    }
    tensors.set(k, t);
    storedDtypes.set(k, st.dtype);
  }
  return { tensors, storedDtypes, archiveName: prefix.slice(0, -1) };
}

const EMPTY = new Uint8Array(0);
/** How many times their storages' bytes the distinct tensors of one file may take once read. */
const EXPANSION = 2;

/** Bytes per element once read (bfloat16 and float16 are widened to float32). */
function widenedBytes(dtype: SafeDType): number {
  return dtype === 'BF16' || dtype === 'F16' ? 4 : STORAGES[`torch.${STORAGE_OF[dtype]}`].bytes;
}

function rebuildTensor(args: unknown[], fail: (m: string) => never): TensorRef {
  if (args.length < 6 || args.length > 7) fail(`_rebuild_tensor_v2 with ${args.length} arguments`);
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) fail('_rebuild_tensor_v2 without a storage');
  const st = storage as StorageRef;
  if (!isInt(offset) || offset < 0) fail(`a tensor offset ${String(offset)}`);
  if (!(size instanceof PyTuple) || !(stride instanceof PyTuple) || size.items.length !== stride.items.length || size.items.length > 16) {
    fail('a tensor whose size and stride are not tuples of one length');
  }
  const shape = (size as PyTuple).items;
  const strides = (stride as PyTuple).items;
  let numel = 1;
  let last = offset as number;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    const s = strides[i];
    if (!isInt(d) || d < 0 || !isInt(s) || s < 0) fail(`a tensor size/stride (${String(d)}, ${String(s)})`);
    numel *= d as number;
    if (numel > st.numel) fail(`a tensor of more elements than its storage '${st.key}' holds (${st.numel})`);
    if ((d as number) > 0) last += ((d as number) - 1) * (s as number);
  }
  if (numel > 0 && last >= st.numel) fail(`a tensor reaching element ${last} of storage '${st.key}', which has ${st.numel}`);
  return new TensorRef(st, offset as number, shape as number[], strides as number[]);
}

function materialize(t: TensorRef, raw: Uint8Array): SafeTensor {
  const { bytes, dtype } = t.storage;
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(n * bytes);
  // gather in row-major order (state-dict tensors are normally contiguous: one copy)
  let contiguous = true;
  let expect = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i] !== 1 && t.stride[i] !== expect) contiguous = false;
    expect *= t.shape[i];
  }
  if (contiguous) out.set(raw.subarray(t.offset * bytes, (t.offset + n) * bytes));
  else {
    const idx = new Array<number>(t.shape.length).fill(0);
    for (let i = 0; i < n; i++) {
      let src = t.offset;
      for (let a = 0; a < idx.length; a++) src += idx[a] * t.stride[a];
      out.set(raw.subarray(src * bytes, (src + 1) * bytes), i * bytes);
      for (let a = idx.length - 1; a >= 0; a--) {
        if (++idx[a] < t.shape[a]) break;
        idx[a] = 0;
      }
    }
  }
  const shape = [...t.shape];
  switch (dtype) {
    case 'F32':
      return { dtype, shape, data: new Float32Array(out.buffer) };
    case 'I32':
      return { dtype, shape, data: new Int32Array(out.buffer) };
    case 'I64':
      return { dtype, shape, data: new BigInt64Array(out.buffer) };
    case 'BOOL':
      return { dtype, shape, data: out };
    case 'BF16': {
      const h = new Uint16Array(out.buffer);
      const u = new Uint32Array(n);
      for (let i = 0; i < n; i++) u[i] = h[i] << 16;
      return { dtype: 'F32', shape, data: new Float32Array(u.buffer) };
    }
    case 'F16': {
      const h = new Uint16Array(out.buffer);
      const f = new Float32Array(n);
      for (let i = 0; i < n; i++) f[i] = halfToFloat(h[i]);
      return { dtype: 'F32', shape, data: f };
    }
    default:
      throw new Error(`unreachable dtype ${dtype}`);
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** bfloat16 bits of float32 values when every value is exactly a bfloat16 (else null). */
export function exactBfloat16(data: Float32Array): Uint16Array | null {
  const u = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < u.length; i++) {
    if (u[i] & 0xffff) return null;
    out[i] = u[i] >>> 16;
  }
  return out;
}

export interface TorchTensorInput {
  shape: readonly number[];
  /** F32 Float32Array, BF16/F16 Uint16Array (bits), I32 Int32Array, I64 BigInt64Array, BOOL Uint8Array */
  data: Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;
  dtype: SafeDType;
}

/** The bytes of a torch.save zip archive of an OrderedDict state dict. */
export function serializeTorchCheckpoint(tensors: Map<string, TorchTensorInput>, archiveName = 'checkpoint'): Uint8Array[] {
  const entries = checkTensorInputs<TorchTensorInput>(tensors, 'writeTorchCheckpoint', Object.keys(STORAGE_OF), true);
  if (typeof archiveName !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(archiveName)) throw new UserError(`writeTorchCheckpoint: the archive name must be letters, digits, '_', '.' or '-', got ${describeValue(archiveName)}`);
  const w = new PickleWriter().proto();
  w.global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  const members: { name: string; data: Uint8Array }[] = [];
  let key = 0;
  const storageData: Uint8Array[] = [];
  for (const [name, t] of entries) {
    const storage = STORAGE_OF[t.dtype];
    if (!storage) throw new Error(`serializeTorchCheckpoint: '${name}' has dtype ${t.dtype}, which has no torch storage here`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new Error(`serializeTorchCheckpoint: '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    const stride: number[] = new Array(t.shape.length);
    let s = 1;
    for (let i = t.shape.length - 1; i >= 0; i--) {
      stride[i] = s;
      s *= t.shape[i];
    }
    w.str(name);
    w.global('torch._utils', '_rebuild_tensor_v2').mark();
    w.mark().str('storage').global('torch', storage).str(String(key)).str('cpu').int(n).tupleFromMark().binpersid();
    w.int(0).tuple([...t.shape]).tuple(stride).bool(false);
    w.global('collections', 'OrderedDict').emptyTuple().reduce();
    w.tupleFromMark().reduce();
    storageData.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    key++;
  }
  w.setitems();
  members.push({ name: `${archiveName}/data.pkl`, data: w.stop() });
  members.push({ name: `${archiveName}/byteorder`, data: new TextEncoder().encode('little') });
  storageData.forEach((d, i) => members.push({ name: `${archiveName}/data/${i}`, data: d }));
  members.push({ name: `${archiveName}/version`, data: new TextEncoder().encode('3\n') });
  return writeZip(members);
}

/** Writes a torch.save-compatible state dict atomically. */
export function writeTorchCheckpoint(path: string, tensors: Map<string, TorchTensorInput>, archiveName = 'checkpoint'): void {
  writeFileAtomic(checkOutputPath(path, 'writeTorchCheckpoint'), serializeTorchCheckpoint(tensors, archiveName));
}
