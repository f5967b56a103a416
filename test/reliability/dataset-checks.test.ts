/**
 * `hrm data show` applies the loader's checks (it printed datasets the trainer refuses: tokens, labels and
 * identifiers out of range, decreasing or overrunning index arrays, `vocab_size: 1e12`), and a dataset
 * whose identifiers.json names fewer identifiers than its data uses is refused when it is opened (an ARC
 * run trained, then died of a RangeError at its first evaluation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { hrm, oneLineError, tempDir } from './helpers.js';
import { TINY, tinySudoku } from '../train/tiny-data.js';

/** Runs `fn` with `file` replaced by `edit(its bytes)`, then puts the original back. */
function withEdited(file: string, edit: (b: Buffer) => Buffer, fn: () => void): void {
  const orig = readFileSync(file);
  writeFileSync(file, edit(orig));
  try {
    fn();
  } finally {
    writeFileSync(file, orig);
  }
}

/** An .npy edit: element `at` of the array set to `value`. */
const npyEdit = (file: string, at: number, value: number) => (): Buffer => {
  const a = readNpy(file);
  const d = a.data.slice() as Uint8Array | Int32Array;
  d[at] = value;
  const tmp = `${file}.tmp.npy`;
  writeNpy(tmp, d, a.shape);
  const b = readFileSync(tmp);
  rmSync(tmp);
  return b;
};

test('hrm data show refuses what the loader refuses, in one line naming the file', () => {
  const { root, data } = tinySudoku(16, 8);
  try {
    assert.equal(hrm(['data', 'show', data]).status, 0);
    const f = (split: string, name: string) => join(data, split, `all__${name}.npy`);
    const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
      [f('train', 'inputs'), npyEdit(f('train', 'inputs'), 100, 11), /train\/all__inputs\.npy: token 11 at \[1, 19\] is outside \[0, vocab_size=11\)/],
      [f('train', 'labels'), npyEdit(f('train', 'labels'), 5, 200), /train\/all__labels\.npy: label 200 at \[0, 5\] is outside/],
      [f('train', 'puzzle_identifiers'), npyEdit(f('train', 'puzzle_identifiers'), 3, 7), /all__puzzle_identifiers\.npy: identifier 7 at 3 is outside \[0, num_puzzle_identifiers=1\)/],
      [f('train', 'puzzle_indices'), npyEdit(f('train', 'puzzle_indices'), 2, 0), /all__puzzle_indices\.npy: not non-decreasing at entry 2/],
      [f('train', 'group_indices'), npyEdit(f('train', 'group_indices'), 3, 1000), /all__group_indices\.npy: (not non-decreasing|last entry)/],
      [join(data, 'train', 'dataset.json'), (b) => Buffer.from(b.toString().replace(/"vocab_size": 11/, '"vocab_size": 1000000000000')), /dataset\.json: field 'vocab_size' is 1000000000000, above its limit/],
    ];
    for (const [file, edit, re] of cases) {
      withEdited(file, edit, () => assert.match(oneLineError(hrm(['data', 'show', data])), re, file));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an ARC dataset whose identifiers.json names fewer identifiers than its data uses is refused at open', () => {
  const root = tempDir();
  try {
    const src = join(root, 'src');
    mkdirSync(join(src, 'training'), { recursive: true });
    mkdirSync(join(src, 'evaluation'), { recursive: true });
    const task = (k: number) => ({ train: [{ input: [[k, 1], [2, 3]], output: [[3, 2], [1, k]] }], test: [{ input: [[k, 4], [5, 6]], output: [[6, 5], [4, k]] }] });
    writeFileSync(join(src, 'training', 'aaaa0001.json'), JSON.stringify(task(7)));
    writeFileSync(join(src, 'evaluation', 'bbbb0002.json'), JSON.stringify(task(8)));
    const data = join(root, 'arc');
    const b = hrm(['data', 'arc', '--dataset-dirs', src, '--output-dir', data, '--num-aug', '1', '--quiet']);
    assert.equal(b.status, 0, b.stderr);
    const ids = join(data, 'identifiers.json');
    withEdited(ids, () => Buffer.from('["<blank>"]'), () => {
      const re = /identifiers\.json: names 1 puzzle identifiers, but .*all__puzzle_identifiers\.npy uses identifier [1-9]\d* \(at \d+\)/;
      // before: trained, then a RangeError at the first evaluation
      const run = join(root, 'run');
      assert.match(oneLineError(hrm(['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, 'global_batch_size=2', 'epochs=2', 'eval_interval=1'])), re);
      assert.match(oneLineError(hrm(['data', 'show', data])), re);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
