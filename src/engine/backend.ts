/**
 * The compute backend: memory owned by the C kernels' side and typed calls into them.
 *
 * Two implementations load the same kernels (native/abi.c, docs/ENGINE.md section 2):
 *   native  the Node-API addon build/Release/hrm_kernels.node (AVX-512 / AVX2 / plain C, OpenMP threads)
 *   wasm    wasm/hrm_kernels.wasm (SIMD128, one thread), committed so that no compiler is needed
 * and a third runs the spec's kernels written in WGSL (webgpu/kernels/*.wgsl) on a GPU:
 *   webgpu  Dawn in Node (the optional `webgpu` package), navigator.gpu in the page (backends/webgpu.ts)
 * Choice: HRM_BACKEND=native|wasm|webgpu; default native when the addon loads, else wasm with a one-line
 * notice on stderr. Threads: HRM_THREADS (default: all cores) is the most a kernel call uses; a call
 * takes more than one only when its work pays for them (splitFloor, native/kernels/split.h), and idle
 * OpenMP threads sleep at once instead of spinning (backends/native.ts). Loading is lazy and synchronous.
 *
 * A call writes its arguments into the shared Float64Array the kernels read (`abi_<name>(args)`),
 * then runs the kernel by id; nothing is marshalled. Freed blocks are pooled by exact size, so a
 * training step that repeats the same shapes allocates nothing new after the first.
 * Kernels are not reentrant: call them from one JS thread at a time (no concurrent worker_threads).
 */
import { availableParallelism } from 'node:os';
import { UserError } from '../util/errors.js';
import { FreeCores, threadsFor } from './free-cores.js';
import { loadNative } from './backends/native.js';
import { loadWasm } from './backends/wasm.js';
import { loadWebGPU, type GpuCounters } from './backends/webgpu.js';

import { KERNELS, type Kernels, type Ptr, type RawBackend } from './kernels.js';

export { KERNELS, type KernelName, type Kernels, type Ptr, type RawBackend } from './kernels.js';

export interface PoolStats {
  /** bytes handed out and not yet freed */
  bytesInUse: number;
  /** bytes freed into the pool, ready for reuse */
  bytesCached: number;
  /** the most bytes held from the kernels' allocator at once (in use + cached) */
  peakBytes: number;
  /** allocations served from the pool / from the kernels' allocator */
  hits: number;
  misses: number;
}

export type BackendName = 'native' | 'wasm' | 'webgpu';
export const BACKEND_NAMES: readonly BackendName[] = ['native', 'wasm', 'webgpu'];

export interface Backend {
  readonly name: BackendName;
  /** the instruction set of the kernels: avx512, avx2, generic, wasm-simd128 */
  readonly isa: string;
  /** the most threads a kernel call uses (wasm: always 1) */
  readonly threads: number;
  setThreads(n: number): void;
  /**
   * The least work (estimated one-thread ns) each thread of a split kernel call gets, so that small
   * calls stay on one thread (native/kernels/split.h; default 40,000). 0 splits every call that can
   * (tests); Infinity never splits. No effect where the kernels run one thread (wasm).
   */
  readonly splitFloor: number;
  setSplitFloor(ns: number): void;
  /** a block of at least `bytes` bytes, 64-byte aligned; 0 for 0 bytes */
  alloc(bytes: number): Ptr;
  /** returns a block to the pool; `bytes` must be what was passed to alloc */
  free(ptr: Ptr, bytes: number): void;
  /**
   * Copies between JS and backend memory: what library code uses (a GPU or WebGPU backend implements
   * these as transfers; nothing keeps a view of its memory).
   */
  readF32(ptr: Ptr, n: number): Float32Array;
  readI32(ptr: Ptr, n: number): Int32Array;
  writeF32(ptr: Ptr, data: ArrayLike<number>): void;
  writeI32(ptr: Ptr, data: ArrayLike<number>): void;
  /**
   * Views for the kernel tests and benchmarks, valid until the next allocation (wasm memory may grow);
   * CPU backends only, not for library code.
   */
  f32(ptr: Ptr, n: number): Float32Array;
  i32(ptr: Ptr, n: number): Int32Array;
  f64(ptr: Ptr, n: number): Float64Array;
  readonly k: Kernels;
  stats(): PoolStats;
  /** starts a new high-water mark (peakBytes) from what is held now */
  resetPeak(): void;
  /**
   * Native, when HRM_THREADS is not set: every half second of kernel calls, use only the cores other
   * processes leave free (src/engine/free-cores.ts), at most `threads`. Off: exactly `threads`.
   */
  setAutoThreads(on: boolean): void;
  readonly autoThreads: boolean;
  /** gives every cached block back to the kernels' allocator */
  trim(): void;
  /** GPU backends: the adapter's name and the traffic so far (dispatches, reads); CPU backends: null */
  gpu(): { adapter: string; counters: GpuCounters } | null;
}

/** Wraps a loaded backend with the size-keyed pool and the typed kernel functions. */
class PooledBackend implements Backend {
  readonly name: BackendName;
  readonly isa: string;
  readonly k: Kernels;
  private nThreads: number;
  private readonly pool = new Map<number, Ptr[]>();
  private inUse = 0;
  private cached = 0;
  private peak = 0;
  private hits = 0;
  private misses = 0;
  private auto = false;
  private effective = 1;
  private autoChoice = Infinity;
  private countdown = 1;
  private nextCheck = 0;
  private freeCores: FreeCores | null = null;

  constructor(private readonly raw: RawBackend, threads: number, auto = false) {
    this.name = raw.name;
    this.isa = raw.isa;
    this.nThreads = 1;
    this.k = makeKernels(raw, () => {
      if (this.auto) this.retune();
    });
    this.setThreads(threads);
    this.setAutoThreads(auto);
  }

  get autoThreads(): boolean {
    return this.auto;
  }

  setAutoThreads(on: boolean): void {
    this.auto = on && this.raw.maxThreads > 1;
    // the measurement and the last choice persist across off/on: turning it on again resumes them
    if (this.auto && !this.freeCores) {
      this.freeCores = new FreeCores(availableParallelism());
      this.freeCores.sample();
    }
    this.effective = this.auto ? Math.min(this.autoChoice, this.nThreads) : this.nThreads;
    this.raw.setThreads(this.effective);
  }

  /** Every 64 kernel calls, at most every 500 ms: the threads the free cores allow (autoThreads). */
  private retune(): void {
    if (--this.countdown > 0) return;
    this.countdown = 64;
    const t = performance.now();
    if (t < this.nextCheck) return;
    this.nextCheck = t + 500;
    const free = this.freeCores!.sample();
    if (free === null) return;
    this.autoChoice = threadsFor(free, this.raw.maxThreads);
    const n = Math.min(this.autoChoice, this.nThreads);
    if (n !== this.effective) {
      this.effective = n;
      this.raw.setThreads(n);
    }
  }

  get threads(): number {
    return this.nThreads;
  }

  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new Error(`setThreads: need an integer >= 1, got ${n}`);
    this.nThreads = Math.min(n, this.raw.maxThreads);
    this.effective = this.nThreads;
    this.raw.setThreads(this.nThreads);
  }

  get splitFloor(): number {
    return this.raw.splitFloor ? this.raw.splitFloor() : Infinity;
  }

  setSplitFloor(ns: number): void {
    if (!(ns >= 0)) throw new Error(`setSplitFloor: need a number >= 0, got ${ns}`);
    this.raw.setSplitFloor?.(ns);
  }

  alloc(bytes: number): Ptr {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new Error(`alloc: bad byte count ${bytes}`);
    if (bytes === 0) return 0;
    const size = roundUp64(bytes);
    const list = this.pool.get(size);
    let p: Ptr;
    if (list && list.length > 0) {
      p = list.pop()!;
      this.cached -= size;
      this.hits++;
    } else {
      p = this.raw.alloc(size);
      this.misses++;
    }
    this.inUse += size;
    if (this.inUse + this.cached > this.peak) this.peak = this.inUse + this.cached;
    return p;
  }

  free(ptr: Ptr, bytes: number): void {
    if (ptr === 0 || bytes === 0) return;
    const size = roundUp64(bytes);
    let list = this.pool.get(size);
    if (!list) this.pool.set(size, (list = []));
    list.push(ptr);
    this.inUse -= size;
    this.cached += size;
  }

  readF32(ptr: Ptr, n: number): Float32Array {
    if (this.raw.read) return new Float32Array(this.raw.read(ptr, n * 4).buffer, 0, n);
    return this.raw.f32(ptr, n).slice();
  }
  readI32(ptr: Ptr, n: number): Int32Array {
    if (this.raw.read) return new Int32Array(this.raw.read(ptr, n * 4).buffer, 0, n);
    return this.raw.i32(ptr, n).slice();
  }
  writeF32(ptr: Ptr, data: ArrayLike<number>): void {
    if (data.length === 0) return;
    if (this.raw.write) this.raw.write(ptr, bytesOf(data instanceof Float32Array ? data : Float32Array.from(data)));
    else this.raw.f32(ptr, data.length).set(data);
  }
  writeI32(ptr: Ptr, data: ArrayLike<number>): void {
    if (data.length === 0) return;
    if (this.raw.write) this.raw.write(ptr, bytesOf(data instanceof Int32Array ? data : Int32Array.from(data)));
    else this.raw.i32(ptr, data.length).set(data);
  }

  gpu(): { adapter: string; counters: GpuCounters } | null {
    const r = this.raw as Partial<{ adapter: string; counters(): GpuCounters }>;
    return r.adapter !== undefined && r.counters ? { adapter: r.adapter, counters: r.counters() } : null;
  }

  f32(ptr: Ptr, n: number): Float32Array {
    return this.raw.f32(ptr, n);
  }
  i32(ptr: Ptr, n: number): Int32Array {
    return this.raw.i32(ptr, n);
  }
  f64(ptr: Ptr, n: number): Float64Array {
    return this.raw.f64(ptr, n);
  }

  stats(): PoolStats {
    return { bytesInUse: this.inUse, bytesCached: this.cached, peakBytes: this.peak, hits: this.hits, misses: this.misses };
  }

  resetPeak(): void {
    this.peak = this.inUse + this.cached;
  }

  trim(): void {
    for (const [size, list] of this.pool) for (const p of list) this.raw.free(p, size);
    this.pool.clear();
    this.cached = 0;
  }
}

function bytesOf(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function roundUp64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** One function per kernel: checks the arity, writes the arguments, calls by id. */
function makeKernels(raw: RawBackend, beforeCall: () => void): Kernels {
  const k: Record<string, (...a: number[]) => void> = {};
  KERNELS.forEach(([name, argNames], id) => {
    const n = argNames.length;
    const check = attentionCheck(name, raw);
    k[name] = function kernel(): void {
      if (arguments.length !== n) {
        throw new Error(`kernel ${name}: expected ${n} arguments (${argNames.join(', ')}), got ${arguments.length}`);
      }
      const a = raw.args();
      for (let i = 0; i < n; i++) a[i] = arguments[i] as number;
      if (check) check(a);
      beforeCall();
      raw.call(id);
    };
  });
  return k as unknown as Kernels;
}

/** The attention kernels keep a head's q, k, v in scratch: refuse sizes the scratch cannot hold
 * (the formula is att_scratch_floats in native/kernels/attention.c, backward case). */
function attentionCheck(name: string, raw: RawBackend): ((a: Float64Array) => void) | null {
  const fwd = name === 'attention_forward' || name === 'attention_forward_bf16';
  if (!fwd && name !== 'attention_backward' && name !== 'attention_backward_bf16') return null;
  const [iS, iD, iCos] = fwd ? [6, 8, 3] : [8, 10, 5];
  return (a) => {
    const S = a[iS], D = a[iD];
    if (a[iCos] !== 0 && D % 2 !== 0) throw new RangeError(`${name}: RoPE needs an even head_dim, got ${D}`);
    const Sp = Math.ceil(S / 32) * 32, Dp = Math.ceil(D / 16) * 16;
    if (D > 1024 || 7 * Sp * Dp + 66 * Sp + 8 * Dp > raw.attentionScratchFloats) {
      throw new RangeError(
        `${name}: S=${S}, head_dim=${D} needs more attention scratch than the ${raw.name} backend has ` +
          `(head_dim <= 1024; wasm: about S * head_dim <= 190000)`,
      );
    }
  };
}

// ---- selection ----

type Name = BackendName;
const loaded = new Map<Name, Backend>();
const failures = new Map<Name, string>();
let current: Backend | null = null;

function defaultThreads(): number {
  const env = process.env.HRM_THREADS;
  if (env === undefined || env === '') return availableParallelism();
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`HRM_THREADS must be an integer >= 1, got '${env}'`);
  return n;
}

/** Loads (once) and returns the named backend; throws an Error saying why when it cannot load. */
function load(name: Name): Backend {
  const have = loaded.get(name);
  if (have) return have;
  const failed = failures.get(name);
  if (failed) throw new Error(failed);
  let raw: RawBackend;
  try {
    raw = name === 'native' ? loadNative() : name === 'wasm' ? loadWasm() : loadWebGPU();
  } catch (e) {
    const msg = `the ${name} backend did not load: ${(e as Error).message}`;
    failures.set(name, msg);
    throw new Error(msg);
  }
  // HRM_THREADS pins the count; otherwise the native backend follows the cores left free
  const pinned = process.env.HRM_THREADS !== undefined && process.env.HRM_THREADS !== '';
  const b = new PooledBackend(raw, defaultThreads(), name === 'native' && !pinned);
  loaded.set(name, b);
  return b;
}

/** The current backend, chosen on first use (HRM_BACKEND, else native, else wasm with a notice). */
export function getBackend(): Backend {
  if (current) return current;
  // Settings are checked before anything loads: a bad one must not fall back or fail midway.
  defaultThreads();
  const env = process.env.HRM_BACKEND;
  const isa = process.env.HRM_ISA;
  if (isa !== undefined && isa !== '') {
    if (env === 'wasm') throw new UserError(`HRM_ISA=${isa} has no effect with HRM_BACKEND=wasm (it picks the native addon's instruction set); unset one of them`);
    // Asking for an instruction set asks for the native addon: no WebAssembly fallback.
    try {
      current = load('native');
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`HRM_ISA=${isa}: ${(e as Error).message.split('\n')[0]}`);
    }
    return current;
  }
  if (env !== undefined && env !== '') {
    if (!BACKEND_NAMES.includes(env as Name)) throw new UserError(`HRM_BACKEND must be 'native', 'wasm' or 'webgpu', got '${env}'`);
    try {
      current = load(env as Name);
    } catch (e) {
      // Asked for by name: no fallback, and the reason is the user's to fix (e.g. build the addon).
      if (e instanceof UserError) throw e;
      throw new UserError(`HRM_BACKEND=${env}: ${(e as Error).message.split('\n')[0]}`);
    }
    return current;
  }
  try {
    current = load('native');
  } catch (e) {
    process.stderr.write(`hrm-ts: ${(e as Error).message.split('\n')[0]}; using the WebAssembly backend\n`);
    current = load('wasm');
  }
  return current;
}

/** Makes `name` the current backend (loading it if needed) and returns it. */
export function setBackend(name: Name): Backend {
  if (!BACKEND_NAMES.includes(name)) throw new UserError(`backend must be 'native', 'wasm' or 'webgpu', got '${String(name)}'`);
  try {
    current = load(name);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError((e as Error).message.split('\n')[0]);
  }
  return current;
}

/** The backends that load on this machine, native first. */
export function availableBackends(): Name[] {
  const out: Name[] = [];
  for (const name of ['native', 'wasm'] as const) {
    try {
      load(name);
      out.push(name);
    } catch {
      // not available here
    }
  }
  return out;
}
