/**
 * Defect 3: tokens, labels and puzzle identifiers outside what dataset.json declares are rejected when
 * the dataset is opened, naming the file, the index and the value, before any run folder is made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { hrm, oneLineError } from './helpers.js';
import { TINY, tinySudoku } from '../train/tiny-data.js';

test('defect 3: out-of-range inputs, labels and identifiers fail at open with file, index and value', () => {
  const { root, data } = tinySudoku(16, 8);
  try {
    const cases: [string, string, number, number, RegExp][] = [
      ['train', 'inputs', 100, 11, /train\/all__inputs\.npy: token 11 at \[1, 19\] is outside \[0, vocab_size=11\)/],
      ['test', 'labels', 5, 200, /test\/all__labels\.npy: label 200 at \[0, 5\] is outside \[0, vocab_size=11\)/],
      ['train', 'puzzle_identifiers', 3, 7, /train\/all__puzzle_identifiers\.npy: identifier 7 at 3 is outside \[0, num_puzzle_identifiers=1\)/],
    ];
    for (const [split, name, at, value, re] of cases) {
      const p = join(data, split, `all__${name}.npy`);
      const orig = readNpy(p);
      const bad = orig.data.slice() as Uint8Array;
      bad[at] = value;
      writeNpy(p, bad, orig.shape);
      const run = join(root, `run-${name}`);
      for (const args of [['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY]]) {
        assert.match(oneLineError(hrm(args)), re);
      }
      assert.ok(!existsSync(run), `a run folder was made for bad inputs (${name})`);
      writeNpy(p, orig.data, orig.shape);
    }
    // Negative values in a signed token file.
    const p = join(data, 'train', 'all__inputs.npy');
    const orig = readNpy(p);
    const signed = Int32Array.from(orig.data as Uint8Array);
    signed[7] = -3;
    writeNpy(p, signed, orig.shape);
    assert.match(oneLineError(hrm(['train', `data_path=${data}`, `checkpoint_path=${join(root, 'neg')}`, ...TINY])), /token -3 at \[0, 7\] is outside/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
