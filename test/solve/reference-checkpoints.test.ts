/**
 * The published-checkpoint path against the reference: every folder in HRM_CHECKPOINT_FIXTURES_DIR
 * (a `checkpoint` torch.save zip + all_config.yaml + expected.safetensors with the reference's
 * per-segment evaluation outputs) is loaded directly and through `hrm convert` (reference -> ours), on
 * every CPU backend (webgpu too for the direct load: the conversions are backend-independent), and every segment's logits and Q values must match within 1e-3 * max|ref| + 1e-6
 * (predictions exactly, except where the reference's two best logits are within that tolerance). Every
 * size comes from the files. Converting back (ours -> reference) must give the same tensors bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setBackend } from '../../src/engine/index.js';
import type { BackendName } from '../../src/engine/backend.js';
import { toInt32, type SafeTensor } from '../../src/io/safetensors.js';
import { convertCheckpoint } from '../../src/model-files/convert.js';
import { infer } from '../../src/models/shared/inference.js';
import { buildLoadedModel, locateModel, readModelSpec, readWeights } from '../../src/model-files/load.js';
import { asNumbers, compareTolerance, readSafetensors } from '../fixtures.js';
import { eachBackend, webgpuSkip } from '../nn/backends.js';
import { checkpointFixtures, checkpointFixturesDir } from './helpers.js';

function checkAgainstReference(modelPath: string, fixture: string, backend: string): string[] {
  setBackend(backend as BackendName);
  const ex = readSafetensors(join(fixture, 'expected.safetensors'));
  const get = (k: string): SafeTensor => {
    const t = ex.tensors.get(k);
    if (!t) throw new Error(`${fixture}: expected.safetensors has no '${k}'`);
    return t;
  };
  const inputsT = get('batch/inputs');
  const [B, T] = inputsT.shape;
  const segments = Number(ex.metadata.segments ?? [...ex.tensors.keys()].filter((k) => /^eval\/\d+\/logits$/.test(k)).length);
  const files = locateModel(modelPath);
  const weights = readWeights(files);
  const spec = readModelSpec(files, weights);
  const model = buildLoadedModel(spec, weights, T, B);
  const problems: string[] = [];
  try {
    const r = infer(model, { inputs: toInt32(inputsT), puzzle_identifiers: toInt32(get('batch/puzzle_identifiers')) }, { logits: true, segments });
    assert.equal(r.trace.length, segments);
    const V = model.config.vocab_size;
    for (let s = 0; s < segments; s++) {
      const tr = r.trace[s];
      const ref = asNumbers(get(`eval/${s}/logits`));
      for (const msg of [
        compareTolerance(`${backend} ${modelPath} eval/${s}/logits`, tr.logits!, ref),
        compareTolerance(`${backend} eval/${s}/q_halt_logits`, tr.q_halt, asNumbers(get(`eval/${s}/q_halt_logits`))),
        compareTolerance(`${backend} eval/${s}/q_continue_logits`, tr.q_continue, asNumbers(get(`eval/${s}/q_continue_logits`))),
      ]) if (msg) problems.push(msg);
      let maxRef = 0;
      for (const v of ref) maxRef = Math.max(maxRef, Math.abs(v));
      const tol = 1e-3 * maxRef + 1e-6;
      const refPreds = asNumbers(get(`eval/${s}/preds`));
      for (let i = 0; i < B * T; i++) {
        if (tr.preds[i] === refPreds[i]) continue;
        const row = ref.subarray(i * V, (i + 1) * V);
        const a = row[refPreds[i]];
        const b = row[tr.preds[i]];
        if (!(Math.abs(a - b) <= 2 * tol)) problems.push(`${backend} eval/${s}/preds[${i}]: ours ${tr.preds[i]}, ref ${refPreds[i]} (logits ${b} vs ${a})`);
      }
    }
  } finally {
    model.dispose();
  }
  return problems;
}

const fixtures = checkpointFixtures();

const gpuSkip = webgpuSkip();
if (gpuSkip && fixtures.length > 0) test('reference checkpoints on webgpu', { skip: gpuSkip }, () => {});

test('reference checkpoint folders: found', { skip: fixtures.length === 0 ? `no checkpoint fixtures in ${checkpointFixturesDir()}` : false }, () => {
  assert.ok(fixtures.length > 0);
});

for (const fixture of fixtures) {
  test(`reference checkpoint ${basename(fixture)}: every segment's logits and Q values, loaded directly`, () => {
    // webgpu (SwiftShader: ~2 min a fixture) only with HRM_SLOW_TESTS=1: the default suite checks the same
    // segments on webgpu through hrm solve --json --trace (test/solve/cli.test.ts)
    eachBackend((be) => assert.deepEqual(checkAgainstReference(fixture, fixture, be), []), { gpu: process.env.HRM_SLOW_TESTS === '1' });
  });

  test(`reference checkpoint ${basename(fixture)}: through hrm convert (reference -> ours -> reference)`, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hrm-convert-'));
    try {
      const ours = join(tmp, 'ours');
      const c1 = convertCheckpoint(fixture, ours);
      assert.equal(c1.direction, 'to-ours');
      // the CPU backends only from here on: the folders hold the same tensors, webgpu ran them above
      eachBackend((be) => assert.deepEqual(checkAgainstReference(ours, fixture, be), []));
      // and back: the torch archive we write holds exactly the same tensors
      const back = join(tmp, 'back');
      const c2 = convertCheckpoint(ours, back);
      assert.equal(c2.direction, 'to-reference');
      const again = join(tmp, 'again');
      convertCheckpoint(back, again);
      const a = readSafetensors(join(ours, 'step_0.safetensors')).tensors;
      const b = readSafetensors(join(again, 'step_0.safetensors')).tensors;
      assert.deepEqual([...a.keys()], [...b.keys()]);
      for (const [k, t] of a) {
        const u = b.get(k)!;
        assert.deepEqual(u.shape, t.shape, k);
        assert.equal(u.dtype, t.dtype, k);
        assert.ok(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), `${k} differs`);
      }
      // and the reference folder we wrote loads and reproduces the reference too
      eachBackend((be) => assert.deepEqual(checkAgainstReference(back, fixture, be), []));
      // never overwrite
      assert.throws(() => convertCheckpoint(fixture, ours), /already exists/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
