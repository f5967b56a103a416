/**
 * Every registry model answers through `hrm solve` (TRM with mlp_t here), and `hrm export` writes a run
 * as one self-contained file (weights + all_config.yaml + seq_len in its metadata) that answers exactly
 * as the run folder does, from a folder with nothing else in it; bfloat16 storage halves it; a file
 * that is not such a model is never replaced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hrm, tinySudoku } from '../train/tiny-data.js';
import { repoRoot } from '../fixtures.js';

const PUZZLE = '...7.2..5....95.8.19..8..67..4...6....79...2.26...1......5......39.....8....784..';
const TRM_TINY = [
  'arch=trm', 'arch.mlp_t=True', 'arch.pos_encodings=none', 'arch.hidden_size=32', 'arch.num_heads=2', 'arch.expansion=2',
  'arch.L_layers=1', 'arch.H_cycles=2', 'arch.L_cycles=2', 'arch.halt_max_steps=3', 'arch.puzzle_emb_ndim=0', 'arch.forward_dtype=float32',
  'global_batch_size=8', 'epochs=4', 'eval_interval=2', 'lr=1e-3', 'lr_warmup_steps=2', 'lr_min_ratio=0.1', 'ema=True', 'ema_rate=0.9',
];

function answer(args: string[]): { answer: string; q_halt: number; q_continue: number; segments: number; valid: boolean } {
  const r = hrm(['solve', 'sudoku', PUZZLE, '--json', ...args]);
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout.trim().split('\n')[0]);
  return { answer: o.answer, q_halt: o.q_halt, q_continue: o.q_continue, segments: o.segments, valid: o.valid };
}

test('a TRM run answers through hrm solve; hrm export makes one file that answers the same, alone', () => {
  const { root, data } = tinySudoku();
  try {
    const run = join(root, 'run');
    const t = hrm(['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TRM_TINY]);
    assert.equal(t.status, 0, t.stderr);
    const fromRun = answer(['--checkpoint', run]);
    assert.equal(fromRun.answer.length, 81);
    assert.equal(fromRun.segments, 3, 'all halt_max_steps segments by default');
    // TRM halts on q_halt > 0 (no continue head): --halt stops there
    const halted = answer(['--checkpoint', run, '--halt']);
    assert.ok(halted.segments === 3 || halted.q_halt > 0, `stopped at segment ${halted.segments} with q_halt ${halted.q_halt}`);

    const alone = join(root, 'alone');
    mkdirSync(alone);
    const file = join(alone, 'tiny.safetensors');
    const e = hrm(['export', run, file]);
    assert.equal(e.status, 0, e.stderr);
    assert.match(e.stdout, /trm, sudoku, seq_len 81/);
    // the dataset is gone: only the file's metadata can say seq_len and the configuration
    rmSync(data, { recursive: true });
    assert.deepEqual(answer(['--checkpoint', file]), fromRun, 'the exported file answers as the run (its EMA weights)');

    const again = hrm(['export', run, file]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists \(a bundled model\); --force replaces it/);
    const half = join(alone, 'half.safetensors');
    // the run's dataset is gone: the width of mlp_t's sequence SwiGLU still says the puzzle length
    assert.equal(hrm(['export', run, half, '--bf16']).status, 0);
    assert.ok(statSync(half).size < 0.6 * statSync(file).size, `bf16 ${statSync(half).size} vs f32 ${statSync(file).size} bytes`);
    assert.equal(answer(['--checkpoint', half]).answer.length, 81);
    assert.equal(hrm(['export', run, half, '--force', '--seq-len', '81']).status, 0, 'a bundled model is replaced with --force');
    assert.ok(statSync(half).size > 0.9 * statSync(file).size);

    // a file that is not ours is never replaced, with or without --force
    const user = join(alone, 'mine.safetensors');
    writeFileSync(user, 'my notes');
    copyFileSync(user, join(alone, 'copy'));
    const r = hrm(['export', run, user, '--force']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /mine\.safetensors: exists and is not a bundled model; refusing to replace it/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(readFileSync(user, 'utf8'), 'my notes');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('hrm solve --model names a bundled model; an unknown name lists them in one line', () => {
  const r = hrm(['solve', 'sudoku', PUZZLE, '--model', 'no-such-model']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^hrm: --model no-such-model: no such bundled model \(bundled: /);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  if (!existsSync(join(repoRoot(), 'models', 'maze.safetensors'))) {
    const maze = hrm(['solve', 'maze', 'some-maze.txt']);
    assert.equal(maze.status, 1);
    assert.match(maze.stderr, /^hrm: hrm solve maze: this package has no bundled maze model \(bundled: .*\); give --checkpoint PATH/);
  }
  const both = hrm(['solve', 'sudoku', PUZZLE, '--model', 'sudoku', '--checkpoint', 'x']);
  assert.equal(both.status, 1);
  assert.match(both.stderr, /--model NAME or --checkpoint PATH, not both/);
});
