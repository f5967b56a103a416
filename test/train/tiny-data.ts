/**
 * Test helper: a tiny generated Sudoku dataset (reference layout) in a temporary folder, built with
 * the data CLI as a user would (`hrm data sudoku --generate`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
/** One thread: a tiny model gains nothing from more, and on a busy machine OpenMP threads wait. */
export const ENV = { ...process.env, HRM_THREADS: '1' };

/** Runs `hrm <args>` to completion. */
export function hrm(args: string[], opts: { cwd?: string } = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: ENV, cwd: opts.cwd });
}

/** Builds `<tmp>/data` with `train` + `test` generated puzzles; returns the temporary folder and the data path. */
export function tinySudoku(train = 32, test = 12, seed = 1): { root: string; data: string } {
  const root = mkdtempSync(join(tmpdir(), 'hrm-train-'));
  const data = join(root, 'data');
  const r = hrm(['data', 'sudoku', '--generate', String(train + test), '--clues', '50-60', '--test-fraction', String(test / (train + test)), '--output-dir', data, '--seed', String(seed), '--quiet']);
  assert.equal(r.status, 0, `hrm data sudoku failed:\n${r.stdout}\n${r.stderr}`);
  return { root, data };
}

/** A tiny model and schedule that trains in about a second. */
export const TINY = [
  'arch.hidden_size=32', 'arch.num_heads=2', 'arch.expansion=2', 'arch.H_layers=1', 'arch.L_layers=1',
  'arch.H_cycles=1', 'arch.L_cycles=1', 'arch.halt_max_steps=2', 'global_batch_size=8', 'epochs=4', 'eval_interval=2',
  'lr=1e-3', 'puzzle_emb_lr=1e-2', 'lr_warmup_steps=2', 'lr_min_ratio=0.1',
];
