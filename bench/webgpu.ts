/**
 * `npm run bench -- --only webgpu`: the WebGPU backend on whatever adapter this machine has (each line
 * names it):
 *   gemm       GFLOP/s of square float32 GEMMs, and the same sizes on native in the same process, so the
 *              ratio holds on a loaded machine; with the fma_peak probe (when it has a WGSL kernel) as %
 *              of the adapter's measured float32 FMA peak
 *   traffic    kernel dispatches, command-list flushes and bytes read back per segment of the paper's
 *              HRM layout (4+4 layers, 2x2 cycles) and of the bundled model: counted, so any adapter
 *              (SwiftShader too) gives the real figures
 *   segment / solve-27m   one segment and a whole 16-segment Sudoku solve of the 27M-parameter paper
 *              model (random weights of the published shapes); skipped on a CPU-emulated adapter
 *              (SwiftShader runs it at well under 1 GFLOP/s) unless --slow is given
 *   train-step one training step of bench/hrm.ts's reference-size HRM (BENCH_CONFIG, float32: forward,
 *              backward, AdamATan2, SignSGD) on webgpu and on native in the same command, with GFLOP/s
 *              against the fma_peak probe; skipped on an emulated adapter unless --slow
 * The bundled model's solve on webgpu is `--only solve --backend webgpu`.
 */
import { setBackend, type Backend } from '../src/engine/index.js';
import { HRM } from '../src/models/hrm/act.js';
import { buildRegisteredModel } from '../src/models/registry.js';
import type { ACTConfig } from '../src/models/shared/act.js';
import { infer } from '../src/models/shared/inference.js';
import { SUDOKU } from '../src/solve/sudoku.js';
import { Solver } from '../src/solve/solver.js';
import { bundledModelNames, bundledModelPath } from '../src/model-files/bundle.js';
import { WGSL } from '../src/engine/webgpu/wgsl-table.js';
import { Rng } from '../src/util/random.js';
import { parseHRMConfig } from '../src/models/hrm/config.js';
import { BENCH_CONFIG, trainStepFlops } from './hrm.js';
import { trainingStep } from './train-step.js';
import type { BenchOptions } from './main.js';
import { emit, round, timeIt } from './util.js';

const PAPER = {
  hidden_size: 512, num_heads: 8, expansion: 4, H_layers: 4, L_layers: 4, H_cycles: 2, L_cycles: 2,
  halt_max_steps: 16, puzzle_emb_ndim: 512, pos_encodings: 'rope', loss_type: 'stablemax_cross_entropy',
};
const SUDOKU_DATA = { batch_size: 1, seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1 };
const PUZZLE = '..28.5.4...8....5....93.....7.48..............5.1.32...9.57..83..734.16.4..69.5..';

function gemmRate(b: Backend, n: number, runs: number): Promise<{ median: number; min: number; max: number }> {
  const bytes = n * n * 4;
  const [A, B, C] = [b.alloc(bytes), b.alloc(bytes), b.alloc(bytes)];
  b.k.fill(A, 0.5, n * n);
  b.k.fill(B, 0.25, n * n);
  const once = (): void => {
    b.k.gemm(0, 0, n, n, n, 1, A, n, B, n, 0, C, n);
    b.readF32(C, 1); // waits for the GPU: the time is the GEMM's, not the enqueue's
  };
  return timeIt(once, runs, 1).then((t) => {
    for (const p of [A, B, C]) b.free(p, bytes);
    const gflop = (2 * n * n * n) / 1e9;
    return { median: gflop / (t.median / 1e3), min: gflop / (t.max / 1e3), max: gflop / (t.min / 1e3) };
  });
}

/** The adapter's float32 FMA rate from the fma_peak probe, GFLOP/s (null when WGSL lacks the probe). */
async function peak(b: Backend, emulated: boolean): Promise<number | null> {
  if (!WGSL.fma_peak) return null;
  const p = b.alloc(8);
  let best = 0;
  // a real GPU: 4096 workgroups of 256 (fma_peak's default for threads <= 1), 4096 rounds (~100 GFLOP);
  // an emulated one: 4 workgroups, 256 rounds
  const [iters, threads] = emulated ? [256, 1024] : [4096, 1];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    b.k.fma_peak(p, iters, threads);
    const [ops] = b.readF32(p, 2);
    best = Math.max(best, ops / ((performance.now() - t0) / 1e3) / 1e9);
  }
  b.free(p, 8);
  return best;
}

function counted<T>(b: Backend, fn: () => T): { value: T; dispatches: number; flushes: number; reads: number; bytesRead: number } {
  const c0 = b.gpu()!.counters;
  const value = fn();
  const c1 = b.gpu()!.counters;
  return { value, dispatches: c1.dispatches - c0.dispatches, flushes: c1.flushes - c0.flushes, reads: c1.reads - c0.reads, bytesRead: c1.bytesRead - c0.bytesRead };
}

/** ms per training step of the reference-size HRM on `name`, read back to the host so the time is the device's. */
async function trainStepMs(name: 'webgpu' | 'native', runs: number): Promise<{ median: number; min: number; max: number }> {
  setBackend(name);
  const cfg = parseHRMConfig({ ...BENCH_CONFIG, forward_dtype: 'float32' }, 'bench/webgpu.ts');
  const rng = new Rng(0);
  const model = new HRM(cfg, rng);
  const rig = trainingStep(model, cfg, rng, { lr: 1e-4, puzzleLr: 1e-2 });
  const [, last] = model.parameters()[model.parameters().length - 1];
  const t = await timeIt(() => {
    rig.step();
    last.toFloat32Array(); // waits for the optimizer's dispatches too
  }, runs, 1);
  rig.dispose();
  model.dispose();
  return t;
}

export async function run(opts: BenchOptions): Promise<void> {
  let gpu: Backend;
  try {
    gpu = setBackend('webgpu');
  } catch (e) {
    process.stderr.write(`bench webgpu: ${(e as Error).message}\n`);
    return;
  }
  const adapter = gpu.gpu()!.adapter;
  const emulated = /swiftshader|llvmpipe|lavapipe|software/i.test(adapter);
  const slow = process.argv.includes('--slow');

  // ---- GEMM against native in the same process, and against the adapter's probe ----
  const sizes = emulated || opts.quick ? [64, 128, 256] : [256, 512, 1024, 2048, 4096];
  const probe = await peak(gpu, emulated);
  for (const n of sizes) {
    const r = await gemmRate(gpu, n, emulated ? 3 : 10);
    let nativeRate: number | null = null;
    try {
      nativeRate = (await gemmRate(setBackend('native'), n, 3)).median;
    } catch {
      // no native addon here
    }
    setBackend('webgpu');
    emit({
      bench: 'gemm', backend: 'webgpu', threads: 1, M: n, N: n, K: n, gflops: round(r.median, 3), min: round(r.min, 3), max: round(r.max, 3),
      peak_gflops: probe === null ? null : round(probe, 3), pct_of_peak: probe === null ? null : round((100 * r.median) / probe, 1),
      native_gflops: nativeRate === null ? null : round(nativeRate, 1),
    });
  }

  // ---- traffic per segment: the paper's layout at a small width (counts do not depend on width) ----
  for (const [label, hidden, heads] of [['paper-layout', 64, 2], ['paper', 512, 8]] as const) {
    if (label === 'paper' && emulated && !slow) continue;
    const arch = { ...PAPER, hidden_size: hidden, num_heads: heads, puzzle_emb_ndim: hidden };
    const model = buildRegisteredModel('hrm_v1', { ...SUDOKU_DATA, ...arch }, new Rng(0), `bench webgpu ${label}`);
    const cfg = model.config as ACTConfig & Record<string, number>;
    const params = model.namedState().reduce((s, e) => s + e.tensor.size, 0);
    const [puzzle] = SUDOKU.parse(PUZZLE, 'bench', false);
    const input = { inputs: puzzle.tokens, puzzle_identifiers: new Int32Array(1) };
    const one = counted(gpu, () => infer(model, input, { segments: 1 }));
    const all = counted(gpu, () => infer(model, input));
    const segs = cfg.halt_max_steps;
    emit({
      bench: 'traffic', backend: 'webgpu', threads: 1, model: label, params, segments: segs,
      dispatches_per_segment: round(all.dispatches / segs, 1), flushes_per_segment: round(all.flushes / segs, 2),
      reads_per_segment: round(all.reads / segs, 2), bytes_read_per_segment: round(all.bytesRead / segs, 0),
      first_segment_dispatches: one.dispatches,
    });
    if (label === 'paper') {
      const seg = await timeIt(() => infer(model, input, { segments: 1 }), emulated ? 1 : 10, 1);
      let valid = false;
      const solve = await timeIt(() => {
        const r = infer(model, input);
        valid = SUDOKU.judge(SUDOKU.decode(r.preds, puzzle), puzzle).valid;
      }, emulated ? 1 : 10, 1);
      let gflop = NaN;
      if (model instanceof HRM) {
        const S = cfg.seq_len + Math.ceil(cfg.puzzle_emb_ndim / cfg.hidden_size);
        const perBlock = model.inner.H[0].stateDict('').reduce((s, [, t]) => s + t.size, 0) * 2 * S + 4 * S * S * cfg.hidden_size;
        gflop = (segs * cfg.H_cycles * (cfg.L_cycles * cfg.L_layers + cfg.H_layers) * perBlock) / 1e9;
      }
      emit({ bench: 'segment', backend: 'webgpu', threads: 1, model: 'paper', params, ms: round(seg.median, 2), min: round(seg.min, 2), max: round(seg.max, 2) });
      emit({
        bench: 'solve', backend: 'webgpu', threads: 1, model: 'paper', params, segments: segs, ms: round(solve.median, 2), min: round(solve.min, 2),
        max: round(solve.max, 2), gflop: round(gflop, 1), gflops: round(gflop / (solve.median / 1e3), 1), valid_answer: valid, target_ms: 50,
      });
    }
    model.dispose();
  }
  // ---- one training step of bench/hrm.ts's reference-size HRM, webgpu vs native in this process ----
  if (!emulated || slow) {
    const cfg = parseHRMConfig({ ...BENCH_CONFIG, forward_dtype: 'float32' }, 'bench/webgpu.ts');
    const gflop = trainStepFlops(cfg) / 1e9;
    const runs = emulated || opts.quick ? 2 : 7;
    const g = await trainStepMs('webgpu', runs);
    let n: { median: number } | null = null;
    try {
      n = await trainStepMs('native', runs);
    } catch {
      // no native addon here
    }
    setBackend('webgpu');
    emit({
      bench: 'train-step', backend: 'webgpu', adapter, model: 'hrm-bench', ms: round(g.median, 1), min: round(g.min, 1), max: round(g.max, 1),
      gflop: round(gflop, 1), gflops: round(gflop / (g.median / 1e3), 1), peak_gflops: probe === null ? null : round(probe, 3),
      pct_of_peak: probe === null ? null : round((100 * gflop) / (g.median / 1e3) / probe, 2),
      native_ms: n === null ? null : round(n.median, 1), speedup_vs_native: n === null ? null : round(n.median / g.median, 2), config: BENCH_CONFIG,
    });
  }
  for (const name of bundledModelNames()) {
    const solver = Solver.load(bundledModelPath(name));
    const task = solver.files.bundle?.task ?? 'sudoku';
    if (task !== 'sudoku') {
      solver.dispose();
      continue;
    }
    const puzzles = solver.parse('sudoku', PUZZLE, 'bench', false);
    solver.solve('sudoku', puzzles, { batchSize: 1 });
    const c = counted(gpu, () => solver.solve('sudoku', puzzles, { batchSize: 1 }));
    const segs = c.value[0].segments;
    emit({
      bench: 'traffic', backend: 'webgpu', threads: 1, model: `bundled-${name}`, segments: segs, dispatches_per_segment: round(c.dispatches / segs, 1),
      flushes_per_segment: round(c.flushes / segs, 2), reads_per_segment: round(c.reads / segs, 2), bytes_read_per_segment: round(c.bytesRead / segs, 0),
    });
    solver.dispose();
  }
}
