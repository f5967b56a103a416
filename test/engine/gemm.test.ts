/**
 * The gemm kernel (native/kernels/gemm.c) on every available backend, against a float64 reference:
 * all four transpose combinations, alpha/beta, strided lda/ldb/ldc, edge sizes (not multiples of any
 * register tile, tiny, K = 1, K deeper than one packed slice, N wider than one packed block), and
 * sizes large enough to use several threads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableBackends, getBackend, setBackend, type Backend } from '../../src/engine/index.js';
import { Rng } from '../../src/util/random.js';

interface Case {
  tA: number;
  tB: number;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  pad: number; // extra elements per row of A, B and C (strides larger than the row)
}

interface Result {
  worst: number; // largest |C - ref| / tolerance; <= 1 passes
  where: string;
  paddingKept: boolean;
}

/** Runs one case on backend `be` and compares with a float64 reference. */
function runCase(be: Backend, c: Case, rng: Rng): Result {
  const { tA, tB, M, N, K, alpha, beta, pad } = c;
  const lda = (tA ? M : K) + pad;
  const ldb = (tB ? K : N) + pad;
  const ldc = N + pad;
  const nA = (tA ? K : M) * lda;
  const nB = (tB ? N : K) * ldb;
  const nC = M * ldc;
  const a = Float32Array.from({ length: nA }, () => rng.random() * 2 - 1);
  const b = Float32Array.from({ length: nB }, () => rng.random() * 2 - 1);
  // beta == 0 must ignore the old C, even NaN.
  const c0 = Float32Array.from({ length: nC }, () => (beta === 0 ? NaN : rng.random() * 2 - 1));
  const pA = be.alloc(Math.max(nA, 1) * 4);
  const pB = be.alloc(Math.max(nB, 1) * 4);
  const pC = be.alloc(Math.max(nC, 1) * 4);
  try {
    be.f32(pA, nA).set(a);
    be.f32(pB, nB).set(b);
    be.f32(pC, nC).set(c0);
    be.k.gemm(tA, tB, M, N, K, alpha, pA, lda, pB, ldb, beta, pC, ldc);
    const got = be.f32(pC, nC).slice();
    let worst = 0;
    let where = '';
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        let mag = 0;
        for (let p = 0; p < K; p++) {
          const x = (tA ? a[p * lda + i] : a[i * lda + p]) * (tB ? b[j * ldb + p] : b[p * ldb + j]);
          s += x;
          mag += Math.abs(x);
        }
        const old = beta === 0 ? 0 : beta * c0[i * ldc + j];
        const ref = alpha * s + old;
        // float32 accumulation: error grows with the magnitude of the summed terms
        const tol = 1e-6 + 4e-7 * Math.sqrt(K + 1) * (Math.abs(alpha) * mag + Math.abs(old));
        const r = Math.abs(got[i * ldc + j] - ref) / tol;
        if (!(r <= worst)) {
          worst = Number.isNaN(r) ? Infinity : r;
          where = `C[${i},${j}] = ${got[i * ldc + j]}, reference ${ref}`;
        }
      }
    }
    let paddingKept = true;
    for (let i = 0; i < M; i++) {
      for (let j = N; j < ldc; j++) {
        if (!Object.is(got[i * ldc + j], c0[i * ldc + j])) paddingKept = false;
      }
    }
    return { worst, where, paddingKept };
  } finally {
    be.free(pA, Math.max(nA, 1) * 4);
    be.free(pB, Math.max(nB, 1) * 4);
    be.free(pC, Math.max(nC, 1) * 4);
  }
}

const SHAPES: [number, number, number][] = [
  // [M, N, K]
  [1, 1, 1],
  [6, 2, 64],
  [2, 6, 64],
  [7, 33, 1],
  [9, 31, 17],
  [33, 1, 5],
  [17, 65, 300],
  [8, 32, 16], // exactly one AVX-512 tile
  [64, 64, 64],
  [130, 70, 513], // K deeper than one packed slice
  [97, 129, 1100], // several K slices, big enough to run on two threads
  [5, 2100, 20], // N wider than one packed B block
  [40, 2100, 20], // the same on two threads (team path: shared packed B, row blocks)
  [6, 700, 300], // M too short to share out: one column strip per thread
  [300, 40, 37], // threads take row blocks, ragged last block
];

function cases(): Case[] {
  const out: Case[] = [];
  for (const [M, N, K] of SHAPES) {
    for (let t = 0; t < 4; t++) {
      out.push({ tA: t & 1, tB: t >> 1, M, N, K, alpha: 1, beta: 0, pad: 0 });
      out.push({ tA: t & 1, tB: t >> 1, M, N, K, alpha: -0.5, beta: 0.75, pad: 3 });
    }
  }
  out.push({ tA: 0, tB: 1, M: 40, N: 24, K: 48, alpha: 2, beta: 1, pad: 5 });
  return out;
}

const backends = availableBackends();

for (const name of backends) {
  test(`gemm matches a float64 reference on ${name}`, () => {
    const prev = getBackend().name;
    setBackend(name);
    try {
      const be = getBackend();
      const rng = new Rng(1234);
      for (const c of cases()) {
        const r = runCase(be, c, rng);
        const label = `${name} tA=${c.tA} tB=${c.tB} M=${c.M} N=${c.N} K=${c.K} alpha=${c.alpha} beta=${c.beta} pad=${c.pad}`;
        assert.ok(r.worst <= 1, `${label}: ${r.where} (error ${r.worst.toFixed(2)} x tolerance)`);
        assert.ok(r.paddingKept, `${label}: wrote outside the M x N block of C`);
      }
    } finally {
      setBackend(prev);
    }
  });

  test(`gemm degenerate calls on ${name}`, () => {
    const prev = getBackend().name;
    setBackend(name);
    try {
      const be = getBackend();
      const rng = new Rng(99);
      // alpha 0: C = beta * C (and beta 0 clears NaN)
      for (const beta of [0, 0.5]) {
        const r = runCase(be, { tA: 0, tB: 0, M: 5, N: 7, K: 3, alpha: 0, beta, pad: 1 }, rng);
        assert.ok(r.worst <= 1 && r.paddingKept, `${name} alpha=0 beta=${beta}: ${r.where}`);
      }
      // K = 0: C = beta * C
      const r = runCase(be, { tA: 1, tB: 1, M: 4, N: 3, K: 0, alpha: 1, beta: 2, pad: 0 }, rng);
      assert.ok(r.worst <= 1, `${name} K=0: ${r.where}`);
    } finally {
      setBackend(prev);
    }
  });
}

if (backends.length > 1) {
  test('gemm: the backends agree closely on a linear-layer shape', () => {
    const prev = getBackend().name;
    const M = 81;
    const N = 96;
    const K = 256;
    const rng = new Rng(7);
    const x = Float32Array.from({ length: M * K }, () => rng.random() * 2 - 1);
    const w = Float32Array.from({ length: N * K }, () => rng.random() * 2 - 1);
    const results: Float32Array[] = [];
    try {
      for (const name of backends) {
        setBackend(name);
        const be = getBackend();
        const px = be.alloc(x.length * 4);
        const pw = be.alloc(w.length * 4);
        const py = be.alloc(M * N * 4);
        be.f32(px, x.length).set(x);
        be.f32(pw, w.length).set(w);
        be.k.gemm(0, 1, M, N, K, 1, px, K, pw, K, 0, py, N);
        results.push(be.f32(py, M * N).slice());
        be.free(px, x.length * 4);
        be.free(pw, w.length * 4);
        be.free(py, M * N * 4);
      }
    } finally {
      setBackend(prev);
    }
    for (let r = 1; r < results.length; r++) {
      let worst = 0;
      for (let i = 0; i < M * N; i++) worst = Math.max(worst, Math.abs(results[r][i] - results[0][i]));
      assert.ok(worst < 1e-4, `${backends[0]} and ${backends[r]} differ by up to ${worst}`);
    }
  });
}
