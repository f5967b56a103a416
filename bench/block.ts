/**
 * One HRM block (hidden 256, 4 heads, expansion 4 -> inter 768, batch 64 x 81 tokens, RoPE), per
 * backend: forward without grad ('block-fwd') and forward + backward ('block-fwdbwd'), tokens/s,
 * median / min / max over the runs, and the memory the step holds (`peak_bytes`: parameters,
 * activations, gradients; the pool keeps every block the step used, so after the runs it holds the
 * step's high-water mark).
 * With --torch: ../shared/bench/torch_block.py twice (default, and with glibc's malloc thresholds
 * raised, the fastest PyTorch here) and one 'block-fwdbwd-vs-torch' line per backend with the ratio.
 * Debian's python3-torch runs its matmuls through libblas.so.3: with only the reference BLAS installed it
 * is ~50x slower than with OpenBLAS (`apt-get install -y libopenblas0-pthread`), which the peer
 * figures in ../shared/bench/README.md use.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from './main.js';
import { emit, rate, round, summarize } from './util.js';
import * as E from '../src/engine/index.js';
import { HRMBlock } from '../src/nn/block.js';
import { RotaryEmbedding } from '../src/nn/rotary.js';
import { swigluInter } from '../src/nn/swiglu.js';
import { Rng } from '../src/util/random.js';

const CONFIG = { hidden: 256, heads: 4, expansion: 4, batch: 64, seq: 81 };

// dist/bench/block.js -> repository root two levels up
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Measured {
  backend: string;
  threads: number;
  fwdbwd: number;
}

function benchBackend(name: string, runs: number, dtype: E.ComputeDType = 'float32'): Measured {
  E.setBackend(name as 'native' | 'wasm');
  const be = E.getBackend();
  be.trim();
  const base = be.stats().bytesInUse;
  const { hidden, heads, expansion, batch, seq } = CONFIG;
  const rng = new Rng(0);
  const block = new HRMBlock(rng, { hidden, heads, expansion, dtype });
  const rope = new RotaryEmbedding(hidden / heads, seq);
  const x = E.tensor(Float32Array.from({ length: batch * seq * hidden }, () => (dtype === 'bfloat16' ? E.roundBf16(rng.normal()) : rng.normal())), [batch, seq, hidden]);
  const seed = E.ones([batch, seq, hidden]);
  const tokens = batch * seq;
  const config = { ...CONFIG, inter: swigluInter(hidden, expansion), isa: be.isa };

  const fwd = (): void => E.noGrad(() => block.forward(x, rope).dispose());
  const xg = x.detach().requireGrad();
  const fwdbwd = (): void =>
    E.tidy(() => {
      const y = block.forward(xg, rope);
      E.backward(y, seed);
      for (const [, p] of block.parameters()) {
        p.grad!.dispose();
        p.grad = null;
      }
      xg.grad!.dispose();
      xg.grad = null;
    });

  const report = (bench: string, fn: () => void, warmup: number): number => {
    const samples: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = process.hrtime.bigint();
      fn();
      if (i >= warmup) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const t = summarize(samples);
    const r = rate(t, tokens);
    const st = be.stats();
    emit({
      bench,
      backend: name,
      threads: be.threads,
      dtype,
      tokens_per_s: Math.round(r.median),
      min: Math.round(r.min),
      max: Math.round(r.max),
      ms: round(t.median, 2),
      runs,
      config,
      peak_bytes: st.bytesInUse + st.bytesCached - base,
    });
    return r.median;
  };
  report('block-fwd', fwd, 2);
  const fb = report('block-fwdbwd', fwdbwd, 2);
  if (process.env.HRM_BENCH_PROFILE === '1' && dtype === 'float32') profileKernels(name, be, fwdbwd, runs);
  xg.dispose();
  x.dispose();
  seed.dispose();
  rope.dispose();
  block.dispose();
  be.trim();
  return { backend: name, threads: be.threads, fwdbwd: fb };
}

/** HRM_BENCH_PROFILE=1: milliseconds per fwd+bwd step in each kernel (gemm by shape), one line. */
function profileKernels(name: string, be: E.Backend, step: () => void, runs: number): void {
  const k = be.k as unknown as Record<string, (...a: number[]) => void>;
  const orig = { ...k };
  const ms: Record<string, number> = {};
  for (const [kn, f] of Object.entries(orig)) {
    k[kn] = (...a: number[]): void => {
      const key = kn === 'gemm' ? `gemm ${a[0] ? 'T' : 'N'}${a[1] ? 'T' : 'N'} ${a[2]}x${a[3]}x${a[4]}` : kn;
      const t0 = process.hrtime.bigint();
      f(...a);
      ms[key] = (ms[key] ?? 0) + Number(process.hrtime.bigint() - t0) / 1e6;
    };
  }
  const t0 = process.hrtime.bigint();
  try {
    for (let i = 0; i < runs; i++) step();
  } finally {
    Object.assign(k, orig);
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e6 / runs;
  const kernels = Object.fromEntries(Object.entries(ms).sort((a, b) => b[1] - a[1]).map(([n, v]) => [n, round(v / runs, 2)]));
  const inKernels = Object.values(ms).reduce((a, b) => a + b, 0) / runs;
  emit({ bench: 'block-fwdbwd-profile', backend: name, threads: be.threads, ms: round(total, 2), js_ms: round(total - inKernels, 2), kernels });
}

function hasTorch(python: string): boolean {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs the PyTorch peer; returns its forward+backward tokens/s (median) or null. */
function runTorch(python: string, script: string, variant: string, env: NodeJS.ProcessEnv, runs: number): number | null {
  const { hidden, heads, expansion, batch, seq } = CONFIG;
  const args = [script, '--hidden', `${hidden}`, '--heads', `${heads}`, '--expansion', `${expansion}`, '--batch', `${batch}`,
    '--seq', `${seq}`, '--threads', `${E.getBackend().threads}`, '--runs', `${runs}`];
  let out: string;
  try {
    out = execFileSync(python, args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (e) {
    process.stderr.write(`bench block: ${script} failed (${(e as Error).message.split('\n')[0]})\n`);
    return null;
  }
  let fb: number | null = null;
  for (const line of out.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    const j = JSON.parse(line) as Record<string, unknown>;
    const bench = j.tag === 'torch-block-fwd' ? 'block-fwd' : j.tag === 'torch-block-fwdbwd' ? 'block-fwdbwd' : null;
    if (!bench) continue;
    emit({
      bench,
      backend: 'torch',
      variant,
      threads: j.threads,
      tokens_per_s: j.tokens_per_s_median,
      min: j.min,
      max: j.max,
      ms: j.ms_median,
      config: { ...CONFIG, inter: j.inter, torch: j.torch },
    });
    if (bench === 'block-fwdbwd') fb = j.tokens_per_s_median as number;
    if (bench === 'block-fwd' && (j.tokens_per_s_median as number) < 3000) {
      process.stderr.write('bench block: PyTorch is very slow here; is libblas.so.3 the reference BLAS? (apt-get install -y libopenblas0-pthread)\n');
    }
  }
  return fb;
}

export async function run(opts: BenchOptions): Promise<void> {
  const prev = E.getBackend().name;
  const runs = opts.quick ? 5 : 9;
  const ours: Measured[] = [];
  try {
    for (const name of opts.backends) {
      ours.push(benchBackend(name, name === 'wasm' && opts.quick ? 3 : runs));
      benchBackend(name, name === 'wasm' && opts.quick ? 3 : runs, 'bfloat16');
    }
  } finally {
    E.setBackend(prev);
  }
  if (!opts.torch) return;
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const script = resolve(repoRoot, '..', 'shared', 'bench', 'torch_block.py');
  if (!existsSync(script)) {
    process.stderr.write(`bench block: --torch needs ${script}; skipped\n`);
    return;
  }
  if (!hasTorch(python)) {
    process.stderr.write(`bench block: ${python} has no torch (apt-get install -y python3-torch); skipped\n`);
    return;
  }
  const big = '17179869184';
  const results = [
    runTorch(python, script, 'default', {}, runs),
    runTorch(python, script, 'malloc-thresholds', { MALLOC_MMAP_THRESHOLD_: big, MALLOC_TRIM_THRESHOLD_: big }, runs),
  ].filter((v): v is number => v !== null);
  if (results.length === 0) return;
  const best = Math.max(...results);
  for (const m of ours) {
    emit({
      bench: 'block-fwdbwd-vs-torch',
      backend: m.backend,
      threads: m.threads,
      ratio: round(m.fwdbwd / best, 2),
      ours: Math.round(m.fwdbwd),
      torch_best: best,
      config: CONFIG,
    });
  }
}
