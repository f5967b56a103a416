import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intermediateSize, parseHRMConfig, puzzleEmbLen, innerSeqLen } from '../../src/models/hrm/config.js';
import { UserError } from '../../src/util/errors.js';

const data = { batch_size: 4, seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1 };

test('defaults are the reference defaults', () => {
  const c = parseHRMConfig({ ...data }, 'cfg.yaml');
  assert.equal(c.hidden_size, 512);
  assert.equal(c.num_heads, 8);
  assert.equal(c.H_layers, 4);
  assert.equal(c.L_layers, 4);
  assert.equal(c.H_cycles, 2);
  assert.equal(c.L_cycles, 2);
  assert.equal(c.halt_max_steps, 16);
  assert.equal(c.halt_exploration_prob, 0.1);
  assert.equal(c.pos_encodings, 'rope');
  assert.equal(c.puzzle_emb_ndim, 512);
  assert.equal(c.rms_norm_eps, 1e-5);
  assert.equal(c.rope_theta, 10000);
  assert.equal(c.loss_type, 'stablemax_cross_entropy');
});

test('intermediate width and puzzle positions', () => {
  assert.equal(intermediateSize({ hidden_size: 512, expansion: 4 }), 1536);
  assert.equal(intermediateSize({ hidden_size: 256, expansion: 4 }), 768);
  assert.equal(intermediateSize({ hidden_size: 64, expansion: 4 }), 256);
  assert.equal(intermediateSize({ hidden_size: 48, expansion: 4 }), 256);
  assert.equal(intermediateSize({ hidden_size: 384, expansion: 2.5 }), 768);
  assert.equal(puzzleEmbLen({ hidden_size: 64, puzzle_emb_ndim: 0 }), 0);
  assert.equal(puzzleEmbLen({ hidden_size: 64, puzzle_emb_ndim: 64 }), 1);
  assert.equal(puzzleEmbLen({ hidden_size: 64, puzzle_emb_ndim: 65 }), 2);
  assert.equal(innerSeqLen(parseHRMConfig({ ...data, hidden_size: 64, num_heads: 2, puzzle_emb_ndim: 100 }, 'x')), 83);
});

test('loss type from loss_type, loss, or the reference loss object', () => {
  assert.equal(parseHRMConfig({ ...data, loss_type: 'softmax_cross_entropy' }, 'x').loss_type, 'softmax_cross_entropy');
  assert.equal(parseHRMConfig({ ...data, loss: 'softmax_cross_entropy' }, 'x').loss_type, 'softmax_cross_entropy');
  assert.equal(
    parseHRMConfig({ ...data, loss: { name: 'losses@ACTLossHead', loss_type: 'softmax_cross_entropy' } }, 'x').loss_type,
    'softmax_cross_entropy',
  );
});

test('bad values throw UserErrors naming the source and key', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...data, hidden_size: 100, num_heads: 3 }, /cfg\.yaml: rope needs an even head dimension, hidden_size \/\/ num_heads = 33/],
    [{ ...data, hidden_size: 4, num_heads: 8 }, /cfg\.yaml: num_heads \(8\) must not exceed hidden_size \(4\)/],
    [{ ...data, H_layers: 0 }, /cfg\.yaml: model key 'H_layers' must be an integer >= 1/],
    [{ ...data, expansion: 'big' }, /'expansion' must be a number/],
    [{ ...data, pos_encodings: 'alibi' }, /'pos_encodings' must be 'rope', 'rope_2d' or 'learned'/],
    [{ ...data, loss_type: 'mse' }, /'loss_type' must be/],
    [{ ...data, halt_exploration_prob: 2 }, /'halt_exploration_prob' must be in \[0, 1\]/],
    [{ ...data, hiden_size: 3 }, /unknown model key 'hiden_size'/],
    [{ seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1 }, /missing required model key 'batch_size'/],
    [{ ...data, puzzle_emb_ndim: -1 }, /'puzzle_emb_ndim' must be an integer >= 0/],
  ];
  for (const [obj, re] of bad) {
    assert.throws(() => parseHRMConfig(obj, 'cfg.yaml'), (e: unknown) => e instanceof UserError && re.test((e as Error).message));
  }
});
