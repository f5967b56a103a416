/**
 * Replays a whole-model fixture (the reference's HRM fixtures, TRM's) on one backend: each training
 * step's outputs (and preds when recorded), loss, metrics, carry, gradients (puzzle-embedding rows
 * included), the state after both optimizers and the EMA shadow when recorded, then the evaluation
 * segments from the final weights. Everything is read from the file; the caller only builds the model
 * from the fixture's metadata. Tolerance (fixtures README): |ours - ref| <= 1e-3 * max|ref| + 1e-6 per
 * tensor; integer metrics, halting flags and step counts exactly. Returns the mismatches.
 */
import { setBackend, type Tensor } from '../../src/engine/index.js';
import type { BackendName } from '../../src/engine/backend.js';
import { toInt32, type SafeTensor } from '../../src/io/safetensors.js';
import type { ACTModel, ACTConfig, Batch, RecurrentInner } from '../../src/models/shared/act.js';
import { loadStateDict } from '../../src/io/state-dict.js';
import { AdamATan2 } from '../../src/optim/adam-atan2.js';
import { EMA } from '../../src/optim/ema.js';
import { SparseSignSGD } from '../../src/optim/sign-sgd.js';
import { asNumbers, compareExact, compareTolerance, readSafetensors } from '../fixtures.js';
import { Rng } from '../../src/util/random.js';
import { basename } from 'node:path';
import { ACTLossHead, type ACTStepResult } from '../../src/losses/act-loss-head.js';

const INTEGER_METRICS = new Set(['count', 'exact_accuracy', 'q_halt_accuracy', 'steps']);

export type AnyACTModel = ACTModel<ACTConfig, RecurrentInner>;

export interface ReplayOptions {
  /** builds the model from the fixture's metadata (`meta.config` parsed, `meta` as read) */
  build(config: Record<string, unknown>, meta: Record<string, string>, source: string): AnyACTModel;
  /**
   * Also replay twice with the initial weights perturbed by one part in 10^7 (seeded; the fixtures
   * README's measure of float32 rounding) and widen a step's limit where that perturbation alone moves
   * the step by more than NOISE_FACTOR-th of the tolerance: for fixtures whose trajectory is chaotic
   * (TRM's mlp_t from step 4 on). Steps the perturbation leaves well within the tolerance keep it exactly.
   */
  noiseFloor?: boolean;
}

/** What one replay produced: float tensors to compare within tolerance, integer ones exactly. */
interface Recorded {
  floats: Map<string, ArrayLike<number>>;
  exact: Map<string, ArrayLike<number>>;
  problems: string[];
}

/**
 * A step's limit is this many times the largest move (in tolerances) that the perturbed replays show
 * in that step, when that exceeds 1. A wrong computation differs from the first step on, where the
 * noise floor is far below the tolerance (0.005 of it on trm_mlp_t's step 0). 10, not 3: one
 * perturbation of the initial weights underestimates the rounding of every op over several steps, most
 * on wasm, whose rounding differs most from torch's (measured on trm_mlp_t: x3 fails eval/3 on wasm).
 */
const NOISE_FACTOR = 10;

/** How many tensors were compared against a widened limit (HRM_VERBOSE reports it). */
export const widened = { count: 0, worst: '' };

export function replayFixture(path: string, backend: string, opts: ReplayOptions): string[] {
  const f = readSafetensors(path);
  const main = replayOnce(path, f, backend, opts, 0);
  // two perturbed replays (different draws): one alone can land close by chance
  const noisy = opts.noiseFloor ? [1, 2].map((seed) => replayOnce(path, f, backend, opts, 1e-7, seed)) : [];
  const problems = [...main.problems];
  const get = (k: string): Float64Array => asNumbers(f.tensors.get(k)!);
  const tolOf = (ref: Float64Array): number => {
    let maxRef = 0;
    for (let i = 0; i < ref.length; i++) maxRef = Math.max(maxRef, Math.abs(ref[i]));
    return 1e-3 * maxRef + 1e-6;
  };
  // The rounding noise of a step (train/<t>, eval/<s>): the largest move, in tolerances, of any of its
  // tensors. A step's scalars (loss, metrics) inherit it: a sum's own move can cancel by chance.
  const stepOf = (k: string): string => k.split('/').slice(0, 2).join('/');
  const stepNoise = new Map<string, number>();
  if (noisy.length > 0) {
    for (const [k, ours] of main.floats) {
      let noise = 0;
      for (const run of noisy) {
        const other = run.floats.get(k);
        if (!other || other.length !== ours.length) continue;
        for (let i = 0; i < ours.length; i++) noise = Math.max(noise, Math.abs(ours[i] - other[i]));
      }
      const r = noise / tolOf(get(k));
      if (r > (stepNoise.get(stepOf(k)) ?? 0)) stepNoise.set(stepOf(k), r);
    }
  }
  widened.count = 0;
  widened.worst = '';
  let worst = 0;
  for (const [k, ours] of main.floats) {
    const ref = get(k);
    const factor = Math.max(1, NOISE_FACTOR * (stepNoise.get(stepOf(k)) ?? 0));
    if (factor > 1) {
      widened.count++;
      if (factor > worst) {
        worst = factor;
        widened.worst = `${stepOf(k)} (limit ${factor.toFixed(1)} x the tolerance)`;
      }
    }
    const msg = compareTolerance(k, ours, ref, 1e-3 * factor, 1e-6 * factor);
    if (msg) problems.push(msg);
  }
  for (const [k, ours] of main.exact) {
    const msg = compareExact(k, ours, get(k));
    if (msg) problems.push(msg);
  }
  return problems;
}

function replayOnce(path: string, f: ReturnType<typeof readSafetensors>, backend: string, opts: ReplayOptions, perturb: number, seed = 0): Recorded {

  setBackend(backend as BackendName);
  const meta = f.metadata;
  // A fixture derived for the repository (test/reference) keeps only the small gradients and states.
  const partial = meta.partial === 'small-grads-and-states';
  const name = basename(path);
  const get = (k: string): SafeTensor => {
    const t = f.tensors.get(k);
    if (!t) throw new Error(`${name}: fixture has no tensor '${k}'`);
    return t;
  };
  const ints = (k: string): Int32Array => toInt32(get(k), name, k);
  const problems: string[] = [];
  const floats = new Map<string, ArrayLike<number>>();
  const exact = new Map<string, ArrayLike<number>>();
  // recorded here, compared against the fixture by replayFixture (copies: buffers are reused)
  const close = (k: string, ours: ArrayLike<number>): void => {
    if (!f.tensors.has(k)) problems.push(`${k}: not in the fixture`);
    else floats.set(k, Float64Array.from(ours));
  };
  const same = (k: string, ours: ArrayLike<number>): void => {
    if (!f.tensors.has(k)) problems.push(`${k}: not in the fixture`);
    else exact.set(k, Float64Array.from(ours));
  };

  const config = JSON.parse(meta.config) as Record<string, unknown>;
  const model = opts.build(config, meta, `${name} metadata`);
  const head = new ACTLossHead(model);
  const cfg = model.config;
  const init = new Map<string, SafeTensor>();
  const noise = new Rng(12345 + seed);
  for (const [k, t] of f.tensors) {
    if (!k.startsWith('init/')) continue;
    if (perturb === 0) init.set(k.slice(5), t);
    else init.set(k.slice(5), { ...t, dtype: 'F32', data: Float32Array.from(asNumbers(t), (v) => v * (1 + perturb * noise.normal())) });
  }
  loadStateDict(model, init, `${name} init/*`);
  const params = new Map<string, Tensor>(model.parameters());
  const state = new Map(model.namedState().map((e) => [e.name, e.tensor]));

  const [b1, b2] = JSON.parse(meta.betas ?? '[0.9, 0.95]') as [number, number];
  const lr = Number(meta.lr);
  const pzLr = Number(meta.pz_lr);
  const gbs = Number(meta.global_batch_size);
  const adam = new AdamATan2(model.parameters(), { betas: [b1, b2], weightDecay: Number(meta.wd) });
  const sgd = model.puzzleEmb ? new SparseSignSGD(model.puzzleEmb, Number(meta.pz_wd)) : null;
  // registered from the initial weights, as the reference's EMA helper
  const ema = meta.ema_rate !== undefined ? new EMA(model.parameters(), Number(meta.ema_rate)) : null;

  const batchAt = (prefix: string): Batch => ({
    inputs: ints(`${prefix}/inputs`),
    labels: ints(`${prefix}/labels`),
    puzzle_identifiers: ints(`${prefix}/puzzle_identifiers`),
  });
  const checkStep = (p: string, r: ACTStepResult, zH: Float32Array): void => {
    close(`${p}/out/logits`, r.outputs.logits!);
    if (f.tensors.has(`${p}/out/preds`)) same(`${p}/out/preds`, r.outputs.preds);
    close(`${p}/out/q_halt_logits`, r.outputs.q_halt_logits);
    close(`${p}/out/q_continue_logits`, r.outputs.q_continue_logits);
    if (f.tensors.has(`${p}/out/target_q_continue`)) {
      if (!r.outputs.target_q_continue) problems.push(`${p}: no target_q_continue`);
      else close(`${p}/out/target_q_continue`, r.outputs.target_q_continue);
    } else if (r.outputs.target_q_continue && p.startsWith('train/')) {
      problems.push(`${p}: we computed a target_q_continue the fixture does not have`);
    }
    close(`${p}/loss`, [r.loss]);
    const ourMetrics = new Set(Object.keys(r.metrics));
    for (const k of f.tensors.keys()) {
      if (!k.startsWith(`${p}/metric/`)) continue;
      const m = k.slice(`${p}/metric/`.length);
      ourMetrics.delete(m);
      const ours = r.metrics[m];
      if (ours === undefined) {
        problems.push(`${k}: we have no metric '${m}'`);
        continue;
      }
      (INTEGER_METRICS.has(m) ? same : close)(k, [ours]);
    }
    for (const m of ourMetrics) problems.push(`${p}: we report metric '${m}' the fixture does not have`);
    close(`${p}/carry/z_H`, zH);
  };

  const T = Number(meta.train_steps);
  // the carry's rows follow the recorded batches (normally config.batch_size)
  const B = T > 0 ? ints('train/0/batch/puzzle_identifiers').length : cfg.batch_size;
  let carry = model.initialCarry(B);
  for (let t = 0; t < T; t++) {
    const p = `train/${t}`;
    const r = head.trainStep(carry, batchAt(`${p}/batch`), { globalBatchSize: gbs });
    carry = r.carry;
    checkStep(p, r, carry.zH.toFloat32Array());
    if (f.tensors.has(`${p}/carry/z_L`)) close(`${p}/carry/z_L`, carry.zL.toFloat32Array());
    same(`${p}/carry/halted`, carry.halted);
    same(`${p}/carry/steps`, carry.steps);
    for (const field of ['inputs', 'labels', 'puzzle_identifiers'] as const) {
      same(`${p}/carry/current_data/${field}`, carry.data[field]);
    }
    // gradients of loss / global_batch_size
    const gradPrefix = `${p}/grad/`;
    for (const k of f.tensors.keys()) {
      if (!k.startsWith(gradPrefix)) continue;
      const pname = k.slice(gradPrefix.length);
      if (pname === 'model.inner.puzzle_emb.local_weights') {
        if (!r.puzzleEmbGrad) problems.push(`${k}: we have no puzzle-embedding gradient`);
        else close(k, r.puzzleEmbGrad.toFloat32Array());
        continue;
      }
      if (pname === 'model.inner.puzzle_emb.local_ids') {
        same(k, r.puzzleEmbIds);
        continue;
      }
      const param = params.get(pname);
      if (!param) {
        problems.push(`${k}: no such parameter in our model`);
        continue;
      }
      const g = param.grad ? param.grad.toFloat32Array() : new Float32Array(param.size);
      close(k, g);
    }
    for (const [pname] of params) {
      if (!partial && !f.tensors.has(gradPrefix + pname)) problems.push(`${p}: the fixture has no gradient for our parameter '${pname}'`);
    }
    // both optimizers (constant learning rates in the fixtures), then the EMA
    adam.step(lr);
    if (sgd) sgd.step(pzLr, r.puzzleEmbGrad, r.puzzleEmbIds);
    adam.zeroGrad();
    ema?.update();
    const afterPrefix = `${p}/after/`;
    let nAfter = 0;
    for (const k of f.tensors.keys()) {
      if (!k.startsWith(afterPrefix)) continue;
      nAfter++;
      const sname = k.slice(afterPrefix.length);
      const s = state.get(sname);
      if (!s) problems.push(`${k}: no such state in our model`);
      else close(k, s.toFloat32Array());
    }
    if (!partial && nAfter !== state.size) problems.push(`${p}/after: the fixture has ${nAfter} state tensors, our model ${state.size}`);
    if (ema) {
      const shadow = ema.state();
      let nEma = 0;
      for (const k of f.tensors.keys()) {
        if (!k.startsWith(`${p}/ema/`)) continue;
        nEma++;
        const ours = shadow[k.slice(`${p}/ema/`.length)];
        if (!ours) problems.push(`${k}: no such EMA parameter in our model`);
        else close(k, ours);
      }
      if (nEma !== params.size) problems.push(`${p}/ema: the fixture has ${nEma} EMA tensors, our model ${params.size} parameters`);
    }
  }
  model.disposeCarry(carry);

  // Evaluation from the final (raw) weights, as the fixtures record it.
  const E = Number(meta.eval_steps);
  const evaluate = (): void => {
    const batch = batchAt('eval/batch');
    let ec = model.initialCarry(batch.puzzle_identifiers.length);
    for (let s = 0; s < E; s++) {
      const r = head.evalStep(ec, batch);
      ec = r.carry;
      checkStep(`eval/${s}`, r, ec.zH.toFloat32Array());
      if (r.allHalted !== ((s + 1) % cfg.halt_max_steps === 0)) {
        problems.push(`eval/${s}: allHalted ${r.allHalted} after ${s + 1} of ${cfg.halt_max_steps} segments`);
      }
    }
    model.disposeCarry(ec);
  };
  if (E > 0) evaluate();
  ema?.dispose();
  adam.dispose();
  model.dispose();
  return { floats, exact, problems };
}
