/**
 * Defects found by the issue-25 sweep rerun (scripts/sweep.mjs, scripts/fuzz.mjs library): the
 * library's file readers and setBackend, given a path or name that is not a string, threw a raw
 * TypeError (from fs, or "Cannot convert a Symbol value to a string") instead of a UserError naming
 * the call; and `hrm solve --segments 1e9` (or the library's { segments: 1e9 }) ran on without end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { convertCheckpoint, readSafetensors, readTorchCheckpoint, setBackend, UserError } from '../../src/index.js';
import { repoRoot } from '../fixtures.js';
import { CLI, ENV, oneLineError } from './helpers.js';

const WRONG: unknown[] = [Symbol('s'), 5, {}, ['a.safetensors'], null, undefined];

function refuses(call: () => unknown, name: string): void {
  try {
    call();
  } catch (e) {
    assert.ok(e instanceof UserError, `${name}: ${e instanceof Error ? e.stack : String(e)}`);
    assert.match(e.message, new RegExp(`^${name}: .* must be a string, got `));
    assert.ok(!e.message.includes('\n'));
    return;
  }
  assert.fail(`${name}: accepted a wrong argument`);
}

test('#25 sweep: readSafetensors, readTorchCheckpoint, convertCheckpoint and setBackend refuse a path or name that is not a string with a UserError', () => {
  for (const w of WRONG) {
    refuses(() => readSafetensors(w as string), 'readSafetensors');
    refuses(() => readTorchCheckpoint(w as string), 'readTorchCheckpoint');
    refuses(() => convertCheckpoint(w as string, 'out'), 'convertCheckpoint');
    refuses(() => convertCheckpoint('in', w as string), 'convertCheckpoint');
    refuses(() => setBackend(w as 'wasm'), 'setBackend');
  }
});

/** `hrm args`, killed after `ms` (a run without end fails the test instead of hanging it). */
const hrm = (args: string[], ms: number) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: ENV, timeout: ms });

const PUZZLE = '..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..';

test('#25 sweep: --segments and { segments } above halt_max_steps\' limit are refused in one line (1e9 ran on without end)', () => {
  // before the fix both ran until killed
  const cli = hrm(['solve', 'sudoku', '--segments', '1000000000', PUZZLE], 60_000);
  assert.match(oneLineError(cli), /--segments 1000000000 is above the limit of 1024/);
  const index = join(repoRoot(), 'dist', 'src', 'index.js');
  const lib = spawnSync(process.execPath, ['--input-type=module', '-e', `
    const { loadModel, UserError } = await import(${JSON.stringify(pathToFileURL(index).href)});
    const m = loadModel('sudoku');
    for (const call of [() => m.solveSudoku(${JSON.stringify(PUZZLE)}, { segments: 1e9 }), () => m.infer(new Int32Array(81).fill(1), new Int32Array([0]), { segments: 5000 })]) {
      try { call(); console.log('accepted'); } catch (e) { console.log(e instanceof UserError ? e.message : 'other ' + e); }
    }
    m.dispose();`], { encoding: 'utf8', env: ENV, timeout: 60_000 });
  assert.deepEqual(lib.stdout.trim().split('\n'), ['solveSudoku: segments must be at most 1024, got 1000000000', 'infer: segments must be at most 1024, got 5000'], lib.stderr);
  // the limit itself is allowed
  const ok = hrm(['solve', 'sudoku', '--segments', '1024', '--halt', PUZZLE], 120_000);
  assert.equal(ok.status, 0, ok.stderr);
});

test('#25 sweep: a device as an input file (/dev/zero, /dev/urandom) is refused in one line (it grew past 2 GB and aborted, or ran until killed)', () => {
  for (const args of [['solve', 'sudoku', '--file', '/dev/zero'], ['solve', 'sudoku', '--file', '/dev/urandom'], ['train', '--config', '/dev/zero']]) {
    assert.match(oneLineError(hrm(args, 30_000)), /\/dev\/(zero|urandom): not a regular file/);
  }
});

test('#25 sweep: hrm data sudoku/maze --source /dev/zero is refused in one line (it ran until killed)', () => {
  for (const kind of ['sudoku', 'maze']) {
    assert.match(oneLineError(hrm(['data', kind, '--source', '/dev/zero', '--output-dir', join(repoRoot(), 'test-output', 'never-written')], 30_000)), /\/dev\/zero: not a regular file/);
  }
});
