/**
 * rope_2d (src/nn/rotary.ts): the tables turn the first quarter of each head's rotary pairs with the
 * row and the second with the column, and through the real attention kernel a query-key score depends
 * only on the 2D offset between the two cells: moving both by the same offset changes nothing, so the
 * same weights read a 8x8 and a 30x30 grid alike. TRM with rope_2d: one set of weights for every size.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as E from '../../src/engine/index.js';
import { rope2dTables } from '../../src/nn/rotary.js';
import { buildRegisteredModel } from '../../src/models/registry.js';
import { parseTRMConfig } from '../../src/models/trm/config.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

test('rope_2d tables: pairs 0..D/4-1 turn with the row, D/4..D/2-1 with the column; prefix positions unrotated', () => {
  const D = 16;
  const side = 5;
  const prefix = 2;
  const theta = 100;
  const { cos, sin } = rope2dTables(D, side, prefix, theta);
  assert.equal(cos.length, (prefix + side * side) * D);
  for (let p = 0; p < prefix; p++) {
    for (let i = 0; i < D; i++) {
      assert.equal(cos[p * D + i], 1);
      assert.equal(sin[p * D + i], 0);
    }
  }
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const o = (prefix + r * side + c) * D;
      for (let i = 0; i < D / 2; i++) {
        const j = i % (D / 4);
        const axis = i < D / 4 ? r : c;
        const a = axis * Math.pow(theta, -j / (D / 4));
        assert.ok(Math.abs(cos[o + i] - Math.cos(a)) < 1e-6, `cos cell (${r},${c}) pair ${i}`);
        assert.ok(Math.abs(sin[o + i] - Math.sin(a)) < 1e-6, `sin cell (${r},${c}) pair ${i}`);
        // the kernel rotates (x_i, x_{i+D/2}) by the angle in both columns
        assert.equal(cos[o + i + D / 2], cos[o + i]);
        assert.equal(sin[o + i + D / 2], sin[o + i]);
      }
    }
  }
  // cell (0,0) is the identity, as a prefix position
  for (let i = 0; i < D; i++) assert.equal(cos[prefix * D + i], 1);
  assert.throws(() => rope2dTables(6, 3), /multiple of 4/);
});

/** Attention output of query cell `a` over keys at cells `a` and `b` of a side x side grid (real kernel). */
function attendPair(side: number, a: [number, number], b: [number, number], qkv: Float32Array, D: number): Float32Array {
  const t = rope2dTables(D, side, 0, 100);
  const rows = [a, b].map(([r, c]) => r * side + c);
  const cos = new Float32Array(2 * D);
  const sin = new Float32Array(2 * D);
  rows.forEach((p, s) => {
    cos.set(t.cos.subarray(p * D, (p + 1) * D), s * D);
    sin.set(t.sin.subarray(p * D, (p + 1) * D), s * D);
  });
  const rope = { cos: E.tensor(cos, [2, D]), sin: E.tensor(sin, [2, D]) };
  const x = E.tensor(qkv, [1, 2, 3 * D]);
  const y = E.attention(x, 1, rope);
  const out = y.toFloat32Array();
  for (const z of [y, x, rope.cos, rope.sin]) z.dispose();
  return out;
}

test('rope_2d through the attention kernel: shifting query and key by the same 2D offset keeps the output', () => {
  const D = 16;
  const rng = new Rng(7);
  const qkv = Float32Array.from({ length: 2 * 3 * D }, () => rng.random() * 4 - 2);
  const base = attendPair(12, [2, 3], [5, 1], qkv, D);
  for (const [dr, dc] of [[0, 1], [3, 0], [4, 6], [6, 2]]) {
    const moved = attendPair(12, [2 + dr, 3 + dc], [5 + dr, 1 + dc], qkv, D);
    for (let i = 0; i < base.length; i++) assert.ok(Math.abs(moved[i] - base[i]) < 1e-5, `offset (${dr},${dc}) element ${i}: ${moved[i]} vs ${base[i]}`);
    // the same pair in a grid of another size: the same score
    const bigger = attendPair(20, [2 + dr, 3 + dc], [5 + dr, 1 + dc], qkv, D);
    for (let i = 0; i < base.length; i++) assert.ok(Math.abs(bigger[i] - base[i]) < 1e-5);
  }
  // a different offset between query and key does change it (the positions are seen at all)
  const other = attendPair(12, [2, 3], [5, 2], qkv, D);
  assert.ok(base.some((v, i) => Math.abs(v - other[i]) > 1e-3), 'moving only the key changes the output');
  const swapped = attendPair(12, [2, 3], [3, 6], qkv, D); // (row, col) offset (3,-2) vs (1,3): rows and columns differ
  assert.ok(base.some((v, i) => Math.abs(v - swapped[i]) > 1e-3));
});

test('TRM with rope_2d: the same weights at every grid size; a non-square seq_len is refused', () => {
  const cfg = (seq: number) => ({
    batch_size: 2, seq_len: seq, vocab_size: 6, num_puzzle_identifiers: 1, hidden_size: 16, num_heads: 1, expansion: 2,
    L_layers: 1, H_cycles: 1, L_cycles: 1, halt_max_steps: 2, puzzle_emb_ndim: 0, pos_encodings: 'rope_2d', forward_dtype: 'float32',
  });
  const small = buildRegisteredModel('trm', cfg(16), new Rng(1), 'small');
  const big = buildRegisteredModel('trm', cfg(49), new Rng(1), 'big');
  const shapes = (m: typeof small) => m.parameters().map(([n, t]) => `${n} ${t.shape.join('x')}`);
  assert.deepEqual(shapes(small), shapes(big));
  small.dispose();
  big.dispose();
  assert.throws(() => parseTRMConfig(cfg(20), 'cfg'), (e: unknown) => e instanceof UserError && /rope_2d needs a square grid, but seq_len 20/.test(e.message));
  assert.throws(() => parseTRMConfig({ ...cfg(16), num_heads: 8 }, 'cfg'), (e: unknown) => e instanceof UserError && /divisible by 4/.test(e.message));
});
