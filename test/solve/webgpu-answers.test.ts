/**
 * The webgpu backend as a user meets it: `hrm solve --backend webgpu` and `loadModel(..., { backend:
 * 'webgpu' })` give the native backend's answers with the bundled model on held-out generated puzzles
 * (predictions equal; Q values within float32 summation order), `hrm eval` of a run gives native's
 * metrics, and a machine with no adapter gets one line. SwiftShader stands in for a GPU here (CI);
 * under CI a missing adapter fails instead of skipping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../fixtures.js';
import { webgpuSkip, webgpuStatus } from '../nn/backends.js';

const ROOT = repoRoot();
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const BUNDLED = join(ROOT, 'models', 'sudoku.safetensors');
const gpu = webgpuStatus();
const skip = webgpuSkip();

function hrm(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, HRM_THREADS: '1', ...env } });
}

test('the webgpu backend loads here (CI: SwiftShader must be found)', { skip }, () => {
  assert.ok(gpu.ok, gpu.reason);
});

// SwiftShader runs a dispatch in milliseconds of CPU: the bundled model's 8 segments for one batch cost
// ~45 CPU-s here, so the default suite compares 2 segments of one batch of 8 (the same kernels, in the
// same order, as every later segment); HRM_SLOW_TESTS=1 runs all of them.
const SEGMENTS = process.env.HRM_SLOW_TESTS === '1' ? [] : ['--segments', '2'];

// ~100 s on SwiftShader, most of it the device's start and pipeline compilation in a second process: in
// the default suite the CLI on webgpu is checked by test/solve/cli.test.ts (the reference checkpoint) and
// the bundled model by loadModel below
test('hrm solve --backend webgpu: the bundled model answers as on native (held-out generated puzzles, one batch of 8)', { skip: skip || (process.env.HRM_SLOW_TESTS === '1' ? false : 'set HRM_SLOW_TESTS=1 (~100 s on SwiftShader)'), timeout: 1_200_000 }, () => {
  assert.ok(existsSync(BUNDLED), `no bundled model at ${BUNDLED}`);
  const tmp = mkdtempSync(join(tmpdir(), 'hrm-webgpu-'));
  try {
    const csv = join(tmp, 'puzzles.csv');
    const g = hrm(['data', 'sudoku', '--generate', '8', '--clues', '26-34', '--seed', '4242', '--test-fraction', '0.5', '--output-dir', join(tmp, 'ds'), '--save-csv', csv, '--quiet']);
    assert.equal(g.status, 0, g.stderr);
    const run = (backend: string) => {
      const r = hrm(['solve', 'sudoku', '--file', csv, '--json', '--batch', '8', ...SEGMENTS, '--backend', backend]);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    };
    const native = run('native');
    const webgpu = run('webgpu');
    assert.equal(webgpu.length, native.length);
    for (let i = 0; i < native.length - 1; i++) {
      assert.equal(webgpu[i].answer, native[i].answer, `puzzle ${i}: the same answer`);
      assert.equal(webgpu[i].valid, native[i].valid);
      assert.equal(webgpu[i].segments, native[i].segments);
      assert.ok(Math.abs(webgpu[i].q_halt - native[i].q_halt) <= 1e-3 * Math.max(1, Math.abs(native[i].q_halt)), `puzzle ${i}: q_halt ${webgpu[i].q_halt} vs ${native[i].q_halt}`);
    }
    assert.equal(webgpu[native.length - 1].summary.valid_pct, native[native.length - 1].summary.valid_pct);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("loadModel(..., { backend: 'webgpu' }) answers as the native backend", { skip, timeout: 600_000 }, async () => {
  assert.ok(existsSync(BUNDLED), `no bundled model at ${BUNDLED}`);
  const lib = await import('../../src/index.js');
  const puzzle = '..28.5.4...8....5....93.....7.48..............5.1.32...9.57..83..734.16.4..69.5..';
  const answers: string[] = [];
  const q: number[] = [];
  for (const backend of ['native', 'webgpu'] as const) {
    const m = lib.loadModel('sudoku', { backend });
    const [r] = m.solveSudoku(puzzle, SEGMENTS.length > 0 ? { segments: 2 } : {});
    answers.push(r.answer);
    q.push(r.q_halt);
    m.dispose();
  }
  assert.equal(answers[1], answers[0]);
  assert.ok(Math.abs(q[1] - q[0]) <= 1e-3 * Math.max(1, Math.abs(q[0])), `q_halt ${q[1]} vs ${q[0]}`);
  lib.setBackend('native');
});

test('hrm eval --backend webgpu of a trained run gives the native metrics', { skip, timeout: 1_200_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hrm-webgpu-eval-'));
  try {
    const data = join(tmp, 'data');
    assert.equal(hrm(['data', 'sudoku', '--generate', '24', '--clues', '50-60', '--test-fraction', '0.33', '--output-dir', data, '--seed', '5', '--quiet']).status, 0);
    const run = join(tmp, 'run');
    const t = hrm(['train', `data_path=${data}`, 'arch=trm', 'arch.mlp_t=True', 'arch.pos_encodings=none', 'arch.hidden_size=32', 'arch.expansion=2',
      'arch.L_layers=1', 'arch.H_cycles=2', 'arch.L_cycles=2', 'arch.halt_max_steps=2', 'global_batch_size=8', 'epochs=2', 'eval_interval=2',
      'lr=1e-3', 'lr_warmup_steps=1', `checkpoint_path=${run}`, '--quiet']);
    assert.equal(t.status, 0, t.stderr);
    const metrics = (backend: string) => {
      const r = hrm(['eval', `checkpoint=${run}`, `output_dir=${join(tmp, `out-${backend}`)}`, '--backend', backend]);
      assert.equal(r.status, 0, r.stderr);
      // 'all: accuracy 0.1234 exact_accuracy 0.0000 ...' (formatEval)
      const m = / exact_accuracy ([0-9.]+)/.exec(r.stdout);
      const acc = / accuracy ([0-9.]+)/.exec(r.stdout);
      return { text: r.stdout, exact: m ? Number(m[1]) : NaN, accuracy: acc ? Number(acc[1]) : NaN };
    };
    const a = metrics('native');
    const b = metrics('webgpu');
    assert.ok(Number.isFinite(a.exact), `native eval printed no exact accuracy: ${a.text}`);
    assert.equal(b.exact, a.exact, 'the same exact accuracy');
    assert.ok(Number.isFinite(a.accuracy) && Math.abs(b.accuracy - a.accuracy) <= 2e-4, `token accuracy ${b.accuracy} vs ${a.accuracy}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('no adapter: one line naming the problem, exit 1', () => {
  const r = hrm(['solve', 'sudoku', '..28.5.4...8....5....93.....7.48..............5.1.32...9.57..83..734.16.4..69.5..', '--backend', 'webgpu'],
    { VK_ICD_FILENAMES: join(tmpdir(), 'no-such-icd.json'), VK_DRIVER_FILES: join(tmpdir(), 'no-such-icd.json') });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const ours = r.stderr.split('\n').filter((l) => l.startsWith('hrm:'));
  assert.equal(ours.length, 1, r.stderr);
  assert.match(ours[0], /no WebGPU adapter/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});
