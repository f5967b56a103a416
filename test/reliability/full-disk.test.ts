/**
 * Crash safety on a full disk (a small tmpfs made and removed by the test; skipped with a message
 * where mounting is impossible, an error in CI): training that runs out of space stops with one line
 * naming the file and "disk full" and the last good checkpoint; nothing half-written stays; after
 * space is freed, resume= finishes the run with exactly the weights of an uninterrupted run.
 * (The builder's full-disk case is in io-errors.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { readSafetensors } from '../../src/io/safetensors.js';
import { readMetrics } from '../../src/train/metrics-log.js';
import { hrm, mountTmpfs, oneLineError } from './helpers.js';
import { TINY, tinySudoku } from '../train/tiny-data.js';

test('full disk during training: one line, nothing half-written, resumable to the same result', (t) => {
  const m = mountTmpfs('1400k', t);
  if (!m) return;
  const { root, data } = tinySudoku(40, 12);
  try {
    const args = [`data_path=${data}`, ...TINY, 'epochs=8', 'eval_interval=2', '--quiet'];
    const ref = join(root, 'ref');
    assert.equal(hrm(['train', ...args, `checkpoint_path=${ref}`]).status, 0);
    const run = join(m.dir, 'run');
    const r = hrm(['train', ...args, `checkpoint_path=${run}`]);
    const line = oneLineError(r);
    assert.match(line, /disk full \(ENOSPC\); training stopped; the last good checkpoint is .*step_\d+\.safetensors \(resume=.* continues from it\)/);
    for (const n of readdirSync(run)) {
      assert.ok(!/\.tmp-\d+-\d+$/.test(n), `half-written temporary ${n} left behind`);
      const p = join(run, n);
      if (n.endsWith('.safetensors')) readSafetensors(p);
      else if (n.endsWith('.yaml')) YAML.parse(readFileSync(p, 'utf8'));
      else if (n.endsWith('.jsonl')) readMetrics(p);
    }
    const g = spawnSync('mount', ['-o', 'remount,size=16m', m.dir]);
    assert.equal(g.status, 0, 'could not grow the tmpfs');
    const again = hrm(['train', `resume=${run}`, '--quiet']);
    assert.equal(again.status, 0, again.stderr);
    const last = (d: string) => readdirSync(d).filter((n) => /^step_\d+\.safetensors$/.test(n)).sort((a, b) => Number(/\d+/.exec(b)![0]) - Number(/\d+/.exec(a)![0]))[0];
    assert.equal(last(run), last(ref));
    assert.ok(readFileSync(join(run, last(run))).equals(readFileSync(join(ref, last(ref)))), 'resumed weights differ from an uninterrupted run');
  } finally {
    m.unmount();
    rmSync(root, { recursive: true, force: true });
  }
});
