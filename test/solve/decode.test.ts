/**
 * Puzzle input and answer checks for `hrm solve`: Sudoku strings, text files and CSVs, maze grids and
 * the reference's maze CSV, with errors naming file, line, column and the bad character; the Sudoku
 * check (valid grid keeping every clue) and the maze check (maze kept, S connected to G, shortest by
 * BFS), on the reference's own solved puzzles and on broken copies of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAZE, judgeMaze } from '../../src/solve/maze.js';
import { SUDOKU } from '../../src/solve/sudoku.js';
import { drawGrid } from '../../src/solve/puzzle.js';
import { repoRoot } from '../fixtures.js';

const Q = '...7.2..5....95.8.19..8..67..4...6....79...2.26...1......5......39.....8....784..';
const A = '846712935372695184195483267984237651517964823263851749728549316439126578651378492';

test('Sudoku: an argument, a text file and a CSV; tokens digit+1 (blank 1)', () => {
  const [p] = SUDOKU.parse(Q, 'argument', false);
  assert.equal(p.tokens.length, 81);
  assert.equal(p.tokens[0], 1);
  assert.equal(p.tokens[3], 8);
  assert.equal(p.question, Q);
  const zeros = SUDOKU.parse(Q.replace(/\./g, '0'), 'argument', false)[0];
  assert.deepEqual(zeros.tokens, p.tokens);
  const file = SUDOKU.parse(`# my puzzles\n${Q}\n\n  ${Q}\r\n`, 'p.txt', true);
  assert.deepEqual(file.map((x) => x.source), ['p.txt:2', 'p.txt:4']);
  const csv = SUDOKU.parse(`source,question,answer,rating\nx,${Q},${A},3\ny,${Q},,0\n`, 'p.csv', true);
  assert.equal(csv[0].label, A);
  assert.equal(csv[1].label, null);
  assert.equal(csv[1].source, 'p.csv:3');
});

test('Sudoku: bad input names file, line, column and character', () => {
  const bad = Q.slice(0, 39) + 'x' + Q.slice(40);
  assert.throws(() => SUDOKU.parse(`${Q}\n${bad}\n`, 'p.txt', true), /^UserError: p\.txt:2:40: bad character 'x' in a Sudoku question \(expected 1-9, '\.' or '0'\)$/);
  assert.throws(() => SUDOKU.parse(`  ${bad}`, 'p.txt', true), /p\.txt:1:42: bad character 'x'/);
  assert.throws(() => SUDOKU.parse(Q.slice(1), 'argument', false), /argument: a Sudoku has 81 cells, got 80 characters/);
  assert.throws(() => SUDOKU.parse(`question,answer\n${Q},${A.slice(0, 10)}x${A.slice(11)}\n`, 'p.csv', true), /p\.csv:2:93: bad character 'x' in a Sudoku answer \(expected 1-9\)/);
  assert.throws(() => SUDOKU.parse(`question,answer\n${Q}\n`, 'p.csv', true), /p\.csv:2: expected 2 CSV fields/);
  assert.throws(() => SUDOKU.parse('\n# nothing\n', 'p.txt', true), /p\.txt: no Sudoku puzzles/);
  assert.throws(() => SUDOKU.parse(Q.slice(0, 40) + '\t' + Q.slice(41), 'argument', false), /argument: column 41: bad character '\\t' \(tab\)/);
});

test('Sudoku check: valid and keeps every clue', () => {
  const [p] = SUDOKU.parse(Q, 'argument', false);
  assert.deepEqual(SUDOKU.judge(A, p), { answer: A, valid: true });
  // decode: tokens digit+1 back to digits; blank/pad tokens left blank
  const tokens = Array.from(A, (c) => Number(c) + 1);
  assert.equal(SUDOKU.decode(tokens, p), A);
  tokens[5] = 1;
  tokens[6] = 0;
  const holes = SUDOKU.decode(tokens, p);
  assert.equal(holes.slice(5, 7), '..');
  assert.match(SUDOKU.judge(holes, p).problem!, /2 cells left blank/);
  // swap two digits in a row: still complete, no longer valid
  const sw = A[1] + A[0] + A.slice(2);
  assert.equal(SUDOKU.judge(sw, p).valid, false);
  // a valid grid that changes a clue: relabel digits 1<->2 everywhere
  const relabel = A.replace(/[12]/g, (d) => (d === '1' ? '2' : '1'));
  const v = SUDOKU.judge(relabel, p);
  assert.equal(v.valid, false);
  assert.match(v.problem!, /changes a clue/);
});

test('maze: a text grid and the reference CSV; tokens index in "# SGo" + 1', () => {
  const grid = ['#####', '#S  #', '# # #', '#  G#', '#####'].join('\n');
  const [m] = MAZE.parse(grid + '\n', 'm.txt', true);
  assert.equal(m.width, 5);
  assert.equal(m.question.length, 25);
  assert.equal(m.tokens[0], 1);
  assert.equal(m.tokens[6], 3);
  assert.equal(m.tokens[7], 2);
  assert.equal(m.tokens[18], 4);
  assert.throws(() => MAZE.parse(grid.replace('S  #', 'S x#'), 'm.txt', true), /^UserError: m\.txt:2:4: bad character 'x' in a maze/);
  assert.throws(() => MAZE.parse(grid.replace('# # #', '# #'), 'm.txt', true), /m\.txt:3: a maze row of 3 characters; the grid has 5 rows/);
  assert.throws(() => MAZE.parse(grid.replace('G', ' '), 'm.txt', true), /m\.txt: the maze has no 'G'/);
  assert.throws(() => MAZE.parse(grid.replace('#  G', '#S G'), 'm.txt', true), /m\.txt:4:2: a second 'S'/);
  const csv = MAZE.parse(`source,question,answer,rating\nx,${m.question},${m.question},0\n`, 'm.csv', true);
  assert.equal(csv[0].width, 5);
  assert.throws(() => MAZE.parse(`question,answer\n${m.question.slice(1)},\n`, 'm.csv', true), /m\.csv:2: a maze question of 24 characters is not a square grid/);
});

test('maze check: kept maze, connected S->G, shortest by BFS', () => {
  const q = ['#####', '#S  #', '# # #', '#  G#', '#####'].join('');
  const best = ['#####', '#S  #', '#o# #', '#ooG#', '#####'].join('');
  assert.deepEqual(judgeMaze(best, q, 5), { answer: best, valid: true, shortest: true });
  const other = ['#####', '#Soo#', '# #o#', '#  G#', '#####'].join('');
  assert.equal(judgeMaze(other, q, 5).shortest, true);
  const gap = ['#####', '#S  #', '#o# #', '# oG#', '#####'].join('');
  assert.deepEqual(judgeMaze(gap, q, 5), { answer: gap, valid: false, shortest: false, problem: 'the path does not connect S to G' });
  const long = ['#####', '#Soo#', '#o#o#', '#ooG#', '#####'].join('');
  const lv = judgeMaze(long, q, 5);
  assert.equal(lv.valid, true);
  assert.equal(lv.shortest, false);
  assert.match(lv.problem!, /not a shortest one \(6 path cells, a shortest path has 3\)/);
  const wall = ['#####', '#S  #', '#ooo#', '#  G#', '#####'].join('');
  assert.match(judgeMaze(wall, q, 5).problem!, /row 3, column 3: the answer has 'o' where the maze has '#'/);
});

test('maze check on the reference\'s own solved Maze-Hard rows', () => {
  const path = join(repoRoot(), '..', 'shared', 'data', 'maze', 'maze-30x30-hard-1k', 'train.csv');
  if (!existsSync(path)) return;
  const text = readFileSync(path, 'utf8').split('\n').slice(0, 21).join('\n');
  const mazes = MAZE.parse(text, path, true);
  assert.equal(mazes.length, 20);
  for (const m of mazes) {
    assert.equal(m.width, 30);
    const v = MAZE.judge(m.label!, m);
    assert.equal(v.valid && v.shortest, true, `${m.source}: ${v.problem}`);
    const tokens = Array.from(m.label!, (c) => '# SGo'.indexOf(c) + 1);
    assert.equal(MAZE.decode(tokens, m), m.label);
    // remove one path cell: no longer connected
    const k = m.label!.indexOf('o');
    const broken = m.label!.slice(0, k) + ' ' + m.label!.slice(k + 1);
    assert.equal(MAZE.judge(broken, m).valid, false);
  }
});

test('trace drawing marks the cells that changed', () => {
  assert.equal(drawGrid('abcd', 2, null, false), 'a b\nc d');
  assert.equal(drawGrid('abxd', 2, 'abcd', false), 'a b\nx*d');
  assert.equal(drawGrid('ab', 2, 'ax', true), 'a \x1b[7mb\x1b[0m');
});
