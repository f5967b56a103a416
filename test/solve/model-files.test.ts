/**
 * Loading models from files a user has, with sizes read from the files: reference-style folders
 * (`checkpoint` torch zip + an all_config.yaml that, like the published ones, lacks vocab_size, seq_len
 * and num_puzzle_identifiers, and here also the hidden size, layer counts, expansion, puzzle-embedding
 * width and position encoding) for several configurations (learned positions, no puzzle embedding,
 * other cycles and segment counts); the loaded model must compute what the model that wrote the file
 * computes, bit for bit. Our run folders and step_N.safetensors load the same way; a yaml that
 * contradicts the weights is refused naming both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { writeTorchCheckpoint, type TorchTensorInput } from '../../src/io/torch-checkpoint.js';
import { HRM } from '../../src/models/hrm/act.js';
import { parseHRMConfig } from '../../src/models/hrm/config.js';
import { convertCheckpoint } from '../../src/model-files/convert.js';
import { infer } from '../../src/models/shared/inference.js';
import { buildLoadedModel, locateModel, readModelSpec, readWeights } from '../../src/model-files/load.js';
import { loadModel } from '../../src/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { saveStateDictFile } from '../../src/io/state-dict.js';
import { configToYaml, defaultConfig, finalizeConfig } from '../../src/train/config.js';
import { Rng } from '../../src/util/random.js';

const CONFIGS = [
  { pos_encodings: 'learned', puzzle_emb_ndim: 0, H_cycles: 1, L_cycles: 3, halt_max_steps: 3, hidden_size: 32, H_layers: 1, L_layers: 2, expansion: 2 },
  { pos_encodings: 'rope', puzzle_emb_ndim: 0, H_cycles: 3, L_cycles: 1, halt_max_steps: 2, hidden_size: 48, H_layers: 2, L_layers: 1, expansion: 4 },
  { pos_encodings: 'rope', puzzle_emb_ndim: 24, H_cycles: 2, L_cycles: 2, halt_max_steps: 5, hidden_size: 16, H_layers: 1, L_layers: 1, expansion: 3 },
];

function writeReferenceFolder(dir: string, model: HRM, yamlArch: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const sd = new Map<string, TorchTensorInput>();
  for (const { name, tensor } of model.namedState()) sd.set(`_orig_mod.${name}`, { shape: tensor.shape, dtype: 'F32', data: tensor.toFloat32Array() });
  writeTorchCheckpoint(join(dir, 'checkpoint'), sd);
  writeFileSync(join(dir, 'all_config.yaml'), YAML.stringify({ arch: { name: 'hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1', ...yamlArch }, data_path: 'data/nowhere', global_batch_size: 8 }));
}

test('reference-style folders of other configurations load with every size from the files and compute the same', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hrm-ref-'));
  try {
    CONFIGS.forEach((c, ci) => {
      const cfg = parseHRMConfig({ batch_size: 2, seq_len: 10, vocab_size: 9, num_puzzle_identifiers: 3, num_heads: 2, ...c }, 'test');
      const rng = new Rng(ci);
      const model = new HRM(cfg, rng);
      const q = new Float32Array(2 * cfg.hidden_size).map(() => rng.random() - 0.5);
      model.inner.qHead.weight.set(q);
      const dir = join(tmp, `ref${ci}`);
      // only what cannot come from the weights (and num_heads) in the yaml
      writeReferenceFolder(dir, model, { num_heads: 2, H_cycles: c.H_cycles, L_cycles: c.L_cycles, halt_max_steps: c.halt_max_steps });
      const files = locateModel(dir);
      assert.equal(files.format, 'reference');
      const w = readWeights(files);
      const spec = readModelSpec(files, w);
      for (const k of ['hidden_size', 'H_layers', 'L_layers', 'puzzle_emb_ndim', 'pos_encodings', 'H_cycles', 'L_cycles', 'halt_max_steps'] as const) {
        assert.equal(spec.arch[k], c[k], `config ${ci}: ${k}`);
      }
      assert.equal(spec.arch.vocab_size, 9);
      assert.equal(spec.arch.num_puzzle_identifiers, c.puzzle_emb_ndim > 0 ? 3 : 1);
      assert.equal(spec.seqLen, c.pos_encodings === 'learned' ? 10 : null);
      const loaded = buildLoadedModel(spec, w, 10, 2);
      const batch = { inputs: Int32Array.from({ length: 20 }, (_, i) => (i * 7) % 9), puzzle_identifiers: Int32Array.of(0, 0) };
      const a = infer(model, batch, { logits: true });
      const b = infer(loaded, batch, { logits: true });
      assert.equal(b.trace.length, c.halt_max_steps);
      for (let s = 0; s < a.trace.length; s++) {
        assert.deepEqual(b.trace[s].logits, a.trace[s].logits, `config ${ci} segment ${s}`);
        assert.deepEqual(b.trace[s].q_halt, a.trace[s].q_halt);
      }
      // through convert to our run folder, then the run folder and the step file load the same
      const ours = join(tmp, `ours${ci}`);
      convertCheckpoint(dir, ours);
      for (const p of [ours, join(ours, 'step_0.safetensors')]) {
        const f2 = locateModel(p);
        const w2 = readWeights(f2);
        const m2 = buildLoadedModel(readModelSpec(f2, w2), w2, 10, 2);
        assert.deepEqual(infer(m2, batch, { logits: true }).trace.map((t) => t.logits), a.trace.map((t) => t.logits));
        m2.dispose();
      }
      loaded.dispose();
      model.dispose();
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('round trip: our run folder -> reference checkpoint -> our run folder is bit-identical', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hrm-rt-'));
  try {
    const train = defaultConfig();
    Object.assign(train.arch, { hidden_size: 32, num_heads: 2, H_layers: 2, L_layers: 1, H_cycles: 1, L_cycles: 2, halt_max_steps: 3, puzzle_emb_ndim: 32, pos_encodings: 'learned' });
    train.data_path = 'data/none';
    finalizeConfig(train, 'test');
    const cfg = parseHRMConfig({ ...train.arch, loss_type: train.arch.loss.loss_type, name: undefined, loss: undefined, forward_dtype: undefined, batch_size: 1, seq_len: 9, vocab_size: 6, num_puzzle_identifiers: 4 }, 'test');
    const model = new HRM(cfg, new Rng(42));
    model.puzzleEmb!.set(Float32Array.from({ length: model.puzzleEmb!.size }, (_, i) => Math.sin(i)));
    const run = join(tmp, 'run');
    mkdirSync(run);
    writeFileSync(join(run, 'all_config.yaml'), configToYaml(train));
    saveStateDictFile(model, join(run, 'step_7.safetensors'));
    model.dispose();
    const ref = join(tmp, 'ref');
    assert.equal(convertCheckpoint(run, ref).direction, 'to-reference');
    const back = join(tmp, 'back');
    assert.equal(convertCheckpoint(ref, back).direction, 'to-ours');
    const a = readSafetensors(join(run, 'step_7.safetensors')).tensors;
    const b = readSafetensors(join(back, 'step_0.safetensors')).tensors;
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
    for (const [k, t] of a) {
      const u = b.get(k)!;
      assert.deepEqual(u.shape, t.shape, k);
      assert.ok(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), `${k} differs`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a yaml that contradicts the weights, and paths that hold no model, are refused with one clear line', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hrm-ref-'));
  try {
    const cfg = parseHRMConfig({ batch_size: 1, seq_len: 4, vocab_size: 5, num_puzzle_identifiers: 1, hidden_size: 16, num_heads: 2, H_layers: 1, L_layers: 1 }, 'test');
    const model = new HRM(cfg, new Rng(0));
    writeReferenceFolder(join(tmp, 'a'), model, { hidden_size: 32, num_heads: 2 });
    const f = locateModel(join(tmp, 'a'));
    assert.throws(() => readModelSpec(f, readWeights(f)), /arch\.hidden_size is 32 but the weights in .*checkpoint have 16/);
    writeReferenceFolder(join(tmp, 'b'), model, { H_layers: 3, num_heads: 2 });
    const g = locateModel(join(tmp, 'b'));
    assert.throws(() => readModelSpec(g, readWeights(g)), /arch\.H_layers is 3 but the weights .* have 1/);
    model.dispose();
    assert.throws(() => locateModel(join(tmp, 'nothing')), /no such run folder/);
    mkdirSync(join(tmp, 'empty'));
    assert.throws(() => locateModel(join(tmp, 'empty')), /no all_config\.yaml/);
    writeFileSync(join(tmp, 'empty', 'all_config.yaml'), 'arch: {}\n');
    assert.throws(() => locateModel(join(tmp, 'empty')), /no step_N\.safetensors and no reference 'checkpoint'/);
    writeFileSync(join(tmp, 'empty', 'model.bin'), 'xx');
    assert.throws(() => locateModel(join(tmp, 'empty', 'model.bin')), /expected a step_N\.safetensors/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('library API: loadModel, solveSudoku with a trace, typed results, dispose', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hrm-lib-'));
  try {
    const cfg = parseHRMConfig({ batch_size: 1, seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1, hidden_size: 16, num_heads: 2, H_layers: 1, L_layers: 1, halt_max_steps: 3, puzzle_emb_ndim: 0 }, 'test');
    const model = new HRM(cfg, new Rng(5));
    writeReferenceFolder(join(tmp, 'm'), model, { num_heads: 2, halt_max_steps: 3 });
    const m = loadModel(join(tmp, 'm'));
    assert.equal(m.config.hidden_size, 16);
    assert.equal(m.config.seq_len, null);
    assert.equal(m.source.format, 'reference');
    const q = '...7.2..5....95.8.19..8..67..4...6....79...2.26...1......5......39.....8....784..';
    const rs = m.solveSudoku([q, q.replace(/\./g, '0')], { trace: true });
    assert.equal(rs.length, 2);
    for (const r of rs) {
      assert.equal(r.answer.length, 81);
      assert.equal(r.segments, 3);
      assert.equal(r.trace!.length, 3);
      assert.equal(r.trace![2].answer, r.answer);
      assert.equal(r.trace![0].preds.length, 81);
      assert.equal(typeof r.valid, 'boolean');
      assert.equal(r.solved, null);
    }
    // the same puzzle in either blank notation gives the same tokens, so the same predictions
    assert.deepEqual(rs[0].trace![2].preds, rs[1].trace![2].preds);
    assert.throws(() => m.solveMaze('#S G'), /vocabulary has 11 tokens, a maze model has 6/);
    assert.throws(() => m.solveSudoku('123'), /a Sudoku has 81 cells, got 3/);
    m.dispose();
    m.dispose();
    assert.throws(() => m.solveSudoku(q), /after dispose/);
    model.dispose();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
