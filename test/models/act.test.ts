/** ACT wrapper properties on a tiny random model: evaluation length, carry replacement, no leaks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableBackends, getBackend, setBackend } from '../../src/engine/index.js';
import { HRM, type Batch } from '../../src/models/hrm/act.js';
import { parseHRMConfig } from '../../src/models/hrm/config.js';
import { AdamATan2 } from '../../src/optim/adam-atan2.js';
import { SparseSignSGD } from '../../src/optim/sign-sgd.js';
import { Rng } from '../../src/util/random.js';
import { ACTLossHead } from '../../src/losses/act-loss-head.js';

const B = 4;
const T = 6;
const cfg = parseHRMConfig(
  { batch_size: B, seq_len: T, vocab_size: 5, num_puzzle_identifiers: 3, hidden_size: 16, num_heads: 2, H_layers: 1, L_layers: 1, halt_max_steps: 3, puzzle_emb_ndim: 16 },
  'act.test',
);

function batch(rng: Rng, tag: number): Batch {
  return {
    inputs: Int32Array.from({ length: B * T }, () => rng.int(5)),
    labels: Int32Array.from({ length: B * T }, () => rng.int(5)),
    puzzle_identifiers: Int32Array.from({ length: B }, () => tag % 3),
  };
}

for (const backend of availableBackends()) {
  test(`evaluation runs every row exactly halt_max_steps segments (${backend})`, () => {
    setBackend(backend);
    const rng = new Rng(1);
    const model = new HRM(cfg, rng);
    const b = batch(rng, 0);
    let carry = model.initialCarry(B);
    for (let s = 1; s <= 2 * cfg.halt_max_steps; s++) {
      const r = new ACTLossHead(model).evalStep(carry, b);
      carry = r.carry;
      const k = ((s - 1) % cfg.halt_max_steps) + 1;
      assert.deepEqual(Array.from(carry.steps), new Array(B).fill(k));
      assert.equal(r.allHalted, k === cfg.halt_max_steps);
      // only halted rows count in the metrics
      assert.equal(r.metrics.count, k === cfg.halt_max_steps ? B : 0);
      assert.equal(r.outputs.target_q_continue, null);
      assert.equal(r.metrics.q_continue_loss, undefined);
    }
    model.disposeCarry(carry);
  });

  test(`training: halted rows take the new batch, others keep theirs; memory stays flat (${backend})`, () => {
    setBackend(backend);
    const rng = new Rng(2);
    const model = new HRM(cfg, rng);
    const adam = new AdamATan2(model.parameters(), { weightDecay: 0.1 });
    const sgd = new SparseSignSGD(model.puzzleEmb!, 0.1);
    let carry = model.initialCarry(B);
    let inUse: number[] = [];
    for (let t = 0; t < 8; t++) {
      const prevHalted = Uint8Array.from(carry.halted);
      const prevData = { ...carry.data, inputs: Int32Array.from(carry.data.inputs) };
      const prevSteps = Int32Array.from(carry.steps);
      const b = batch(rng, t);
      const r = new ACTLossHead(model).trainStep(carry, b, { globalBatchSize: B });
      carry = r.carry;
      for (let i = 0; i < B; i++) {
        const want = prevHalted[i] ? b.inputs : prevData.inputs;
        assert.deepEqual(Array.from(carry.data.inputs.subarray(i * T, (i + 1) * T)), Array.from(want.subarray(i * T, (i + 1) * T)));
        assert.equal(carry.steps[i], prevHalted[i] ? 1 : prevSteps[i] + 1);
        if (carry.steps[i] >= cfg.halt_max_steps) assert.equal(carry.halted[i], 1);
      }
      assert.ok(r.outputs.target_q_continue && r.outputs.target_q_continue.every((x) => x > 0 && x < 1));
      assert.ok(Number.isFinite(r.loss) && r.metrics.q_continue_loss !== undefined);
      adam.step(1e-3);
      sgd.step(1e-2, r.puzzleEmbGrad, r.puzzleEmbIds);
      adam.zeroGrad();
      inUse.push(getBackend().stats().bytesInUse);
    }
    // after warm-up every step holds the same memory: nothing leaks per step
    inUse = inUse.slice(2);
    assert.ok(inUse.every((x) => x === inUse[0]), `bytes in use per step: ${inUse}`);
    model.disposeCarry(carry);
    adam.dispose();
  });
}
