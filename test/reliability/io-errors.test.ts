/**
 * Defect 4: ordinary I/O errors (EROFS, ENOSPC, EEXIST/ENOTDIR, EBUSY, EACCES) in builders, training
 * and --save-csv are one line naming the path and the cause, never "internal error" with a stack;
 * also a missing native addon under HRM_BACKEND=native and an impossible --generate count.
 * (The tests run as root where they can mount; root ignores file modes, so read-only and full file
 * systems stand in for "permission denied".)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hrm, mountTmpfs, oneLineError, snapshot, tempDir, ENV } from './helpers.js';
import { TINY, tinySudoku } from '../train/tiny-data.js';

const GEN = ['data', 'sudoku', '--generate', '20', '--clues', '50-60', '--quiet'];

test('defect 4: builders, --save-csv and training on a read-only file system: one line naming path and cause', (t) => {
  const m = mountTmpfs('1m', t);
  if (!m) return;
  const { root, data } = tinySudoku(16, 8);
  try {
    mkdirSync(join(m.dir, 'sub'));
    m.remountReadOnly();
    assert.match(oneLineError(hrm([...GEN, '--output-dir', join(m.dir, 'ds')])), new RegExp(`${m.dir}.*read-only file system \\(EROFS\\)`));
    assert.match(oneLineError(hrm([...GEN, '--output-dir', join(root, 'ok'), '--save-csv', join(m.dir, 'p.csv')])), /p\.csv.*read-only file system \(EROFS\)/);
    assert.match(oneLineError(hrm(['train', `data_path=${data}`, `checkpoint_path=${join(m.dir, 'sub', 'run')}`, ...TINY])), /sub\/run.*read-only file system \(EROFS\)/);
    assert.deepEqual(readdirSync(m.dir), ['sub']);
  } finally {
    m.unmount();
    rmSync(root, { recursive: true, force: true });
  }
});

test('defect 4: a path through a file, a mount point as --output-dir, a missing addon, --generate too large', (t) => {
  const root = tempDir();
  try {
    writeFileSync(join(root, 'file'), 'x');
    assert.match(oneLineError(hrm([...GEN, '--output-dir', join(root, 'file', 'ds')])), /file.*(not a folder|already exists)/);
    mkdirSync(join(root, 'csvdir'));
    assert.match(oneLineError(hrm([...GEN, '--output-dir', join(root, 'ok'), '--save-csv', join(root, 'csvdir')])), /csvdir: already exists; --save-csv writes a new file only/);
    assert.ok(!existsSync(join(root, 'ok')), 'refused before any work');
    assert.deepEqual(readdirSync(root).filter((n) => n.includes('.tmp-')), [], 'a temporary file was left behind');
    assert.match(oneLineError(hrm([...GEN, '--generate', '99999999999', '--output-dir', join(root, 'big')])), /--generate must be <= /);
    assert.match(oneLineError(hrm(['data', 'maze', '--generate', '99999999999', '--output-dir', join(root, 'big')])), /--generate must be <= /);
    const r = hrm(['train', 'data_path=/nonexistent'], { env: { ...ENV, HRM_BACKEND: 'native', HRM_NATIVE_ADDON: join(root, 'missing.node') } });
    assert.match(oneLineError(r), /HRM_BACKEND=native: the native backend did not load: .*missing\.node is missing/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const m = mountTmpfs('1m', t);
  if (!m) return;
  try {
    // An empty mount point passes the output check, but cannot be renamed: EBUSY.
    assert.match(oneLineError(hrm([...GEN, '--output-dir', m.dir])), new RegExp(`${m.dir}.*busy.*\\(EBUSY\\)`));
    assert.deepEqual(readdirSync(m.dir), []);
  } finally {
    m.unmount();
  }
});

test('defect 4: a full disk during a build keeps the old dataset and leaves nothing half-written', (t) => {
  const m = mountTmpfs('256k', t);
  if (!m) return;
  try {
    const out = join(m.dir, 'ds');
    assert.equal(hrm([...GEN, '--output-dir', out]).status, 0);
    const before = snapshot(out);
    const r = hrm(['data', 'sudoku', '--generate', '3000', '--clues', '50-60', '--quiet', '--force', '--output-dir', out]);
    assert.match(oneLineError(r), /disk full \(ENOSPC\).*untouched/);
    assert.deepEqual(snapshot(out), before);
    assert.deepEqual(readdirSync(m.dir), ['ds'], 'a temporary folder was left behind');
    assert.ok(!existsSync(join(m.dir, '.ds.building')));
  } finally {
    m.unmount();
  }
});
