import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MazeGenerator, checkMazeSolution, markShortestPath } from '../../src/data/maze-generator.js';
import { Rng } from '../../src/util/random.js';
import { sharedData, SLOW } from './helpers.js';

test('Maze-Hard answers pass the shortest-path check; a broken path fails it', (t) => {
  const csv = sharedData('maze/maze-30x30-hard-1k/train.csv');
  if (!csv) return t.skip('shared data not found');
  const rows = readFileSync(csv, 'utf8').split('\n').slice(1, 101).filter((l) => l.length > 0);
  for (const row of rows) {
    const [q, a] = row.split(',');
    const r = checkMazeSolution(q, a, 30);
    assert.equal(typeof r, 'number', String(r));
    assert.ok((r as number) > 100);
  }
  const [q, a] = rows[0].split(',');
  const k = a.indexOf('o');
  const broken = a.slice(0, k) + ' ' + a.slice(k + 1);
  assert.equal(typeof checkMazeSolution(q, broken, 30), 'string');
});

/** The answer markShortestPath gives a question grid. */
function canonicalAnswer(q: string, n: number): string {
  const grid = Buffer.from(q, 'latin1');
  const out = Uint8Array.from(grid);
  markShortestPath(grid, n, q.indexOf('S'), q.indexOf('G'), out, new Int32Array(n * n), new Int32Array(n * n));
  return Buffer.from(out).toString('latin1');
}

test("markShortestPath picks Maze-Hard's path among the many shortest ones: all 1,000 answers reproduce", (t) => {
  const csv = sharedData('maze/maze-30x30-hard-1k/train.csv');
  if (!csv) return t.skip('shared data not found');
  const rows = readFileSync(csv, 'utf8').split('\n').slice(1).filter((l) => l.length > 0);
  assert.equal(rows.length, 1000);
  for (const row of rows) {
    const [q, a] = row.split(',');
    assert.equal(canonicalAnswer(q, 30), a);
  }
});

test('generated answers follow the same rule', () => {
  const gen = new MazeGenerator(new Rng(4), 15, 30);
  for (let i = 0; i < 50; i++) {
    const m = gen.generate()!;
    assert.equal(canonicalAnswer(m.question, 15), m.answer);
  }
});

function generatedMazesOk(count: number, size: number, minPath: number, seed: number): number {
  const gen = new MazeGenerator(new Rng(seed), size, minPath);
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    const m = gen.generate()!;
    assert.equal(m.question.length, size * size);
    assert.equal(m.question.split('S').length - 1, 1);
    assert.equal(m.question.split('G').length - 1, 1);
    assert.ok(/^[# SG]+$/.test(m.question));
    assert.ok(m.pathLength >= minPath, `path ${m.pathLength} < ${minPath}`);
    // Verified independently by BFS: the marked path is a shortest path of the stated length.
    assert.equal(checkMazeSolution(m.question, m.answer, size), m.pathLength);
  }
  return (Date.now() - t0) / 1000;
}

test('generated mazes: one S and G, shortest path >= min-path, marked path verified by BFS', () => {
  generatedMazesOk(40, 30, 100, 1);
  generatedMazesOk(20, 12, 20, 2);
});

test('1,000 30x30 mazes with shortest path >= 100', { skip: !SLOW && 'set HRM_SLOW_TESTS=1' }, () => {
  const s = generatedMazesOk(1000, 30, 100, 3);
  console.log(`# 1000 mazes in ${s.toFixed(1)} s`);
});
