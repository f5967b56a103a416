import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  loadCheckpoint,
  removeSuperseded,
  RESUME_FORMAT,
  resumeFile,
  saveCheckpoint,
  weightsFile,
  type ResumeMeta,
  type Tensors,
} from '../../src/train/checkpoint.js';

function meta(step: number, transient: boolean, supersedes: number | null): ResumeMeta {
  return {
    format: RESUME_FORMAT, step, total_steps: 100, iteration: 0, batches_done: step, rng: [1, 2, 3, 4],
    optimizer_step: step, metrics_bytes: 0, carry: null, elapsed_s: 0, last_eval: null, transient, supersedes,
  };
}

function weights(v: number): Tensors {
  return new Map([['model.inner.H_init', { shape: [2], data: new Float32Array([v, v]) }]]);
}

test('a transient resume point replaces the previous one; a kill before that deletion is finished on resume', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-ck-'));
  try {
    saveCheckpoint(dir, { weights: weights(5), state: new Map(), resume: meta(5, true, null) });
    saveCheckpoint(dir, { weights: weights(10), state: new Map(), resume: meta(10, true, 5) });
    assert.equal(existsSync(weightsFile(dir, 5)), false, 'superseded transient weights deleted');
    assert.equal(existsSync(weightsFile(dir, 10)), true);

    // A session killed after writing step 10's sidecar but before deleting step 5's weights:
    writeFileSync(weightsFile(dir, 5), 'left over');
    writeFileSync(resumeFile(dir, 5), 'left over');
    const ck = loadCheckpoint(dir, 10);
    assert.equal(ck.resume.supersedes, 5);
    removeSuperseded(dir, ck.resume);
    assert.equal(existsSync(weightsFile(dir, 5)), false, 'resume finishes the deletion');
    assert.equal(existsSync(resumeFile(dir, 5)), false, 'and of its sidecar');
    assert.equal(existsSync(weightsFile(dir, 10)), true, 'the resume point itself stays');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
