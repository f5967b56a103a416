/**
 * Every kernel of docs/ENGINE.md section 2 on every available backend against the plain-JS
 * references in kernel-reference.ts (small random shapes with odd sizes, so that vector tails and
 * padding are exercised), then the backends against each other and one thread against two.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../fixtures.js';
import { availableBackends, KERNELS, setBackend, type Backend, type KernelName } from '../../src/engine/backend.js';
import { roundBf16 } from '../../src/engine/dtype.js';
import { Rng } from '../../src/util/random.js';
import * as ref from './kernel-reference.js';

type Arr = Float32Array | Int32Array;
type Arg = number | Arr | null;

interface Case {
  /** a label for messages */
  what: string;
  kernel: KernelName;
  args: Arg[];
  /** expected contents of array arguments after the call, by argument index */
  expect: Record<number, ArrayLike<number>>;
  /** tolerance relative to the largest expected magnitude (plus 1e-6 absolute) */
  tol?: number;
  /**
   * bfloat16 outputs: 'close' = every value a bf16 value, within one bf16 step of the reference and
   * equal to it in >= 99% of places (a float32 rounding difference may flip a few roundings); 'rms' =
   * every value a bf16 value and ||got - want|| / ||want|| <= tol (the reference does not round inside)
   */
  bf16?: 'close' | 'rms';
  /** extra checks on the results (kernels without a reference array, e.g. the peak probe) */
  check?: (res: (Arr | null)[]) => void;
}

const isBf16 = (x: number): boolean => Number.isNaN(x) || roundBf16(x) === x;
const rb = (a: ArrayLike<number>): Float32Array => Float32Array.from(a, roundBf16);

function assertBf16(what: string, got: ArrayLike<number>, want: ArrayLike<number>, mode: 'close' | 'rms', tol: number): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let same = 0, num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    if (!isBf16(got[i])) assert.fail(`${what}: element ${i} = ${got[i]} is not a bfloat16 value`);
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
    if (got[i] === want[i]) same++;
    else if (mode === 'close' && !(Math.abs(got[i] - want[i]) <= Math.abs(want[i]) * 2 ** -7 + 1e-30)) {
      assert.fail(`${what}: element ${i}: got ${got[i]}, want ${want[i]} (more than one bf16 step)`);
    }
  }
  if (mode === 'close') assert.ok(same >= 0.99 * want.length, `${what}: only ${same} of ${want.length} equal`);
  else assert.ok(Math.sqrt(num / Math.max(den, 1e-300)) <= tol, `${what}: relative RMS ${Math.sqrt(num / den)} > ${tol}`);
}

/** Copies array arguments into backend memory, runs the kernel, returns every array argument after. */
function runKernel(be: Backend, kernel: KernelName, args: Arg[]): (Arr | null)[] {
  const ptrs: number[] = [];
  const blocks: [number, number][] = [];
  for (const a of args) {
    if (a === null) ptrs.push(0);
    else if (typeof a === 'number') ptrs.push(a);
    else {
      const bytes = Math.max(a.length * 4, 4);
      const p = be.alloc(bytes);
      if (a instanceof Float32Array) be.f32(p, a.length).set(a);
      else be.i32(p, a.length).set(a);
      ptrs.push(p);
      blocks.push([p, bytes]);
    }
  }
  (be.k[kernel] as (...x: number[]) => void)(...ptrs);
  const out = args.map((a, i) => {
    if (a === null || typeof a === 'number') return null;
    return a instanceof Float32Array ? be.f32(ptrs[i], a.length).slice() : be.i32(ptrs[i], a.length).slice();
  });
  for (const [p, bytes] of blocks) be.free(p, bytes);
  return out;
}

function assertClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  const lim = tol * scale + 1e-6;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= lim)) assert.fail(`${what}: element ${i}: got ${got[i]}, want ${want[i]} (|diff| ${d} > ${lim})`);
  }
}

// ---- inputs ----
const f32 = (n: number, f: (i: number) => number): Float32Array => Float32Array.from({ length: n }, (_, i) => f(i));
const normal = (rng: Rng, n: number, s = 1): Float32Array => f32(n, () => s * rng.normal());
const ints = (rng: Rng, n: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => rng.int(hi));

function ropeTables(S: number, D: number): [Float32Array, Float32Array] {
  const cos = new Float32Array(S * D), sin = new Float32Array(S * D);
  for (let s = 0; s < S; s++) {
    for (let i = 0; i < D / 2; i++) {
      const a = s * Math.pow(10000, (-2 * i) / D);
      for (const d of [i, i + D / 2]) {
        cos[s * D + d] = Math.cos(a);
        sin[s * D + d] = Math.sin(a);
      }
    }
  }
  return [cos, sin];
}

function cases(): Case[] {
  const rng = new Rng(1234);
  const out: Case[] = [];

  // gemm: all four transposes, leading dimensions larger than the rows, beta 0 over NaN, beta != 0
  for (const [M, N, K] of [[37, 29, 23], [130, 70, 300], [1, 17, 5]]) {
    for (const [tA, tB] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
      for (const beta of [0, 0.5]) {
        const lda = (tA ? M : K) + 3, ldb = (tB ? K : N) + 1, ldc = N + 2;
        const A = normal(rng, (tA ? K : M) * lda), B = normal(rng, (tB ? N : K) * ldb);
        const C = beta === 0 ? f32(M * ldc, () => NaN) : normal(rng, M * ldc);
        const want = ref.gemm(tA, tB, M, N, K, 0.7, A, lda, B, ldb, beta, C, ldc);
        if (beta === 0) for (let i = 0; i < M; i++) for (let j = N; j < ldc; j++) want[i * ldc + j] = NaN;
        out.push({ what: `gemm ${M}x${N}x${K} t${tA}${tB} beta ${beta}`, kernel: 'gemm',
          args: [tA, tB, M, N, K, 0.7, A, lda, B, ldb, beta, C, ldc], expect: { 11: want }, tol: 2e-5 });
      }
    }
  }

  {
    const N = 13, C = 37, y = normal(rng, N * C), b = normal(rng, C), db = normal(rng, C);
    out.push({ what: 'add_bias', kernel: 'add_bias', args: [y, b, N, C], expect: { 0: ref.addBias(y, b, N, C) } });
    const dy = normal(rng, 300 * 260), db2 = normal(rng, 260);
    out.push({ what: 'bias_grad', kernel: 'bias_grad', args: [db2, dy, 300, 260], expect: { 0: ref.biasGrad(db2, dy, 300, 260) } });
    out.push({ what: 'bias_grad small', kernel: 'bias_grad', args: [db, y, N, C], expect: { 0: ref.biasGrad(db, y, N, C) } });
  }
  {
    const V = 11, N = 29, C = 37, ids = ints(rng, N, V), w = normal(rng, V * C), dout = normal(rng, N * C), dw = normal(rng, V * C);
    out.push({ what: 'embedding_forward', kernel: 'embedding_forward', args: [new Float32Array(N * C), ids, w, N, C], expect: { 0: ref.embeddingForward(ids, w, N, C) } });
    out.push({ what: 'embedding_backward', kernel: 'embedding_backward', args: [dw, ids, dout, N, C], expect: { 0: ref.embeddingBackward(dw, ids, dout, N, C) } });
    const N2 = 700, C2 = 300, ids2 = ints(rng, N2, V), dout2 = normal(rng, N2 * C2), dw2 = normal(rng, V * C2);
    out.push({ what: 'embedding_backward (threads)', kernel: 'embedding_backward', args: [dw2, ids2, dout2, N2, C2], expect: { 0: ref.embeddingBackward(dw2, ids2, dout2, N2, C2) } });
  }
  for (const [N, C] of [[7, 45], [300, 256], [3, 5]]) {
    const x = normal(rng, N * C, 2), y = normal(rng, N * C), eps = 1e-5;
    const r1 = ref.addRmsnormForward(x, y, N, C, eps), r0 = ref.addRmsnormForward(x, null, N, C, eps);
    out.push({ what: `add_rmsnorm_forward ${N}x${C}`, kernel: 'add_rmsnorm_forward', args: [new Float32Array(N * C), new Float32Array(N), x, y, N, C, eps], expect: { 0: r1.out, 1: r1.rstd } });
    out.push({ what: `add_rmsnorm_forward ${N}x${C} y=0`, kernel: 'add_rmsnorm_forward', args: [new Float32Array(N * C), new Float32Array(N), x, null, N, C, eps], expect: { 0: r0.out, 1: r0.rstd } });
    const dout = normal(rng, N * C), o = Float32Array.from(r1.out), rs = Float32Array.from(r1.rstd);
    out.push({ what: `rmsnorm_backward ${N}x${C}`, kernel: 'rmsnorm_backward', args: [new Float32Array(N * C), dout, o, rs, N, C], expect: { 0: ref.rmsnormBackward(dout, o, rs, N, C) } });
  }
  for (const [B, S, H, D, rope] of [[2, 19, 3, 10, true], [1, 37, 2, 24, false], [2, 1, 1, 4, true], [3, 81, 2, 64, true], [1, 1024, 1, 16, true]] as const) {
    const qkv = normal(rng, B * S * 3 * H * D);
    const [cos, sin] = rope ? ropeTables(S, D) : [null, null];
    const f = ref.attentionForward(qkv, cos, sin, B, S, H, D);
    const what = `attention ${B}x${S}x${H}x${D}${rope ? ' rope' : ''}`;
    out.push({ what: `${what} forward`, kernel: 'attention_forward', args: [new Float32Array(B * S * H * D), new Float32Array(B * H * S), qkv, cos, sin, B, S, H, D], expect: { 0: f.out, 1: f.lse } });
    const dout = normal(rng, B * S * H * D);
    const want = ref.attentionBackward(dout, qkv, cos, sin, B, S, H, D);
    out.push({ what: `${what} backward`, kernel: 'attention_backward',
      args: [new Float32Array(B * S * 3 * H * D), dout, qkv, Float32Array.from(f.out), Float32Array.from(f.lse), cos, sin, B, S, H, D], expect: { 0: want }, tol: 2e-5 });
  }
  for (const [N, I] of [[9, 37], [100, 768]]) {
    const gu = normal(rng, N * 2 * I, 3), dout = normal(rng, N * I);
    out.push({ what: `swiglu_forward ${N}x${I}`, kernel: 'swiglu_forward', args: [new Float32Array(N * I), gu, N, I], expect: { 0: ref.swigluForward(gu, N, I) } });
    out.push({ what: `swiglu_backward ${N}x${I}`, kernel: 'swiglu_backward', args: [new Float32Array(N * 2 * I), dout, gu, N, I], expect: { 0: ref.swigluBackward(dout, gu, N, I) } });
  }
  for (const n of [1001, 100003]) {
    const a = normal(rng, n), b = normal(rng, n), o = new Float32Array(n);
    out.push({ what: `add ${n}`, kernel: 'add', args: [o, a, b, n], expect: { 0: ref.add(a, b) } });
    out.push({ what: `mul ${n}`, kernel: 'mul', args: [o, a, b, n], expect: { 0: ref.mul(a, b) } });
    out.push({ what: `scale ${n}`, kernel: 'scale', args: [o, a, -1.5, n], expect: { 0: ref.scale(a, -1.5) } });
    out.push({ what: `axpy ${n}`, kernel: 'axpy', args: [a, b, 0.25, n], expect: { 0: ref.axpy(a, b, 0.25) } });
    out.push({ what: `fill ${n}`, kernel: 'fill', args: [o, 3.5, n], expect: { 0: new Float64Array(n).fill(3.5) } });
    out.push({ what: `fill_scaled ${n}`, kernel: 'fill_scaled', args: [o, Float32Array.of(-1.25), 0.5, n], expect: { 0: new Float64Array(n).fill(-0.625) }, tol: 0 });
    const x = f32(n, (i) => (i % 7 === 0 ? [-100, 100, 0, -88, 89, 1e-3, -20][(i / 7) % 7] : 8 * rng.normal()));
    out.push({ what: `sigmoid ${n}`, kernel: 'sigmoid', args: [o, x, n], expect: { 0: ref.sigmoid(x) }, tol: 2e-6 });
    // float64 inside: the float32 rounding of the JS formula, exactly (ops-gradcheck sweeps every exponent)
    out.push({ what: `sigmoid_f64 ${n}`, kernel: 'sigmoid_f64', args: [o, x, n], expect: { 0: Float64Array.from(x, (v) => Math.fround(1 / (1 + Math.exp(-v)))) }, tol: 0 });
    out.push({ what: `maximum ${n}`, kernel: 'maximum', args: [o, a, b, n], expect: { 0: Float64Array.from(a, (v, i) => Math.max(v, b[i])) }, tol: 0 });
    const m = 37, rows = Math.floor(n / m), bb = normal(rng, m);
    out.push({ what: `add_rows ${rows}x${m}`, kernel: 'add_rows', args: [new Float32Array(rows * m), a.subarray(0, rows * m), bb, rows * m, m], expect: { 0: ref.addRows(a.subarray(0, rows * m), bb, m) } });
  }
  {
    const rows = 13, cols = 19, src = normal(rng, rows * 25), dst = normal(rng, rows * 31);
    out.push({ what: 'copy2d', kernel: 'copy2d', args: [dst, 31, src, 25, rows, cols], expect: { 0: ref.copy2d(dst, 31, src, 25, rows, cols) } });
    const src2 = normal(rng, 400 * 300), dst2 = normal(rng, 400 * 200);
    out.push({ what: 'copy2d (threads)', kernel: 'copy2d', args: [dst2, 200, src2.subarray(7), 300, 399, 150], expect: { 0: ref.copy2d(dst2, 200, src2.subarray(7), 300, 399, 150) } });
  }
  for (const [N, V] of [[13, 11], [97, 37]]) {
    const logits = f32(N * V, (i) => rng.normal() * [1, 10, 100, 0.01][Math.floor(i / V) % 4]);
    const labels = Int32Array.from({ length: N }, (_, i) => (i % 5 === 3 ? -100 : rng.int(V)));
    const dloss = normal(rng, N);
    const st = ref.stablemaxCe(logits, labels, dloss, N, V, -100), sm = ref.softmaxCe(logits, labels, dloss, N, V, -100);
    out.push({ what: `stablemax_ce_forward ${N}x${V}`, kernel: 'stablemax_ce_forward', args: [new Float32Array(N), logits, labels, N, V, -100], expect: { 0: st.loss } });
    out.push({ what: `stablemax_ce_backward ${N}x${V}`, kernel: 'stablemax_ce_backward', args: [new Float32Array(N * V), dloss, logits, labels, N, V, -100], expect: { 0: st.dlogits } });
    out.push({ what: `softmax_ce_forward ${N}x${V}`, kernel: 'softmax_ce_forward', args: [new Float32Array(N), logits, labels, N, V, -100], expect: { 0: sm.loss } });
    out.push({ what: `softmax_ce_backward ${N}x${V}`, kernel: 'softmax_ce_backward', args: [new Float32Array(N * V), dloss, logits, labels, N, V, -100], expect: { 0: sm.dlogits } });
    // ties: the first maximum wins; a NaN is the largest (torch.argmax), the first NaN of a row
    const am = f32(N * V, (i) => (i % 23 === 5 || i % 23 === 7 ? NaN : Math.round(rng.normal() * 2)));
    out.push({ what: `argmax ${N}x${V}`, kernel: 'argmax', args: [new Int32Array(N), am, N, V], expect: { 0: ref.argmax(am, N, V) } });
  }
  {
    const n = 37, x = f32(n, (i) => rng.normal() * [0.1, 1, 10, 40][i % 4]), t = f32(n, () => rng.random()), dl = normal(rng, n);
    out.push({ what: 'bce_logits_forward', kernel: 'bce_logits_forward', args: [new Float32Array(n), x, t, n], expect: { 0: ref.bceForward(x, t) } });
    out.push({ what: 'bce_logits_backward', kernel: 'bce_logits_backward', args: [new Float32Array(n), dl, x, t, n], expect: { 0: ref.bceBackward(dl, x, t) } });
  }
  {
    const x = f32(10007, () => rng.normal() + 0.5);
    out.push({ what: 'sum', kernel: 'sum', args: [new Float32Array(1), x, x.length], expect: { 0: [ref.sum(x)] }, tol: 1e-6 });
    const B = 7, R = 19, cond = Int32Array.from([1, 0, 0, 1, 1, 0, 1]), a = normal(rng, B * R), b = normal(rng, B * R);
    out.push({ what: 'where_rows', kernel: 'where_rows', args: [new Float32Array(B * R), cond, a, b, B, R], expect: { 0: ref.whereRows(cond, a, b, B, R) } });
  }
  for (const n of [1037, 70001]) {
    const p = normal(rng, n), g = f32(n, (i) => (i % 11 === 0 ? 0 : rng.normal() * 1e-2));
    const m = f32(n, (i) => (i % 11 === 0 ? 0 : rng.normal() * 1e-2)), v = f32(n, (i) => (i % 11 === 0 ? 0 : rng.random() * 1e-4));
    const [lr, wd, b1, b2, t] = [1e-3, 0.1, 0.9, 0.95, 3];
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    const r = ref.adamAtan2(p, g, m, v, lr, wd, b1, b2, bc1, bc2);
    out.push({ what: `adam_atan2 ${n}`, kernel: 'adam_atan2', args: [p, g, m, v, n, lr, wd, b1, b2, bc1, bc2], expect: { 0: r.p, 2: r.m, 3: r.v }, tol: 1e-6 });
  }
  {
    const V = 11, C = 37, n = 5, w = normal(rng, V * C), ids = Int32Array.from([7, 0, 10, 3, 4]);
    const g = f32(n * C, (i) => (i % 6 === 0 ? 0 : rng.normal()));
    out.push({ what: 'sign_sgd_rows', kernel: 'sign_sgd_rows', args: [w, ids, g, n, C, 0.01, 0.5], expect: { 0: ref.signSgdRows(w, ids, g, n, C, 0.01, 0.5) } });
  }
  bf16Cases(rng, out);
  for (const [B, R, C] of [[3, 18, 37], [5, 83, 130]]) {
    // odd sizes cross the 32-wide tiles; the second is large enough to run threaded
    const x = normal(rng, B * R * C);
    out.push({ what: `transpose ${B}x${R}x${C}`, kernel: 'transpose', args: [new Float32Array(B * R * C), x, B, R, C], expect: { 0: ref.transpose(x, B, R, C) } });
  }
  return out;
}

/** The bfloat16 kernels (src/engine/dtype.ts) and the FMA peak probe. */
function bf16Cases(rng: Rng, out: Case[]): void {
  {
    // ties to even both ways, the largest finite float (rounds to infinity), infinities, NaN, subnormals
    const special = [1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 2 ** -8), 3.4028234663852886e38, Infinity, -Infinity, NaN, 1e-40, -3e-39, 0, -0];
    const n = 1000 + special.length, x = f32(n, (i) => (i < special.length ? special[i] : 50 * rng.normal()));
    const want = Float64Array.from(x, (v) => roundBf16(v));
    assert.equal(roundBf16(1 + 2 ** -8), 1);
    assert.equal(roundBf16(1 + 3 * 2 ** -8), 1 + 2 ** -6);
    assert.equal(roundBf16(3.4028234663852886e38), Infinity);
    out.push({ what: `round_bf16 ${n}`, kernel: 'round_bf16', args: [new Float32Array(n), x, n], expect: {},
      check: (res) => {
        const got = res[0] as Float32Array;
        for (let i = 0; i < n; i++) assert.ok(Object.is(got[i], Math.fround(want[i])), `round_bf16(${x[i]}): got ${got[i]}, want ${want[i]}`);
      } });
    const big = normal(rng, 70001);
    out.push({ what: 'round_bf16 (threads)', kernel: 'round_bf16', args: [new Float32Array(big.length), big, big.length], expect: { 0: Float64Array.from(big, (v) => roundBf16(v)) }, tol: 0 });
  }
  // gemm_bf16: exactly the float32 gemm of the rounded operands (bf16 products are exact in float32)
  for (const [M, N, K] of [[37, 29, 23], [130, 70, 300]]) {
    for (const [tA, tB] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
      const beta = tA ? 0.5 : 0;
      const lda = (tA ? M : K) + 3, ldb = (tB ? K : N) + 1, ldc = N + 2;
      const A = normal(rng, (tA ? K : M) * lda), B = normal(rng, (tB ? N : K) * ldb);
      const C = beta === 0 ? f32(M * ldc, () => NaN) : normal(rng, M * ldc);
      const want = ref.gemm(tA, tB, M, N, K, 0.7, rb(A), lda, rb(B), ldb, beta, C, ldc);
      if (beta === 0) for (let i = 0; i < M; i++) for (let j = N; j < ldc; j++) want[i * ldc + j] = NaN;
      out.push({ what: `gemm_bf16 ${M}x${N}x${K} t${tA}${tB} beta ${beta}`, kernel: 'gemm_bf16',
        args: [tA, tB, M, N, K, 0.7, A, lda, B, ldb, beta, C, ldc], expect: { 11: want }, tol: 2e-5 });
    }
  }
  for (const [N, C] of [[7, 45], [300, 256]]) {
    const x = rb(normal(rng, N * C, 2)), y = rb(normal(rng, N * C)), eps = 1e-5;
    const s = rb(f32(N * C, (i) => x[i] + y[i]));
    const r = ref.addRmsnormForward(s, null, N, C, eps);
    out.push({ what: `add_rmsnorm_forward_bf16 ${N}x${C}`, kernel: 'add_rmsnorm_forward_bf16', args: [new Float32Array(N * C), new Float32Array(N), x, y, N, C, eps],
      expect: { 0: Float64Array.from(r.out, roundBf16), 1: r.rstd }, bf16: 'close' });
    const r0 = ref.addRmsnormForward(x, null, N, C, eps);
    out.push({ what: `add_rmsnorm_forward_bf16 ${N}x${C} y=0`, kernel: 'add_rmsnorm_forward_bf16', args: [new Float32Array(N * C), new Float32Array(N), x, null, N, C, eps],
      expect: { 0: Float64Array.from(r0.out, roundBf16), 1: r0.rstd }, bf16: 'close' });
  }
  for (const [N, I] of [[9, 37], [100, 768]]) {
    const gu = rb(normal(rng, N * 2 * I, 3)), dout = rb(normal(rng, N * I));
    const fwd = new Float64Array(N * I), bwd = new Float64Array(N * 2 * I);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < I; i++) {
        const g = gu[n * 2 * I + i], u = gu[n * 2 * I + I + i], d = dout[n * I + i];
        const sg = 1 / (1 + Math.exp(-g)), silu = roundBf16(g * sg);
        fwd[n * I + i] = roundBf16(silu * u);
        bwd[n * 2 * I + I + i] = roundBf16(d * silu);
        bwd[n * 2 * I + i] = roundBf16(roundBf16(d * u) * sg * (1 + g * (1 - sg)));
      }
    }
    out.push({ what: `swiglu_forward_bf16 ${N}x${I}`, kernel: 'swiglu_forward_bf16', args: [new Float32Array(N * I), gu, N, I], expect: { 0: fwd }, bf16: 'close' });
    out.push({ what: `swiglu_backward_bf16 ${N}x${I}`, kernel: 'swiglu_backward_bf16', args: [new Float32Array(N * 2 * I), dout, gu, N, I], expect: { 0: bwd }, bf16: 'close' });
  }
  // attention_*_bf16 against the float64 reference on bf16 inputs: the kernel rounds q, k after RoPE,
  // the probabilities, the output and the gradients, which the reference does not: about 2^-9
  // relative per rounding, so it must land within 1e-2 relative RMS, and on bf16 values
  for (const [B, S, H, D, rope] of [[2, 19, 3, 10, true], [1, 37, 2, 24, false], [3, 81, 2, 64, true]] as const) {
    const qkv = rb(normal(rng, B * S * 3 * H * D));
    const [cos, sin] = rope ? ropeTables(S, D) : [null, null];
    const f = ref.attentionForward(qkv, cos, sin, B, S, H, D);
    const what = `attention_bf16 ${B}x${S}x${H}x${D}${rope ? ' rope' : ''}`;
    out.push({ what: `${what} forward`, kernel: 'attention_forward_bf16', args: [new Float32Array(B * S * H * D), new Float32Array(B * H * S), qkv, cos, sin, B, S, H, D],
      expect: { 0: f.out }, bf16: 'rms', tol: 1e-2 });
    const dout = rb(normal(rng, B * S * H * D));
    const want = ref.attentionBackward(dout, qkv, cos, sin, B, S, H, D);
    out.push({ what: `${what} backward`, kernel: 'attention_backward_bf16',
      args: [new Float32Array(B * S * 3 * H * D), dout, qkv, rb(f.out), Float32Array.from(f.lse), cos, sin, B, S, H, D], expect: { 0: want }, bf16: 'rms', tol: 2e-2 });
  }
  {
    const iters = 1000;
    out.push({ what: 'fma_peak', kernel: 'fma_peak', args: [new Float32Array(2), iters, 2], expect: {},
      check: (res) => {
        const [flops, sum] = res[0] as Float32Array;
        // 12 multiply-adds of 2 operations per lane per round, on 1 or 2 threads of >= 4 lanes
        assert.ok(flops % (iters * 24 * 4) === 0 && flops >= iters * 24 * 4 && flops <= iters * 24 * 16 * 2, `fma_peak counted ${flops} operations`);
        assert.ok(Number.isFinite(sum) && sum > 0, `fma_peak checksum ${sum}`);
      } });
  }
  out.push({ what: 'engine_limits', kernel: 'engine_limits', args: [new Float32Array(2)], expect: {},
    check: (res) => {
      const [threads, scratch] = res[0] as Float32Array;
      // native: 256 threads, scratch grown on demand (-1); wasm: one thread, a fixed scratch that holds
      // at least one attention row block of the paper's model (S=97, D=64: 7*S*D + 66*S + 8*D floats)
      assert.ok(threads === 256 || threads === 1, `engine_limits threads ${threads}`);
      assert.ok(threads === 256 ? scratch === -1 : scratch >= 7 * 97 * 64 + 66 * 97 + 8 * 64, `engine_limits scratch ${scratch} with ${threads} threads`);
    } });
}

function compare(what: string, got: Arr, want: ArrayLike<number>, tol: number): void {
  const g: number[] = [], w: number[] = [];
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) continue; // gemm's columns beyond N: not compared
    g.push(got[i]);
    w.push(want[i]);
  }
  assertClose(what, g, w, tol);
}

test('the reference attention backward matches finite differences of its forward', () => {
  const rng = new Rng(7);
  const [B, S, H, D] = [1, 5, 2, 6];
  const qkv = Float64Array.from({ length: B * S * 3 * H * D }, () => rng.normal());
  const dout = Float64Array.from({ length: B * S * H * D }, () => rng.normal());
  const [cos, sin] = ropeTables(S, D);
  const loss = (x: Float64Array): number => {
    const o = ref.attentionForward(x, cos, sin, B, S, H, D).out;
    return o.reduce((acc, v, i) => acc + v * dout[i], 0);
  };
  const grad = ref.attentionBackward(dout, qkv, cos, sin, B, S, H, D);
  const h = 1e-6;
  for (let i = 0; i < qkv.length; i++) {
    const xp = Float64Array.from(qkv), xm = Float64Array.from(qkv);
    xp[i] += h;
    xm[i] -= h;
    const num = (loss(xp) - loss(xm)) / (2 * h);
    assert.ok(Math.abs(num - grad[i]) < 1e-6 * (1 + Math.abs(num)), `element ${i}: numeric ${num}, analytic ${grad[i]}`);
  }
});

/** Set in the child processes that rerun the native cases with a forced instruction set. */
const ISA_CHILD = process.env.HRM_KERNELS_ISA_CHILD === '1';
const backends = ISA_CHILD ? availableBackends().filter((b) => b === 'native') : availableBackends();
const all = cases();

if (ISA_CHILD && backends.length === 0) console.log('# hrm-isa-unsupported');

if (!ISA_CHILD && backends.includes('native')) {
  // The addon picks its kernel table once, at load: rerun the native cases in a child per other table.
  for (const isa of ['avx2', 'generic']) {
    test(`native kernels with HRM_ISA=${isa} (child process)`, (t) => {
      const r = spawnSync(process.execPath, ['--test', fileURLToPath(import.meta.url)], {
        env: { ...process.env, HRM_ISA: isa, HRM_KERNELS_ISA_CHILD: '1' },
        encoding: 'utf8',
      });
      if (r.stdout.includes('# hrm-isa-unsupported')) {
        t.skip(`this processor lacks ${isa}`);
        return;
      }
      const failed = r.stdout.split('\n').filter((l) => /^\s*not ok/.test(l));
      assert.equal(r.status, 0, `HRM_ISA=${isa}: ${failed.join('; ') || r.stderr.slice(-2000)}`);
    });
  }
}

test('every kernel table is generated from native/kernels.spec, and the tests cover every kernel', { skip: ISA_CHILD }, () => {
  // native/abi_table.h, src/engine/kernel-table.ts and ENGINE.md's table against the spec
  const gen = spawnSync(process.execPath, [join(repoRoot(), 'scripts', 'gen-kernels.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  const specNames = readFileSync(join(repoRoot(), 'native', 'kernels.spec'), 'utf8')
    .split('\n')
    .filter((l) => /^[a-z]/.test(l))
    .map((l) => l.slice(0, l.indexOf('(')));
  assert.deepEqual(KERNELS.map(([n]) => n), specNames, 'the loaded table is the spec\'s, in its order');
  const tested = new Set(all.map((c) => c.kernel));
  for (const [name] of KERNELS) if (name !== 'set_threads') assert.ok(tested.has(name), `no test for kernel ${name}`);
  assert.ok(backends.includes('wasm'), 'the wasm backend must always load');
});

for (const name of backends) {
  describe(`kernels on ${name}`, () => {
    for (const c of all) {
      test(c.what, () => {
        const be = setBackend(name);
        const res = runKernel(be, c.kernel, c.args);
        for (const [i, want] of Object.entries(c.expect)) {
          const what = `${name} ${c.what} (arg ${i})`;
          // rstd (argument 1 of the rmsnorm kernel) stays float32
          if (c.bf16 && !(c.kernel === 'add_rmsnorm_forward_bf16' && i === '1')) assertBf16(what, res[Number(i)]!, want, c.bf16, c.tol ?? 0);
          else compare(what, res[Number(i)]!, want, c.tol ?? 1e-5);
        }
        c.check?.(res);
      });
    }
  });
}

if (backends.length === 2) {
  test('native and wasm agree closely on every case', () => {
    const nat = setBackend('native'), wasm = setBackend('wasm');
    for (const c of all) {
      const a = runKernel(nat, c.kernel, c.args), b = runKernel(wasm, c.kernel, c.args);
      for (const i of Object.keys(c.expect).map(Number)) {
        if (c.kernel === 'argmax') assert.deepEqual(a[i], b[i], c.what);
        else if (c.bf16 && !(c.kernel === 'add_rmsnorm_forward_bf16' && i === 1)) {
          // attention chains roundings (P, then the output): a flipped P moves a few outputs by two steps
          const att = c.kernel.startsWith('attention');
          assertBf16(`native vs wasm: ${c.what} (arg ${i})`, a[i]!, b[i]!, att ? 'rms' : 'close', att ? 5e-3 : 0);
        }
        else compare(`native vs wasm: ${c.what} (arg ${i})`, a[i]!, b[i]!, c.kernel.startsWith('gemm') || c.kernel.startsWith('attention') ? 2e-6 : 1e-6);
      }
    }
  });

  test('native gives the same results on 1 and 2 threads', () => {
    const nat = setBackend('native');
    const before = nat.threads;
    try {
      for (const c of all) {
        nat.setThreads(1);
        const a = runKernel(nat, c.kernel, c.args);
        nat.setThreads(2);
        const b = runKernel(nat, c.kernel, c.args);
        for (const i of Object.keys(c.expect).map(Number)) {
          if (c.bf16 && !(c.kernel === 'add_rmsnorm_forward_bf16' && i === 1)) assertBf16(`1 vs 2 threads: ${c.what}`, a[i]!, b[i]!, 'close', 0);
          else compare(`1 vs 2 threads: ${c.what}`, a[i]!, b[i]!, 1e-6);
        }
      }
    } finally {
      nat.setThreads(before);
    }
  });
}

test('the pool reuses freed blocks by size and counts bytes', { skip: ISA_CHILD }, () => {
  for (const name of backends) {
    const be = setBackend(name);
    be.trim();
    const s0 = be.stats();
    const p = be.alloc(1000);
    assert.equal(be.stats().bytesInUse - s0.bytesInUse, 1024);
    be.free(p, 1000);
    assert.equal(be.stats().bytesCached - s0.bytesCached, 1024);
    const q = be.alloc(1000);
    assert.equal(q, p, `${name}: a freed block of the same size is reused`);
    be.free(q, 1000);
    be.trim();
    assert.equal(be.stats().bytesCached, 0);
    assert.throws(() => (be.k.add as (...a: number[]) => void)(0, 0), /add: expected 4 arguments/);
    assert.equal(be.alloc(0), 0, 'an empty block is address 0');
    assert.equal(be.f32(0, 0).length, 0, 'an empty view works at address 0');
    assert.equal(be.i32(0, 0).length, 0);
  }
});

test('attention sizes beyond the scratch throw instead of running', { skip: ISA_CHILD }, () => {
  for (const name of backends) {
    const be = setBackend(name);
    const p = be.alloc(4096);
    // S * head_dim fits in wasm for S 1024 x D 128, not for S 2048 x D 128; native grows its scratch
    // but 2^34 x 1024 floats exceed any address space (the kernel reports it before touching memory)
    const [S, D] = name === 'wasm' ? [2048, 128] : [2 ** 34, 1024];
    assert.throws(() => be.k.attention_forward(p, p, p, 0, 0, 1, S, 1, D), /attention_forward.*(scratch|could not run)/);
    assert.throws(() => be.k.attention_backward(p, p, p, p, p, 0, 0, 1, S, 1, D), /attention_backward.*(scratch|could not run)/);
    assert.throws(() => be.k.attention_forward(p, p, p, p, p, 1, 2, 1, 5), /RoPE needs an even head_dim, got 5/);
    be.free(p, 4096);
  }
});

test('wasm memory grows on demand and keeps its contents', { skip: ISA_CHILD }, () => {
  const be = setBackend('wasm');
  const small = be.alloc(64);
  be.f32(small, 16).set(f32(16, (i) => i + 0.5));
  const n = 24 * 1024 * 1024; // 96 MiB: beyond the initial 16 MiB
  const big = be.alloc(n * 4);
  be.k.fill(big, 2.5, n);
  be.k.scale(big, big, 2, n);
  const v = be.f32(big, n);
  assert.equal(v[0], 5);
  assert.equal(v[n - 1], 5);
  assert.deepEqual(Array.from(be.f32(small, 16)), Array.from(f32(16, (i) => i + 0.5)));
  be.free(big, n * 4);
  be.free(small, 64);
});

test('backend selection: HRM_BACKEND and HRM_THREADS', { skip: ISA_CHILD }, () => {
  const backendJs = new URL('../../src/engine/backend.js', import.meta.url).href;
  const probe = (env: Record<string, string>): { status: number | null; out: string; err: string } => {
    const code = `import(${JSON.stringify(backendJs)}).then((m) => { const b = m.getBackend(); console.log(b.name, b.threads); })` +
      `.catch((e) => { console.error(e.name + ': ' + e.message); process.exit(3); });`;
    const r = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, HRM_BACKEND: '', HRM_THREADS: '', ...env }, encoding: 'utf8' });
    return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
  };
  assert.equal(probe({ HRM_BACKEND: 'wasm' }).out, 'wasm 1');
  if (backends.includes('native')) {
    assert.equal(probe({ HRM_BACKEND: 'native', HRM_THREADS: '1' }).out, 'native 1');
    const d = probe({ HRM_THREADS: '2' });
    assert.equal(d.out, 'native 2', 'native is the default when the addon loads');
    assert.equal(d.err, '', 'no notice when native loads');
  }
  const fallback = probe({ HRM_NATIVE_ADDON: '/nonexistent/hrm_kernels.node' });
  assert.equal(fallback.out.split(' ')[0], 'wasm', 'falls back to wasm when the addon does not load');
  assert.equal(fallback.err.split('\n').length, 1, 'the notice is one line');
  assert.match(fallback.err, /^hrm-ts: the native backend did not load: .*; using the WebAssembly backend$/);
  const bad = probe({ HRM_BACKEND: 'cuda' });
  assert.equal(bad.status, 3);
  assert.match(bad.err, /UserError: HRM_BACKEND must be 'native', 'wasm' or 'webgpu', got 'cuda'/);
  assert.match(probe({ HRM_THREADS: 'two' }).err, /UserError: HRM_THREADS must be an integer >= 1, got 'two'/);
});
