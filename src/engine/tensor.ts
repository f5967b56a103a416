/**
 * Tensor: a shaped float32 or int32 view of ref-counted storage that lives in backend memory.
 *
 * Every tensor is contiguous (row-major) from `offset`; views (reshape, narrow along a leading axis,
 * detach) share the storage and hold one reference each. `dispose()` drops this handle's reference;
 * the block returns to the backend's pool when the last reference goes. Nothing large waits for the
 * garbage collector. Tensors made inside `tidy` are registered with the innermost scope.
 */
import { getBackend, type Backend } from './backend.js';

export type DType = 'float32' | 'int32';

/** Bytes per element of each storage dtype (bf16 compute keeps float32 storage: src/engine/dtype.ts). */
export const ELEMENT_BYTES: Readonly<Record<DType, number>> = { float32: 4, int32: 4 };

/**
 * What the host knows about an int32 storage's values without reading it back: set when JS uploaded
 * all of it (`set`, `full`), so that ops which index memory with the values (embedding ids, labels)
 * check them here instead of copying them to the host. `maxNegative`: the largest negative value
 * (null when none), enough to tell labels that are all in range or an ignore index.
 */
export interface IntRange {
  min: number;
  max: number;
  maxNegative: number | null;
}

export function intRangeOf(data: ArrayLike<number>): IntRange | null {
  if (data.length === 0) return null;
  let min = Infinity, max = -Infinity, maxNegative = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (v < 0 && v > maxNegative) maxNegative = v;
  }
  return { min, max, maxNegative: maxNegative === -Infinity ? null : maxNegative };
}

/** One backend allocation shared by a tensor and its views. */
export class Storage {
  refs = 1;
  /**
   * int32 storage only: the range of what the host last wrote over the whole storage, or null (unknown:
   * written by a kernel, or only in part). No kernel writes an int32 storage in place; argmax, the one
   * kernel with an int32 output, writes a new one.
   */
  intRange: IntRange | null = null;
  constructor(
    readonly backend: Backend,
    readonly ptr: number,
    readonly bytes: number,
  ) {}

  release(): void {
    if (--this.refs === 0 && this.bytes > 0) this.backend.free(this.ptr, this.bytes);
  }
}

/**
 * The open tidy scopes, innermost last (autograd.ts's tidy pushes and pops them): every new handle and
 * recorded node joins the innermost. Kept here so that making a tensor needs nothing from autograd.
 */
export interface Scope {
  tensors: Tensor[];
  nodes: GradNode[];
}
export const scopes: Scope[] = [];

/** A recorded op: how to turn the output's gradient into its inputs' gradients. */
export interface GradNode {
  readonly id: number;
  readonly op: string;
  /** the op's inputs; null where no gradient is needed */
  inputs: (Tensor | null)[];
  /**
   * returns one gradient per input (null: none); runs with recording off. `acc(i)`, when not null,
   * is input i's gradient so far, exclusively owned: the op may add into it in place (e.g. gemm with
   * beta 1) and return that same tensor.
   */
  backward: ((g: Tensor, acc: (i: number) => Tensor | null) => (Tensor | null)[]) | null;
  /** handles the backward pass reads; owned by the node and disposed when it is released */
  saved: Tensor[];
  released: boolean;
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function checkShape(shape: readonly number[], where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${where}: bad shape ${fmtShape(shape)}`);
  }
}

export class Tensor {
  readonly shape: number[];
  readonly dtype: DType;
  readonly size: number;
  /** element offset of this view into its storage */
  readonly offset: number;
  storage: Storage;
  requiresGrad = false;
  grad: Tensor | null = null;
  /** the op that produced this tensor (null for leaves and tensors made without recording) */
  node: GradNode | null = null;
  name: string | undefined;
  disposed = false;
  /** kept tensors survive the end of the tidy scope they were made in */
  kept = false;

  /** Internal: use the factory functions (tensor, zeros, ...) instead. */
  constructor(shape: number[], dtype: DType, storage: Storage, offset: number, tracked = true) {
    this.shape = shape;
    this.dtype = dtype;
    this.size = shapeSize(shape);
    this.offset = offset;
    this.storage = storage;
    if (tracked && scopes.length > 0) scopes[scopes.length - 1].tensors.push(this);
  }

  /** Byte address (native) or byte offset into linear memory (wasm) of the first element. */
  get ptr(): number {
    return this.storage.ptr + this.offset * ELEMENT_BYTES[this.dtype];
  }

  get backend(): Backend {
    return this.storage.backend;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get isLeaf(): boolean {
    return this.node === null;
  }

  /** Marks this tensor as a trainable leaf (a parameter); returns this. */
  requireGrad(name?: string): this {
    if (this.node) throw new Error(`requireGrad: ${this.describe()} is not a leaf (it has grad history)`);
    if (this.dtype !== 'float32') throw new Error(`requireGrad: ${this.describe()} is ${this.dtype}, need float32`);
    this.requiresGrad = true;
    if (name !== undefined) this.name = name;
    return this;
  }

  /** Lets this tensor outlive the tidy scope it was made in; returns this. */
  keep(): this {
    this.kept = true;
    return this;
  }

  describe(): string {
    return `${this.name ? `'${this.name}' ` : ''}${this.dtype} ${fmtShape(this.shape)}`;
  }

  assertLive(op: string): void {
    if (this.disposed) throw new Error(`${op}: tensor ${this.describe()} was disposed`);
  }

  /** A new handle on the same storage (no grad history); internal unless `tracked`. */
  share(shape: number[] = this.shape, offset = this.offset, tracked = false): Tensor {
    this.assertLive('share');
    this.storage.refs++;
    return new Tensor(shape, this.dtype, this.storage, offset, tracked);
  }

  /** A view of the same data without grad history. */
  detach(): Tensor {
    this.assertLive('detach');
    return this.share(this.shape, this.offset, true);
  }

  toFloat32Array(): Float32Array {
    this.assertLive('toFloat32Array');
    if (this.dtype !== 'float32') return Float32Array.from(this.toInt32Array());
    return this.backend.readF32(this.ptr, this.size);
  }

  toInt32Array(): Int32Array {
    this.assertLive('toInt32Array');
    if (this.dtype !== 'int32') return Int32Array.from(this.backend.readF32(this.ptr, this.size), Math.trunc);
    return this.backend.readI32(this.ptr, this.size);
  }

  /** Copies out as a plain array (small tensors, tests). */
  toArray(): number[] {
    return Array.from(this.dtype === 'float32' ? this.toFloat32Array() : this.toInt32Array());
  }

  item(): number {
    this.assertLive('item');
    if (this.size !== 1) throw new Error(`item: tensor ${this.describe()} has ${this.size} elements, need 1`);
    return this.dtype === 'float32' ? this.backend.readF32(this.ptr, 1)[0] : this.backend.readI32(this.ptr, 1)[0];
  }

  /** Copies values from JS into this tensor (in place, no grad history); returns this. */
  set(data: ArrayLike<number>): this {
    this.assertLive('set');
    if (data.length !== this.size) {
      throw new Error(`set: tensor ${this.describe()} has ${this.size} elements, got ${data.length} values`);
    }
    if (this.size === 0) return this;
    if (this.dtype === 'float32') this.backend.writeF32(this.ptr, data);
    else {
      this.backend.writeI32(this.ptr, data);
      const whole = this.offset === 0 && this.size * ELEMENT_BYTES.int32 === this.storage.bytes;
      this.storage.intRange = whole ? intRangeOf(data) : null;
    }
    return this;
  }

  /** Releases this handle now (idempotent); its gradient too. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.storage.release();
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
    // `node` stays: a disposed intermediate still routes gradients through the graph.
  }

  toString(): string {
    return `Tensor(${this.describe()})`;
  }
}

/** A new uninitialised tensor on backend `b` (default: the current backend). */
export function empty(shape: readonly number[], dtype: DType = 'float32', b: Backend = getBackend()): Tensor {
  checkShape(shape, 'empty');
  const size = shapeSize(shape);
  const bytes = size * ELEMENT_BYTES[dtype];
  const ptr = bytes > 0 ? b.alloc(bytes) : 0;
  return new Tensor([...shape], dtype, new Storage(b, ptr, bytes), 0);
}

export function zeros(shape: readonly number[], dtype: DType = 'float32', b: Backend = getBackend()): Tensor {
  return full(shape, 0, dtype, b);
}

export function ones(shape: readonly number[], dtype: DType = 'float32', b: Backend = getBackend()): Tensor {
  return full(shape, 1, dtype, b);
}

export function full(shape: readonly number[], value: number, dtype: DType = 'float32', b: Backend = getBackend()): Tensor {
  const t = empty(shape, dtype, b);
  if (t.size === 0) return t;
  if (dtype === 'float32') b.k.fill(t.ptr, value, t.size);
  else t.set(new Int32Array(t.size).fill(value));
  return t;
}

/** A tensor from JS numbers (float32 unless dtype says int32). */
export function tensor(data: ArrayLike<number>, shape?: readonly number[], dtype: DType = 'float32'): Tensor {
  const s = shape ?? [data.length];
  checkShape(s, 'tensor');
  if (shapeSize(s) !== data.length) {
    throw new Error(`tensor: ${data.length} values do not fill shape ${fmtShape(s)}`);
  }
  return empty(s, dtype).set(data);
}

/** A tensor from a typed array; the dtype follows the array. */
export function fromTyped(data: Float32Array | Int32Array, shape?: readonly number[]): Tensor {
  return tensor(data, shape, data instanceof Int32Array ? 'int32' : 'float32');
}

