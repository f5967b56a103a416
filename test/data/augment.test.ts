import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIHEDRAL_INVERSE, applySudokuShuffle, dihedral, dihedralShape, invertPermutation, randomColourPermutation, randomSudokuShuffle } from '../../src/data/augment.js';
import { agreesWithClues, isValidSolution, SudokuSolver } from '../../src/data/sudoku-solver.js';
import { SudokuGenerator } from '../../src/data/sudoku-generator.js';
import { Rng } from '../../src/util/random.js';

// The 2x3 grid [[1,2,3],[4,5,6]] under each transform, as NumPy computes it
// (np.rot90 k=1,2,3; np.fliplr; np.flipud; .T; np.fliplr(np.rot90(x))).
const G = Uint8Array.of(1, 2, 3, 4, 5, 6);
const EXPECTED: [number, number, number[]][] = [
  [2, 3, [1, 2, 3, 4, 5, 6]],
  [3, 2, [3, 6, 2, 5, 1, 4]],
  [2, 3, [6, 5, 4, 3, 2, 1]],
  [3, 2, [4, 1, 5, 2, 6, 3]],
  [2, 3, [3, 2, 1, 6, 5, 4]],
  [2, 3, [4, 5, 6, 1, 2, 3]],
  [3, 2, [1, 4, 2, 5, 3, 6]],
  [3, 2, [6, 3, 5, 2, 4, 1]],
];

test('dihedral transforms match NumPy rot90/flip/transpose semantics', () => {
  for (let t = 0; t < 8; t++) {
    const [h, w, want] = EXPECTED[t];
    assert.deepEqual(dihedralShape(t, 2, 3), [h, w], `shape of t${t}`);
    assert.deepEqual(Array.from(dihedral(G, 2, 3, t)), want, `t${t}`);
  }
});

test('dihedral transforms and their inverses round-trip on random rectangular grids', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 50; trial++) {
    const h = rng.intRange(1, 30);
    const w = rng.intRange(1, 30);
    const g = new Uint8Array(h * w).map(() => rng.int(10));
    for (let t = 0; t < 8; t++) {
      const [h2, w2] = dihedralShape(t, h, w);
      const back = dihedral(dihedral(g, h, w, t), h2, w2, DIHEDRAL_INVERSE[t]);
      assert.deepEqual(back, g);
    }
  }
});

test('every shuffled Sudoku is valid, consistent with its own solution, and uniquely solvable', () => {
  const rng = new Rng(5);
  const gen = new SudokuGenerator(rng);
  const solver = new SudokuSolver();
  for (let i = 0; i < 20; i++) {
    const { puzzle, solution } = gen.generate(22, 30)!;
    for (let a = 0; a < 20; a++) {
      const s = randomSudokuShuffle(rng);
      const p2 = new Uint8Array(81);
      const s2 = new Uint8Array(81);
      applySudokuShuffle(s, puzzle, p2);
      applySudokuShuffle(s, solution, s2);
      assert.ok(isValidSolution(s2), 'shuffled solution breaks the rules');
      assert.ok(agreesWithClues(p2, s2), 'shuffled clues disagree with the shuffled solution');
      assert.equal(p2.filter((x) => x === 0).length, puzzle.filter((x) => x === 0).length, 'blanks preserved');
      const r = solver.solve(p2, 2);
      assert.equal(r.count, 1);
      assert.deepEqual(r.solution, s2);
    }
  }
});

test('Sudoku shuffles use transposes and all band/stack permutations', () => {
  const rng = new Rng(9);
  let transposed = 0;
  for (let i = 0; i < 200; i++) {
    const s = randomSudokuShuffle(rng);
    // Cell 1 (row 0, col 1) comes from the same row as cell 0 unless the board was transposed.
    if (Math.floor(s.cells[0] / 9) !== Math.floor(s.cells[1] / 9)) transposed++;
    assert.equal(s.digits[0], 0);
    assert.deepEqual([...s.digits.slice(1)].sort(), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  assert.ok(transposed > 60 && transposed < 140, `transposed ${transposed}/200`);
});

test('ARC colour permutations keep 0 fixed and invert', () => {
  const rng = new Rng(1);
  for (let i = 0; i < 100; i++) {
    const m = randomColourPermutation(rng);
    assert.equal(m[0], 0);
    assert.deepEqual([...m].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const inv = invertPermutation(m);
    for (let c = 0; c < 10; c++) assert.equal(inv[m[c]], c);
  }
});
