/**
 * End to end: model + loss head + backward + AdamATan2 + SignSGD + warmup-cosine learn a small task
 * (copy the input tokens, with a per-puzzle offset that only the puzzle embedding can tell).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend, availableBackends } from '../../src/engine/index.js';
import { HRM, type Batch } from '../../src/models/hrm/act.js';
import { parseHRMConfig } from '../../src/models/hrm/config.js';
import { AdamATan2 } from '../../src/optim/adam-atan2.js';
import { lrAt } from '../../src/optim/schedule.js';
import { SparseSignSGD } from '../../src/optim/sign-sgd.js';
import { Rng } from '../../src/util/random.js';
import { ACTLossHead } from '../../src/losses/act-loss-head.js';

test('a small HRM learns a copy-with-offset task', () => {
  setBackend(availableBackends()[0]);
  const B = 16;
  const T = 6;
  const V = 6;
  const cfg = parseHRMConfig(
    { batch_size: B, seq_len: T, vocab_size: V, num_puzzle_identifiers: 2, hidden_size: 32, num_heads: 2, H_layers: 1, L_layers: 1, H_cycles: 1, L_cycles: 2, halt_max_steps: 2, puzzle_emb_ndim: 32 },
    'learning.test',
  );
  const rng = new Rng(3);
  const model = new HRM(cfg, rng);
  const adam = new AdamATan2(model.parameters(), { weightDecay: 0.01 });
  const sgd = new SparseSignSGD(model.puzzleEmb!, 0.01);
  const batch = (): Batch => {
    const ids = Int32Array.from({ length: B }, () => rng.int(2));
    const inputs = Int32Array.from({ length: B * T }, () => rng.int(V - 1));
    // puzzle 0 copies, puzzle 1 adds one: the rule is in the puzzle embedding
    const labels = inputs.map((x, i) => x + ids[Math.floor(i / T)]);
    return { inputs, labels, puzzle_identifiers: ids };
  };
  let carry = model.initialCarry(B);
  const steps = 150;
  const acc: number[] = [];
  for (let s = 1; s <= steps; s++) {
    const r = new ACTLossHead(model).trainStep(carry, batch(), { globalBatchSize: B });
    carry = r.carry;
    adam.step(lrAt(s, 3e-3, 10, steps, 0.1));
    sgd.step(lrAt(s, 1e-2, 10, steps, 0.1), r.puzzleEmbGrad, r.puzzleEmbIds);
    adam.zeroGrad();
    if (r.metrics.count > 0) acc.push(r.metrics.accuracy / r.metrics.count);
  }
  model.disposeCarry(carry);
  adam.dispose();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const early = mean(acc.slice(0, 10));
  const late = mean(acc.slice(-10));
  if (process.env.HRM_VERBOSE) console.log(`token accuracy ${early.toFixed(3)} -> ${late.toFixed(3)}`);
  assert.ok(late > 0.9 && late > early + 0.3, `token accuracy ${early.toFixed(3)} -> ${late.toFixed(3)}`);
});
