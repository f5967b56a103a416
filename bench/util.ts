import { getBackend } from '../src/engine/index.js';

/**
 * Shared helpers for `npm run bench`: every figure is one JSON line on stdout with at least
 * `bench`, `backend`, `threads`, `dtype` (the compute dtype: float32 unless the line says bfloat16),
 * the median figure with `min` and `max`, and its configuration.
 */
export function emit(line: Record<string, unknown>): void {
  const { bench, backend, threads, dtype, ...rest } = line;
  // A GPU figure names its adapter: the same code is 1000x apart on SwiftShader and on a real GPU.
  const gpu = backend === 'webgpu' ? getBackend().gpu() : null;
  const adapter = gpu ? { adapter: gpu.adapter } : {};
  process.stdout.write(JSON.stringify({ bench, backend, ...adapter, threads, dtype: dtype ?? 'float32', ...rest }) + '\n');
}

export interface Timing {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/** Runs fn `warmup` times untimed, then `runs` times; returns milliseconds. */
export async function timeIt(fn: () => unknown | Promise<unknown>, runs = 7, warmup = 2): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return summarize(samples);
}

export function summarize(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], samples };
}

/** Converts a timing in ms to a rate (per second) summary: the median of rates, min and max. */
export function rate(t: Timing, workPerRun: number): { median: number; min: number; max: number } {
  return { median: workPerRun / (t.median / 1e3), min: workPerRun / (t.max / 1e3), max: workPerRun / (t.min / 1e3) };
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Wraps fn to record its process CPU time (user + system, all threads) per call, in ms. */
export function cpuTimed(fn: () => void): { fn: () => void; samples: number[] } {
  const samples: number[] = [];
  return {
    samples,
    fn: () => {
      const c0 = process.cpuUsage();
      fn();
      const c = process.cpuUsage(c0);
      samples.push((c.user + c.system) / 1e3);
    },
  };
}
