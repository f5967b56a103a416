/**
 * The native kernels choose per call how many threads to use, by the call's work (native/kernels/split.h,
 * issue #25). That choice must never change a result. Every kernel that can split is run on one thread,
 * on 2 and 3 threads splitting every call that can (split floor 0; 3 cuts the loops unevenly), and on 2
 * threads with the default floor, on sizes past that floor and across the kernels' chunk, block and
 * slice boundaries: the outputs must be the same bits. Then a few training steps of a small model give
 * the same weights on one thread as on two splitting every call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableBackends, setBackend, type Backend, type KernelName } from '../../src/engine/backend.js';
import { ACTLossHead } from '../../src/losses/act-loss-head.js';
import { buildRegisteredModel } from '../../src/models/registry.js';
import { AdamATan2 } from '../../src/optim/adam-atan2.js';
import { Rng } from '../../src/util/random.js';

const native = availableBackends().includes('native');
const skip = native ? false : 'the native backend is not built';

type Arg = number | Float32Array | Int32Array | null;

/** Runs `kernel` on copies of the array arguments; returns every array argument afterwards. */
function run(be: Backend, kernel: KernelName, args: Arg[]): (Float32Array | Int32Array)[] {
  const ptrs: number[] = [];
  const blocks: [number, number][] = [];
  for (const a of args) {
    if (a === null) ptrs.push(0);
    else if (typeof a === 'number') ptrs.push(a);
    else {
      const bytes = Math.max(4 * a.length, 4);
      const p = be.alloc(bytes);
      if (a instanceof Float32Array) be.writeF32(p, a);
      else be.writeI32(p, a);
      ptrs.push(p);
      blocks.push([p, bytes]);
    }
  }
  (be.k[kernel] as (...x: number[]) => void)(...ptrs);
  const out: (Float32Array | Int32Array)[] = [];
  args.forEach((a, i) => {
    if (a instanceof Float32Array) out.push(be.readF32(ptrs[i], a.length));
    else if (a instanceof Int32Array) out.push(be.readI32(ptrs[i], a.length));
  });
  for (const [p, bytes] of blocks) be.free(p, bytes);
  return out;
}

const rng = new Rng(25);
const normal = (n: number, s = 1): Float32Array => Float32Array.from({ length: n }, () => s * rng.normal());
const ints = (n: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => rng.int(hi));
const positive = (n: number): Float32Array => Float32Array.from({ length: n }, () => 0.5 + rng.random());
/** RoPE tables [S, D] (each angle twice: the halves layout) */
function rope(S: number, D: number): [Float32Array, Float32Array] {
  const cos = new Float32Array(S * D), sin = new Float32Array(S * D);
  for (let s = 0; s < S; s++) for (let i = 0; i < D / 2; i++) {
    const a = s / 10000 ** ((2 * i) / D);
    for (const d of [i, i + D / 2]) {
      cos[s * D + d] = Math.cos(a);
      sin[s * D + d] = Math.sin(a);
    }
  }
  return [cos, sin];
}

/** [label, kernel, args]: every kernel with a parallel loop, at sizes past its chunks and blocks. */
function cases(): [string, KernelName, Arg[]][] {
  const out: [string, KernelName, Arg[]][] = [];
  // gemm: the team path (many row tiles), column strips (few rows), K past one slice, transposes
  for (const [tA, tB, M, N, K] of [[0, 0, 300, 130, 70], [1, 0, 257, 96, 600], [0, 1, 5, 700, 40], [1, 1, 130, 41, 1030]]) {
    const A = normal(M * K), B = normal(K * N), C = normal(M * N);
    const [lda, ldb] = [tA ? M : K, tB ? K : N];
    out.push([`gemm ${tA}${tB} ${M}x${N}x${K}`, 'gemm', [tA, tB, M, N, K, 0.75, A, lda, B, ldb, 0.5, C, N]]);
    out.push([`gemm_bf16 ${tA}${tB} ${M}x${N}x${K}`, 'gemm_bf16', [tA, tB, M, N, K, 1, A, lda, B, ldb, 0, C, N]]);
  }
  // past the default floor (split.h: 80 us of estimated work a thread), so that the default splits too
  const N = 4000, C = 300, n = N * C + 13;
  out.push(['add_bias', 'add_bias', [normal(N * C), normal(C), N, C]]);
  out.push(['bias_grad', 'bias_grad', [normal(C), normal(N * C), N, C]]);
  out.push(['embedding_forward', 'embedding_forward', [new Float32Array(N * C), ints(N, 50), normal(50 * C), N, C]]);
  out.push(['embedding_backward', 'embedding_backward', [normal(50 * C), ints(N, 50), normal(N * C), N, C]]);
  for (const k of ['add_rmsnorm_forward', 'add_rmsnorm_forward_bf16'] as const) {
    out.push([k, k, [new Float32Array(N * C), new Float32Array(N), normal(N * C), normal(N * C), N, C, 1e-5]]);
  }
  out.push(['rmsnorm_backward', 'rmsnorm_backward', [new Float32Array(N * C), normal(N * C), normal(N * C), positive(N), N, C]]);
  for (const k of ['swiglu_forward', 'swiglu_forward_bf16'] as const) out.push([k, k, [new Float32Array(N * 150), normal(N * C), N, 150]]);
  for (const k of ['swiglu_backward', 'swiglu_backward_bf16'] as const) out.push([k, k, [new Float32Array(N * C), normal(N * 150), normal(N * C), N, 150]]);
  const [B, S, H, D] = [3, 70, 4, 16];
  const [cos, sin] = rope(S, D);
  const qkv = normal(B * S * 3 * H * D), att = new Float32Array(B * S * H * D), lse = new Float32Array(B * H * S);
  for (const bf16 of ['', '_bf16'] as const) {
    const fwd = `attention_forward${bf16}` as const, bwd = `attention_backward${bf16}` as const;
    out.push([fwd, fwd, [att, lse, qkv, cos, sin, B, S, H, D]]);
    // the backward needs the forward's out and lse: computed here on the current backend, one thread
    const be = setBackend('native');
    be.setThreads(1);
    const [o, l] = run(be, fwd, [att, lse, qkv, cos, sin, B, S, H, D]) as Float32Array[];
    out.push([bwd, bwd, [new Float32Array(qkv.length), normal(o.length), qkv, o, l, cos, sin, B, S, H, D]]);
  }
  for (const k of ['add', 'mul'] as const) out.push([k, k, [new Float32Array(n), normal(n), normal(n), n]]);
  out.push(['add_rows', 'add_rows', [new Float32Array(N * C), normal(N * C), normal(C), N * C, C]]);
  out.push(['scale', 'scale', [new Float32Array(n), normal(n), 0.3, n]]);
  out.push(['axpy', 'axpy', [normal(n), normal(n), -0.7, n]]);
  out.push(['fill', 'fill', [new Float32Array(n), 1.25, n]]);
  out.push(['fill_scaled', 'fill_scaled', [new Float32Array(n), normal(n), 0.5, n]]);
  out.push(['sigmoid', 'sigmoid', [new Float32Array(n), normal(n, 4), n]]);
  out.push(['round_bf16', 'round_bf16', [new Float32Array(n), normal(n), n]]);
  out.push(['copy2d', 'copy2d', [new Float32Array(N * 400), 400, normal(N * C), C, N, C]]);
  const V = 111, labels = ints(N, V);
  labels[3] = -100;
  for (const k of ['stablemax_ce_forward', 'softmax_ce_forward'] as const) out.push([k, k, [new Float32Array(N), normal(N * V, 3), labels, N, V, -100]]);
  for (const k of ['stablemax_ce_backward', 'softmax_ce_backward'] as const) {
    out.push([k, k, [new Float32Array(N * V), normal(N), normal(N * V, 3), labels, N, V, -100]]);
  }
  out.push(['argmax', 'argmax', [new Int32Array(N), normal(N * V), N, V]]);
  out.push(['where_rows', 'where_rows', [new Float32Array(N * C), ints(N, 2), normal(N * C), normal(N * C), N, C]]);
  out.push(['adam_atan2', 'adam_atan2', [normal(n), normal(n), normal(n, 0.1), positive(n), n, 1e-3, 0.1, 0.9, 0.95, 0.19, 0.0975]]);
  out.push(['transpose', 'transpose', [new Float32Array(7 * 81 * 70), normal(7 * 81 * 70), 7, 81, 70]]);
  return out;
}

/** Runs fn with at most `threads` threads per call and split floor `floor` (ns a thread; 0: split all). */
function withThreads<T>(be: Backend, threads: number, floor: number, fn: () => T): T {
  const before = [be.threads, be.splitFloor] as const;
  be.setThreads(threads);
  be.setSplitFloor(floor);
  try {
    return fn();
  } finally {
    be.setThreads(before[0]);
    be.setSplitFloor(before[1]);
  }
}

function sameBits(what: string, got: Float32Array | Int32Array, want: Float32Array | Int32Array): void {
  const a = new Int32Array(got.buffer, got.byteOffset, got.length), b = new Int32Array(want.buffer, want.byteOffset, want.length);
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++) {
    if (a[i] !== b[i]) assert.fail(`${what}: element ${i} is ${got[i]}, one thread gives ${want[i]}`);
  }
}

test('every splitting kernel gives the same bits on one thread and split over 2 or 3', { skip }, () => {
  const be = setBackend('native');
  const floor = be.splitFloor;
  assert.ok(floor > 0 && Number.isFinite(floor), `the default split floor is ${floor}`);
  for (const [what, kernel, args] of cases()) {
    const one = withThreads(be, 1, floor, () => run(be, kernel, args));
    for (const [threads, f, how] of [[2, 0, 'every call split'], [3, 0, 'every call split'], [2, floor, 'the default floor']] as const) {
      const got = withThreads(be, threads, f, () => run(be, kernel, args));
      got.forEach((o, i) => sameBits(`${what} (array ${i}), ${threads} threads, ${how}`, o, one[i]));
    }
  }
});

test('a few training steps give the same weights on one thread and on two splitting every call', { skip }, () => {
  const be = setBackend('native');
  const weights = (threads: number, floor: number): Float32Array[] =>
    withThreads(be, threads, floor, () => {
      const [B, T] = [16, 81];
      const arch = { hidden_size: 64, num_heads: 4, expansion: 4, L_layers: 2, H_cycles: 2, L_cycles: 2, halt_max_steps: 4, puzzle_emb_ndim: 0, pos_encodings: 'rope' };
      const r = new Rng(3);
      const model = buildRegisteredModel('trm', { batch_size: B, seq_len: T, vocab_size: 11, num_puzzle_identifiers: 1, ...arch }, r, 'threads test');
      const adam = new AdamATan2(model.parameters(), { weightDecay: 0.1 });
      const head = new ACTLossHead(model);
      let carry = model.initialCarry(B);
      for (let s = 0; s < 3; s++) {
        const inputs = Int32Array.from({ length: B * T }, () => r.int(11));
        const labels = Int32Array.from(inputs, (x) => (x === 0 ? -100 : 1 + ((x + 3) % 10)));
        carry = head.trainStep(carry, { inputs, labels, puzzle_identifiers: new Int32Array(B) }, { globalBatchSize: B }).carry;
        adam.step(1e-3);
        adam.zeroGrad();
      }
      const w = model.parameters().map(([, t]) => t.toFloat32Array());
      model.disposeCarry(carry);
      adam.dispose();
      model.dispose();
      return w;
    });
  const one = weights(1, be.splitFloor), two = weights(2, 0);
  assert.equal(two.length, one.length);
  two.forEach((w, i) => sameBits(`parameter ${i}`, w, one[i]));
});
