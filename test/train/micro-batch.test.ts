/**
 * Gradient accumulation (micro_batch_size): one step in micro-batches gives the whole batch's gradients
 * (parameters and puzzle-embedding rows) up to float32 summation order for HRM and TRM on every CPU
 * backend, and an HRM run in micro-batches ends with the whole-batch run's weights; the automatic
 * choice keeps the whole batch when it fits; the key is documented in `hrm train --help`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../fixtures.js';
import { ACTLossHead } from '../../src/losses/act-loss-head.js';
import { buildRegisteredModel } from '../../src/models/registry.js';
import { Rng } from '../../src/util/random.js';
import { eachBackend } from '../nn/backends.js';
import { accumulatedStep, chooseMicroBatch, microRanges, peakBytesOf } from '../../src/train/micro-batch.js';
import { getBackend } from '../../src/engine/index.js';
import { TINY, hrm, tinySudoku } from './tiny-data.js';
import { assertMicroBatchGradients } from './micro-grads.js';

/** The newest step_N.safetensors of a run folder (not its EMA or resume files), as float32 arrays. */
function finalWeights(dir: string): Map<string, Float32Array> {
  const names = readdirSync(dir).filter((n) => /^step_\d+\.safetensors$/.test(n));
  names.sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  const f = readSafetensors(join(dir, names[names.length - 1]));
  const out = new Map<string, Float32Array>();
  for (const [k, t] of f.tensors) out.set(k, Float32Array.from(t.data as ArrayLike<number>));
  return out;
}

test('micro-batch ranges cover the batch in order', () => {
  assert.deepEqual(microRanges(8, 3), [[0, 3], [3, 6], [6, 8]]);
  assert.deepEqual(microRanges(8, 8), [[0, 8]]);
  assert.deepEqual(microRanges(5, 1).length, 5);
});

test('the automatic micro-batch: the whole batch when it fits, else the rows that do', () => {
  assert.deepEqual(chooseMicroBatch(768, () => 2e6, 16e9, 1e9).micro, 768);
  const r = chooseMicroBatch(768, (rows) => rows * 80e6, 16e9, 1e9);
  assert.equal(r.perRow, 80e6);
  // 187 rows fit: 5 micro-batches, as even as they go (154 x 4 + 152)
  assert.equal(r.micro, 154);
  assert.deepEqual(microRanges(768, r.micro).map(([s, e]) => e - s), [154, 154, 154, 154, 152]);
  assert.equal(chooseMicroBatch(768, (rows) => rows * 1e12, 16e9, 1e9).micro, 1);
});

test('HRM with a puzzle embedding: a run in micro-batches of 3 rows ends with the whole batch\'s weights', () => {
  const { root, data } = tinySudoku(32, 8, 3);
  try {
    const runs: Map<string, Float32Array>[] = [];
    for (const micro of ['0', '3']) {
      const dir = join(root, `run-${micro}`);
      // no exploration: its random draws are made per micro-batch (same distribution, other draws)
      const r = hrm(['train', `data_path=${data}`, ...TINY, 'arch.puzzle_emb_ndim=32', 'arch.halt_exploration_prob=0', `checkpoint_path=${dir}`,
        `micro_batch_size=${micro}`, 'epochs=2', '--quiet']);
      assert.equal(r.status, 0, r.stderr);
      runs.push(finalWeights(dir));
    }
    const [whole, micro] = runs;
    assert.deepEqual([...micro.keys()].sort(), [...whole.keys()].sort());
    let worst = 0;
    for (const [k, a] of whole) {
      const b = micro.get(k)!;
      let max = 0;
      for (const v of a) max = Math.max(max, Math.abs(v));
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (max + 1e-6));
    }
    assert.ok(worst < 1e-4, `largest difference ${worst} of a tensor's largest weight`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// One step's gradients, in process, on every backend: AdamATan2's first steps move a weight by lr
// whatever its gradient's size, so a gradient near 0 (e.g. TRM's zero-initialised Q head) can flip
// sign by summation order alone; the gradients themselves are what must agree.
for (const [label, name, arch] of [
  ['HRM with a puzzle embedding', 'hrm_v1', { puzzle_emb_ndim: 32, num_puzzle_identifiers: 5, H_layers: 1, L_layers: 1, H_cycles: 2, L_cycles: 2 }],
  ['TRM mlp_t', 'trm', { mlp_t: true, pos_encodings: 'none', L_layers: 1, H_cycles: 2, L_cycles: 2 }],
  ['TRM attention', 'trm', { L_layers: 1, H_cycles: 2, L_cycles: 2 }],
] as const) {
  test(`${label}: one step in micro-batches of 3 rows gives the whole batch's gradients (float32 summation order)`, () => {
    eachBackend(() => assertMicroBatchGradients(label, name, arch));
  });
}

test('a last, smaller micro-batch does not raise the step\'s memory peak above equal micro-batches', () => {
  eachBackend((be) => {
    const peaks: number[] = [];
    for (const B of [9, 8]) {
      const S = 81;
      const arch = { batch_size: B, seq_len: S, vocab_size: 11, num_puzzle_identifiers: 1, hidden_size: 64, num_heads: 2, expansion: 4,
        L_layers: 1, H_cycles: 2, L_cycles: 3, halt_max_steps: 2, halt_exploration_prob: 0, forward_dtype: 'float32' };
      const model = buildRegisteredModel('trm', arch, new Rng(1), 'test');
      const head = new ACTLossHead(model);
      const batch = { inputs: new Int32Array(B * S).fill(1), labels: new Int32Array(B * S).fill(2), puzzle_identifiers: new Int32Array(B) };
      getBackend().trim();
      let r: ReturnType<typeof accumulatedStep> | undefined;
      peaks.push(peakBytesOf(() => {
        r = accumulatedStep(head, model.initialCarry(B), batch, B, 3);
      }));
      model.disposeCarry(r!.carry);
      for (const [, p] of model.parameters()) { p.grad?.dispose(); p.grad = null; }
      model.dispose();
      getBackend().trim();
    }
    const [even, uneven] = peaks;
    assert.ok(uneven <= even, `${be}: 3+3+2 rows peaked at ${uneven} bytes, 3+3+3 at ${even}`);
  });
});

test('hrm train --help explains micro_batch_size', () => {
  const r = hrm(['train', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /micro_batch_size/);
});
