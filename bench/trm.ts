/**
 * TRM benchmark (`npm run bench -- --only trm`) at the paper's configuration: hidden 512, 8 heads,
 * expansion 4, 2 layers, 3 x 6 cycles, puzzle_emb_len 16, Sudoku (seq 81, vocab 11), for
 *   trm-train-step:  one ACT segment (H_cycles-1 cycles without gradient, one with) + loss + backward +
 *                    both optimizers + the EMA update, at batch 16 (TRM trains at 768: ~60 GB of
 *                    activations at float32 with mlp_t, beyond this machine)
 *   trm-solve:       one puzzle (batch 1) through all halt_max_steps = 16 evaluation segments
 * each with attention (RoPE) and with mlp_t (no positions), TRM's Sudoku model. Timings are medians
 * over few runs (a step takes seconds); the machine may be shared, so `cpu_ms` (process CPU time per
 * run) comes with them.
 */
import { cpus } from 'node:os';
import { setBackend } from '../src/engine/index.js';
import { buildRegisteredModel } from '../src/models/registry.js';
import { Rng } from '../src/util/random.js';
import type { BenchOptions } from './main.js';
import { cpuTimed, emit, round, summarize, timeIt } from './util.js';
import { randomBatch, trainingStep } from './train-step.js';
import { ACTLossHead } from '../src/losses/act-loss-head.js';

const PAPER = {
  seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1, hidden_size: 512, num_heads: 8, expansion: 4,
  L_layers: 2, H_cycles: 3, L_cycles: 6, halt_max_steps: 16, halt_exploration_prob: 0.1, puzzle_emb_len: 16,
  // float32 (TRM's own default is bfloat16, which costs a little more on CPUs without bf16 arithmetic)
  forward_dtype: 'float32',
};
const VARIANTS = [
  { name: 'attention', keys: { pos_encodings: 'rope', mlp_t: false } },
  { name: 'mlp_t', keys: { pos_encodings: 'none', mlp_t: true } },
];

export async function run(opts: BenchOptions): Promise<void> {
  for (const backend of opts.backends) {
    setBackend(backend as Parameters<typeof setBackend>[0]);
    const threads = backend === 'wasm' ? 1 : Number(process.env.HRM_THREADS ?? cpus().length);
    const runs = opts.quick || backend === 'wasm' ? 1 : 3;
    for (const v of VARIANTS) {
      const trainB = 16;
      const rng = new Rng(0);
      const config = { ...PAPER, ...v.keys, batch_size: trainB };
      const model = buildRegisteredModel('trm', config, rng, 'bench/trm.ts');
      const rig = trainingStep(model, config, rng, { lr: 1e-4, puzzleLr: 1e-4, ema: true });
      const head = new ACTLossHead(model);
      const train = cpuTimed(rig.step);
      const t = await timeIt(train.fn, runs, 1);
      rig.dispose();
      const cpu = summarize(train.samples.slice(1)).median;
      emit({ bench: 'trm-train-step', variant: v.name, backend, threads, batch: trainB, ms: round(t.median), min: round(t.min), max: round(t.max), cpu_ms: round(cpu), config });
      const puzzle = randomBatch({ ...config, batch_size: 1 }, rng);
      const solve = cpuTimed(() => {
        let c = model.initialCarry(1);
        for (let s = 0; s < PAPER.halt_max_steps; s++) c = head.evalStep(c, puzzle).carry;
        model.disposeCarry(c);
      });
      const ts = await timeIt(solve.fn, runs, 1);
      emit({ bench: 'trm-solve', variant: v.name, backend, threads, segments: PAPER.halt_max_steps, ms: round(ts.median), min: round(ts.min), max: round(ts.max), cpu_ms: round(summarize(solve.samples.slice(1)).median), config: { ...config, batch_size: 1 } });
      model.dispose();
    }
  }
}
