/**
 * `hrm solve` and `hrm convert` as a new user runs them (the built CLI in a child process) on every
 * reference checkpoint folder of HRM_CHECKPOINT_FIXTURES_DIR: the fixture's own puzzles (the first 8 of
 * Sudoku-Extreme's train.csv) go in as a CSV, one JSON line per puzzle comes out in input order with
 * answer, valid, segments, ms and a per-segment trace whose predictions and Q values are the reference's;
 * then a summary line. Bad input gives one line naming the file, line and column, exit status 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { toInt32 } from '../../src/io/safetensors.js';
import { SUDOKU } from '../../src/solve/sudoku.js';
import { asNumbers, compareTolerance, readSafetensors, repoRoot } from '../fixtures.js';
import { checkpointFixtures } from './helpers.js';
import { webgpuSkip } from '../nn/backends.js';

const CLI = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
const hrm = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const hrmOn = (backend: string | null, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: backend ? { ...process.env, HRM_BACKEND: backend } : process.env });
// the CLI on the default backend, and under HRM_BACKEND=webgpu where an adapter is (SwiftShader here;
// always under CI, where a missing adapter fails)
const gpuSkip = webgpuSkip();
const BACKENDS: (string | null)[] = gpuSkip ? [null] : [null, 'webgpu'];
if (gpuSkip && checkpointFixtures().length > 0) test('hrm solve sudoku --json --trace under HRM_BACKEND=webgpu', { skip: gpuSkip }, () => {});
const TRAIN_CSV = join(repoRoot(), '..', 'shared', 'data', 'sudoku', 'sudoku-extreme-train-1k', 'train.csv');

for (const fixture of checkpointFixtures()) {
  for (const backend of BACKENDS) test(`hrm solve sudoku --json --trace on ${basename(fixture)}${backend ? ` (HRM_BACKEND=${backend})` : ''}: the reference's predictions, in input order`, { skip: existsSync(TRAIN_CSV) ? false : `no ${TRAIN_CSV}` }, () => {
    const ex = readSafetensors(join(fixture, 'expected.safetensors'));
    const inputs = toInt32(ex.tensors.get('batch/inputs')!);
    const B = ex.tensors.get('batch/inputs')!.shape[0];
    const segments = Number(ex.metadata.segments);
    const tmp = mkdtempSync(join(tmpdir(), 'hrm-solve-'));
    try {
      const csv = readFileSync(TRAIN_CSV, 'utf8').split('\n').slice(0, B + 1).join('\n') + '\n';
      const file = join(tmp, 'puzzles.csv');
      writeFileSync(file, csv);
      // our encoding of the questions is the reference builder's
      const parsed = SUDOKU.parse(csv, file, true);
      for (let b = 0; b < B; b++) assert.deepEqual(Array.from(parsed[b].tokens), Array.from(inputs.subarray(b * 81, (b + 1) * 81)), `puzzle ${b} tokens`);

      // webgpu (SwiftShader here: each segment's dispatches cost far more than its arithmetic) in one batch
      const r = hrmOn(backend, 'solve', 'sudoku', '--checkpoint', fixture, '--json', '--trace', '--file', file, '--batch', backend === 'webgpu' ? String(B) : '3');
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.length, B + 1);
      for (let b = 0; b < B; b++) {
        const o = lines[b];
        assert.equal(o.index, b);
        assert.equal(o.source, `${file}:${b + 2}`);
        assert.match(o.answer, /^[.1-9]{81}$/);
        assert.equal(typeof o.valid, 'boolean');
        assert.equal(typeof o.solved, 'boolean'); // the CSV has answers
        assert.equal(o.segments, segments);
        assert.ok(o.ms > 0);
        assert.equal(o.trace.length, segments);
        for (let s = 0; s < segments; s++) {
          const t = o.trace[s];
          assert.equal(t.segment, s + 1);
          assert.ok(Array.isArray(t.preds) && t.preds.length === 81 && t.preds.every(Number.isInteger));
          const ref = asNumbers(ex.tensors.get(`eval/${s}/preds`)!).subarray(b * 81, (b + 1) * 81);
          const same = t.preds.filter((p: number, i: number) => p === ref[i]).length;
          assert.ok(same >= 80, `puzzle ${b} segment ${s}: ${same}/81 predictions equal the reference's`);
          for (const q of ['q_halt', 'q_continue']) {
            const all = asNumbers(ex.tensors.get(`eval/${s}/${q}_logits`)!);
            assert.equal(compareTolerance(`${q}`, [t[q]], [all[b]], 0, 1e-3 * Math.max(...all.map(Math.abs)) + 1e-6), null);
          }
        }
        assert.equal(o.answer, SUDOKU.decode(o.trace[segments - 1].preds, parsed[b]));
      }
      const sum = lines[B].summary;
      assert.equal(sum.puzzles, B);
      assert.ok(typeof sum.solved_pct === 'number' && typeof sum.valid_pct === 'number' && sum.ms_per_puzzle > 0);

      if (backend) return;
      // text mode with a trace, halting and a segment cap (default backend)
      const t = hrm('solve', 'sudoku', parsed[0].question, '--checkpoint', fixture, '--trace', '--halt', '--segments', '2');
      assert.equal(t.status, 0, t.stderr);
      assert.match(t.stdout, /^puzzle 1 \(argument\): .*; [12] segments?, /);
      assert.match(t.stdout, /segment 1: q_halt -?\d/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test(`hrm solve / hrm convert errors are one line with exit status 1 (${basename(fixture)})`, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hrm-solve-'));
    try {
      const bad = join(tmp, 'bad.txt');
      writeFileSync(bad, '...7.2..5....95.8.19..8..67..4...6....79...2.26...1......5......39.....8....784..\n..x\n');
      const arcTask = join(tmp, 'task.json');
      writeFileSync(arcTask, '{"test": [{"input": [[1]]}]}');
      for (const [args, re] of [
        [['solve', 'sudoku', '--checkpoint', fixture, '--file', bad], /^hrm: .*bad\.txt:2:3: bad character 'x' in a Sudoku question/],
        [['solve', 'arc', '--checkpoint', fixture], /hrm solve arc: give one task JSON file, got 0/],
        [['solve', 'arc', arcTask, '--checkpoint', fixture, '--data', tmp], /vocabulary has 11 tokens, an ARC model has 12/],
        [['solve', 'sudoku', '--file', bad, '--model', 'nope'], /--model nope: no such bundled model/],
        [['solve', 'sudoku', '--checkpoint', join(tmp, 'nope'), '--file', bad], /no such run folder/],
        [['solve', 'sudoku', '--checkpoint', fixture, '--file', join(tmp, 'missing.txt')], /missing\.txt: cannot read \(no such file\)/],
        [['solve', 'sudoku', '--checkpoint', fixture, '--segments', '0', '1'], /--segments needs an integer >= 1/],
      ] as [string[], RegExp][]) {
        const r = hrm(...args);
        assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, re);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
      const out = join(tmp, 'ours');
      const c = hrm('convert', fixture, out);
      assert.equal(c.status, 0, c.stderr);
      assert.ok(existsSync(join(out, 'step_0.safetensors')) && existsSync(join(out, 'all_config.yaml')));
      const again = hrm('convert', fixture, out);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /already exists/);
      const back = hrm('convert', out, join(tmp, 'ref'));
      assert.equal(back.status, 0, back.stderr);
      assert.ok(existsSync(join(tmp, 'ref', 'checkpoint')));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
