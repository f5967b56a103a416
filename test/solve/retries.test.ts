/**
 * `hrm solve --retries N`: a wrong answer is tried again on symmetric copies of the puzzle. The copies
 * must be the same puzzle under the rules (a solution maps to a solution of the copy and back to itself),
 * and the retry must be judged by the rules alone: a valid first answer is never changed, an answer
 * found on a copy is checked in the puzzle's own frame, and the given answer plays no part.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUDOKU } from '../../src/solve/sudoku.js';
import { MAZE } from '../../src/solve/maze.js';
import { MazeGenerator } from '../../src/data/maze-generator.js';
import { agreesWithClues, formatSudoku, isValidSolution, parseSudoku, SudokuSolver } from '../../src/data/sudoku-solver.js';
import { Rng } from '../../src/util/random.js';
import { hrm } from '../train/tiny-data.js';

const PUZZLE = '...7.2..5....95.8.19..8..67..4...6....79...2.26...1......5......39.....8....784..';
const SOLUTION = formatSudoku(new SudokuSolver().solve(parseSudoku(PUZZLE)!).solution!);

test('a Sudoku copy is the same puzzle: its solution is the copy of the solution, and maps back', () => {
  const [p] = SUDOKU.parse(`question,answer\n${PUZZLE},${SOLUTION}\n`, 'x.csv', true);
  const [full] = SUDOKU.parse(SOLUTION, 'argument', false);
  const seen = new Set<string>();
  for (let k = 1; k <= 20; k++) {
    const q = SUDOKU.symmetry(p, k)!;
    const s = SUDOKU.symmetry(full, k)!;
    const digits = (t: Int32Array) => Array.from(t, (x) => (x >= 2 ? x - 1 : 0));
    assert.ok(isValidSolution(digits(s.tokens)), `copy ${k} of the solution is a valid grid`);
    assert.ok(agreesWithClues(digits(q.tokens), digits(s.tokens)), `copy ${k} of the solution keeps the copy's clues`);
    assert.equal(q.tokens.filter((t) => t === 1).length, p.tokens.filter((t) => t === 1).length, 'as many blanks');
    assert.deepEqual(Array.from(s.back(s.tokens)), Array.from(full.tokens), `copy ${k} maps back`);
    assert.equal(SUDOKU.judge(SUDOKU.decode(q.back(s.tokens), p), p).valid, true);
    seen.add(Array.from(q.tokens).join(','));
    assert.deepEqual(Array.from(SUDOKU.symmetry(p, k)!.tokens), Array.from(q.tokens), 'copy k depends on k alone');
  }
  assert.equal(seen.size, 20, 'every k is another copy');
});

test('a maze copy is the maze rotated or reflected: its shortest path maps back to one of the maze', () => {
  const m = new MazeGenerator(new Rng(3), 12, 20).generate()!;
  const [p] = MAZE.parse(`question,answer\n${m.question},${m.answer}\n`, 'm.csv', true);
  const answerTokens = Int32Array.from(m.answer, (ch) => '# SGo'.indexOf(ch) + 1);
  for (let k = 1; k <= 7; k++) {
    const c = MAZE.symmetry(p, k)!;
    const [copy] = MAZE.parse(`question,answer\n${MAZE.decode(c.tokens, p)},\n`, 'copy.csv', true);
    const a = MAZE.symmetry({ ...p, tokens: answerTokens }, k)!;
    assert.equal(MAZE.judge(MAZE.decode(a.tokens, copy), copy).shortest, true, `copy ${k}: the path moved with the maze is a shortest path of the copy`);
    const back = MAZE.decode(c.back(a.tokens), p);
    assert.equal(back, m.answer, `copy ${k} maps back`);
  }
  assert.equal(MAZE.symmetry(p, 8), null, 'a square has 8 symmetries, the identity included');
});

test('--retries: valid first answers stay, retried answers are judged by the rules in the puzzle\'s frame', () => {
  const root = mkdtempSync(join(tmpdir(), 'hrm-retries-'));
  try {
    // hard puzzles, so that the bundled model gets some wrong on the first attempt
    const csv = join(root, 'hard.csv');
    const made = hrm(['data', 'sudoku', '--generate', '48', '--clues', '22-24', '--seed', '5', '--save-csv', csv, '--output-dir', join(root, 'd'), '--quiet']);
    assert.equal(made.status, 0, made.stderr);
    const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    // A wrong given answer for every puzzle: the retries must not look at it.
    const wrongCsv = join(root, 'wrong.csv');
    writeFileSync(wrongCsv, 'question,answer\n' + rows.map(([q]) => `${q},${'1'.repeat(81)}`).join('\n') + '\n');
    const run = (file: string, extra: string[]) => {
      const r = hrm(['solve', 'sudoku', '--file', file, '--json', '--halt', ...extra]);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((o) => 'index' in o);
    };
    const plain = run(csv, []);
    const retried = run(csv, ['--retries', '6']);
    const blind = run(wrongCsv, ['--retries', '6']);
    let rescued = 0;
    retried.forEach((r, i) => {
      const [q, a] = rows[i];
      const grid = Array.from(r.answer as string, Number);
      const clues = Array.from(q, (ch) => (ch >= '1' && ch <= '9' ? Number(ch) : 0));
      assert.equal(r.valid, isValidSolution(grid) && agreesWithClues(clues, grid), `puzzle ${i}: valid is the rules' verdict`);
      assert.equal(r.solved, r.answer === a);
      assert.equal(blind[i].answer, r.answer, `puzzle ${i}: the given answer changes nothing`);
      assert.equal(blind[i].attempts, r.attempts);
      if (plain[i].valid) {
        assert.equal(r.attempts, 1);
        assert.equal(r.answer, plain[i].answer, `puzzle ${i}: a valid first answer is kept`);
      } else {
        assert.ok(r.attempts > 1 && r.attempts <= 7, `puzzle ${i}: retried (${r.attempts} attempts)`);
        if (r.valid) rescued++;
        else assert.equal(r.answer, plain[i].answer, `puzzle ${i}: no valid copy: the first answer is shown`);
      }
    });
    assert.ok(plain.some((r) => !r.valid), 'the set has puzzles the model gets wrong at first (else this test checks nothing)');
    assert.ok(rescued > 0, 'a retry found a valid answer for some of them');
    const human = hrm(['solve', 'sudoku', PUZZLE, '--retries', 'x']);
    assert.equal(human.status, 1);
    assert.match(human.stderr, /^hrm: --retries needs an integer >= 0, got 'x'/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
