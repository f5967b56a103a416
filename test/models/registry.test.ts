/**
 * The model registry: every accepted arch.name spelling builds its model with its own schema's
 * defaults; unknown names and keys of another model are one clear UserError; head counts that do not
 * divide hidden_size work as the reference computes them (head_dim = hidden // heads, o_proj from
 * heads * head_dim back to hidden) for every model; the EMA follows its formula.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy } from '../../src/engine/index.js';
import { buildRegisteredModel, lookupModel, MODELS } from '../../src/models/registry.js';
import { EMA } from '../../src/optim/ema.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { ACTLossHead } from '../../src/losses/act-loss-head.js';
import { roundBf16 } from '../../src/engine/dtype.js';

const data = { batch_size: 2, seq_len: 6, vocab_size: 5, num_puzzle_identifiers: 3 };

test('every spelling of each model resolves to it; unknown names list the known ones', () => {
  assert.equal(lookupModel('trm').key, 'trm');
  assert.equal(lookupModel('recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1').key, 'trm');
  assert.equal(lookupModel('hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1').key, 'hrm_v1');
  assert.equal(lookupModel('hrm_v1').key, 'hrm_v1');
  assert.equal(lookupModel('transformers_baseline').key, 'transformers_baseline');
  for (const m of MODELS) for (const n of m.names) assert.equal(lookupModel(n), m);
  assert.throws(() => lookupModel('gpt', 'cfg.yaml'), (e: unknown) => e instanceof UserError && /cfg\.yaml: arch.name 'gpt' is not a known model \(known: hrm_v1/.test(e.message));
});

test("each model's schema has its own defaults and rejects the others' keys", () => {
  const trm = lookupModel('trm').parseConfig(data, 'x') as unknown as Record<string, unknown>;
  assert.deepEqual(
    [trm.H_cycles, trm.L_cycles, trm.L_layers, trm.hidden_size, trm.puzzle_emb_ndim, trm.puzzle_emb_len, trm.no_ACT_continue, trm.mlp_t],
    [3, 6, 2, 512, 512, 16, true, false],
  );
  const base = lookupModel('transformers_baseline').parseConfig(data, 'x') as unknown as Record<string, unknown>;
  assert.deepEqual([base.H_layers, base.num_heads, base.H_cycles, base.halt_max_steps], [8, 12, 1, 16]);
  assert.throws(() => lookupModel('hrm_v1').parseConfig({ ...data, mlp_t: true }, 'y.yaml'), /y\.yaml: unknown model key 'mlp_t'/);
  assert.throws(() => lookupModel('trm').parseConfig({ ...data, mlp_t: 'maybe' }, 'z'), /z: model key 'mlp_t' must be true or false/);
  assert.throws(() => lookupModel('trm').parseConfig({ ...data, hidden_size: 8, num_heads: 2, puzzle_emb_len: 1, puzzle_emb_ndim: 20 }, 'z'), /cannot hold puzzle_emb_ndim 20/);
});

test('12 heads in 512 (and 3 in 38) attend in heads * (hidden // heads) dimensions for every model', () => {
  const cfg = { ...data, hidden_size: 38, num_heads: 3, expansion: 2, H_layers: 1, L_layers: 1, H_cycles: 1, L_cycles: 1, halt_max_steps: 2 };
  for (const name of ['hrm_v1', 'trm', 'transformers_baseline']) {
    const model = buildRegisteredModel(name, cfg, new Rng(1), name);
    const shapes = new Map(model.parameters().map(([n, t]) => [n.replace(/^.*layers\.0\./, ''), t.shape]));
    assert.deepEqual(shapes.get('self_attn.qkv_proj.weight'), [3 * 36, 38], name);
    assert.deepEqual(shapes.get('self_attn.o_proj.weight'), [38, 36], name);
    // one training segment runs and gives every attention weight a gradient
    const B = 2;
    const batch = {
      inputs: Int32Array.from({ length: B * 6 }, (_, i) => 1 + (i % 4)),
      labels: Int32Array.from({ length: B * 6 }, (_, i) => 1 + ((i + 1) % 4)),
      puzzle_identifiers: Int32Array.from([0, 2]),
    };
    const r = new ACTLossHead(model).trainStep(model.initialCarry(B), batch, { globalBatchSize: B });
    assert.ok(Number.isFinite(r.loss), name);
    const o = model.parameters().find(([n]) => n.endsWith('layers.0.self_attn.o_proj.weight'))![1];
    assert.ok(o.grad && o.grad.toFloat32Array().some((v) => v !== 0), `${name}: o_proj has a gradient`);
    model.disposeCarry(r.carry);
    model.dispose();
  }
  const big = lookupModel('transformers_baseline').parseConfig(data, 'x') as unknown as { hidden_size: number; num_heads: number };
  assert.equal(Math.floor(big.hidden_size / big.num_heads) * big.num_heads, 504);
});

test('TRM (attention and mlp_t) and the baseline compute in bfloat16 by default, as upstream: the carry is bf16, near float32', () => {
  const cfg = { ...data, hidden_size: 16, num_heads: 2, expansion: 2, H_layers: 1, L_layers: 1, H_cycles: 2, L_cycles: 2, halt_max_steps: 2, puzzle_emb_ndim: 0 };
  const B = 2;
  const batch = {
    inputs: Int32Array.from({ length: B * 6 }, (_, i) => 1 + (i % 4)),
    labels: Int32Array.from({ length: B * 6 }, (_, i) => 1 + ((i + 1) % 4)),
    puzzle_identifiers: Int32Array.from([0, 2]),
  };
  for (const [name, extra] of [['trm', {}], ['trm', { mlp_t: true, pos_encodings: 'none' }], ['transformers_baseline', {}]] as const) {
    const run = (dtype: string | undefined) => {
      const c = dtype ? { ...cfg, ...extra, forward_dtype: dtype } : { ...cfg, ...extra };
      const model = buildRegisteredModel(name, c, new Rng(3), name);
      const r = new ACTLossHead(model).evalStep(model.initialCarry(B), batch);
      const out = { dtype: model.inner.dtype, zH: r.carry.zH.toFloat32Array(), logits: r.outputs.logits! };
      model.disposeCarry(r.carry);
      model.dispose();
      return out;
    };
    const what = `${name}${'mlp_t' in extra ? ' mlp_t' : ''}`;
    const bf = run(undefined);
    const f32 = run('float32');
    assert.equal(bf.dtype, 'bfloat16', `${what}: upstream's default forward_dtype`);
    assert.equal(f32.dtype, 'float32');
    assert.ok(bf.zH.every((v) => roundBf16(v) === v), `${what}: every carry value is a bfloat16 value`);
    assert.ok(!f32.zH.every((v) => roundBf16(v) === v), `${what}: float32 carries are not all bf16 values`);
    let worst = 0;
    bf.logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - f32.logits[i]))));
    const scale = Math.max(...Array.from(f32.logits, Math.abs));
    assert.ok(worst > 0 && worst < 0.1 * scale, `${what}: bf16 logits within 10% of float32's (worst ${worst} of ${scale})`);
  }
});

test('EMA: shadow = (1 - rate) * param + rate * shadow, evaluation swaps it in and back, state round-trips', () => {
  tidy(() => {
    const p = tensor([1, 2, 3], [3]).requireGrad('w');
    const ema = new EMA([['w', p]], 0.9);
    p.set([11, 12, 13]);
    ema.update();
    const want = [0.1 * 11 + 0.9 * 1, 0.1 * 12 + 0.9 * 2, 0.1 * 13 + 0.9 * 3];
    ema.state().w.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `shadow ${i}: ${v} vs ${want[i]}`));
    const seen = ema.withShadow(() => p.toArray());
    seen.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5));
    assert.deepEqual(p.toArray(), [11, 12, 13], 'raw weights restored');
    const other = new EMA([['w', p]], 0.9);
    other.loadState(ema.state(), 'ck');
    assert.deepEqual(Array.from(other.state().w), Array.from(ema.state().w));
    assert.throws(() => other.loadState({}, 'ck.safetensors'), /ck\.safetensors: the EMA weights lack parameter 'w'/);
    ema.dispose();
    other.dispose();
  });
});
