/**
 * A maze model with 2D rotary positions (rope_2d) answers mazes of every size it serves, from one set
 * of weights: a text grid, a CSV of Maze-Hard's layout with several sizes, --retries; a size it does
 * not serve is refused in one line before any work. The sides come from `hrm export --sides` (the
 * bundle's metadata) or, for a run folder, 2 up to its dataset's side.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MazeGenerator } from '../../src/data/maze-generator.js';
import { readSafetensors, readSafetensorsMetadata } from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/random.js';
import { hrm } from '../train/tiny-data.js';

const TINY_ROPE_2D = [
  'arch=trm', 'arch.mlp_t=False', 'arch.pos_encodings=rope_2d', 'arch.hidden_size=16', 'arch.num_heads=1', 'arch.expansion=2',
  'arch.L_layers=1', 'arch.H_cycles=1', 'arch.L_cycles=1', 'arch.halt_max_steps=2', 'arch.puzzle_emb_ndim=0', 'arch.forward_dtype=float32',
  'global_batch_size=8', 'epochs=2', 'eval_interval=2', 'lr=1e-3', 'lr_warmup_steps=2', 'lr_min_ratio=0.1', 'ema=True', 'ema_rate=0.9',
];

function maze(n: number, seed: number): { question: string; answer: string } {
  return new MazeGenerator(new Rng(seed), n, Math.max(2, n)).generate()!;
}

const rows = (q: string, n: number): string => Array.from({ length: n }, (_, r) => q.slice(r * n, (r + 1) * n)).join('\n') + '\n';

test('a rope_2d maze model serves every size in its range from one file, and refuses others in one line', () => {
  const root = mkdtempSync(join(tmpdir(), 'hrm-maze-sizes-'));
  try {
    const data = join(root, 'data');
    const d = hrm(['data', 'maze', '--generate', '40', '--size', '6', '--min-path', '6', '--test-fraction', '0.2', '--output-dir', data, '--quiet']);
    assert.equal(d.status, 0, d.stderr);
    const run = join(root, 'run');
    const t = hrm(['train', `data_path=${data}`, `checkpoint_path=${run}`, '--quiet', ...TINY_ROPE_2D]);
    assert.equal(t.status, 0, t.stderr);

    const m5 = maze(5, 1);
    const m8 = maze(8, 2);
    const m10 = maze(10, 3);
    const f5 = join(root, 'm5.txt');
    writeFileSync(f5, rows(m5.question, 5));
    const f10 = join(root, 'm10.txt');
    writeFileSync(f10, rows(m10.question, 10));
    const csv = join(root, 'mixed.csv');
    writeFileSync(csv, `question,answer\n${m5.question},${m5.answer}\n${m8.question},${m8.answer}\n${maze(7, 4).question},\n`);

    // the run folder serves 2x2 up to its dataset's 6x6
    const fromRun = hrm(['solve', 'maze', f5, '--checkpoint', run, '--json']);
    assert.equal(fromRun.status, 0, fromRun.stderr);
    assert.equal(JSON.parse(fromRun.stdout).answer.length, 25);
    const refusedRun = hrm(['solve', 'maze', '--file', csv, '--checkpoint', run, '--json']);
    assert.equal(refusedRun.status, 1);
    assert.match(refusedRun.stderr, /mixed\.csv:3: this model \(.*\) serves 2x2 to 6x6 grids, not 8x8/);
    assert.equal(refusedRun.stdout, '', 'nothing is solved before the refusal');

    const file = join(root, 'maze.safetensors');
    assert.match(hrm(['export', run, file, '--seq-len', '36']).stderr, /give --sides MIN-MAX instead/);
    const e = hrm(['export', run, file, '--sides', '4-8']);
    assert.equal(e.status, 0, e.stderr);
    assert.match(e.stdout, /trm, maze, grid sides 4-8/);
    const meta = readSafetensorsMetadata(file);
    assert.equal(meta['hrm_ts.grid_sides'], '4-8');
    assert.equal(meta['hrm_ts.seq_len'], undefined);
    // --raw: the trained weights instead of the run's EMA
    const rawFile = join(root, 'raw.safetensors');
    assert.equal(hrm(['export', run, rawFile, '--sides', '4-8', '--raw']).status, 0);
    const name = 'model.inner.lm_head.weight';
    const step = readdirSync(run).filter((f) => /^step_\d+\.safetensors$/.test(f)).sort().pop()!;
    const values = (f: string) => Array.from(readSafetensors(f).tensors.get(name)!.data as Float32Array);
    assert.deepEqual(values(rawFile), values(join(run, step)));
    assert.deepEqual(values(file), values(join(run, step.replace('.safetensors', '.ema.safetensors'))));
    assert.notDeepEqual(values(file), values(rawFile));
    rmSync(data, { recursive: true });

    // one file, three sizes in one CSV (batched by size), in input order
    const mixed = hrm(['solve', 'maze', '--file', csv, '--checkpoint', file, '--json']);
    assert.equal(mixed.status, 0, mixed.stderr);
    const lines = mixed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.slice(0, 3).map((o) => o.answer.length), [25, 64, 49]);
    assert.equal(typeof lines[3].summary.shortest_pct, 'number', 'a maze summary says how many are shortest paths');
    for (const o of lines.slice(0, 3)) assert.equal(typeof o.shortest, 'boolean');

    // --retries applies at every size: an answer that is not a shortest path is asked again, up to 7 copies
    const retried = hrm(['solve', 'maze', '--file', csv, '--checkpoint', file, '--json', '--retries', '7']);
    assert.equal(retried.status, 0, retried.stderr);
    for (const o of retried.stdout.trim().split('\n').slice(0, 3).map((l) => JSON.parse(l))) {
      assert.ok(o.attempts >= 1 && o.attempts <= 8);
      if (!(o.valid && o.shortest)) assert.equal(o.attempts, 8, 'a wrong answer is tried on all 7 copies');
    }

    const big = hrm(['solve', 'maze', f10, '--checkpoint', file]);
    assert.equal(big.status, 1);
    assert.equal(big.stderr.trim().split('\n').length, 1, big.stderr);
    assert.match(big.stderr, /m10\.txt: this model \(.*maze\.safetensors\) serves 4x4 to 8x8 grids, not 10x10/);
    const small = hrm(['solve', 'maze', '--checkpoint', file, join(root, 'm3.txt')]);
    assert.equal(small.status, 1); // no such file: the file's own error
    writeFileSync(join(root, 'm3.txt'), '#S \n  #\nG  \n');
    assert.match(hrm(['solve', 'maze', '--checkpoint', file, join(root, 'm3.txt')]).stderr, /serves 4x4 to 8x8 grids, not 3x3/);
    assert.equal(readFileSync(f5, 'utf8'), rows(m5.question, 5), 'the input is untouched');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
