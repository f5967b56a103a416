/**
 * Defect 5: `hrm eval` in a read-only run folder prints its metrics first, then says in one line that
 * the outputs could not be saved; output_dir= writes them elsewhere.
 * Defect 7: `hrm eval` needs only the test split.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hrm, mountTmpfs, oneLineError } from './helpers.js';
import { TINY, tinySudoku } from '../train/tiny-data.js';

function trainedRun(): { root: string; data: string; run: string; ckpt: string } {
  const { root, data } = tinySudoku(16, 8);
  const run = join(root, 'run');
  const r = hrm(['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const step = readdirSync(run).map((n) => /^step_(\d+)\.safetensors$/.exec(n)).filter((m) => m).map((m) => Number(m![1])).sort((a, b) => b - a)[0];
  return { root, data, run, ckpt: join(run, `step_${step}.safetensors`) };
}

test('defect 5: eval in a read-only run folder prints the metrics, then one line about the outputs; output_dir= saves them', (ctx) => {
  const m = mountTmpfs('8m', ctx);
  if (!m) return;
  const t = trainedRun();
  try {
    const ro = join(m.dir, 'run');
    cpSync(t.run, ro, { recursive: true });
    m.remountReadOnly();
    const ck = join(ro, readdirSync(ro).find((n) => /^step_\d+\.safetensors$/.test(n))!);
    const r = hrm(['eval', `checkpoint=${ck}`]);
    assert.match(r.stdout, /all: exact_accuracy \d\.\d{4} accuracy/, 'metrics were not printed');
    assert.match(oneLineError(r), /could not save the outputs: .*read-only file system \(EROFS\).*output_dir=/);
    const out = join(t.root, 'preds');
    const ok = hrm(['eval', `checkpoint=${ck}`, `output_dir=${out}`]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /all: exact_accuracy/);
    assert.ok(readdirSync(out).some((n) => /^step_\d+_all_preds\.safetensors$/.test(n)), 'no outputs in output_dir');
  } finally {
    m.unmount();
    rmSync(t.root, { recursive: true, force: true });
  }
});

test('defect 7: eval needs only the test split', () => {
  const t = trainedRun();
  try {
    const testOnly = join(t.root, 'test-only');
    cpSync(join(t.data, 'test'), join(testOnly, 'test'), { recursive: true });
    cpSync(join(t.data, 'identifiers.json'), join(testOnly, 'identifiers.json'));
    const r = hrm(['eval', `checkpoint=${t.ckpt}`, `data_path=${testOnly}`, 'save_outputs=[]']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /all: exact_accuracy/);
    // A batch larger than the train split (0 training steps) does not matter to eval either.
    const big = hrm(['eval', `checkpoint=${t.ckpt}`, 'global_batch_size=64', 'save_outputs=[]']);
    assert.equal(big.status, 0, `${big.stdout}\n${big.stderr}`);
    assert.ok(!existsSync(join(testOnly, 'train')));
  } finally {
    rmSync(t.root, { recursive: true, force: true });
  }
});
