// Times the wasm gemm (built from native/bench/gemm_wasm.c) and checks it against a double reference.
// Usage: node native/bench/gemm_wasm_bench.mjs /tmp/gemm.wasm [reps]
import { readFileSync } from 'node:fs';

const [file, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 7);
const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
const ex = instance.exports;
const mem = ex.memory;
let top = (ex.__heap_base.value + 63) & ~63;
function alloc(n) {
  const p = top;
  top += ((n * 4 + 63) & ~63);
  const need = Math.ceil(top / 65536) - mem.buffer.byteLength / 65536;
  if (need > 0) mem.grow(need);
  return p;
}
const f32 = (p, n) => new Float32Array(mem.buffer, p, n);
let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;

function check(tA, tB, M, N, K, alpha, beta) {
  const lda = tA ? M : K, ldb = tB ? K : N, ldc = N;
  const A = alloc(M * K), B = alloc(K * N), C = alloc(M * N);
  f32(A, M * K).forEach((_, i, a) => (a[i] = rnd()));
  f32(B, K * N).forEach((_, i, a) => (a[i] = rnd()));
  f32(C, M * N).forEach((_, i, a) => (a[i] = beta === 0 ? NaN : rnd()));
  const C0 = f32(C, M * N).slice();
  ex.gemm_f32(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  const a = f32(A, M * K), b = f32(B, K * N), c = f32(C, M * N);
  let err = 0;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += (tA ? a[p * lda + i] : a[i * lda + p]) * (tB ? b[j * ldb + p] : b[p * ldb + j]);
      const ref = alpha * s + (beta === 0 ? 0 : beta * C0[i * ldc + j]);
      const e = Math.abs(c[i * ldc + j] - ref) / (1 + Math.abs(ref));
      if (!(e <= err)) err = Number.isNaN(e) ? Infinity : e;
    }
  return err;
}

let worst = 0;
for (const [M, N, K] of [[1, 1, 1], [6, 2, 64], [9, 31, 17], [17, 65, 300], [130, 70, 513]])
  for (let t = 0; t < 4; t++) worst = Math.max(worst, check(t & 1, t >> 1, M, N, K, 1, 0), check(t & 1, t >> 1, M, N, K, -0.5, 0.75));
console.log(`check: worst relative error ${worst.toExponential(2)} ${worst <= 1e-4 ? 'ok' : 'FAILED'}`);

for (const [tA, tB, M, K, N] of [[0, 0, 8192, 512, 1536], [0, 0, 8192, 1536, 512], [0, 0, 512, 512, 512], [0, 1, 5184, 256, 768], [1, 0, 768, 5184, 256]]) {
  const save = top;
  const A = alloc(M * K), B = alloc(K * N), C = alloc(M * N);
  f32(A, M * K).fill(0.5);
  f32(B, K * N).fill(0.25);
  ex.gemm_f32(tA, tB, M, N, K, 1, A, tA ? M : K, B, tB ? K : N, 0, C, N);
  const g = [];
  for (let r = 0; r < reps; r++) {
    // GEMM_BENCH_CPU=1: time by this process's CPU time (for tuning on a busy machine)
    const cpu = process.env.GEMM_BENCH_CPU === '1';
    const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
    ex.gemm_f32(tA, tB, M, N, K, 1, A, tA ? M : K, B, tB ? K : N, 0, C, N);
    const dc = process.cpuUsage(c0);
    const ns = cpu ? (dc.user + dc.system) * 1e3 : Number(process.hrtime.bigint() - t0);
    g.push((2 * M * N * K) / ns);
  }
  g.sort((x, y) => x - y);
  console.log(`wasm tA=${tA} tB=${tB} M=${M} K=${K} N=${N}  GFLOP/s median ${g[reps >> 1].toFixed(1)} min ${g[0].toFixed(1)} max ${g[reps - 1].toFixed(1)}`);
  top = save;
}
