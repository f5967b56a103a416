/**
 * Defect 1: a builder never deletes what is at --output-dir unless it is an hrm dataset it recognises,
 * and then only with --force. Anything else is refused before any work, and "" is an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hrm, oneLineError, snapshot, tempDir } from './helpers.js';

const GEN = ['data', 'sudoku', '--generate', '20', '--clues', '50-60', '--quiet'];

test('defect 1: --output-dir "" is an error', () => {
  const root = tempDir();
  try {
    writeFileSync(join(root, 'keep.txt'), 'mine');
    const r = hrm([...GEN, '--output-dir', ''], { cwd: root });
    assert.match(oneLineError(r), /--output-dir is empty/);
    assert.equal(readFileSync(join(root, 'keep.txt'), 'utf8'), 'mine');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('defect 1: a folder that is not a dataset (., the source folder, a user folder) is refused, with or without --force', () => {
  const root = tempDir();
  try {
    const user = join(root, 'user');
    mkdirSync(join(user, 'sub'), { recursive: true });
    writeFileSync(join(user, 'notes.txt'), 'precious');
    writeFileSync(join(user, 'sub', 'x.bin'), 'more');
    const before = snapshot(user);
    for (const force of [[], ['--force']]) {
      assert.match(oneLineError(hrm([...GEN, '--output-dir', user, ...force])), /exists and is not an hrm dataset; choose another --output-dir/);
      assert.match(oneLineError(hrm([...GEN, '--output-dir', '.', ...force], { cwd: user })), /is not an hrm dataset/);
    }
    assert.deepEqual(snapshot(user), before);
    // The source folder of a build.
    const q = '#'.repeat(4) + 'S  G' + '#'.repeat(8);
    const a = '#'.repeat(4) + 'Soo' + 'G' + '#'.repeat(8);
    const src = join(root, 'maze-src');
    mkdirSync(src);
    writeFileSync(join(src, 'train.csv'), `question,answer\n${q},${a.slice(0, 5) + 'oG' + a.slice(7)}\n`);
    const srcBefore = snapshot(src);
    assert.match(oneLineError(hrm(['data', 'maze', '--source', src, '--output-dir', src, '--force', '--quiet'])), /is not an hrm dataset/);
    assert.deepEqual(snapshot(src), srcBefore);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('defect 1: a file at --output-dir is refused and kept', () => {
  const root = tempDir();
  try {
    const f = join(root, 'file.csv');
    writeFileSync(f, 'question,answer\n');
    for (const force of [[], ['--force']]) assert.match(oneLineError(hrm([...GEN, '--output-dir', f, ...force])), /exists and is not an hrm dataset/);
    assert.equal(readFileSync(f, 'utf8'), 'question,answer\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('defect 1: an existing dataset is replaced only with --force; one holding a user file never', () => {
  const root = tempDir();
  try {
    const out = join(root, 'ds');
    assert.equal(hrm([...GEN, '--output-dir', out, '--seed', '1']).status, 0);
    const first = snapshot(out);
    assert.match(oneLineError(hrm([...GEN, '--output-dir', out, '--seed', '2'])), /holds an hrm dataset; add --force to replace it/);
    assert.deepEqual(snapshot(out), first);
    const r = hrm([...GEN, '--output-dir', out, '--seed', '2', '--force']);
    assert.equal(r.status, 0, r.stderr);
    assert.notDeepEqual(snapshot(out), first);
    writeFileSync(join(out, 'README.txt'), 'my notes');
    assert.match(oneLineError(hrm([...GEN, '--output-dir', out, '--force'])), /is not an hrm dataset.*README\.txt/);
    assert.equal(readFileSync(join(out, 'README.txt'), 'utf8'), 'my notes');
    // An empty folder (e.g. made by mkdir beforehand) is fine.
    const empty = join(root, 'empty');
    mkdirSync(empty);
    assert.equal(hrm([...GEN, '--output-dir', empty]).status, 0);
    assert.ok(existsSync(join(empty, 'train', 'dataset.json')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
