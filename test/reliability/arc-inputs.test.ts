/**
 * #25, silent wrong results on ARC inputs: `hrm arc vote` on a Sudoku run (it wrote an empty
 * submission into it), `hrm solve arc` with a malformed "train" section (it ignored it), `hrm data arc`
 * with "train": [] or "test": [] (it built them); and `hrm arc vote` of a run whose all_config.yaml
 * holds a relative data_path, run from another folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { hrm, oneLineError, tempDir } from './helpers.js';
import { TINY } from '../train/tiny-data.js';

const SAVE = 'eval_save_outputs=[inputs,labels,puzzle_identifiers,preds,q_halt_logits]';

/** Two small ARC tasks: one for training, one evaluated. */
function arcSources(root: string): string {
  const src = join(root, 'src');
  mkdirSync(join(src, 'training'), { recursive: true });
  mkdirSync(join(src, 'evaluation'), { recursive: true });
  const task = (k: number) => ({ train: [{ input: [[k, 1], [2, 3]], output: [[3, 2], [1, k]] }], test: [{ input: [[k, 4], [5, 6]], output: [[6, 5], [4, k]] }] });
  writeFileSync(join(src, 'training', 'aaaa0001.json'), JSON.stringify(task(7)));
  writeFileSync(join(src, 'evaluation', 'bbbb0002.json'), JSON.stringify(task(8)));
  return src;
}

/** An evaluation's saved outputs over the test split with the labels as predictions. */
function oraclePreds(data: string, file: string): void {
  const inputs = readNpy(join(data, 'test', 'all__inputs.npy'));
  const labels = readNpy(join(data, 'test', 'all__labels.npy'));
  const pids = readNpy(join(data, 'test', 'all__puzzle_identifiers.npy')).data as Int32Array;
  const pix = readNpy(join(data, 'test', 'all__puzzle_indices.npy')).data as Int32Array;
  const rows = inputs.shape[0];
  const rowIds = new Int32Array(rows);
  for (let p = 0; p < pids.length; p++) for (let r = pix[p]; r < pix[p + 1]; r++) rowIds[r] = pids[p];
  const i32 = (d: ArrayLike<number>) => Int32Array.from(d as ArrayLike<number>);
  writeSafetensors(file, {
    inputs: { shape: inputs.shape, data: i32(inputs.data as Uint8Array) },
    labels: { shape: labels.shape, data: i32(labels.data as Uint8Array) },
    preds: { shape: labels.shape, data: i32(labels.data as Uint8Array) },
    puzzle_identifiers: { shape: [rows], data: rowIds },
    q_halt_logits: { shape: [rows], data: new Float32Array(rows).fill(1) },
  }, { format: 'pt' });
}

test('#25: hrm arc vote refuses a Sudoku run or outputs and writes nothing; an ARC run with a relative data_path votes from anywhere', () => {
  const root = tempDir();
  try {
    const ok = (args: string[], cwd = root) => {
      const r = hrm(args, { cwd });
      assert.equal(r.status, 0, `hrm ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
      return r;
    };
    ok(['data', 'sudoku', '--generate', '24', '--clues', '50-60', '--test-fraction', '0.34', '--output-dir', 'sudoku', '--quiet']);
    ok(['train', 'data_path=sudoku', 'checkpoint_path=runs/sudoku', SAVE, ...TINY, 'epochs=2', 'eval_interval=2']);
    const run = join(root, 'runs', 'sudoku');
    const before = readdirSync(run).sort();
    assert.match(oneLineError(hrm(['arc', 'vote', run], { cwd: root })), /sudoku: not an ARC dataset \(vocab_size 11, seq_len 81; hrm data arc builds 12 and 900\)/);
    ok(['data', 'arc', '--dataset-dirs', arcSources(root), '--output-dir', 'data/arc', '--num-aug', '1', '--quiet']);
    const preds = readdirSync(run).find((n) => n.endsWith('_all_preds.safetensors'))!;
    assert.match(oneLineError(hrm(['arc', 'vote', join(run, preds), '--data-path', join(root, 'data', 'arc')], { cwd: root })), /not the outputs of an ARC evaluation \(inputs of shape \[\d+, 81\], ARC's rows have 900 tokens\)/);
    assert.deepEqual(readdirSync(run).sort(), before, 'a refused vote wrote into the run');

    // An ARC run folder as `hrm train` leaves it, data_path relative to where it ran; voted from elsewhere.
    const arcRun = join(root, 'checkpoints', 'p', 'arc');
    mkdirSync(arcRun, { recursive: true });
    const yaml = readFileSync(join(run, 'all_config.yaml'), 'utf8');
    assert.match(yaml, /^data_path: sudoku$/m);
    writeFileSync(join(arcRun, 'all_config.yaml'), yaml.replace(/^data_path: sudoku$/m, 'data_path: data/arc'));
    oraclePreds(join(root, 'data', 'arc'), join(arcRun, 'step_9_all_preds.safetensors'));
    const elsewhere = tempDir();
    try {
      const v = ok(['arc', 'vote', arcRun], elsewhere);
      assert.match(v.stdout, /: 2 rows, 1 tasks\n.*\n  fraction of test inputs \(ARC Prize\) +100\.0%/);
      assert.ok(existsSync(join(arcRun, 'submission.json')));
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('#25: hrm solve arc refuses a malformed "train" section; hrm data arc refuses an empty train or test list', () => {
  const root = tempDir();
  try {
    const good = { input: [[1, 2], [3, 4]], output: [[4, 3], [2, 1]] };
    const test0 = [{ input: [[1]] }];
    const big = Array.from({ length: 1000 }, () => new Array(1000).fill(1));
    const variants: [string, unknown, RegExp][] = [
      ['ragged rows', [{ input: [[1, 2], [3]], output: good.output }], /train\[0\]\.input: row 1 has 1 cells, expected 2/],
      ['colour 10', [{ input: [[1, 10]], output: good.output }], /train\[0\]\.input: row 0, column 1: colour 10 is not an integer 0-9/],
      ['colour -1', [good, { input: good.input, output: [[-1]] }], /train\[1\]\.output: row 0, column 0: colour -1/],
      ['a float', [{ input: [[1.5]], output: good.output }], /colour 1\.5 is not an integer 0-9/],
      ['a string', [{ input: [['1']], output: good.output }], /colour the string "1" is not an integer 0-9/],
      ['null', [{ input: [[null]], output: good.output }], /colour null is not an integer 0-9/],
      ['true', [{ input: good.input, output: [[true]] }], /colour true is not an integer 0-9/],
      ['1000x1000', [{ input: big, output: good.output }], /train\[0\]\.input: grid is 1000x1000, larger than 30x30/],
      ['31 rows', [{ input: Array.from({ length: 31 }, () => [1]), output: good.output }], /grid is 31x1, larger than 30x30/],
      ['no output', [{ input: good.input }], /train\[0\]: needs both "input" and "output" grids/],
      ['no input', [{ output: good.output }], /train\[0\]: needs both "input" and "output" grids/],
      ['a pair that is a number', [5], /train\[0\]: expected an object with "input" and "output"/],
      ['a pair that is null', [null], /train\[0\]: expected an object with "input" and "output"/],
      ['train an object', { input: good.input }, /train: expected a list of \{"input", "output"\} pairs, got an object/],
      ['train a string', 'x', /train: expected a list of \{"input", "output"\} pairs, got the string "x"/],
      ['an empty grid', [{ input: [], output: good.output }], /train\[0\]\.input: expected a non-empty list of rows, got a list of 0/],
      ['a row that is not a list', [{ input: [1, 2], output: good.output }], /train\[0\]\.input: row 0 is not a non-empty list/],
    ];
    for (const [what, train, re] of variants) {
      const file = join(root, 'task.json');
      writeFileSync(file, JSON.stringify({ train, test: test0 }));
      const line = oneLineError(hrm(['solve', 'arc', file, '--checkpoint', join(root, 'none'), '--data', join(root, 'none')]));
      assert.match(line, re, what);
      assert.ok(line.startsWith(`hrm: ${file}: train`), `${what}: ${line}`);
    }
    const src = join(root, 'src', 'evaluation');
    mkdirSync(src, { recursive: true });
    for (const [what, task, re] of [
      ['"train": []', { train: [], test: [good] }, /task\.json: train: an empty list/],
      ['"test": []', { train: [good], test: [] }, /task\.json: test: an empty list/],
    ] as const) {
      writeFileSync(join(src, 'task.json'), JSON.stringify(task));
      assert.match(oneLineError(hrm(['data', 'arc', '--dataset-dirs', join(root, 'src'), '--output-dir', join(root, 'out'), '--num-aug', '1', '--quiet'])), re, what);
      assert.ok(!existsSync(join(root, 'out')));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
