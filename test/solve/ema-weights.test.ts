/**
 * A run trained with `ema=True` keeps its EMA weights beside the raw ones (step_N.ema.safetensors);
 * `hrm solve` answers with them, as `hrm eval` evaluates with them (TRM's recipe).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hrm, TINY, tinySudoku } from '../train/tiny-data.js';

const PUZZLE = '...7.2..5....95.8.19..8..67..4...6....79...2.26...1......5......39.....8....784..';

function solveJson(checkpoint: string): { q_halt: number; q_continue: number; answer: string } {
  const r = hrm(['solve', 'sudoku', PUZZLE, '--checkpoint', checkpoint, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n')[0]);
}

test('hrm solve on a run trained with ema answers with the EMA weights', () => {
  const { root, data } = tinySudoku();
  try {
    const run = join(root, 'run');
    const t = hrm(['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, 'ema=True', 'ema_rate=0.5']);
    assert.equal(t.status, 0, t.stderr);
    const last = Math.max(...readdirSync(run).map((n) => /^step_(\d+)\.safetensors$/.exec(n)).filter((m) => m !== null).map((m) => Number(m![1])));
    // the same run folder with only the EMA weights, or only the raw ones, as step_N.safetensors
    const only = (src: string): string => {
      const dir = mkdtempSync(join(tmpdir(), 'hrm-ema-'));
      copyFileSync(join(run, src), join(dir, `step_${last}.safetensors`));
      copyFileSync(join(run, 'all_config.yaml'), join(dir, 'all_config.yaml'));
      return dir;
    };
    const emaDir = only(`step_${last}.ema.safetensors`);
    const rawDir = only(`step_${last}.safetensors`);
    try {
      const fromRun = solveJson(run);
      const fromEma = solveJson(emaDir);
      const fromRaw = solveJson(rawDir);
      assert.deepEqual(fromRun, { ...fromEma, ms: (fromRun as { ms?: number }).ms }, 'the run folder answers as its EMA weights do');
      assert.notDeepEqual([fromRun.q_halt, fromRun.q_continue], [fromRaw.q_halt, fromRaw.q_continue], 'and not as its raw weights');
    } finally {
      rmSync(emaDir, { recursive: true, force: true });
      rmSync(rawDir, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
