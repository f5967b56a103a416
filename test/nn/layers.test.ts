import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as E from '../../src/engine/index.js';
import { HRMBlock } from '../../src/nn/block.js';
import { Embedding } from '../../src/nn/embedding.js';
import { Linear } from '../../src/nn/linear.js';
import { Module } from '../../src/nn/module.js';
import { RotaryEmbedding } from '../../src/nn/rotary.js';
import { swigluInter } from '../../src/nn/swiglu.js';
import { Rng } from '../../src/util/random.js';

test('swigluInter follows the reference formula', () => {
  assert.equal(swigluInter(512, 4), 1536);
  assert.equal(swigluInter(256, 4), 768);
  assert.equal(swigluInter(48, 4), 256);
});

test('HRMBlock: reference parameter names, shapes, LeCun-scaled init, seeded', () => {
  const b = new HRMBlock(new Rng(3), { hidden: 64, heads: 4, expansion: 4 });
  const ps = b.parameters();
  assert.deepEqual(
    ps.map(([n, t]) => [n, t.shape]),
    [
      ['self_attn.qkv_proj.weight', [192, 64]],
      ['self_attn.o_proj.weight', [64, 64]],
      ['mlp.gate_up_proj.weight', [512, 64]],
      ['mlp.down_proj.weight', [64, 256]],
    ],
  );
  const w = ps[3][1].toFloat32Array();
  const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
  assert.ok(Math.abs(std - 1 / 16) < 0.003, `down_proj std ${std} should be 1/sqrt(256)`);
  const again = new HRMBlock(new Rng(3), { hidden: 64, heads: 4, expansion: 4 });
  assert.deepEqual(again.parameters()[0][1].toArray(), ps[0][1].toArray());
  b.dispose();
  again.dispose();
});

test('Module: nested modules and arrays give dotted names; buffers are state but not parameters', () => {
  class Level extends Module {
    readonly layers: Linear[];
    readonly H_init: E.Tensor;
    readonly _scratch = E.zeros([1]);
    constructor(rng: Rng) {
      super();
      this.layers = [new Linear(rng, 4, 4), new Linear(rng, 4, 2, { bias: true })];
      this.H_init = E.zeros([4]);
    }
  }
  class Top extends Module {
    readonly embed_tokens = new Embedding(new Rng(1), 5, 4, 0.5);
    readonly L_level = new Level(new Rng(2));
  }
  const m = new Top();
  assert.deepEqual(
    m.stateDict().map(([n]) => n),
    ['embed_tokens.embedding_weight', 'L_level.layers.0.weight', 'L_level.layers.1.weight', 'L_level.layers.1.bias', 'L_level.H_init'],
  );
  assert.deepEqual(
    m.parameters('inner.').map(([n]) => n),
    ['inner.embed_tokens.embedding_weight', 'inner.L_level.layers.0.weight', 'inner.L_level.layers.1.weight', 'inner.L_level.layers.1.bias'],
  );
  const x = E.ones([3, 4]);
  E.backward(E.sum(m.L_level.layers[1].forward(m.L_level.layers[0].forward(x))));
  assert.ok(m.parameters().slice(1).every(([, p]) => p.grad !== null));
  m.zeroGrad();
  assert.ok(m.parameters().every(([, p]) => p.grad === null));
  m.dispose();
  m.L_level._scratch.dispose();
  x.dispose();
});

test('HRMBlock forward keeps shape and post-norm (unit RMS rows), with and without RoPE', () => {
  E.tidy(() => {
    const rng = new Rng(5);
    const b = new HRMBlock(rng, { hidden: 32, heads: 2, expansion: 4 });
    const x = E.tensor(Float32Array.from({ length: 2 * 7 * 32 }, () => rng.normal()), [2, 7, 32]);
    const rope = new RotaryEmbedding(16, 7);
    for (const r of [rope, null]) {
      const y = b.forward(x, r).toFloat32Array();
      for (let row = 0; row < 14; row++) {
        let q = 0;
        for (let c = 0; c < 32; c++) q += y[row * 32 + c] ** 2;
        assert.ok(Math.abs(q / 32 - 1) < 1e-3, `row ${row} mean square ${q / 32}`);
      }
    }
    b.dispose();
    rope.dispose();
  });
});
