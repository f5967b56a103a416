/**
 * GEMM throughput: C = A B for (M, K, N) = (8192, 512, 1536), (8192, 1536, 512), (512, 512, 512),
 * one JSON line per shape and backend:
 *   {bench:'gemm', backend, threads, isa, shape:[M,K,N], gflops, min, max, cpu_gflops, runs, loadavg}
 * gflops is the median over the runs (wall clock). The machine may be shared: cpu_gflops is the rate
 * over all runs by this process's CPU time divided by the threads (what the kernel reaches while it
 * is running; about gflops on a quiet machine; null when the runs took under 0.2 s of CPU, too short
 * for the coarse clock), and loadavg the 1-minute load average when the shape finished.
 */
import { loadavg } from 'node:os';
import type { BenchOptions } from './main.js';
import { emit, round, summarize } from './util.js';
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
          const gflop = (2 * M * N * K) / 1e9;
          const call = (): void => be.k.gemm(0, 0, M, N, K, 1, pA, K, pB, N, 0, pC, N);
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
          emit({
            bench: 'gemm',
            backend: name,
            threads: be.threads,
            isa: be.isa,
            shape: [M, K, N],
            gflops: round(gflop / (tw.median / 1e3)),
            min: round(gflop / (tw.max / 1e3)),
            max: round(gflop / (tw.min / 1e3)),
            cpu_gflops: cpuSeconds >= 0.2 ? round((runs * gflop) / (cpuSeconds / be.threads)) : null,
            runs,
            loadavg: round(loadavg()[0], 2),
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
