/**
 * The inference path (src/models/hrm/inference.ts) against the evaluation path (HRM.evalStep, act.ts):
 * the same logits and Q values bit for bit on every segment, for several configurations (RoPE and
 * learned positions, with and without a puzzle embedding, other cycle and segment counts) on every
 * backend; no new allocation from the kernels' allocator after the first segment; halting per row
 * exactly where q_halt > q_continue first holds; --segments N.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../../src/engine/index.js';
import { HRM } from '../../src/models/hrm/act.js';
import { parseHRMConfig } from '../../src/models/hrm/config.js';
import { infer } from '../../src/models/shared/inference.js';
import { buildRegisteredModel } from '../../src/models/registry.js';
import { Rng } from '../../src/util/random.js';
import { eachBackend } from '../nn/backends.js';
import { ACTLossHead } from '../../src/losses/act-loss-head.js';

const CONFIGS = [
  { pos_encodings: 'rope', puzzle_emb_ndim: 16, H_cycles: 2, L_cycles: 2, halt_max_steps: 3 },
  { pos_encodings: 'learned', puzzle_emb_ndim: 0, H_cycles: 1, L_cycles: 3, halt_max_steps: 4 },
  { pos_encodings: 'rope', puzzle_emb_ndim: 40, H_cycles: 3, L_cycles: 1, halt_max_steps: 2 },
];

function makeModel(over: Record<string, unknown>, seed: number): HRM {
  const cfg = parseHRMConfig(
    { batch_size: 3, seq_len: 12, vocab_size: 7, num_puzzle_identifiers: 5, hidden_size: 32, num_heads: 2, expansion: 2, H_layers: 1, L_layers: 2, ...over },
    'test',
  );
  const rng = new Rng(seed);
  const model = new HRM(cfg, rng);
  // a Q head that says different things for different rows (the reference starts it at zero)
  const w = new Float32Array(2 * cfg.hidden_size);
  for (let i = 0; i < w.length; i++) w[i] = (rng.random() - 0.5) * 0.6;
  model.inner.qHead.weight.set(w);
  model.inner.qHead.bias!.set([0.1, -0.1]);
  const pz = model.puzzleEmb;
  if (pz) pz.set(Float32Array.from({ length: pz.size }, () => rng.random() - 0.5));
  return model;
}

function batchFor(model: HRM, seed: number): { inputs: Int32Array; labels: Int32Array; puzzle_identifiers: Int32Array } {
  const rng = new Rng(seed);
  const { seq_len: T, vocab_size: V, num_puzzle_identifiers: N } = model.config;
  const B = 3;
  return {
    inputs: Int32Array.from({ length: B * T }, () => rng.intRange(1, V - 1)),
    labels: Int32Array.from({ length: B * T }, () => rng.intRange(1, V - 1)),
    puzzle_identifiers: Int32Array.from({ length: B }, () => rng.intRange(0, N - 1)),
  };
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

test('inference gives the evaluation path\'s logits and Q values bit for bit, every segment, every config and backend', () => {
  eachBackend((be) => {
    CONFIGS.forEach((over, ci) => {
      const model = makeModel(over, 10 + ci);
      try {
        const batch = batchFor(model, 20 + ci);
        const r = infer(model, batch, { logits: true });
        assert.equal(r.trace.length, model.config.halt_max_steps);
        let carry = model.initialCarry(3);
        for (let s = 0; s < model.config.halt_max_steps; s++) {
          const e = new ACTLossHead(model).evalStep(carry, batch);
          carry = e.carry;
          const t = r.trace[s];
          assert.ok(bitsEqual(t.logits!, e.outputs.logits!), `${be} config ${ci} segment ${s}: logits differ`);
          assert.ok(bitsEqual(t.q_halt, e.outputs.q_halt_logits), `${be} config ${ci} segment ${s}: q_halt differs`);
          assert.ok(bitsEqual(t.q_continue, e.outputs.q_continue_logits), `${be} config ${ci} segment ${s}: q_continue differs`);
          assert.deepEqual(t.preds, e.outputs.preds, `${be} config ${ci} segment ${s}: preds differ`);
        }
        model.disposeCarry(carry);
        assert.deepEqual(r.preds, r.trace[r.trace.length - 1].preds);
        assert.deepEqual([...r.segments], [3, 3, 3].map(() => model.config.halt_max_steps));
      } finally {
        model.dispose();
      }
    });
  });
});

test('inference allocates nothing new from the kernels\' allocator after the first segment', () => {
  eachBackend((be) => {
    const model = makeModel({ halt_max_steps: 8 }, 3);
    try {
      const batch = batchFor(model, 4);
      const misses: number[] = [];
      // the trace runs one segment at a time: run k segments for k = 1..8 from a cold pool each time
      getBackend().trim();
      const before = getBackend().stats().misses;
      infer(model, batch, { segments: 1 });
      const afterOne = getBackend().stats().misses;
      getBackend().trim();
      const before8 = getBackend().stats().misses;
      infer(model, batch, { segments: 8 });
      const afterEight = getBackend().stats().misses;
      misses.push(afterOne - before, afterEight - before8);
      assert.ok(misses[0] > 0, `${be}: the first segment allocates (got ${misses[0]})`);
      assert.equal(misses[1], misses[0], `${be}: 8 segments from a cold pool allocate ${misses[1]} blocks, 1 segment ${misses[0]}`);
    } finally {
      model.dispose();
    }
  });
});

test('halting: each row stops at the first segment where q_halt > q_continue, with that segment\'s answer', () => {
  for (let seed = 0; seed < 6; seed++) {
    const model = makeModel({ halt_max_steps: 6 }, 100 + seed);
    try {
      const batch = batchFor(model, 200 + seed);
      const all = infer(model, batch, { trace: true });
      const T = model.config.seq_len;
      const h = infer(model, batch, { halt: 'q', trace: true });
      const noCont = infer(model, batch, { halt: 'q', noContinueHead: true });
      for (let b = 0; b < 3; b++) {
        let stop = all.trace.findIndex((t) => t.q_halt[b] > t.q_continue[b]) + 1;
        if (stop === 0) stop = 6;
        assert.equal(h.segments[b], stop, `seed ${seed} row ${b}`);
        assert.deepEqual(h.preds.subarray(b * T, (b + 1) * T), all.trace[stop - 1].preds.subarray(b * T, (b + 1) * T));
        assert.equal(h.q_halt[b], all.trace[stop - 1].q_halt[b]);
        let stop0 = all.trace.findIndex((t) => t.q_halt[b] > 0) + 1;
        if (stop0 === 0) stop0 = 6;
        assert.equal(noCont.segments[b], stop0, `seed ${seed} row ${b} (no continue head)`);
      }
      assert.equal(h.trace.length, Math.max(...h.segments));
      // a fixed number of segments: the first N of the full run
      const three = infer(model, batch, { segments: 3, trace: true });
      assert.equal(three.trace.length, 3);
      assert.deepEqual(three.preds, all.trace[2].preds);
      assert.deepEqual([...three.segments], [3, 3, 3]);
    } finally {
      model.dispose();
    }
  }
});

test('inference refuses bad input with a message', () => {
  const model = makeModel({}, 1);
  try {
    assert.throws(() => infer(model, { inputs: new Int32Array(5), puzzle_identifiers: new Int32Array(1) }), /5 input tokens/);
    assert.throws(() => infer(model, { inputs: new Int32Array(12).fill(9), puzzle_identifiers: new Int32Array(1) }), /token 9 outside/);
    assert.throws(() => infer(model, { inputs: new Int32Array(12), puzzle_identifiers: Int32Array.of(7) }), /identifier 7/);
    assert.throws(() => infer(model, { inputs: new Int32Array(12), puzzle_identifiers: new Int32Array(1) }, { segments: 0 }), /segments/);
  } finally {
    model.dispose();
  }
});

test('TRM (attention, mlp_t) and the baseline: inference gives the evaluation path\'s outputs bit for bit; TRM halts on q_halt > 0', () => {
  const base = { batch_size: 3, seq_len: 12, vocab_size: 7, num_puzzle_identifiers: 5, hidden_size: 32, num_heads: 2, expansion: 2, forward_dtype: 'float32' };
  const cases: [string, Record<string, unknown>][] = [
    ['trm', { ...base, L_layers: 1, H_cycles: 2, L_cycles: 2, halt_max_steps: 3, puzzle_emb_ndim: 32, puzzle_emb_len: 2 }],
    ['trm', { ...base, L_layers: 2, H_cycles: 2, L_cycles: 1, halt_max_steps: 4, puzzle_emb_ndim: 0, mlp_t: true, pos_encodings: 'none' }],
    ['transformers_baseline', { ...base, H_layers: 2, halt_max_steps: 3, puzzle_emb_ndim: 0 }],
  ];
  cases.forEach(([name, cfg], ci) => {
    const rng = new Rng(40 + ci);
    const model = buildRegisteredModel(name, cfg, rng, `case ${ci}`);
    try {
      const inner = model.inner as unknown as { qHead: { weight: { set(a: Float32Array): void }; bias: { set(a: number[]): void } } };
      inner.qHead.weight.set(Float32Array.from({ length: 2 * 32 }, () => (rng.random() - 0.5) * 0.6));
      inner.qHead.bias.set([0.05, -0.05]);
      const T = 12;
      const batch = {
        inputs: Int32Array.from({ length: 3 * T }, () => rng.intRange(1, 6)),
        labels: Int32Array.from({ length: 3 * T }, () => rng.intRange(1, 6)),
        puzzle_identifiers: Int32Array.from({ length: 3 }, () => rng.intRange(0, 4)),
      };
      const r = infer(model, batch, { logits: true });
      let carry = model.initialCarry(3);
      for (let s = 0; s < model.config.halt_max_steps; s++) {
        const e = new ACTLossHead(model).evalStep(carry, batch);
        carry = e.carry;
        assert.ok(bitsEqual(r.trace[s].logits!, e.outputs.logits!), `${name} case ${ci} segment ${s}: logits differ`);
        assert.ok(bitsEqual(r.trace[s].q_halt, e.outputs.q_halt_logits), `${name} case ${ci} segment ${s}: q_halt differs`);
      }
      model.disposeCarry(carry);
      const h = infer(model, batch, { halt: 'q' });
      for (let b = 0; b < 3; b++) {
        const first = r.trace.findIndex((t) => (name === 'trm' ? t.q_halt[b] > 0 : t.q_halt[b] > t.q_continue[b]));
        assert.equal(h.segments[b], first === -1 ? model.config.halt_max_steps : first + 1, `${name} case ${ci} row ${b}: halting segment`);
      }
    } finally {
      model.dispose();
    }
  });
});
