/**
 * Every kernel with a WGSL implementation (webgpu/kernels/*.wgsl) against the native backend (wasm
 * where the addon does not load) on the same seeded random inputs, with awkward shapes: odd sizes,
 * one row, sizes that are not a multiple of the workgroup or the tile, more than 65535 workgroups.
 *
 * Tolerances, per output (u = 2^-23, one ulp at 1):
 *   exact   the same bits (NaN: any NaN): copies, gathers, elementwise formulas with one rounding,
 *           the sums done in C's order (bias_grad, embedding_backward), argmax
 *   k ulps  |webgpu - native| <= k u m, m = the magnitude the rounding errors scale with (the value
 *           itself unless stated): elementwise math through exp/log/atan2 (the C polynomials ported
 *           to WGSL; the rest is division, sqrt and whether a compiler fuses a multiply-add, which
 *           WGSL leaves open), row reductions in native's 16-lane order, the float64 kernels done in
 *           double-float (dd.wgsl)
 *   dot     |webgpu - native| <= (K + 2) u sum|a_k b_k|: sums of K products in another order
 *           (gemm; the error bound of any summation order)
 *   rel r   |webgpu - native| <= r max|native|: attention (native's order, but native AVX2 fuses the
 *           dot products' multiply-adds: every score moves by an ulp; bf16: lse may be further off
 *           on a few rows, see bf16rms)
 *   bf16    every value a bfloat16 value, within one bf16 step of native, >= 97% identical: a float32
 *           difference before a rounding to bf16 flips a few of them
 *   bf16rms every value a bfloat16 value, >= 97% identical, |webgpu - native| / |native| <= r (2-norms):
 *           attention, where a flipped rounding of q or k after RoPE (native AVX2 fuses RoPE's
 *           multiply-adds, SwiftShader does not) moves a whole row's scores by a bf16 step of that
 *           element; seen at S 900: 39 of 57600 outputs, up to 4 bf16 steps
 * Each case reports what it measured (t.diagnostic: largest error in ulps, how many differ).
 *
 * The adapter: SwiftShader (chromium's Vulkan on the CPU) when VK_ICD_FILENAMES is unset and
 * chromium is installed. Without an adapter the tests skip, except under CI, where they fail.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Backend, KernelName } from '../../src/engine/backend.js';
import { Rng } from '../../src/util/random.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
// loaded after the ICD is chosen: the device thread starts with the backend
const { availableBackends, setBackend, KERNELS } = await import('../../src/engine/backend.js');
const { WGSL } = await import('../../src/engine/webgpu/wgsl-table.js');
const { GRIDS } = await import('../../src/engine/webgpu/grids.js');
const { roundBf16 } = await import('../../src/engine/dtype.js');

type Arr = Float32Array | Int32Array;
type Arg = number | Arr | null;
type Check =
  | { kind: 'exact' }
  | { kind: 'ulps'; ulps: number; mag?: ArrayLike<number> }
  | { kind: 'dot'; K: number; mag: ArrayLike<number> }
  | { kind: 'rel'; rel: number; rare?: { frac: number; rel: number } }
  | { kind: 'bf16' }
  | { kind: 'bf16rms'; rms: number };

interface Case {
  what: string;
  kernel: KernelName;
  args: Arg[];
  /** the outputs compared, by argument index */
  checks: Record<number, Check>;
}

/** The kernels inference uses: each must have a WGSL implementation (issue 21). */
const INFERENCE_KERNELS: readonly KernelName[] = [
  'gemm', 'gemm_bf16', 'add_bias', 'embedding_forward', 'add_rmsnorm_forward', 'add_rmsnorm_forward_bf16',
  'attention_forward', 'attention_forward_bf16', 'swiglu_forward', 'swiglu_forward_bf16', 'add', 'mul', 'add_rows',
  'scale', 'axpy', 'fill', 'copy2d', 'sigmoid', 'sigmoid_f64', 'argmax', 'where_rows', 'round_bf16', 'transpose',
  'fill_scaled', 'maximum', 'sum',
];
/** The kernels training adds (issue 22). */
const TRAINING_KERNELS: readonly KernelName[] = [
  'bias_grad', 'embedding_backward', 'rmsnorm_backward', 'attention_backward', 'attention_backward_bf16',
  'swiglu_backward', 'swiglu_backward_bf16', 'stablemax_ce_forward', 'stablemax_ce_backward', 'softmax_ce_forward',
  'softmax_ce_backward', 'bce_logits_forward', 'bce_logits_backward', 'adam_atan2', 'sign_sgd_rows', 'fma_peak',
];
/** Spec kernels with no WGSL, on purpose: set_threads is a no-op off the CPU, engine_limits reports
 * the C builds' own limits to their loaders. */
const NOT_ON_GPU: readonly KernelName[] = ['set_threads', 'engine_limits'];

const U = 2 ** -23;
const exact: Check = { kind: 'exact' };
const ulps = (k: number, mag?: ArrayLike<number>): Check => ({ kind: 'ulps', ulps: k, mag });
const bf16: Check = { kind: 'bf16' };
const bf16rms: Check = { kind: 'bf16rms', rms: 2 ** -8 };

// ---- inputs ----
const f32 = (n: number, f: (i: number) => number): Float32Array => Float32Array.from({ length: n }, (_, i) => f(i));
const normal = (rng: Rng, n: number, s = 1): Float32Array => f32(n, () => s * rng.normal());
const ints = (rng: Rng, n: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => rng.int(hi));
const rb = (a: ArrayLike<number>): Float32Array => Float32Array.from(a, roundBf16);

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

/** sum_k |alpha a_ik b_kj| + |beta c_ij| for every element of C (NaN outside the N columns). */
function gemmMagnitude(tA: number, tB: number, M: number, N: number, K: number, alpha: number, A: ArrayLike<number>, lda: number,
  B: ArrayLike<number>, ldb: number, beta: number, C: ArrayLike<number>, ldc: number): Float64Array {
  const m = new Float64Array(M * ldc).fill(NaN);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.abs((tA ? A[k * lda + i] : A[i * lda + k]) * (tB ? B[j * ldb + k] : B[k * ldb + j]));
      m[i * ldc + j] = Math.abs(alpha) * s + (beta === 0 ? 0 : Math.abs(beta * C[i * ldc + j]));
    }
  }
  return m;
}

function gemmCases(rng: Rng, out: Case[]): void {
  const shapes: [number, number, number][] = [[37, 29, 23], [1, 17, 5], [70, 65, 130], [64, 1, 64]];
  for (const kernel of ['gemm', 'gemm_bf16'] as const) {
    for (const [M, N, K] of shapes) {
      for (const [tA, tB] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        const beta = (tA + tB) % 2 === 0 ? 0 : 0.5;
        const lda = (tA ? M : K) + 3, ldb = (tB ? K : N) + 1, ldc = N + 2;
        const A = normal(rng, (tA ? K : M) * lda), B = normal(rng, (tB ? N : K) * ldb);
        // beta 0 ignores C, NaN included; the columns past N must stay as they are
        const C = beta === 0 ? f32(M * ldc, () => NaN) : normal(rng, M * ldc);
        const r = kernel === 'gemm' ? (a: Float32Array): Float32Array => a : rb;
        const mag = gemmMagnitude(tA, tB, M, N, K, 0.7, r(A), lda, r(B), ldb, beta, C, ldc);
        out.push({ what: `${kernel} ${M}x${N}x${K} t${tA}${tB} beta ${beta}`, kernel, args: [tA, tB, M, N, K, 0.7, A, lda, B, ldb, beta, C, ldc],
          checks: { 11: { kind: 'dot', K, mag } } });
      }
    }
    // alpha 0 and K 0: beta C without reading A or B (NaN there must not leak)
    const M = 5, N = 7, A = f32(M * 3, () => NaN), B = f32(3 * N, () => NaN), C = normal(rng, M * N);
    out.push({ what: `${kernel} alpha 0`, kernel, args: [0, 0, M, N, 3, 0, A, 3, B, N, 0.5, C, N], checks: { 11: exact } });
    out.push({ what: `${kernel} K 0`, kernel, args: [0, 0, M, N, 0, 1, A, 3, B, N, 2, C, N], checks: { 11: exact } });
  }
}

function rowCases(rng: Rng, out: Case[]): void {
  for (const [N, C] of [[37, 70], [1, 16], [16, 1], [5, 513]]) {
    const x = normal(rng, N * C, 2), y = normal(rng, N * C), eps = 1e-5;
    for (const yy of [y, null]) {
      const tag = `${N}x${C}${yy ? '' : ' y=0'}`;
      out.push({ what: `add_rmsnorm_forward ${tag}`, kernel: 'add_rmsnorm_forward', args: [new Float32Array(N * C), new Float32Array(N), x, yy, N, C, eps],
        checks: { 0: ulps(8), 1: ulps(8) } });
      out.push({ what: `add_rmsnorm_forward_bf16 ${tag}`, kernel: 'add_rmsnorm_forward_bf16',
        args: [new Float32Array(N * C), new Float32Array(N), rb(x), yy && rb(yy), N, C, eps], checks: { 0: bf16, 1: ulps(8) } });
    }
    const dout = normal(rng, N * C), o = normal(rng, N * C), rstd = f32(N, () => 0.5 + rng.random());
    // ds = rstd (dout - out m): the error scales with rstd (|dout| + |out m|), m = mean(dout out)
    const mag = new Float64Array(N * C);
    for (let n = 0; n < N; n++) {
      let m = 0;
      for (let c = 0; c < C; c++) m += Math.abs(dout[n * C + c] * o[n * C + c]);
      for (let c = 0; c < C; c++) mag[n * C + c] = rstd[n] * (Math.abs(dout[n * C + c]) + Math.abs(o[n * C + c]) * (m / C));
    }
    out.push({ what: `rmsnorm_backward ${N}x${C}`, kernel: 'rmsnorm_backward', args: [new Float32Array(N * C), dout, o, rstd, N, C], checks: { 0: ulps(8, mag) } });
  }
}

function attentionCases(rng: Rng, out: Case[], native: Backend): void {
  // (B, S, H, D, rope): S not a multiple of the workgroup, one row, odd D without RoPE, D over 64
  // (columns in slices, dot products from memory), a 30x30 maze's sequence length
  const shapes: [number, number, number, number, boolean][] = [
    [2, 37, 3, 16, true], [1, 1, 2, 8, true], [2, 30, 2, 64, true], [1, 23, 2, 7, false], [1, 5, 1, 128, true], [1, 9, 2, 130, false],
    [1, 900, 1, 64, true],
  ];
  for (const [B, S, H, D, rope] of shapes) {
    for (const b16 of [false, true]) {
      if (S > 100 && b16) continue; // SwiftShader takes a minute for each S 900 case: the float32 forward only
      const qkv = b16 ? rb(normal(rng, B * S * 3 * H * D)) : normal(rng, B * S * 3 * H * D);
      const [cos, sin] = rope ? ropeTables(S, D) : [null, null];
      const fwd = b16 ? 'attention_forward_bf16' : 'attention_forward';
      const what = `${B}x${S}x${H}x${D}${rope ? ' rope' : ''}`;
      const outArgs = (): Arg[] => [new Float32Array(B * S * H * D), new Float32Array(B * H * S), qkv, cos, sin, B, S, H, D];
      const lse: Check = { kind: 'rel', rel: 2e-6, rare: b16 ? { frac: 0.01, rel: 1e-3 } : undefined };
      out.push({ what: `${fwd} ${what}`, kernel: fwd, args: outArgs(), checks: { 0: b16 ? bf16rms : { kind: 'rel', rel: 4e-6 }, 1: lse } });
      if (S > 100) continue;
      // the backward's out and lse: native's forward, so that both backends start from the same
      const res = runOn(native, fwd, outArgs());
      const dout = b16 ? rb(normal(rng, B * S * H * D)) : normal(rng, B * S * H * D);
      const bwd = b16 ? 'attention_backward_bf16' : 'attention_backward';
      out.push({ what: `${bwd} ${what}`, kernel: bwd,
        args: [new Float32Array(B * S * 3 * H * D), dout, qkv, res[0] as Float32Array, res[1] as Float32Array, cos, sin, B, S, H, D],
        checks: { 0: b16 ? bf16rms : { kind: 'rel', rel: 4e-6 } } });
    }
  }
}

function elementwiseCases(rng: Rng, out: Case[]): void {
  for (const n of [1, 1001]) {
    const a = normal(rng, n), b = normal(rng, n), o = new Float32Array(n);
    out.push({ what: `add ${n}`, kernel: 'add', args: [o, a, b, n], checks: { 0: exact } });
    out.push({ what: `mul ${n}`, kernel: 'mul', args: [o, a, b, n], checks: { 0: exact } });
    out.push({ what: `scale ${n}`, kernel: 'scale', args: [o, a, -1.5, n], checks: { 0: exact } });
    // y + alpha x: one rounding or two (a fused multiply-add), at most an ulp of each term
    out.push({ what: `axpy ${n}`, kernel: 'axpy', args: [a, b, 0.3, n], checks: { 0: ulps(1, Float64Array.from(a, (v, i) => Math.abs(v) + Math.abs(0.3 * b[i]))) } });
    out.push({ what: `fill ${n}`, kernel: 'fill', args: [o, 3.5, n], checks: { 0: exact } });
    out.push({ what: `fill_scaled ${n}`, kernel: 'fill_scaled', args: [o, Float32Array.of(-1.25), 0.3, n], checks: { 0: exact } });
    const x = f32(n, (i) => (i % 7 === 0 ? [-100, 100, 0, -88, 89, 1e-3, -20][(i / 7) % 7] : 8 * rng.normal()));
    out.push({ what: `sigmoid ${n}`, kernel: 'sigmoid', args: [o, x, n], checks: { 0: ulps(4) } });
    out.push({ what: `round_bf16 ${n}`, kernel: 'round_bf16', args: [o, f32(n, () => 50 * rng.normal()), n], checks: { 0: exact } });
  }
  {
    // sigmoid_f64: random float32 bit patterns (every exponent), a dense sweep where the result is
    // neither 0 nor 1 (subnormal results included), the special values
    const n = 1 << 17, bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) bits[i] = rng.nextU32();
    const x = new Float32Array(bits.buffer);
    for (let i = 0; i < n / 2; i++) x[i] = Math.fround(((i / (n / 2)) * 2 - 1) * 110);
    x.set([0, -0, 1, -1, Infinity, -Infinity, NaN, 88.7, -88.7, 103.97, -103.97, 1e-30, -1e-45, 3.4e38, -3.4e38], n - 15);
    out.push({ what: `sigmoid_f64 ${n}`, kernel: 'sigmoid_f64', args: [new Float32Array(n), x, n], checks: { 0: exact } });
  }
  {
    // maximum: NaN either side, +0 over -0 both ways, ties
    const a = Float32Array.from([NaN, 1, 0, -0, 2, -3, Infinity, -Infinity, 5, NaN]);
    const b = Float32Array.from([1, NaN, -0, 0, 2, -4, 1, -5, NaN, NaN]);
    out.push({ what: 'maximum specials', kernel: 'maximum', args: [new Float32Array(a.length), a, b, a.length], checks: { 0: exact } });
    const n = 777, x = normal(rng, n), y = normal(rng, n);
    out.push({ what: `maximum ${n}`, kernel: 'maximum', args: [new Float32Array(n), x, y, n], checks: { 0: exact } });
    // round_bf16: ties to even both ways, overflow to infinity, infinities, NaN, subnormals, zeros
    const special = Float32Array.from([1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 2 ** -8), 3.4028234663852886e38, Infinity, -Infinity, NaN, 1e-40, -3e-39, 0, -0]);
    out.push({ what: 'round_bf16 specials', kernel: 'round_bf16', args: [new Float32Array(special.length), special, special.length], checks: { 0: exact } });
  }
  {
    // n not a multiple of m: the tail takes b from its start
    const n = 100, m = 7, a = normal(rng, n), b = normal(rng, m);
    out.push({ what: 'add_rows 100 % 7', kernel: 'add_rows', args: [new Float32Array(n), a, b, n, m], checks: { 0: exact } });
    const N = 13, C = 37;
    out.push({ what: 'add_bias 13x37', kernel: 'add_bias', args: [normal(rng, N * C), normal(rng, C), N, C], checks: { 0: exact } });
    const rows = 13, cols = 19, src = normal(rng, rows * 25), dst = normal(rng, rows * 31);
    out.push({ what: 'copy2d strided', kernel: 'copy2d', args: [dst, 31, src, 25, rows, cols], checks: { 0: exact } });
    out.push({ what: 'copy2d one row', kernel: 'copy2d', args: [normal(rng, 300), 300, normal(rng, 300), 300, 1, 299], checks: { 0: exact } });
    const B = 7, R = 19, cond = Int32Array.from([1, 0, 0, 1, 1, 0, 1]);
    out.push({ what: 'where_rows', kernel: 'where_rows', args: [new Float32Array(B * R), cond, normal(rng, B * R), normal(rng, B * R), B, R], checks: { 0: exact } });
  }
  for (const [B, R, C] of [[3, 18, 37], [1, 1, 5], [2, 33, 16]]) {
    out.push({ what: `transpose ${B}x${R}x${C}`, kernel: 'transpose', args: [new Float32Array(B * R * C), normal(rng, B * R * C), B, R, C], checks: { 0: exact } });
  }
  for (const [N, C, V] of [[29, 37, 11], [300, 300, 9]]) {
    const ids = ints(rng, N, V);
    out.push({ what: `embedding_forward ${N}x${C}`, kernel: 'embedding_forward', args: [new Float32Array(N * C), ids, normal(rng, V * C), N, C], checks: { 0: exact } });
    // repeated ids (more rows than 256: the search for an earlier occurrence runs in chunks) and distinct ones
    out.push({ what: `embedding_backward ${N}x${C} repeated ids`, kernel: 'embedding_backward', args: [normal(rng, V * C), ids, normal(rng, N * C), N, C], checks: { 0: exact } });
  }
  {
    const N = 300, C = 5, perm = Int32Array.from({ length: N }, (_, i) => (i * 7) % N);
    out.push({ what: 'embedding_backward distinct ids', kernel: 'embedding_backward', args: [normal(rng, N * C), perm, normal(rng, N * C), N, C], checks: { 0: exact } });
  }
  for (const [N, C] of [[300, 260], [13, 1], [1, 37]]) {
    out.push({ what: `bias_grad ${N}x${C}`, kernel: 'bias_grad', args: [normal(rng, C), normal(rng, N * C), N, C], checks: { 0: exact } });
  }
  for (const [N, I] of [[7, 37], [1, 300]]) {
    const gu = normal(rng, N * 2 * I, 3), dout = normal(rng, N * I);
    out.push({ what: `swiglu_forward ${N}x${I}`, kernel: 'swiglu_forward', args: [new Float32Array(N * I), gu, N, I], checks: { 0: ulps(4) } });
    // d gate = dout up s (1 + g (1 - s)) cancels near g = -1.28: the error scales with the terms' sizes
    const mag = new Float64Array(N * 2 * I);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < I; i++) {
        const g = gu[n * 2 * I + i], u = gu[n * 2 * I + I + i], d = dout[n * I + i], sg = 1 / (1 + Math.exp(-g));
        mag[n * 2 * I + i] = Math.abs(d * u * sg) * (1 + Math.abs(g * (1 - sg)));
        mag[n * 2 * I + I + i] = Math.abs(d * g * sg);
      }
    }
    out.push({ what: `swiglu_backward ${N}x${I}`, kernel: 'swiglu_backward', args: [new Float32Array(N * 2 * I), dout, gu, N, I], checks: { 0: ulps(8, mag) } });
    out.push({ what: `swiglu_forward_bf16 ${N}x${I}`, kernel: 'swiglu_forward_bf16', args: [new Float32Array(N * I), rb(gu), N, I], checks: { 0: bf16 } });
    out.push({ what: `swiglu_backward_bf16 ${N}x${I}`, kernel: 'swiglu_backward_bf16', args: [new Float32Array(N * 2 * I), rb(dout), rb(gu), N, I], checks: { 0: bf16 } });
  }
}

function reductionCases(rng: Rng, out: Case[]): void {
  for (const [N, V] of [[13, 11], [300, 10], [1, 1000]]) {
    // ties: the first maximum wins; a NaN is the largest, the first NaN of a row
    const x = f32(N * V, (i) => (i % 23 === 5 || i % 23 === 7 ? NaN : Math.round(rng.normal() * 2)));
    out.push({ what: `argmax ${N}x${V}`, kernel: 'argmax', args: [new Int32Array(N), x, N, V], checks: { 0: exact } });
  }
  for (const n of [0, 1, 10007]) {
    const x = f32(n, () => rng.normal() + 0.5);
    out.push({ what: `sum ${n}`, kernel: 'sum', args: [Float32Array.of(7), x, n], checks: { 0: ulps(1) } });
  }
}

/** Realistic logits: a trained model's rows (one confident token), uncertain rows, big and tiny scales. */
function logitRows(rng: Rng, N: number, V: number, labels: Int32Array): Float32Array {
  return f32(N * V, (i) => {
    const n = Math.floor(i / V), j = i % V;
    const kind = n % 5;
    if (kind === 0) return rng.normal() + (j === labels[n] ? 12 : 0); // confident: loss ~1e-5
    if (kind === 1) return rng.normal() * 0.01;
    if (kind === 2) return rng.normal() * 30;
    return rng.normal() * 3;
  });
}

function lossCases(rng: Rng, out: Case[]): void {
  for (const [N, V] of [[300, 11], [7, 1], [37, 37]]) {
    const labels = Int32Array.from({ length: N }, (_, i) => (i % 7 === 3 ? -100 : rng.int(V)));
    const logits = logitRows(rng, N, V, labels), dloss = normal(rng, N);
    out.push({ what: `stablemax_ce_forward ${N}x${V}`, kernel: 'stablemax_ce_forward', args: [new Float32Array(N), logits, labels, N, V, -100], checks: { 0: ulps(2) } });
    // dloss (s'(x_j) / sum - [j == label] s'(x_j) / s(x_j)): the error scales with the terms (V = 1: they cancel)
    const st = (x: number): number => (x < 0 ? 1 / (1 - x) : x + 1);
    const mag = new Float64Array(N * V);
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let j = 0; j < V; j++) sum += st(logits[n * V + j]);
      for (let j = 0; j < V; j++) {
        const x = logits[n * V + j], ds = x < 0 ? st(x) ** 2 : 1;
        mag[n * V + j] = Math.abs(dloss[n]) * (ds / sum + (j === labels[n] ? ds / st(x) : 0));
      }
    }
    out.push({ what: `stablemax_ce_backward ${N}x${V}`, kernel: 'stablemax_ce_backward', args: [new Float32Array(N * V), dloss, logits, labels, N, V, -100], checks: { 0: ulps(1, mag) } });
    out.push({ what: `softmax_ce_forward ${N}x${V}`, kernel: 'softmax_ce_forward', args: [new Float32Array(N), logits, labels, N, V, -100], checks: { 0: ulps(8, softmaxLossMag(logits, labels, N, V)) } });
    out.push({ what: `softmax_ce_backward ${N}x${V}`, kernel: 'softmax_ce_backward', args: [new Float32Array(N * V), dloss, logits, labels, N, V, -100],
      checks: { 0: ulps(8, Float64Array.from({ length: N * V }, (_, i) => Math.abs(dloss[Math.floor(i / V)]))) } });
  }
  {
    const n = 1001, x = f32(n, (i) => rng.normal() * [0.1, 1, 10, 40][i % 4]), t = f32(n, () => rng.random()), dl = normal(rng, n);
    // max(x,0) - x t + log1p(e^-|x|): cancellation between the first two terms
    const mag = Float64Array.from(x, (v, i) => Math.max(v, 0) + Math.abs(v * t[i]) + Math.log1p(Math.exp(-Math.abs(v))));
    out.push({ what: 'bce_logits_forward', kernel: 'bce_logits_forward', args: [new Float32Array(n), x, t, n], checks: { 0: ulps(4, mag) } });
    out.push({ what: 'bce_logits_backward', kernel: 'bce_logits_backward', args: [new Float32Array(n), dl, x, t, n],
      checks: { 0: ulps(4, Float64Array.from(dl, (d, i) => Math.abs(d) * (1 + Math.abs(t[i])))) } });
  }
}

/** |max| + |log sum| + |x_label|: the softmax loss's terms before they cancel. */
function softmaxLossMag(logits: Float32Array, labels: Int32Array, N: number, V: number): Float64Array {
  return Float64Array.from({ length: N }, (_, n) => {
    let mx = -Infinity;
    for (let j = 0; j < V; j++) mx = Math.max(mx, logits[n * V + j]);
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(logits[n * V + j] - mx);
    return Math.abs(mx) + Math.abs(Math.log(s)) + (labels[n] >= 0 ? Math.abs(logits[n * V + labels[n]]) : 0);
  });
}

function optimizerCases(rng: Rng, out: Case[]): void {
  for (const n of [1037, 1]) {
    const p = normal(rng, n), g = f32(n, (i) => (i % 11 === 0 ? 0 : rng.normal() * 1e-2));
    const m = f32(n, (i) => (i % 11 === 0 ? 0 : rng.normal() * 1e-2)), v = f32(n, (i) => (i % 11 === 0 ? 0 : rng.random() * 1e-4));
    const [lr, wd, b1, b2, t] = [1e-3, 0.1, 0.9, 0.95, 3];
    // m + (1-b1)(g-m) and v likewise: an ulp of each term (fused or not); p: its own few ulps plus the step's
    const mm = Float64Array.from(m, (x, i) => Math.abs(x) + Math.abs((1 - b1) * (g[i] - x)));
    const vm = Float64Array.from(v, (x, i) => Math.abs(x) + Math.abs((1 - b2) * (g[i] * g[i] - x)));
    const pm = Float64Array.from(p, (x) => Math.abs(x) + (lr / (1 - b1 ** t)) * Math.PI);
    out.push({ what: `adam_atan2 ${n}`, kernel: 'adam_atan2', args: [p, g, m, v, n, lr, wd, b1, b2, 1 - b1 ** t, 1 - b2 ** t],
      checks: { 0: ulps(2, pm), 2: ulps(2, mm), 3: ulps(2, vm) } });
  }
  {
    const V = 20, C = 37, n = 7, ids = Int32Array.from([7, 0, 19, 3, 4, 11, 12]);
    const g = f32(n * C, (i) => (i % 6 === 0 ? 0 : rng.normal()));
    // lr and wd as float64 numbers no float32 holds
    out.push({ what: 'sign_sgd_rows', kernel: 'sign_sgd_rows', args: [normal(rng, V * C), ids, g, n, C, 0.0123456789, 0.3], checks: { 0: exact } });
  }
}

function cases(native: Backend): Case[] {
  const rng = new Rng(2025);
  const out: Case[] = [];
  gemmCases(rng, out);
  rowCases(rng, out);
  attentionCases(rng, out, native);
  elementwiseCases(rng, out);
  reductionCases(rng, out);
  lossCases(rng, out);
  optimizerCases(rng, out);
  return out;
}

/**
 * Copies the array arguments into backend memory, runs the kernel, returns every array argument after.
 * `same`: argument index -> an earlier argument whose memory it shares (an in-place call).
 */
function runOn(be: Backend, kernel: KernelName, args: Arg[], same: Record<number, number> = {}): (Arr | null)[] {
  const ptrs: number[] = [];
  const blocks: [number, number][] = [];
  for (const [i, a] of args.entries()) {
    if (same[i] !== undefined) ptrs.push(ptrs[same[i]]);
    else if (a === null) ptrs.push(0);
    else if (typeof a === 'number') ptrs.push(a);
    else {
      const bytes = Math.max(a.length * 4, 4);
      const p = be.alloc(bytes);
      if (a instanceof Float32Array) be.writeF32(p, a);
      else be.writeI32(p, a);
      ptrs.push(p);
      blocks.push([p, bytes]);
    }
  }
  try {
    (be.k[kernel] as (...x: number[]) => void)(...ptrs);
    return args.map((a, i) => {
      if (a === null || typeof a === 'number') return null;
      return a instanceof Float32Array ? be.readF32(ptrs[i], a.length) : be.readI32(ptrs[i], a.length);
    });
  } finally {
    for (const [p, bytes] of blocks) be.free(p, bytes);
  }
}

const sameBits = (a: number, b: number): boolean => (Number.isNaN(a) && Number.isNaN(b)) || Object.is(a, b);
const isBf16 = (x: number): boolean => Number.isNaN(x) || roundBf16(x) === x;

/** Checks one output; returns what it measured. */
function compare(what: string, c: Check, got: Arr, want: Arr): string {
  assert.equal(got.length, want.length, `${what}: length`);
  let differ = 0, worst = 0, worstAt = -1, rare = 0;
  let scale = 0;
  if (c.kind === 'rel') for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i])) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (sameBits(g, w)) continue;
    differ++;
    if (Number.isNaN(w) || Number.isNaN(g) || c.kind === 'exact') assert.fail(`${what}: element ${i}: got ${g}, want ${w} (exactly)`);
    const d = Math.abs(g - w);
    let lim: number, unit: number;
    if (c.kind === 'ulps' || c.kind === 'dot') {
      const m = c.mag ? c.mag[i] : Math.max(Math.abs(w), Math.abs(g));
      if (Number.isNaN(m)) assert.fail(`${what}: element ${i} outside the result changed: got ${g}, want ${w}`);
      unit = U * m + 2 ** -149;
      lim = (c.kind === 'dot' ? c.K + 2 : c.ulps) * unit;
    } else if (c.kind === 'rel') {
      unit = U * scale;
      lim = c.rel * scale;
      if (c.rare && d > lim && d <= c.rare.rel * scale && ++rare <= c.rare.frac * want.length) continue;
    } else {
      if (!isBf16(g)) assert.fail(`${what}: element ${i} = ${g} is not a bfloat16 value`);
      if (c.kind === 'bf16rms') continue; // judged as a whole below
      // bf16: at most one bf16 step apart
      unit = Math.max(Math.abs(w), Math.abs(g)) * 2 ** -7;
      lim = unit * (1 + 2 ** -20);
    }
    if (!(d <= lim)) assert.fail(`${what}: element ${i}: got ${g}, want ${w} (|diff| ${d.toExponential(3)} > ${lim.toExponential(3)})`);
    if (d / unit > worst) [worst, worstAt] = [d / unit, i];
  }
  if (c.kind === 'bf16' || c.kind === 'bf16rms') assert.ok(differ <= 0.03 * want.length, `${what}: ${differ} of ${want.length} differ (more than 3%)`);
  if (c.kind === 'bf16rms') {
    let num = 0, den = 0;
    for (let i = 0; i < want.length; i++) {
      num += (got[i] - want[i]) ** 2;
      den += want[i] ** 2;
    }
    const r = Math.sqrt(num / Math.max(den, 1e-300));
    assert.ok(r <= c.rms, `${what}: relative RMS difference ${r} > ${c.rms}`);
    return `${what}: ${differ} of ${want.length} differ, relative RMS ${r.toPrecision(3)}`;
  }
  const unitName = c.kind === 'bf16' ? 'bf16 steps' : c.kind === 'rel' ? 'u max|native|' : 'u m';
  const rareNote = rare > 0 ? `; ${rare} further off, within ${(c as { rare: { rel: number } }).rare.rel} max|native|` : '';
  return differ === 0 ? `${what}: identical (${want.length})` : `${what}: ${differ} of ${want.length} differ, largest ${worst.toPrecision(3)} ${unitName} (element ${worstAt})${rareNote}`;
}

// ---- the adapter ----
const reference = availableBackends()[0];
let gpu: Backend | null = null;
let noGpu = '';
try {
  gpu = setBackend('webgpu');
} catch (e) {
  noGpu = (e as Error).message.split('\n')[0];
}

function needGpu(t: TestContext): Backend | null {
  if (gpu) return gpu;
  if (process.env.CI) assert.fail(`no WebGPU adapter under CI: ${noGpu} (CI installs chromium for SwiftShader: apt-get install -y chromium)`);
  t.skip(`no WebGPU adapter: ${noGpu}`);
  return null;
}

test('every spec kernel but set_threads and engine_limits has WGSL and a grid; the inference and training lists are complete', () => {
  const names = KERNELS.map(([n]) => n as KernelName);
  for (const n of [...INFERENCE_KERNELS, ...TRAINING_KERNELS]) assert.ok(names.includes(n), `${n} is not a spec kernel`);
  for (const n of names) {
    if (NOT_ON_GPU.includes(n)) {
      assert.equal(WGSL[n], undefined, `${n} was left out of the GPU on purpose`);
      continue;
    }
    assert.ok(INFERENCE_KERNELS.includes(n) || TRAINING_KERNELS.includes(n), `spec kernel ${n} is in neither list of this test`);
    assert.ok(WGSL[n], `kernel ${n} has no webgpu/kernels/${n}.wgsl`);
    assert.ok(GRIDS[n], `kernel ${n} has no grid in src/engine/webgpu/grids.ts`);
  }
  for (const n of Object.keys(WGSL)) assert.ok(names.includes(n as KernelName), `webgpu/kernels/${n}.wgsl is not a spec kernel`);
});

describe(`webgpu kernels against ${reference}`, () => {
  const native = setBackend(reference);
  const all = cases(native);

  test('the cases cover every kernel with WGSL', () => {
    const covered = new Set<string>(all.map((c) => c.kernel));
    covered.add('fma_peak'); // checked on its own below: the CPU's count is another machine's
    for (const n of Object.keys(WGSL)) assert.ok(covered.has(n), `no case for ${n}`);
  });

  for (const c of all) {
    test(c.what, (t) => {
      const g = needGpu(t);
      if (!g) return;
      const want = runOn(native, c.kernel, c.args);
      const got = runOn(g, c.kernel, c.args);
      for (const [i, check] of Object.entries(c.checks)) {
        const k = Number(i);
        t.diagnostic(compare(`${c.what} (arg ${k})`, check, got[k]!, want[k]!));
      }
    });
  }
});

test('in place where C allows it: the same results as native', (t) => {
  const g = needGpu(t);
  if (!g) return;
  const native = setBackend(reference);
  const rng = new Rng(7);
  const N = 19, C = 45, x = normal(rng, N * C), y = normal(rng, N * C), o = normal(rng, N * C), n = N * C;
  const calls: [KernelName, Arg[], Record<number, number>, number][] = [
    // [kernel, args, argument -> the argument it shares memory with, the output compared]
    ['add_rmsnorm_forward', [x, new Float32Array(N), y, null, N, C, 1e-5], {}, 0],
    ['add_rmsnorm_forward', [x, new Float32Array(N), x, y, N, C, 1e-5], { 2: 0 }, 0],
    ['add_rmsnorm_forward_bf16', [rb(x), new Float32Array(N), rb(x), rb(y), N, C, 1e-5], { 2: 0 }, 0],
    ['rmsnorm_backward', [y, y, o, f32(N, () => 1.5), N, C], { 1: 0 }, 0],
    ['round_bf16', [x, x, n], { 1: 0 }, 0],
    ['sigmoid', [x, x, n], { 1: 0 }, 0],
    ['add', [x, x, y, n], { 1: 0 }, 0],
    ['mul', [y, x, y, n], { 2: 0 }, 0],
    ['scale', [x, x, 3, n], { 1: 0 }, 0],
    ['maximum', [x, x, y, n], { 1: 0 }, 0],
    ['where_rows', [x, Int32Array.from({ length: N }, (_, i) => i % 2), x, y, N, C], { 2: 0 }, 0],
    ['swiglu_forward_bf16', [new Float32Array(N * C), rb(x), N, (C - 1) / 2], {}, 0],
  ];
  for (const [kernel, args, same, at] of calls) {
    const want: Arr = runOn(native, kernel, args, same)[at]!;
    const got: Arr = runOn(g, kernel, args, same)[at]!;
    // aliasing goes wrong by whole values: a rounding difference is far inside 16 ulps of the largest
    let lim = 0;
    for (const v of want) lim = Math.max(lim, 16 * U * Math.abs(v));
    for (let i = 0; i < want.length; i++) {
      if (!sameBits(got[i], want[i]) && !(Math.abs(got[i] - want[i]) <= lim)) {
        assert.fail(`${kernel} in place (${JSON.stringify(same)}): element ${i}: got ${got[i]}, want ${want[i]}`);
      }
    }
  }
});

describe('webgpu dispatch', () => {
  test('a 1-D kernel over more than 65535 workgroups (folded into y) reaches its last element', (t) => {
    const g = needGpu(t);
    if (!g) return;
    const n = 65535 * 256 + 300; // 65537 workgroups
    const p = g.alloc(n * 4);
    try {
      g.k.fill(p, 0, n);
      g.k.fill(p, 2.5, n);
      const tail = g.readF32(p + (n - 600) * 4, 600);
      const head = g.readF32(p, 4);
      assert.deepEqual([...head], [2.5, 2.5, 2.5, 2.5]);
      assert.ok(tail.every((v) => v === 2.5), 'the last elements were not written');
    } finally {
      g.free(p, n * 4);
    }
  });

  test('fill_scaled whose out starts at x reads x[0] before writing it', (t) => {
    const g = needGpu(t);
    if (!g) return;
    const n = 1000, p = g.alloc(n * 4);
    try {
      g.writeF32(p, Float32Array.of(3));
      g.k.fill_scaled(p, p, 0.5, n);
      assert.ok(g.readF32(p, n).every((v) => v === 1.5));
    } finally {
      g.free(p, n * 4);
    }
  });

  test('fma_peak counts the float32 operations it launched', (t) => {
    const g = needGpu(t);
    if (!g) return;
    const p = g.alloc(8);
    try {
      g.k.fma_peak(p, 10, 1000); // 1000 invocations: 4 workgroups of 256
      const [flops, sum] = g.readF32(p, 2);
      assert.equal(flops, 4 * 256 * 10 * 24);
      assert.ok(Number.isFinite(sum) && sum > 0, `checksum ${sum}`);
    } finally {
      g.free(p, 8);
    }
  });

  test('a kernel without WGSL is an error naming it; the backend goes on', (t) => {
    const g = needGpu(t);
    if (!g) return;
    const p = g.alloc(64);
    try {
      g.k.engine_limits(p);
      assert.throws(() => g.readF32(p, 1), /kernel engine_limits has no WebGPU implementation/);
      g.k.fill(p, 4, 4);
      assert.deepEqual([...g.readF32(p, 4)], [4, 4, 4, 4]);
    } finally {
      g.free(p, 64);
    }
  });
});
