/**
 * TRM's position encodings with both block types, as the public TRM code builds them: every
 * (mlp_t, pos_encodings) pair it accepts has the reference's state-dict names and shapes and loads a
 * state dict of that configuration back. The reference makes the learned table `embed_pos` whatever
 * the block type and adds it to the input (`0.707106781 * (e + embed_pos)`); it computes RoPE tables
 * for mlp_t too but the sequence MLP never reads them (they are non-persistent buffers), so mlp_t with
 * rope is mlp_t without positions. The fixtures cover (attention, rope) and (mlp_t, none) by replay
 * (test/models/trm-parity.test.ts, which also replays the mlp_t fixtures as rope); the rest is here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTLossHead } from '../../src/losses/act-loss-head.js';
import { loadStateDictFile, saveStateDictFile } from '../../src/io/state-dict.js';
import { buildRegisteredModel, type ReasoningModel } from '../../src/models/registry.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

const POSITIONS = ['rope', 'learned', 'none'] as const;
type Pos = (typeof POSITIONS)[number];
const PAIRS: [boolean, Pos][] = [false, true].flatMap((mlpT) => POSITIONS.map((p): [boolean, Pos] => [mlpT, p]));

// seq 6 + 2 puzzle positions; hidden 16 in 2 heads; float32 so that equalities are exact
const SEQ = 6;
const P = 2;
const S = SEQ + P;
const D = 16;
const VOCAB = 5;
const IDS = 3;
const base = {
  batch_size: 2, seq_len: SEQ, vocab_size: VOCAB, num_puzzle_identifiers: IDS, hidden_size: D, num_heads: 2, expansion: 2,
  L_layers: 2, H_cycles: 2, L_cycles: 2, halt_max_steps: 2, puzzle_emb_ndim: D, puzzle_emb_len: P, forward_dtype: 'float32',
};
const B = 2;
const batch = {
  inputs: Int32Array.from({ length: B * SEQ }, (_, i) => 1 + ((i * 7) % 4)),
  labels: Int32Array.from({ length: B * SEQ }, (_, i) => 1 + ((i + 1) % 4)),
  puzzle_identifiers: Int32Array.from([0, 2]),
};

const build = (mlpT: boolean, pos: Pos, seed = 1): ReasoningModel =>
  buildRegisteredModel('trm', { ...base, mlp_t: mlpT, pos_encodings: pos }, new Rng(seed), `trm mlp_t=${mlpT} ${pos}`);

/** The SwiGLU width the reference gives `x` inputs: round(expansion * x * 2/3) up to a multiple of 256. */
const swigluWidth = (x: number): number => Math.ceil(Math.round((base.expansion * x * 2) / 3) / 256) * 256;

/** The reference module's state dict for one configuration: name -> shape (written from trm.py's modules). */
function referenceNames(mlpT: boolean, pos: Pos): Map<string, number[]> {
  const m = new Map<string, number[]>([
    ['model.inner.embed_tokens.embedding_weight', [VOCAB, D]],
    ['model.inner.lm_head.weight', [VOCAB, D]],
    ['model.inner.q_head.weight', [2, D]],
    ['model.inner.q_head.bias', [2]],
    ['model.inner.puzzle_emb.weights', [IDS, D]],
  ]);
  if (pos === 'learned') m.set('model.inner.embed_pos.embedding_weight', [S, D]);
  for (let i = 0; i < base.L_layers; i++) {
    const l = `model.inner.L_level.layers.${i}.`;
    if (mlpT) {
      m.set(`${l}mlp_t.gate_up_proj.weight`, [2 * swigluWidth(S), S]);
      m.set(`${l}mlp_t.down_proj.weight`, [S, swigluWidth(S)]);
    } else {
      m.set(`${l}self_attn.qkv_proj.weight`, [3 * D, D]);
      m.set(`${l}self_attn.o_proj.weight`, [D, D]);
    }
    m.set(`${l}mlp.gate_up_proj.weight`, [2 * swigluWidth(D), D]);
    m.set(`${l}mlp.down_proj.weight`, [D, swigluWidth(D)]);
  }
  m.set('model.inner.H_init', [D]);
  m.set('model.inner.L_init', [D]);
  return m;
}

/** One evaluation segment's logits, z_H and Q-halt logits. */
function evalOnce(model: ReasoningModel): { logits: Float32Array; zH: Float32Array; qHalt: Float32Array } {
  const r = new ACTLossHead(model).evalStep(model.initialCarry(B), batch);
  const out = { logits: Float32Array.from(r.outputs.logits!), zH: r.carry.zH.toFloat32Array(), qHalt: Float32Array.from(r.outputs.q_halt_logits) };
  model.disposeCarry(r.carry);
  return out;
}

const weightsOf = (model: ReasoningModel): Map<string, Float32Array> =>
  new Map(model.namedState().map(({ name, tensor }) => [name, tensor.toFloat32Array()]));

test("every (mlp_t, pos_encodings) pair the reference accepts has the reference's state-dict names and shapes", () => {
  for (const [mlpT, pos] of PAIRS) {
    const model = build(mlpT, pos);
    const ours = new Map(model.namedState().map(({ name, tensor }) => [name, [...tensor.shape]]));
    assert.deepEqual(ours, referenceNames(mlpT, pos), `mlp_t=${mlpT} pos_encodings=${pos}`);
    model.dispose();
  }
});

test('a state dict of every (mlp_t, pos_encodings) pair round-trips; mlp_t takes rope and none alike, as the reference', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-pos-'));
  try {
    for (const [mlpT, pos] of PAIRS) {
      const what = `mlp_t=${mlpT} pos_encodings=${pos}`;
      const a = build(mlpT, pos, 1);
      const file = join(dir, `${mlpT}-${pos}.safetensors`);
      saveStateDictFile(a, file);
      const b = build(mlpT, pos, 2);
      loadStateDictFile(b, file);
      assert.deepEqual(weightsOf(b), weightsOf(a), what);
      assert.deepEqual(evalOnce(b), evalOnce(a), `${what}: the loaded model computes what the saved one did`);
      b.dispose();
      // a configuration with other state names refuses the file, naming the difference
      for (const other of POSITIONS) {
        const c = build(mlpT, other, 3);
        const sameNames = (other === 'learned') === (pos === 'learned');
        if (sameNames) loadStateDictFile(c, file);
        else assert.throws(() => loadStateDictFile(c, file), (e: unknown) => e instanceof UserError && /embed_pos\.embedding_weight/.test(e.message), `${what} into ${other}`);
        c.dispose();
      }
      a.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('RoPE turns the attention blocks and leaves the mlp_t blocks alone (the same weights compute the same with rope or none)', () => {
  for (const mlpT of [false, true]) {
    const rope = build(mlpT, 'rope', 5);
    const none = build(mlpT, 'none', 5);
    // rope draws nothing at initialisation: the same seed gives the same weights
    assert.deepEqual(weightsOf(rope), weightsOf(none), `mlp_t=${mlpT}: rope and none start from the same weights`);
    const r = evalOnce(rope);
    const n = evalOnce(none);
    if (mlpT) assert.deepEqual(r, n, 'mlp_t: rope is ignored, bit for bit');
    else assert.notDeepEqual(r.zH, n.zH, 'attention: rope changes z_H');
    rope.dispose();
    none.dispose();
  }
});

test('mlp_t with learned positions adds 0.707106781 * (e + embed_pos) before the sqrt(hidden) scale, and trains the table', () => {
  const learned = build(true, 'learned', 7);
  const none = build(true, 'none', 7);
  // a non-zero puzzle row, so that the formula below sees it
  const rows = learned.namedState().find((t) => t.name.endsWith('puzzle_emb.weights'))!.tensor;
  rows.set(Float32Array.from({ length: IDS * D }, (_, i) => Math.sin(i)));
  const w = weightsOf(learned);
  const inner = learned.inner as unknown as { inputEmbeddings(d: typeof batch, training: boolean): { e: { toFloat32Array(): Float32Array } } };
  // the input embedding from the weights, by the reference's formula
  const tok = w.get('model.inner.embed_tokens.embedding_weight')!;
  const puz = w.get('model.inner.puzzle_emb.weights')!;
  const pos = w.get('model.inner.embed_pos.embedding_weight')!;
  const e = inner.inputEmbeddings(batch, false).e.toFloat32Array();
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      for (let d = 0; d < D; d++) {
        // the puzzle row fills position 0 (puzzle_emb_ndim = hidden), zeros pad position 1
        const raw = s === 0 ? puz[batch.puzzle_identifiers[b] * D + d] : s < P ? 0 : tok[batch.inputs[b * SEQ + s - P] * D + d];
        const want = Math.fround(Math.sqrt(D)) * Math.fround(0.707106781 * (raw + pos[s * D + d]));
        const got = e[(b * S + s) * D + d];
        assert.ok(Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)), `e[${b}, ${s}, ${d}] = ${got}, want ${want}`);
      }
    }
  }
  // a zero table and token / puzzle embeddings scaled by 1/0.707106781 give the model without positions
  for (const t of none.namedState()) {
    const v = w.get(t.name)!;
    t.tensor.set(t.name.endsWith('embed_tokens.embedding_weight') || t.name.endsWith('puzzle_emb.weights') ? v.map((x) => x * 0.707106781) : v);
  }
  learned.namedState().find((t) => t.name.endsWith('embed_pos.embedding_weight'))!.tensor.set(new Float32Array(S * D));
  const withZero = evalOnce(learned);
  const without = evalOnce(none);
  for (const k of ['logits', 'zH', 'qHalt'] as const) {
    const scale = Math.max(...Array.from(without[k], Math.abs));
    without[k].forEach((v, i) => assert.ok(Math.abs(withZero[k][i] - v) <= 1e-5 * scale + 1e-6, `${k}[${i}]: ${withZero[k][i]} vs ${v}`));
  }
  // one training segment gives the table a gradient
  const table = learned.parameters().find(([n]) => n.endsWith('embed_pos.embedding_weight'))![1];
  const r = new ACTLossHead(learned).trainStep(learned.initialCarry(B), batch, { globalBatchSize: B });
  assert.ok(table.grad && table.grad.toFloat32Array().some((v) => v !== 0), 'embed_pos has a gradient');
  learned.disposeCarry(r.carry);
  learned.dispose();
  none.dispose();
});
