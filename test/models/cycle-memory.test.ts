/**
 * The no-gradient cycles of a segment free each state as soon as the next replaces it: the backend's
 * peak memory (pool stats) of a segment is the same at 2 and at 20 cycles, for HRM, TRM and the baseline, through the
 * inference path `hrm solve` uses. (Before, every cycle's states and block intermediates lived until the
 * segment ended: 67 MB at 100 cycles, 200 MB at 1,600 for the bundled Sudoku model.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../../src/engine/index.js';
import { buildRegisteredModel, type ReasoningModel } from '../../src/models/registry.js';
import { infer } from '../../src/models/shared/inference.js';
import { Rng } from '../../src/util/random.js';

const B = 2;
const T = 16;
const D = 32;

function model(name: string, cycles: Record<string, number>): ReasoningModel {
  const cfg = {
    batch_size: B, seq_len: T, vocab_size: 8, num_puzzle_identifiers: 3, hidden_size: D, num_heads: 2, expansion: 2,
    H_layers: 2, L_layers: 2, halt_max_steps: 2, puzzle_emb_ndim: D, forward_dtype: 'float32', ...cycles,
  };
  return buildRegisteredModel(name, cfg, new Rng(1), 'test');
}

/** The growth of the pool's peak (bytes in use + cached) over one inference call. */
function peakGrowth(m: ReasoningModel): number {
  const rng = new Rng(2);
  const input = { inputs: Int32Array.from({ length: B * T }, () => rng.int(8)), puzzle_identifiers: Int32Array.of(1, 2) };
  infer(m, input); // warm the pool with this model's shapes
  const before = getBackend().stats().peakBytes;
  infer(m, input);
  return getBackend().stats().peakBytes - before;
}

for (const [name, few, many] of [
  ['hrm', { H_cycles: 2, L_cycles: 2 }, { H_cycles: 20, L_cycles: 20 }],
  ['trm', { H_cycles: 2, L_cycles: 2 }, { H_cycles: 20, L_cycles: 20 }],
  ['transformers_baseline', { H_cycles: 2 }, { H_cycles: 20 }],
] as const) {
  test(`${name}: a segment's memory does not grow with the cycles (2 vs 20)`, () => {
    const a = model(name, few);
    const b = model(name, many);
    try {
      // the larger model runs second: its segment may need no block the smaller one's did not
      const ga = peakGrowth(a);
      const before = getBackend().stats().peakBytes;
      peakGrowth(b);
      const grown = getBackend().stats().peakBytes - before;
      const state = B * (T + 16) * D * 4; // TRM: 16 puzzle positions
      assert.equal(ga, 0, 'a repeated segment allocates nothing new');
      assert.ok(grown <= 4 * state, `20 cycles raised the peak by ${grown} bytes over 2 cycles (one state is ${state})`);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
}
