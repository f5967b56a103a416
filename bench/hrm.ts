/**
 * HRM benchmark (`npm run bench -- --only hrm`): the configuration of ../shared/bench/README.md
 * (hidden 256, 4 heads, expansion 4, H/L layers 2, cycles 2x2, halt_max_steps 16, puzzle_emb_ndim 256,
 * one identifier, seq 81, vocab 11, batch 64, stablemax) for
 *   hrm-train-step:   one ACT segment + the Q target's second forward + loss + backward + both optimizers
 *   hrm-eval-segment: one evaluation segment
 * with model-FLOP utilisation: achieved GFLOP/s over the backend's own GEMM rate on (M, K, N) =
 * (8192, 512, 1536), measured in the same run. `cpu_ms` is the process CPU time per run (all threads) and
 * `mfu_cpu` the same ratio per CPU-second: on a shared machine, with HRM_THREADS=1 (or wasm), they
 * estimate the quiet single-thread figures.
 */
import { cpus } from 'node:os';
import { empty, getBackend, setBackend, type ComputeDType } from '../src/engine/index.js';
import { HRM } from '../src/models/hrm/act.js';
import { intermediateSize, parseHRMConfig, puzzleEmbLen, type HRMConfig } from '../src/models/hrm/config.js';
import { Rng } from '../src/util/random.js';
import type { BenchOptions } from './main.js';
import { cpuTimed, emit, round, summarize, timeIt } from './util.js';
import { randomBatch, trainingStep } from './train-step.js';
import { ACTLossHead } from '../src/losses/act-loss-head.js';

export const BENCH_CONFIG = {
  batch_size: 64,
  seq_len: 81,
  vocab_size: 11,
  num_puzzle_identifiers: 1,
  hidden_size: 256,
  num_heads: 4,
  expansion: 4,
  H_layers: 2,
  L_layers: 2,
  H_cycles: 2,
  L_cycles: 2,
  halt_max_steps: 16,
  halt_exploration_prob: 0.1,
  puzzle_emb_ndim: 256,
  pos_encodings: 'rope',
  loss_type: 'stablemax_cross_entropy',
};

/** Forward FLOPs of one segment's blocks and heads (multiply-add = 2). */
export function segmentFlops(c: HRMConfig): { block: number; segment: number; heads: number } {
  const D = c.hidden_size;
  const I = intermediateSize(c);
  const S = c.seq_len + puzzleEmbLen(c);
  const tokens = c.batch_size * S;
  const perToken = 2 * D * (3 * D + D + 2 * I + I) + 4 * S * D;
  const block = perToken * tokens;
  const blocks = c.H_cycles * c.L_cycles * c.L_layers + c.H_cycles * c.H_layers;
  const heads = 2 * c.batch_size * c.seq_len * D * c.vocab_size + 2 * c.batch_size * D * 2;
  return { block, segment: blocks * block + heads, heads };
}

/** One training step's FLOPs: segment forward, backward (2x forward) of the last L and H levels and heads, second forward. */
export function trainStepFlops(c: HRMConfig): number {
  const f = segmentFlops(c);
  const gradBlocks = c.L_layers + c.H_layers;
  return 2 * f.segment + 2 * (gradBlocks * f.block + f.heads);
}

/** GEMM GFLOP/s by wall clock (`wall`) and per CPU-second of this process (`cpu`). */
async function gemmRate(runs: number, dtype: ComputeDType = 'float32'): Promise<{ wall: number; cpu: number }> {
  const [M, K, N] = [8192, 512, 1536];
  const a = empty([M, K]);
  const b = empty([K, N]);
  const c = empty([M, N]);
  const be = getBackend();
  be.k.fill(a.ptr, 0.5, a.size);
  be.k.fill(b.ptr, 0.25, b.size);
  const gemm = dtype === 'bfloat16' ? be.k.gemm_bf16 : be.k.gemm;
  const timed = cpuTimed(() => gemm(0, 0, M, N, K, 1, a.ptr, K, b.ptr, N, 0, c.ptr, N));
  const t = await timeIt(timed.fn, runs, 1);
  a.dispose();
  b.dispose();
  c.dispose();
  const flop = 2 * M * N * K;
  return { wall: flop / (t.median / 1e3) / 1e9, cpu: flop / (summarize(timed.samples.slice(1)).median / 1e3) / 1e9 };
}

export async function run(opts: BenchOptions): Promise<void> {
  for (const backend of opts.backends) {
    for (const dtype of ['float32', 'bfloat16'] as const) await runOne(opts, backend, dtype);
  }
}

/** The train step and eval segment in one compute dtype; mfu against the same dtype's GEMM. */
async function runOne(opts: BenchOptions, backend: string, dtype: ComputeDType): Promise<void> {
  const cfg = parseHRMConfig({ ...BENCH_CONFIG, forward_dtype: dtype }, 'bench/hrm.ts');
  const trainFlops = trainStepFlops(cfg);
  const evalFlops = segmentFlops(cfg).segment;
  {
    setBackend(backend as Parameters<typeof setBackend>[0]);
    const threads = backend === 'wasm' ? 1 : Number(process.env.HRM_THREADS ?? cpus().length);
    // wasm is several times slower: fewer samples keep the whole bench in minutes
    const runs = opts.quick || backend === 'wasm' ? 3 : 7;
    // The machine is shared: take the better of two GEMM measurements (before and after), so the
    // utilisation is never flattered by a GEMM figure taken in a busy moment.
    let gemm = await gemmRate(runs, dtype);
    const rng = new Rng(0);
    const model = new HRM(cfg, rng);
    const train = trainingStep(model, cfg, rng, { lr: 1e-4, puzzleLr: 1e-2 });
    const head = new ACTLossHead(model);
    const trainCpu = cpuTimed(train.step);
    const tTrain = await timeIt(trainCpu.fn, runs, 1);
    train.dispose();
    let ec = model.initialCarry(cfg.batch_size);
    const batch = randomBatch(cfg, rng);
    const evalCpu = cpuTimed(() => {
      ec = head.evalStep(ec, batch).carry;
    });
    const tEval = await timeIt(evalCpu.fn, runs, 1);
    model.disposeCarry(ec);
    const again = await gemmRate(runs, dtype);
    gemm = { wall: Math.max(gemm.wall, again.wall), cpu: Math.max(gemm.cpu, again.cpu) };
    const trainCpuMs = summarize(trainCpu.samples.slice(1)).median;
    const evalCpuMs = summarize(evalCpu.samples.slice(1)).median;
    const gfTrain = trainFlops / (tTrain.median / 1e3) / 1e9;
    emit({
      bench: 'hrm-train-step', backend, threads, dtype, ms: round(tTrain.median), min: round(tTrain.min), max: round(tTrain.max),
      gflop: round(trainFlops / 1e9), gflops: round(gfTrain), gemm_gflops: round(gemm.wall), mfu: round(gfTrain / gemm.wall, 3),
      cpu_ms: round(trainCpuMs), mfu_cpu: round(trainFlops / (trainCpuMs / 1e3) / 1e9 / gemm.cpu, 3), config: BENCH_CONFIG,
    });
    const gfEval = evalFlops / (tEval.median / 1e3) / 1e9;
    emit({
      bench: 'hrm-eval-segment', backend, threads, dtype, ms: round(tEval.median), min: round(tEval.min), max: round(tEval.max),
      gflop: round(evalFlops / 1e9), gflops: round(gfEval), gemm_gflops: round(gemm.wall), mfu: round(gfEval / gemm.wall, 3),
      cpu_ms: round(evalCpuMs), mfu_cpu: round(evalFlops / (evalCpuMs / 1e3) / 1e9 / gemm.cpu, 3), config: BENCH_CONFIG,
    });
  }
}
