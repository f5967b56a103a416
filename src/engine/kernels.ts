/**
 * The kernel specification on the TypeScript side: every kernel of native/abi.c's table with its
 * argument names (the same order), the typed `Kernels` interface checked against the table at compile
 * time, and the `RawBackend` a loader (backends/native.ts, backends/wasm.ts) provides. It imports
 * nothing, so the loaders and backend.ts both depend on it without a cycle.
 */
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
  ['engine_limits', ['out']],
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
  /** out[0] = the build's most threads, out[1] = attention scratch floats per thread (-1: grown on demand) */
  engine_limits(out: Ptr): void;
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

/** The build's limits from its `engine_limits` kernel (C owns them; nothing is copied here). */
export function readEngineLimits(raw: Pick<RawBackend, 'alloc' | 'free' | 'f32' | 'args' | 'call'>): {
  maxThreads: number;
  attentionScratchFloats: number;
} {
  const id = KERNELS.findIndex(([n]) => n === 'engine_limits');
  const bytes = 2 * Float32Array.BYTES_PER_ELEMENT;
  const p = raw.alloc(bytes);
  try {
    raw.args()[0] = p;
    raw.call(id);
    const [threads, scratch] = raw.f32(p, 2);
    return { maxThreads: threads, attentionScratchFloats: scratch < 0 ? Infinity : scratch };
  } finally {
    raw.free(p, bytes);
  }
}
