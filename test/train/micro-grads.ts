/**
 * The check that micro-batching and webgpu-train share: one step's gradients (parameters and
 * puzzle-embedding rows) in micro-batches of 3 rows equal the whole batch's of 8 up to float32 summation
 * order, on the current backend. Two steps are run: the second starts from the first's carry, with halted
 * and running rows. AdamATan2's first steps move a weight by lr whatever its gradient's size, so the
 * gradients themselves are compared, not the updated weights.
 */
import assert from 'node:assert/strict';
import { compareTolerance } from '../fixtures.js';
import { ACTLossHead } from '../../src/losses/act-loss-head.js';
import { buildRegisteredModel } from '../../src/models/registry.js';
import { accumulatedStep } from '../../src/train/micro-batch.js';
import { Rng } from '../../src/util/random.js';

export function assertMicroBatchGradients(label: string, name: string, arch: Record<string, unknown>): void {
  const B = 8;
  const S = 81;
  const common = { batch_size: B, seq_len: S, vocab_size: 11, num_puzzle_identifiers: 5, hidden_size: 32, num_heads: 2, expansion: 2,
    halt_max_steps: 2, halt_exploration_prob: 0, loss_type: 'stablemax_cross_entropy', forward_dtype: 'float32' };
  const rng = new Rng(7);
  const batch = {
    inputs: Int32Array.from({ length: B * S }, () => 1 + rng.int(10)),
    labels: Int32Array.from({ length: B * S }, () => 1 + rng.int(10)),
    puzzle_identifiers: Int32Array.from({ length: B }, (_, i) => i % 3),
  };
  const grads: Map<string, Float32Array>[] = [];
  const embGrads: Float32Array[] = [];
  for (const micro of [B, 3]) {
    const model = buildRegisteredModel(name, { ...common, ...arch }, new Rng(1), 'test');
    const head = new ACTLossHead(model);
    let carry = model.initialCarry(B);
    let r = accumulatedStep(head, carry, batch, B, micro);
    carry = r.carry;
    r.puzzleEmbGrad?.dispose();
    for (const [, p] of model.parameters()) { p.grad?.dispose(); p.grad = null; }
    r = accumulatedStep(head, carry, batch, B, micro);
    const g = new Map<string, Float32Array>();
    for (const [k, p] of model.parameters()) g.set(k, p.grad ? p.grad.toFloat32Array() : new Float32Array(0));
    grads.push(g);
    embGrads.push(r.puzzleEmbGrad ? r.puzzleEmbGrad.toFloat32Array() : new Float32Array(0));
    r.puzzleEmbGrad?.dispose();
    model.disposeCarry(r.carry);
    model.dispose();
  }
  for (const [k, a] of grads[0]) assert.equal(compareTolerance(`${label} grad ${k}`, grads[1].get(k)!, a, 1e-4, 1e-9), null);
  assert.equal(compareTolerance(`${label} puzzle rows`, embGrads[1], embGrads[0], 1e-4, 1e-9), null);
}
