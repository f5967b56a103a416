/**
 * Defect 10: leftovers and lax checks: temporary build folders of dead builds are removed by the next
 * build of the same output (issue 25: only those, and only with hrm's marker); a Maze answer without
 * a path is refused; the same ARC folder given twice is refused; data_path=<a file> says so; `hrm data
 * show` reads Fortran-order and int64 arrays (as training does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { npyHeaderBytes, readNpy, writeNpy } from '../../src/io/npy.js';
import { STAGING_MARKER } from '../../src/util/staging.js';
import { hrm, oneLineError, tempDir } from './helpers.js';
import { TINY } from '../train/tiny-data.js';

const GEN = ['data', 'sudoku', '--generate', '20', '--clues', '50-60', '--quiet'];

test('defect 10: a dead build\'s temporary folder is removed by the next build of its output; a live one is kept', () => {
  const root = tempDir();
  try {
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const staging = (out: string, name: string) => {
      mkdirSync(join(root, name, 'train'), { recursive: true });
      writeFileSync(join(root, name, 'train', 'all__inputs.npy'), 'half');
      writeFileSync(join(root, name, STAGING_MARKER), JSON.stringify({ output: join(root, out), staging: name }));
    };
    const leftover = `.ds.building-${dead}-1700000000000`;
    const other = `.other.building-${dead}-1700000000001`; // another output's: kept until that output is built
    const live = `.ds.building-${process.pid}-1700000000002`;
    staging('ds', leftover);
    staging('other', other);
    staging('ds', live);
    assert.equal(hrm([...GEN, '--output-dir', join(root, 'ds')]).status, 0);
    assert.ok(!existsSync(join(root, leftover)), `${leftover} left behind`);
    assert.ok(existsSync(join(root, other)), 'the folder of another output was removed');
    assert.ok(existsSync(join(root, live)), 'the folder of a live build was removed');
    assert.equal(hrm([...GEN, '--output-dir', join(root, 'other')]).status, 0);
    assert.ok(!existsSync(join(root, other)), `${other} left behind`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('defect 10: a Maze answer with no path from S to G is refused', () => {
  const root = tempDir();
  try {
    const q = 'S   ' + '    ' + '    ' + '   G';
    writeFileSync(join(root, 'nopath.csv'), `question,answer\n${q},${q}\n`);
    const stray = 'Soo ' + '    ' + '  o ' + '   G';
    writeFileSync(join(root, 'stray.csv'), `question,answer\n${q},${stray}\n`);
    const good = 'Sooo' + '   o' + '   o' + '   G';
    writeFileSync(join(root, 'good.csv'), `question,answer\n${q},${good}\n`);
    assert.match(oneLineError(hrm(['data', 'maze', '--source', join(root, 'nopath.csv'), '--output-dir', join(root, 'o1'), '--quiet'])), /nopath\.csv:2: answer has no path of 'o' cells from S to G/);
    assert.match(oneLineError(hrm(['data', 'maze', '--source', join(root, 'stray.csv'), '--output-dir', join(root, 'o2'), '--quiet'])), /stray\.csv:2: answer has no path of 'o' cells from S to G/);
    assert.equal(hrm(['data', 'maze', '--source', join(root, 'good.csv'), '--output-dir', join(root, 'o3'), '--quiet']).status, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('defect 10: the same ARC folder given twice is refused', () => {
  const root = tempDir();
  try {
    const d = join(root, 'arc');
    mkdirSync(join(d, 'training'), { recursive: true });
    writeFileSync(join(d, 'training', 't1.json'), JSON.stringify({ train: [{ input: [[1]], output: [[2]] }], test: [{ input: [[3]], output: [[4]] }] }));
    assert.match(oneLineError(hrm(['data', 'arc', '--dataset-dirs', d, join(root, '.', 'arc') + '/', '--output-dir', join(root, 'o'), '--num-aug', '0', '--quiet'])), /arc.* is given twice in --dataset-dirs/);
    assert.equal(hrm(['data', 'arc', '--dataset-dirs', d, '--output-dir', join(root, 'o'), '--num-aug', '0', '--quiet']).status, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('defect 10: data_path=<a file> says it is a file', () => {
  const root = tempDir();
  try {
    writeFileSync(join(root, 'train.csv'), 'question,answer\n');
    assert.match(oneLineError(hrm(['train', `data_path=${join(root, 'train.csv')}`, ...TINY])), /train\.csv is a file, not a dataset folder/);
    assert.match(oneLineError(hrm(['data', 'show', join(root, 'train.csv')])), /train\.csv is a file, not a dataset folder/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** Rewrites a 2-D .npy in Fortran order (column-major data, fortran_order: True). */
function toFortran(path: string): void {
  const a = readNpy(path);
  const [R, C] = a.shape;
  const src = a.data as Uint8Array;
  const f = new Uint8Array(src.length);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) f[c * R + r] = src[r * C + c];
  const h = Buffer.from(npyHeaderBytes('u1', a.shape));
  const text = h.toString('latin1').replace("'fortran_order': False", "'fortran_order': True ");
  writeFileSync(path, Buffer.concat([Buffer.from(text, 'latin1'), f]));
}

test('defect 10: hrm data show reads Fortran-order and int64 arrays like training does', () => {
  const root = tempDir();
  try {
    const ds = join(root, 'ds');
    assert.equal(hrm([...GEN, '--output-dir', ds, '--test-fraction', '0.5']).status, 0);
    const want = hrm(['data', 'show', ds, '--index', '3', '--no-color']);
    assert.equal(want.status, 0, want.stderr);
    toFortran(join(ds, 'train', 'all__inputs.npy'));
    const lab = readNpy(join(ds, 'train', 'all__labels.npy'));
    writeNpy(join(ds, 'train', 'all__labels.npy'), BigInt64Array.from(lab.data as Uint8Array, (x) => BigInt(x)), lab.shape);
    for (const n of ['puzzle_indices', 'puzzle_identifiers']) {
      const a = readNpy(join(ds, 'train', `all__${n}.npy`));
      writeNpy(join(ds, 'train', `all__${n}.npy`), BigInt64Array.from(a.data as Int32Array, (x) => BigInt(x)), a.shape);
    }
    const got = hrm(['data', 'show', ds, '--index', '3', '--no-color']);
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout, want.stdout);
    // Training opens the same files.
    const t = hrm(['train', `data_path=${ds}`, `checkpoint_path=${join(root, 'run')}`, ...TINY, 'epochs=2', 'eval_interval=2', '--quiet']);
    assert.equal(t.status, 0, t.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
