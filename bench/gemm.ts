/**
 * GEMM throughput: C = A B for (M, K, N) = (8192, 512, 1536), (8192, 1536, 512), (512, 512, 512),
 * one JSON line per shape and backend: {bench:'gemm', backend, threads, isa, shape:[M,K,N], gflops, min, max}
 * (gflops is the median of the runs).
 */
import type { BenchOptions } from './main.js';
import { emit, rate, round, timeIt } from './util.js';
import { getBackend, setBackend } from '../src/engine/index.js';

const SHAPES: [number, number, number][] = [
  [8192, 512, 1536],
  [8192, 1536, 512],
  [512, 512, 512],
];

export async function run(opts: BenchOptions): Promise<void> {
  const prev = getBackend().name;
  try {
    for (const name of opts.backends) {
      setBackend(name as 'native' | 'wasm');
      const be = getBackend();
      for (const [M, K, N] of SHAPES) {
        const pA = be.alloc(M * K * 4);
        const pB = be.alloc(K * N * 4);
        const pC = be.alloc(M * N * 4);
        try {
          be.f32(pA, M * K).fill(0.5);
          be.f32(pB, K * N).fill(0.25);
          const flop = 2 * M * N * K;
          // aim for about a second of timed work per shape (less with --quick)
          const once = await timeIt(() => be.k.gemm(0, 0, M, N, K, 1, pA, K, pB, N, 0, pC, N), 1, 1);
          const budget = opts.quick ? 300 : 1500;
          const runs = Math.max(5, Math.min(31, Math.round(budget / Math.max(once.median, 1e-3))));
          const t = await timeIt(() => be.k.gemm(0, 0, M, N, K, 1, pA, K, pB, N, 0, pC, N), runs, 2);
          const r = rate(t, flop / 1e9);
          emit({
            bench: 'gemm',
            backend: name,
            threads: be.threads,
            isa: be.isa,
            shape: [M, K, N],
            gflops: round(r.median),
            min: round(r.min),
            max: round(r.max),
            runs,
          });
        } finally {
          be.free(pA, M * K * 4);
          be.free(pB, K * N * 4);
          be.free(pC, M * N * 4);
        }
      }
    }
  } finally {
    setBackend(prev as 'native' | 'wasm');
  }
}
