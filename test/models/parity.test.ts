/**
 * Parity with the reference HRM: replays every whole-model fixture (`*.safetensors` whose metadata has
 * a `config`) in HRM_FIXTURES_DIR on every available backend: each training step's outputs, loss,
 * metrics, carry, gradients (puzzle-embedding rows included) and the state after both optimizers, then
 * the evaluation segments from the final weights. Tolerance (fixtures README): |ours - ref| <=
 * 1e-3 * max|ref| + 1e-6 per tensor; integer metrics, halting flags and step counts exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { availableBackends, setBackend, type Tensor } from '../../src/engine/index.js';
import { toInt32, type SafeTensor } from '../../src/io/safetensors.js';
import { HRM, type Batch, type HRMStepResult } from '../../src/models/hrm/act.js';
import { parseHRMConfig } from '../../src/models/hrm/config.js';
import { loadStateDict } from '../../src/models/hrm/state-dict.js';
import { AdamATan2 } from '../../src/optim/adam-atan2.js';
import { SparseSignSGD } from '../../src/optim/sign-sgd.js';
import { Rng } from '../../src/util/random.js';
import { asNumbers, compareExact, compareTolerance, fixturesDir, listSafetensors, readSafetensors, repoFixturesDir, skipOrFail, worstRatio } from '../fixtures.js';

const INTEGER_METRICS = new Set(['count', 'exact_accuracy', 'q_halt_accuracy', 'steps']);

function replay(path: string, backend: string): string[] {
  setBackend(backend as 'native' | 'wasm');
  const f = readSafetensors(path);
  const meta = f.metadata;
  const name = basename(path);
  const get = (k: string): SafeTensor => {
    const t = f.tensors.get(k);
    if (!t) throw new Error(`${name}: fixture has no tensor '${k}'`);
    return t;
  };
  const ints = (k: string): Int32Array => toInt32(get(k), name, k);
  const problems: string[] = [];
  const check = (msg: string | null): void => {
    if (msg) problems.push(msg);
  };

  // A fixture derived for the repository (test/reference) keeps only the small gradients and states.
  const partial = meta.partial === 'small-grads-and-states';
  const cfg = parseHRMConfig({ ...JSON.parse(meta.config), loss_type: meta.loss ?? 'stablemax_cross_entropy' }, `${name} metadata`);
  // Exploration would draw random numbers the reference did not; the fixtures use 0.
  const model = new HRM(cfg, new Rng(0));
  const init = new Map<string, SafeTensor>();
  for (const [k, t] of f.tensors) if (k.startsWith('init/')) init.set(k.slice(5), t);
  loadStateDict(model, init, `${name} init/*`);
  const params = new Map<string, Tensor>(model.parameters());
  const state = new Map(model.namedState().map((e) => [e.name, e.tensor]));

  const [b1, b2] = JSON.parse(meta.betas ?? '[0.9, 0.95]') as [number, number];
  const lr = Number(meta.lr);
  const pzLr = Number(meta.pz_lr);
  const gbs = Number(meta.global_batch_size);
  const adam = new AdamATan2(model.parameters(), { betas: [b1, b2], weightDecay: Number(meta.wd) });
  const sgd = model.puzzleEmb ? new SparseSignSGD(model.puzzleEmb, Number(meta.pz_wd)) : null;

  const batchAt = (prefix: string): Batch => ({
    inputs: ints(`${prefix}/inputs`),
    labels: ints(`${prefix}/labels`),
    puzzle_identifiers: ints(`${prefix}/puzzle_identifiers`),
  });
  const checkStep = (p: string, r: HRMStepResult, zH: Float32Array): void => {
    check(compareTolerance(`${p}/out/logits`, r.outputs.logits, asNumbers(get(`${p}/out/logits`))));
    check(compareTolerance(`${p}/out/q_halt_logits`, r.outputs.q_halt_logits, asNumbers(get(`${p}/out/q_halt_logits`))));
    check(compareTolerance(`${p}/out/q_continue_logits`, r.outputs.q_continue_logits, asNumbers(get(`${p}/out/q_continue_logits`))));
    if (f.tensors.has(`${p}/out/target_q_continue`)) {
      if (!r.outputs.target_q_continue) problems.push(`${p}: no target_q_continue`);
      else check(compareTolerance(`${p}/out/target_q_continue`, r.outputs.target_q_continue, asNumbers(get(`${p}/out/target_q_continue`))));
    }
    check(compareTolerance(`${p}/loss`, [r.loss], asNumbers(get(`${p}/loss`))));
    for (const k of f.tensors.keys()) {
      if (!k.startsWith(`${p}/metric/`)) continue;
      const m = k.slice(`${p}/metric/`.length);
      const ours = r.metrics[m];
      if (ours === undefined) {
        problems.push(`${k}: we have no metric '${m}'`);
        continue;
      }
      const ref = asNumbers(get(k));
      check(INTEGER_METRICS.has(m) ? compareExact(k, [ours], ref) : compareTolerance(k, [ours], ref));
    }
    check(compareTolerance(`${p}/carry/z_H`, zH, asNumbers(get(`${p}/carry/z_H`))));
  };

  const T = Number(meta.train_steps);
  // the carry's rows follow the recorded batches (normally config.batch_size)
  const B = T > 0 ? ints('train/0/batch/puzzle_identifiers').length : cfg.batch_size;
  let carry = model.initialCarry(B);
  for (let t = 0; t < T; t++) {
    const p = `train/${t}`;
    const r = model.trainStep(carry, batchAt(`${p}/batch`), { globalBatchSize: gbs });
    carry = r.carry;
    checkStep(p, r, carry.zH.toFloat32Array());
    check(compareTolerance(`${p}/carry/z_L`, carry.zL.toFloat32Array(), asNumbers(get(`${p}/carry/z_L`))));
    check(compareExact(`${p}/carry/halted`, carry.halted, asNumbers(get(`${p}/carry/halted`))));
    check(compareExact(`${p}/carry/steps`, carry.steps, asNumbers(get(`${p}/carry/steps`))));
    for (const field of ['inputs', 'labels', 'puzzle_identifiers'] as const) {
      check(compareExact(`${p}/carry/current_data/${field}`, carry.data[field], ints(`${p}/carry/current_data/${field}`)));
    }
    // gradients of loss / global_batch_size
    const gradPrefix = `${p}/grad/`;
    for (const k of f.tensors.keys()) {
      if (!k.startsWith(gradPrefix)) continue;
      const pname = k.slice(gradPrefix.length);
      if (pname === 'model.inner.puzzle_emb.local_weights') {
        if (!r.puzzleEmbGrad) problems.push(`${k}: we have no puzzle-embedding gradient`);
        else check(compareTolerance(k, r.puzzleEmbGrad, asNumbers(get(k))));
        continue;
      }
      if (pname === 'model.inner.puzzle_emb.local_ids') {
        check(compareExact(k, r.puzzleEmbIds, asNumbers(get(k))));
        continue;
      }
      const param = params.get(pname);
      if (!param) {
        problems.push(`${k}: no such parameter in our model`);
        continue;
      }
      const g = param.grad ? param.grad.toFloat32Array() : new Float32Array(param.size);
      check(compareTolerance(k, g, asNumbers(get(k))));
    }
    for (const [pname] of params) {
      if (!partial && !f.tensors.has(gradPrefix + pname)) problems.push(`${p}: the fixture has no gradient for our parameter '${pname}'`);
    }
    // both optimizers (constant learning rates in the fixtures)
    adam.step(lr);
    if (sgd) sgd.step(pzLr, r.puzzleEmbGrad, r.puzzleEmbIds);
    adam.zeroGrad();
    const afterPrefix = `${p}/after/`;
    let nAfter = 0;
    for (const k of f.tensors.keys()) {
      if (!k.startsWith(afterPrefix)) continue;
      nAfter++;
      const sname = k.slice(afterPrefix.length);
      const s = state.get(sname);
      if (!s) problems.push(`${k}: no such state in our model`);
      else check(compareTolerance(k, s.toFloat32Array(), asNumbers(get(k))));
    }
    if (!partial && nAfter !== state.size) problems.push(`${p}/after: the fixture has ${nAfter} state tensors, our model ${state.size}`);
  }
  model.disposeCarry(carry);

  // Evaluation from the final weights.
  const E = Number(meta.eval_steps);
  if (E > 0) {
    const batch = batchAt('eval/batch');
    let ec = model.initialCarry(batch.puzzle_identifiers.length);
    for (let s = 0; s < E; s++) {
      const r = model.evalStep(ec, batch);
      ec = r.carry;
      checkStep(`eval/${s}`, r, ec.zH.toFloat32Array());
      if (r.allHalted !== ((s + 1) % cfg.halt_max_steps === 0)) {
        problems.push(`eval/${s}: allHalted ${r.allHalted} after ${s + 1} of ${cfg.halt_max_steps} segments`);
      }
    }
    model.disposeCarry(ec);
  }
  adam.dispose();
  model.dispose();
  return problems;
}

const dir = fixturesDir();
const shared = listSafetensors(dir).filter((p) => readSafetensors(p).metadata.config !== undefined);
if (shared.length === 0) {
  test('HRM parity with the reference fixtures', (t) => {
    skipOrFail(t, `no whole-model fixtures (*.safetensors with a 'config') in ${dir} (set HRM_FIXTURES_DIR)`);
  });
}
// The repository's own small fixture runs always, with or without ../shared.
const own = listSafetensors(repoFixturesDir()).filter((p) => readSafetensors(p).metadata.config !== undefined);
test('the repository keeps a reference fixture', () => assert.ok(own.length > 0, `no *.safetensors in ${repoFixturesDir()}`));
const files = [...shared, ...own];
for (const backend of availableBackends()) {
  for (const path of files) {
    test(`HRM replays ${basename(path)} on ${backend}`, () => {
      Object.assign(worstRatio, { ratio: 0, name: '' });
      const problems = replay(path, backend);
      if (process.env.HRM_VERBOSE) console.log(`${basename(path)} on ${backend}: worst error ${worstRatio.ratio.toFixed(3)} of the tolerance (${worstRatio.name})`);
      assert.deepEqual(problems.slice(0, 25), [], `${problems.length} mismatches`);
    });
  }
}
