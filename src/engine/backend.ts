/**
 * The compute backend: memory owned by the C kernels' side and typed calls into them.
 *
 * Two implementations load the same kernels (native/abi.c, docs/ENGINE.md section 2):
 *   native  the Node-API addon build/Release/hrm_kernels.node (AVX-512 / AVX2 / plain C, OpenMP threads)
 *   wasm    wasm/hrm_kernels.wasm (SIMD128, one thread), committed so that no compiler is needed
 * Choice: HRM_BACKEND=native|wasm; default native when the addon loads, else wasm with a one-line
 * notice on stderr. Threads: HRM_THREADS (default: all cores); idle OpenMP threads spin 10000 rounds
 * before sleeping (GOMP_SPINCOUNT, unless set). Loading is lazy and synchronous.
 *
 * A call writes its arguments into the shared Float64Array the kernels read (`abi_<name>(args)`),
 * then runs the kernel by id; nothing is marshalled. Freed blocks are pooled by exact size, so a
 * training step that repeats the same shapes allocates nothing new after the first.
 * Kernels are not reentrant: call them from one JS thread at a time (no concurrent worker_threads).
 */
import { availableParallelism } from 'node:os';
import { UserError } from '../util/errors.js';
import { loadNative } from './backends/native.js';
import { loadWasm } from './backends/wasm.js';

/** An address in backend memory: a real address (native) or a byte offset in linear memory (wasm). */
export type Ptr = number;

/**
 * Every kernel with its argument names, in the order of the table in native/abi.c. Pointers are
 * Ptr (0 = none where allowed), sizes are element counts, `ignore` is the ignored label.
 */
export const KERNELS = [
  ['set_threads', ['n']],
  ['gemm', ['transA', 'transB', 'M', 'N', 'K', 'alpha', 'A', 'lda', 'B', 'ldb', 'beta', 'Cm', 'ldc']],
  ['add_bias', ['y', 'b', 'N', 'C']],
  ['bias_grad', ['db', 'dy', 'N', 'C']],
  ['embedding_forward', ['out', 'ids', 'w', 'N', 'C']],
  ['embedding_backward', ['dw', 'ids', 'dout', 'N', 'C']],
  ['add_rmsnorm_forward', ['out', 'rstd', 'x', 'y', 'N', 'C', 'eps']],
  ['rmsnorm_backward', ['ds', 'dout', 'out', 'rstd', 'N', 'C']],
  ['attention_forward', ['out', 'lse', 'qkv', 'cos', 'sin', 'B', 'S', 'H', 'D']],
  ['attention_backward', ['dqkv', 'dout', 'qkv', 'out', 'lse', 'cos', 'sin', 'B', 'S', 'H', 'D']],
  ['swiglu_forward', ['out', 'gu', 'N', 'I']],
  ['swiglu_backward', ['dgu', 'dout', 'gu', 'N', 'I']],
  ['add', ['out', 'a', 'b', 'n']],
  ['mul', ['out', 'a', 'b', 'n']],
  ['add_rows', ['out', 'a', 'b', 'n', 'm']],
  ['scale', ['out', 'x', 's', 'n']],
  ['axpy', ['y', 'x', 'alpha', 'n']],
  ['fill', ['out', 'value', 'n']],
  ['copy2d', ['dst', 'dst_stride', 'src', 'src_stride', 'rows', 'cols']],
  ['stablemax_ce_forward', ['loss', 'logits', 'labels', 'N', 'V', 'ignore']],
  ['stablemax_ce_backward', ['dlogits', 'dloss', 'logits', 'labels', 'N', 'V', 'ignore']],
  ['softmax_ce_forward', ['loss', 'logits', 'labels', 'N', 'V', 'ignore']],
  ['softmax_ce_backward', ['dlogits', 'dloss', 'logits', 'labels', 'N', 'V', 'ignore']],
  ['bce_logits_forward', ['loss', 'x', 't', 'n']],
  ['bce_logits_backward', ['dx', 'dloss', 'x', 't', 'n']],
  ['sigmoid', ['out', 'x', 'n']],
  ['argmax', ['out', 'x', 'N', 'V']],
  ['sum', ['out', 'x', 'n']],
  ['where_rows', ['out', 'cond', 'a', 'b', 'B', 'R']],
  ['adam_atan2', ['p', 'g', 'm', 'v', 'n', 'lr', 'wd', 'b1', 'b2', 'bc1', 'bc2']],
  ['sign_sgd_rows', ['w', 'ids', 'g', 'n', 'C', 'lr', 'wd']],
  // bfloat16 compute (bf16 values held widened in float32; src/engine/dtype.ts picks these) and the probe
  ['gemm_bf16', ['transA', 'transB', 'M', 'N', 'K', 'alpha', 'A', 'lda', 'B', 'ldb', 'beta', 'Cm', 'ldc']],
  ['round_bf16', ['out', 'x', 'n']],
  ['add_rmsnorm_forward_bf16', ['out', 'rstd', 'x', 'y', 'N', 'C', 'eps']],
  ['attention_forward_bf16', ['out', 'lse', 'qkv', 'cos', 'sin', 'B', 'S', 'H', 'D']],
  ['attention_backward_bf16', ['dqkv', 'dout', 'qkv', 'out', 'lse', 'cos', 'sin', 'B', 'S', 'H', 'D']],
  ['swiglu_forward_bf16', ['out', 'gu', 'N', 'I']],
  ['swiglu_backward_bf16', ['dgu', 'dout', 'gu', 'N', 'I']],
  ['fma_peak', ['out', 'iters', 'threads']],
  ['transpose', ['out', 'x', 'B', 'R', 'C']],
] as const;

export type KernelName = (typeof KERNELS)[number][0];

/** The typed kernel calls (shapes and formulas: docs/ENGINE.md section 2). */
export interface Kernels {
  set_threads(n: number): void;
  gemm(transA: number, transB: number, M: number, N: number, K: number, alpha: number, A: Ptr, lda: number, B: Ptr,
    ldb: number, beta: number, Cm: Ptr, ldc: number): void;
  add_bias(y: Ptr, b: Ptr, N: number, C: number): void;
  bias_grad(db: Ptr, dy: Ptr, N: number, C: number): void;
  embedding_forward(out: Ptr, ids: Ptr, w: Ptr, N: number, C: number): void;
  embedding_backward(dw: Ptr, ids: Ptr, dout: Ptr, N: number, C: number): void;
  add_rmsnorm_forward(out: Ptr, rstd: Ptr, x: Ptr, y: Ptr, N: number, C: number, eps: number): void;
  rmsnorm_backward(ds: Ptr, dout: Ptr, out: Ptr, rstd: Ptr, N: number, C: number): void;
  attention_forward(out: Ptr, lse: Ptr, qkv: Ptr, cos: Ptr, sin: Ptr, B: number, S: number, H: number, D: number): void;
  attention_backward(dqkv: Ptr, dout: Ptr, qkv: Ptr, out: Ptr, lse: Ptr, cos: Ptr, sin: Ptr, B: number, S: number,
    H: number, D: number): void;
  swiglu_forward(out: Ptr, gu: Ptr, N: number, I: number): void;
  swiglu_backward(dgu: Ptr, dout: Ptr, gu: Ptr, N: number, I: number): void;
  add(out: Ptr, a: Ptr, b: Ptr, n: number): void;
  mul(out: Ptr, a: Ptr, b: Ptr, n: number): void;
  add_rows(out: Ptr, a: Ptr, b: Ptr, n: number, m: number): void;
  scale(out: Ptr, x: Ptr, s: number, n: number): void;
  axpy(y: Ptr, x: Ptr, alpha: number, n: number): void;
  fill(out: Ptr, value: number, n: number): void;
  copy2d(dst: Ptr, dst_stride: number, src: Ptr, src_stride: number, rows: number, cols: number): void;
  stablemax_ce_forward(loss: Ptr, logits: Ptr, labels: Ptr, N: number, V: number, ignore: number): void;
  stablemax_ce_backward(dlogits: Ptr, dloss: Ptr, logits: Ptr, labels: Ptr, N: number, V: number, ignore: number): void;
  softmax_ce_forward(loss: Ptr, logits: Ptr, labels: Ptr, N: number, V: number, ignore: number): void;
  softmax_ce_backward(dlogits: Ptr, dloss: Ptr, logits: Ptr, labels: Ptr, N: number, V: number, ignore: number): void;
  bce_logits_forward(loss: Ptr, x: Ptr, t: Ptr, n: number): void;
  bce_logits_backward(dx: Ptr, dloss: Ptr, x: Ptr, t: Ptr, n: number): void;
  sigmoid(out: Ptr, x: Ptr, n: number): void;
  argmax(out: Ptr, x: Ptr, N: number, V: number): void;
  sum(out: Ptr, x: Ptr, n: number): void;
  where_rows(out: Ptr, cond: Ptr, a: Ptr, b: Ptr, B: number, R: number): void;
  adam_atan2(p: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, lr: number, wd: number, b1: number, b2: number, bc1: number,
    bc2: number): void;
  sign_sgd_rows(w: Ptr, ids: Ptr, g: Ptr, n: number, C: number, lr: number, wd: number): void;
  gemm_bf16(transA: number, transB: number, M: number, N: number, K: number, alpha: number, A: Ptr, lda: number, B: Ptr,
    ldb: number, beta: number, Cm: Ptr, ldc: number): void;
  round_bf16(out: Ptr, x: Ptr, n: number): void;
  add_rmsnorm_forward_bf16(out: Ptr, rstd: Ptr, x: Ptr, y: Ptr, N: number, C: number, eps: number): void;
  attention_forward_bf16(out: Ptr, lse: Ptr, qkv: Ptr, cos: Ptr, sin: Ptr, B: number, S: number, H: number, D: number): void;
  attention_backward_bf16(dqkv: Ptr, dout: Ptr, qkv: Ptr, out: Ptr, lse: Ptr, cos: Ptr, sin: Ptr, B: number, S: number,
    H: number, D: number): void;
  swiglu_forward_bf16(out: Ptr, gu: Ptr, N: number, I: number): void;
  swiglu_backward_bf16(dgu: Ptr, dout: Ptr, gu: Ptr, N: number, I: number): void;
  /** out[0] = float32 operations done, out[1] = a checksum; `threads` threads (wasm: 1) */
  fma_peak(out: Ptr, iters: number, threads: number): void;
  transpose(out: Ptr, x: Ptr, B: number, R: number, C: number): void;
}

// Compile-time check that KERNELS and Kernels name the same kernels with the same arities.
type Arity<F> = F extends (...a: infer A) => void ? A['length'] : never;
type TableArity = { [E in (typeof KERNELS)[number] as E[0]]: E[1]['length'] };
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const tableMatches: Same<TableArity, { [K in keyof Kernels]: Arity<Kernels[K]> }> = true;
void tableMatches;

/** What a loader (backends/native.ts, backends/wasm.ts) provides; backend.ts adds pooling and typing. */
export interface RawBackend {
  readonly name: 'native' | 'wasm';
  readonly isa: string;
  /** the most threads it can use (wasm: 1) */
  readonly maxThreads: number;
  alloc(bytes: number): Ptr;
  free(ptr: Ptr, bytes: number): void;
  f32(ptr: Ptr, n: number): Float32Array;
  i32(ptr: Ptr, n: number): Int32Array;
  f64(ptr: Ptr, n: number): Float64Array;
  /** the current view of the shared argument buffer (at least 16 doubles) */
  args(): Float64Array;
  /** runs kernel `id` (index in KERNELS) on the arguments in args() */
  call(id: number): void;
  setThreads(n: number): void;
  /** floats of attention scratch the kernels have per thread (Infinity: grown on demand) */
  readonly attentionScratchFloats: number;
}

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

export interface Backend {
  readonly name: 'native' | 'wasm';
  /** the instruction set of the kernels: avx512, avx2, generic, wasm-simd128 */
  readonly isa: string;
  /** threads the kernels use (wasm: always 1) */
  readonly threads: number;
  setThreads(n: number): void;
  /** a block of at least `bytes` bytes, 64-byte aligned; 0 for 0 bytes */
  alloc(bytes: number): Ptr;
  /** returns a block to the pool; `bytes` must be what was passed to alloc */
  free(ptr: Ptr, bytes: number): void;
  /** views for reading and writing from JS, valid until the next allocation (wasm memory may grow) */
  f32(ptr: Ptr, n: number): Float32Array;
  i32(ptr: Ptr, n: number): Int32Array;
  f64(ptr: Ptr, n: number): Float64Array;
  readonly k: Kernels;
  stats(): PoolStats;
  /** gives every cached block back to the kernels' allocator */
  trim(): void;
}

/** Wraps a loaded backend with the size-keyed pool and the typed kernel functions. */
class PooledBackend implements Backend {
  readonly name: 'native' | 'wasm';
  readonly isa: string;
  readonly k: Kernels;
  private nThreads: number;
  private readonly pool = new Map<number, Ptr[]>();
  private inUse = 0;
  private cached = 0;
  private peak = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly raw: RawBackend, threads: number) {
    this.name = raw.name;
    this.isa = raw.isa;
    this.nThreads = 1;
    this.k = makeKernels(raw);
    this.setThreads(threads);
  }

  get threads(): number {
    return this.nThreads;
  }

  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new Error(`setThreads: need an integer >= 1, got ${n}`);
    this.nThreads = Math.min(n, this.raw.maxThreads);
    this.raw.setThreads(this.nThreads);
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

  trim(): void {
    for (const [size, list] of this.pool) for (const p of list) this.raw.free(p, size);
    this.pool.clear();
    this.cached = 0;
  }
}

function roundUp64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** One function per kernel: checks the arity, writes the arguments, calls by id. */
function makeKernels(raw: RawBackend): Kernels {
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

type Name = 'native' | 'wasm';
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
    raw = name === 'native' ? loadNative() : loadWasm();
  } catch (e) {
    const msg = `the ${name} backend did not load: ${(e as Error).message}`;
    failures.set(name, msg);
    throw new Error(msg);
  }
  const b = new PooledBackend(raw, defaultThreads());
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
    if (env !== 'native' && env !== 'wasm') throw new UserError(`HRM_BACKEND must be 'native' or 'wasm', got '${env}'`);
    try {
      current = load(env);
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
  if (name !== 'native' && name !== 'wasm') throw new UserError(`backend must be 'native' or 'wasm', got '${String(name)}'`);
  current = load(name);
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
