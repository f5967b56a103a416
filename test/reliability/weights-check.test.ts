/**
 * Weights that `hrm solve` refuses are refused by every command, with the same message: an embedding
 * stored as I32 or a Q head stored transposed fails `hrm export`, `hrm convert` and `hrm serve --model`
 * as it fails `hrm solve` (one check: src/io/state-dict.ts checkStateDict). And `hrm export --seq-len`
 * refuses a length the model's puzzle kind cannot have, instead of writing a model `hrm solve` refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../../src/io/safetensors.js';
import { BUNDLE_KEYS } from '../../src/model-files/load.js';
import { saveStateDictFile } from '../../src/io/state-dict.js';
import { configToYaml, defaultConfig, finalizeConfig } from '../../src/train/config.js';
import { buildRegisteredModel } from '../../src/models/registry.js';
import { Rng } from '../../src/util/random.js';
import { repoRoot } from '../fixtures.js';
import { hrm, oneLineError, tempDir } from './helpers.js';

const SUDOKU = '..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..';

/** A run folder (step_1.safetensors + all_config.yaml, no dataset) of the bundled Sudoku model, weights changed by `edit`. */
function runFolder(dir: string, name: string, edit: (w: Map<string, SafeTensor>) => void): string {
  const src = readSafetensors(join(repoRoot(), 'models', 'sudoku.safetensors'));
  const run = join(dir, name);
  mkdirSync(run);
  const weights = new Map(src.tensors);
  edit(weights);
  writeSafetensors(join(run, 'step_1.safetensors'), weights as never);
  const cfg = YAML.parse(src.metadata[BUNDLE_KEYS.config]) as Record<string, unknown>;
  writeFileSync(join(run, 'all_config.yaml'), YAML.stringify({ ...cfg, data_path: join(dir, 'no-such-data') }));
  return run;
}

const EMB = 'model.inner.embed_tokens.embedding_weight';
const QHEAD = 'model.inner.q_head.weight';

test('weights solve refuses are refused by export, convert and serve too, with the same message', () => {
  const dir = tempDir();
  try {
    const cases: [string, (w: Map<string, SafeTensor>) => void, RegExp][] = [
      ['i32-embedding', (w) => {
        const t = w.get(EMB)!;
        w.set(EMB, { dtype: 'I32', shape: t.shape, data: Int32Array.from(t.data as Float32Array, (x) => Math.round(x * 100)) });
      }, /does not fit this model.*embed_tokens\.embedding_weight': dtype I32, expected F32/s],
      ['transposed-q-head', (w) => {
        const t = w.get(QHEAD)!;
        const [r, c] = t.shape;
        const src = t.data as Float32Array;
        const out = new Float32Array(r * c);
        for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = src[i * c + j];
        w.set(QHEAD, { dtype: 'F32', shape: [c, r], data: out });
      }, /does not fit this model.*q_head\.weight': shape \[\d+, 2\], expected \[2, \d+\]/s],
    ];
    for (const [name, edit, re] of cases) {
      const run = runFolder(dir, name, edit);
      const runs: [string, string[]][] = [
        ['solve', ['solve', 'sudoku', '--checkpoint', run, SUDOKU]],
        ['export', ['export', run, join(dir, `${name}.safetensors`), '--seq-len', '81']],
        ['convert', ['convert', run, join(dir, `${name}-ref`)]],
        ['serve', ['serve', '--port', '0', '--model', run]],
      ];
      for (const [cmd, args] of runs) {
        const r = hrm(args);
        assert.equal(r.status, 1, `${name}: hrm ${cmd} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, re, `${name}: hrm ${cmd}`);
        assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, `${name}: hrm ${cmd} printed a stack trace`);
      }
      assert.equal(existsSync(join(dir, `${name}.safetensors`)), false, `${name}: export wrote a file`);
      assert.equal(existsSync(join(dir, `${name}-ref`, 'checkpoint')), false, `${name}: convert wrote a checkpoint`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A run folder of a small untrained HRM with RoPE (no weight fixes seq_len) for a vocabulary of `vocab`. */
function ropeRun(dir: string, name: string, vocab: number): string {
  const train = defaultConfig();
  Object.assign(train.arch, { hidden_size: 32, num_heads: 2, H_layers: 1, L_layers: 1, H_cycles: 1, L_cycles: 1, halt_max_steps: 2, puzzle_emb_ndim: 0, pos_encodings: 'rope' });
  train.data_path = join(dir, 'no-such-data');
  finalizeConfig(train, 'test');
  const { name: _n, loss, ...arch } = train.arch;
  const model = buildRegisteredModel('hrm', { ...arch, loss_type: loss.loss_type, batch_size: 1, seq_len: 4, vocab_size: vocab, num_puzzle_identifiers: 1 }, new Rng(3), 'test');
  const run = join(dir, name);
  mkdirSync(run);
  writeFileSync(join(run, 'all_config.yaml'), configToYaml(train));
  saveStateDictFile(model, join(run, 'step_1.safetensors'));
  model.dispose();
  return run;
}

test('hrm export refuses a --seq-len the model or its puzzle kind cannot have; the right one exports a model solve uses', () => {
  const dir = tempDir();
  try {
    // the bundled model's sequence SwiGLU (mlp_t) fixes seq_len: it is read from its weights
    const fixed = runFolder(dir, 'mlp-t', () => {});
    assert.match(oneLineError(hrm(['export', fixed, join(dir, 'a.safetensors'), '--seq-len', '82'])), /--seq-len 82: the model works on 81 tokens/);
    // with RoPE nothing in the weights fixes it, the puzzle kind does
    const cases: [number, string, RegExp][] = [
      [11, '82', /--seq-len 82: a Sudoku model \(vocabulary 11\) answers 81-token puzzles; hrm solve would refuse the exported model/],
      [6, '50', /--seq-len 50: a maze model \(vocabulary 6\) answers n x n grids, and 50 is not a square/],
      [12, '81', /--seq-len 81: an ARC model \(vocabulary 12\) answers 900-token/],
    ];
    for (const [vocab, len, re] of cases) {
      const run = ropeRun(dir, `rope-${vocab}`, vocab);
      const out = join(dir, `rope-${vocab}.safetensors`);
      assert.match(oneLineError(hrm(['export', run, out, '--seq-len', len])), re);
      assert.equal(existsSync(out), false);
    }
    const good = join(dir, 'good.safetensors');
    const e = hrm(['export', ropeRun(dir, 'rope-ok', 11), good, '--seq-len', '81']);
    assert.equal(e.status, 0, e.stderr);
    const s = hrm(['solve', 'sudoku', '--checkpoint', good, SUDOKU]);
    assert.equal(s.status, 0, s.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
