import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, type SafeTensor } from '../../src/io/safetensors.js';
import { HRM } from '../../src/models/hrm/act.js';
import { parseHRMConfig } from '../../src/models/hrm/config.js';
import { loadStateDict, loadStateDictFile, saveStateDictFile, stateDict } from '../../src/io/state-dict.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

const small = (extra: Record<string, unknown> = {}) =>
  parseHRMConfig(
    { batch_size: 2, seq_len: 4, vocab_size: 5, num_puzzle_identifiers: 3, hidden_size: 16, num_heads: 2, H_layers: 1, L_layers: 2, puzzle_emb_ndim: 20, ...extra },
    'test',
  );

test('state names are the reference names, with shapes from the config', () => {
  const m = new HRM(small(), new Rng(1));
  const sd = stateDict(m);
  const shapes = Object.fromEntries([...sd].map(([k, v]) => [k, v.shape]));
  assert.deepEqual(shapes['model.inner.embed_tokens.embedding_weight'], [5, 16]);
  assert.deepEqual(shapes['model.inner.puzzle_emb.weights'], [3, 20]);
  assert.deepEqual(shapes['model.inner.H_level.layers.0.self_attn.qkv_proj.weight'], [48, 16]);
  assert.deepEqual(shapes['model.inner.L_level.layers.1.mlp.gate_up_proj.weight'], [512, 16]);
  assert.deepEqual(shapes['model.inner.L_level.layers.1.mlp.down_proj.weight'], [16, 256]);
  assert.deepEqual(shapes['model.inner.q_head.bias'], [2]);
  assert.deepEqual(shapes['model.inner.H_init'], [16]);
  assert.equal(shapes['model.inner.embed_pos.embedding_weight'], undefined);
  // learned positions cover the puzzle positions too: P = ceil(20/16) = 2
  const learned = stateDict(new HRM(small({ pos_encodings: 'learned' }), new Rng(1)));
  assert.deepEqual(learned.get('model.inner.embed_pos.embedding_weight')!.shape, [6, 16]);
  // the Q head starts at zero weights, bias -5; puzzle embeddings at zero
  assert.deepEqual(Array.from(sd.get('model.inner.q_head.bias')!.data as Float32Array), [-5, -5]);
  assert.ok((sd.get('model.inner.puzzle_emb.weights')!.data as Float32Array).every((x) => x === 0));
  // the parameters are the state minus the buffers
  const params = m.parameters().map(([n]) => n);
  assert.ok(!params.includes('model.inner.H_init') && !params.includes('model.inner.puzzle_emb.weights'));
  assert.equal(params.length, sd.size - 3);
});

test('save and load round-trip, also with the compiled-model prefix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-sd-'));
  try {
    const a = new HRM(small(), new Rng(1));
    const path = join(dir, 'a.safetensors');
    saveStateDictFile(a, path);
    const b = new HRM(small(), new Rng(2));
    loadStateDictFile(b, path);
    const sa = stateDict(a);
    for (const [k, v] of stateDict(b)) assert.deepEqual(v.data, sa.get(k)!.data, k);
    const prefixed = new Map<string, SafeTensor>();
    for (const [k, v] of readSafetensors(path).tensors) prefixed.set(`_orig_mod.${k}`, v);
    loadStateDict(new HRM(small(), new Rng(3)), prefixed, 'compiled.safetensors');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loading names what is missing, unexpected or mismatched', () => {
  const a = new HRM(small(), new Rng(1));
  const tensors = new Map<string, SafeTensor>();
  for (const [k, v] of stateDict(a)) tensors.set(k, { dtype: 'F32', shape: [...v.shape], data: v.data as Float32Array });
  tensors.delete('model.inner.H_init');
  tensors.set('model.inner.extra.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
  tensors.set('model.inner.lm_head.weight', { dtype: 'F32', shape: [16, 5], data: new Float32Array(80) });
  tensors.set('model.inner.q_head.bias', { dtype: 'I32', shape: [2], data: new Int32Array(2) });
  assert.throws(
    () => loadStateDict(new HRM(small(), new Rng(2)), tensors, 'ckpt.safetensors'),
    (e: unknown) => {
      const msg = (e as Error).message;
      return (
        e instanceof UserError &&
        msg.startsWith('ckpt.safetensors:') &&
        /missing 1: model\.inner\.H_init/.test(msg) &&
        /unexpected 1: model\.inner\.extra\.weight/.test(msg) &&
        /'model\.inner\.lm_head\.weight': shape \[16, 5\], expected \[5, 16\]/.test(msg) &&
        /'model\.inner\.q_head\.bias': dtype I32, expected F32/.test(msg)
      );
    },
  );
});

test('resizePuzzleEmb fills a puzzle table of another size with the mean saved row', () => {
  const a = new HRM(small(), new Rng(1));
  a.puzzleEmb!.set(Float32Array.from({ length: 3 * 20 }, (_, i) => Math.floor(i / 20) * 3 + (i % 20)));
  const tensors = new Map<string, SafeTensor>();
  for (const [k, v] of stateDict(a)) tensors.set(k, { dtype: 'F32', shape: [...v.shape], data: v.data as Float32Array });
  const b = new HRM(small({ num_puzzle_identifiers: 5 }), new Rng(2));
  assert.throws(() => loadStateDict(b, tensors, 'ckpt'), /'model\.inner\.puzzle_emb\.weights': shape \[3, 20\], expected \[5, 20\]/);
  loadStateDict(b, tensors, 'ckpt', { resizePuzzleEmb: true });
  const w = b.puzzleEmb!.toFloat32Array();
  // rows were 0*3+c, 1*3+c, 2*3+c: the mean is 3+c
  for (let r = 0; r < 5; r++) for (let c = 0; c < 20; c++) assert.equal(w[r * 20 + c], 3 + c);
});
