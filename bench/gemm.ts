/**
 * GEMM throughput: C = A B for (M, K, N) = (8192, 512, 1536), (8192, 1536, 512), (512, 512, 512),
 * one JSON line per shape, dtype (float32: gemm; bfloat16: gemm_bf16, operands rounded while packing)
 * and backend:
 *   {bench:'gemm', backend, threads, dtype, isa, shape:[M,K,N], gflops, min, max, cpu_gflops, runs, loadavg,
 *    fma_peak_fraction}
 * Before them, per backend, the float32 FMA peak of the kernel table (`fma_peak`: 12 independent
 * multiply-add chains from registers; AVX2 _mm256_fmadd_ps here) on one thread and on all:
 *   {bench:'fma-peak', backend, threads, dtype:'float32', isa, gflops, min, max, runs}
 * and `fma_peak_fraction` of each GEMM line is its gflops over the all-threads peak of the same run.
 * `amx-peak` (bfloat16 tile peak) is emitted only as `{available: false, reason}` unless the CPU
 * reports AMX, and even then this build has no tile kernel to run: it says so instead of a number.
 * gflops is the median over the runs (wall clock). The machine may be shared: cpu_gflops is the rate
 * over all runs by this process's CPU time divided by the threads (what the kernel reaches while it
 * is running; about gflops on a quiet machine; null when the runs took under 0.2 s of CPU, too short
 * for the coarse clock), and loadavg the 1-minute load average when the shape finished.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { BenchOptions } from './main.js';
import { emit, round, summarize } from './util.js';
import { getBackend, setBackend } from '../src/engine/index.js';

const SHAPES: [number, number, number][] = [
  [8192, 512, 1536],
  [8192, 1536, 512],
  [512, 512, 512],
];

/** The CPU's feature flags (Linux /proc/cpuinfo; empty elsewhere). */
function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

/**
 * fma_peak GFLOP/s on `threads` threads: median of `runs` calls of about 0.2 s each by wall clock, and
 * `cpu`: all operations over the process CPU time divided by the threads (what the cores reach while
 * they run: on a loaded machine the wall figure falls with the load, this one does not).
 */
function fmaPeak(be: ReturnType<typeof getBackend>, threads: number, quick: boolean): { median: number; min: number; max: number; runs: number; cpu: number } {
  const p = be.alloc(64);
  try {
    let flops = 0;
    const call = (iters: number): number => {
      const t0 = process.hrtime.bigint();
      be.k.fma_peak(p, iters, threads);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      flops += be.f32(p, 1)[0];
      return be.f32(p, 1)[0] / s / 1e9;
    };
    // size the loop to ~0.2 s from a short first call
    const g0 = call(1e5);
    const iters = Math.max(1e5, Math.round((quick ? 0.05 : 0.2) * g0 * 1e9 / (threads * 12 * 2 * 8)));
    const runs = quick ? 3 : 7;
    flops = 0;
    const c0 = process.cpuUsage();
    const r = summarize(Array.from({ length: runs }, () => call(iters)));
    const c = process.cpuUsage(c0);
    const cpuSeconds = (c.user + c.system) / 1e6;
    return { median: r.median, min: r.min, max: r.max, runs, cpu: flops / (cpuSeconds / threads) / 1e9 };
  } finally {
    be.free(p, 64);
  }
}

export async function run(opts: BenchOptions): Promise<void> {
  const prev = getBackend().name;
  const flags = cpuFlags();
  const amx = flags.has('amx_bf16') && flags.has('amx_tile');
  emit({
    bench: 'amx-peak', backend: 'native', threads: null, dtype: 'bfloat16', available: false, gflops: null,
    reason: amx ? 'the CPU reports AMX but this build has no tile kernel (a later kernel table entry)' : 'this CPU has no AMX (no amx_tile/amx_bf16 in /proc/cpuinfo)',
    avx512_bf16: flags.has('avx512_bf16'),
  });
  try {
    for (const name of opts.backends) {
      setBackend(name as 'native' | 'wasm');
      const be = getBackend();
      let peakAll = 0;
      let peakAllCpu = 0;
      for (const threads of [...new Set([1, be.threads])]) {
        const r = fmaPeak(be, threads, opts.quick);
        if (threads === be.threads) [peakAll, peakAllCpu] = [r.median, r.cpu];
        emit({ bench: 'fma-peak', backend: name, threads, dtype: 'float32', isa: be.isa, gflops: round(r.median), min: round(r.min), max: round(r.max),
          cpu_gflops: round(r.cpu), runs: r.runs, loadavg: round(loadavg()[0], 2) });
      }
      for (const [M, K, N] of SHAPES) {
        for (const dtype of ['float32', 'bfloat16'] as const) {
        const pA = be.alloc(M * K * 4);
        const pB = be.alloc(K * N * 4);
        const pC = be.alloc(M * N * 4);
        try {
          be.f32(pA, M * K).fill(0.5);
          be.f32(pB, K * N).fill(0.25);
          const gflop = (2 * M * N * K) / 1e9;
          const gemm = dtype === 'bfloat16' ? be.k.gemm_bf16 : be.k.gemm;
          const call = (): void => gemm(0, 0, M, N, K, 1, pA, K, pB, N, 0, pC, N);
          // two untimed calls (packing buffers, thread start), then about 1.5 s of runs (0.3 s with --quick)
          call();
          const t0 = process.hrtime.bigint();
          call();
          const onceMs = Number(process.hrtime.bigint() - t0) / 1e6;
          const runs = Math.max(5, Math.min(41, Math.round((opts.quick ? 300 : 1500) / Math.max(onceMs, 1e-3))));
          const wall: number[] = [];
          const c0 = process.cpuUsage();
          for (let r = 0; r < runs; r++) {
            const w0 = process.hrtime.bigint();
            call();
            wall.push(Number(process.hrtime.bigint() - w0) / 1e6);
          }
          const c = process.cpuUsage(c0);
          const cpuSeconds = (c.user + c.system) / 1e6;
          const tw = summarize(wall);
          const gflops = gflop / (tw.median / 1e3);
          emit({
            bench: 'gemm',
            backend: name,
            threads: be.threads,
            dtype,
            isa: be.isa,
            shape: [M, K, N],
            gflops: round(gflop / (tw.median / 1e3)),
            min: round(gflop / (tw.max / 1e3)),
            max: round(gflop / (tw.min / 1e3)),
            cpu_gflops: cpuSeconds >= 0.2 ? round((runs * gflop) / (cpuSeconds / be.threads)) : null,
            runs,
            loadavg: round(loadavg()[0], 2),
            fma_peak_fraction: peakAll > 0 ? round(gflops / peakAll, 3) : null,
            // the same ratio per CPU-second (both figures as the cores reach them while running)
            fma_peak_fraction_cpu: cpuSeconds >= 0.2 && peakAllCpu > 0 ? round((runs * gflop) / (cpuSeconds / be.threads) / peakAllCpu, 3) : null,
          });
        } finally {
          be.free(pA, M * K * 4);
          be.free(pB, K * N * 4);
          be.free(pC, M * N * 4);
        }
        }
      }
    }
  } finally {
    setBackend(prev as 'native' | 'wasm');
  }
}
