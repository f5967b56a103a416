/**
 * The Sudoku search (src/solve/sudoku-search.ts) against models whose answers we control: one that
 * knows the solution but is confidently wrong in places (its own answer breaks a rule, and some cells
 * it is sure of are wrong), and one that answers at random. The search must solve the first, never call
 * an invalid grid solved, stop at its budget in calls and in milliseconds, and put the boards of many
 * puzzles in one model call. The end-to-end test runs the bundled model through `hrm solve --search`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { searchSudoku, viewsFromLogits, type AskModel, type ModelView } from '../../src/solve/sudoku-search.js';
import { Board, solvesPuzzle } from '../../src/solve/sudoku-rules.js';
import { parseBudget } from '../../src/solve/search-solve.js';
import { SudokuSolver } from '../../src/data/sudoku-solver.js';
import { SudokuGenerator } from '../../src/data/sudoku-generator.js';
import { Rng } from '../../src/util/random.js';
import { UserError } from '../../src/util/errors.js';
import { hrm } from '../train/tiny-data.js';

// Sudoku-Extreme (public 1k set, row 8): the bundled model's own answer to it breaks a rule
const EXTREME = '.2...7.3.3..2....9..6.1.2.......9.1.69.1..7....4..........4..58.6.7..3....5..8...';

const digits = (s: string): Uint8Array => Uint8Array.from(s, (c) => (c >= '1' && c <= '9' ? c.charCodeAt(0) - 48 : 0));
const solutionOf = (q: Uint8Array): Uint8Array => new SudokuSolver().solve(q, 1).solution!;

/** A view that gives `d` probability `p` at each cell and spreads the rest over the other digits. */
function view(choice: ArrayLike<number>, p: ArrayLike<number>): ModelView {
  const probs = new Float32Array(81 * 9);
  const out = new Uint8Array(81);
  for (let k = 0; k < 81; k++) {
    for (let d = 1; d <= 9; d++) probs[k * 9 + d - 1] = d === choice[k] ? p[k] : (1 - p[k]) / 8;
    out[k] = choice[k];
  }
  return { probs, digits: out };
}

/**
 * A model that knows each puzzle's solution but, on every board, is sure (0.97) of a wrong digit in
 * `wrong` blank cells (the first blanks of the board) and only 0.6 sure of the right digit elsewhere.
 */
function misleadingModel(solutions: Map<string, Uint8Array>, questions: Uint8Array[], wrong: number): { ask: AskModel; batches: number[] } {
  const batches: number[] = [];
  const ask: AskModel = (boards) => {
    batches.push(boards.length);
    const views = boards.map((b) => {
      // the board came from one of the puzzles: the one whose clues it keeps
      const q = questions.find((x) => x.every((d, k) => d === 0 || b[k] === d))!;
      const sol = solutions.get(q.join(''))!;
      const choice = Uint8Array.from(sol);
      const p = new Float32Array(81).fill(0.6);
      let n = 0;
      for (let k = 0; k < 81 && n < wrong; k++) {
        if (b[k] !== 0) continue;
        choice[k] = (sol[k] % 9) + 1;
        p[k] = 0.97;
        n++;
      }
      return view(choice, p);
    });
    return { views, ms: 1 };
  };
  return { ask, batches };
}

function generated(n: number, seed: number, clues: [number, number]): Uint8Array[] {
  const g = new SudokuGenerator(new Rng(seed));
  return Array.from({ length: n }, () => g.generate(clues[0], clues[1])!.puzzle);
}

test('a puzzle whose model answer breaks a rule is solved by the search, and the answer is the solution', () => {
  const q = digits(EXTREME);
  const sol = solutionOf(q);
  const { ask } = misleadingModel(new Map([[q.join(''), sol]]), [q], 3);
  // reuse 0: every board is a model call, so the search is seen to ask again
  const [o] = searchSudoku([q], ask, { calls: 200, reuse: 0 });
  assert.equal(o.model_valid, false, "the model's own answer breaks a rule");
  assert.equal(solvesPuzzle(o.model_grid, q), false);
  assert.equal(o.solved, true, `solved (stopped: ${o.stopped})`);
  assert.deepEqual(Array.from(o.grid), Array.from(sol));
  assert.ok(o.calls > 1 && o.calls <= 200, `${o.calls} calls`);
  // the story of the answer: every cell once, clues first, the rest after a call that was made
  assert.equal(o.fixed.length, 81);
  assert.deepEqual(new Set(o.fixed.map((f) => f.cell)).size, 81);
  for (const f of o.fixed) {
    assert.equal(f.digit, sol[f.cell]);
    if (f.by === 'clue') assert.equal(q[f.cell], f.digit);
    else assert.ok(f.call >= 1 && f.call <= o.calls);
  }
  // the cells the model was sure of and wrong about are in its own answer, not in the search's
  assert.ok(Array.from(o.model_grid).some((d, k) => d !== sol[k]));
});

test('the search never returns an invalid grid as solved, whatever the model says', () => {
  const rng = new Rng(5);
  const questions = generated(12, 11, [22, 28]);
  // a model answering at random: confident nonsense, complete grids that break rules
  const ask: AskModel = (boards) => ({
    views: boards.map(() => view(Array.from({ length: 81 }, () => 1 + rng.int(9)), Array.from({ length: 81 }, () => rng.random()))),
    ms: 0.5,
  });
  const outs = searchSudoku(questions, ask, { calls: 40 });
  assert.equal(outs.length, questions.length);
  outs.forEach((o, i) => {
    if (o.solved) {
      assert.ok(solvesPuzzle(o.grid, questions[i]), `puzzle ${i}: a solved grid keeps the clues and breaks no rule`);
      assert.deepEqual(Array.from(o.grid), Array.from(solutionOf(questions[i])), 'and it is the (unique) solution');
    } else assert.ok(o.stopped, 'an unsolved search says why it stopped');
  });
  // clues that clash, and clues that allow no solution: never solved, and no model call wasted on a clash
  const clash = digits('11' + '.'.repeat(79));
  const none = digits('123456.8.' + '......7..' + '.'.repeat(63)); // cell 7 needs a 7 and cannot have one
  const [a, b] = searchSudoku([clash, none], ask, { calls: 50 });
  assert.equal(a.solved, false);
  assert.equal(a.stopped, 'clues clash');
  assert.equal(a.calls, 0);
  assert.equal(b.solved, false);
  assert.ok(b.stopped === 'exhausted' || b.stopped === 'calls');
});

test('a budget is honoured: model calls, and milliseconds as the puzzle share of its batches', () => {
  const rng = new Rng(9);
  const questions = generated(6, 21, [17, 24]).concat([digits(EXTREME)]);
  let rows = 0;
  const ask = (ms: number): AskModel => (boards) => {
    rows += boards.length;
    return { views: boards.map(() => view(Array.from({ length: 81 }, () => 1 + rng.int(9)), new Float32Array(81).fill(0.5))), ms: ms * boards.length };
  };
  for (const calls of [1, 3, 17]) {
    rows = 0;
    const outs = searchSudoku(questions, ask(0), { calls });
    for (const o of outs) {
      assert.ok(o.calls <= calls, `${o.calls} calls within ${calls}`);
      if (!o.solved) {
        assert.equal(o.stopped, 'calls');
        assert.equal(o.calls, calls);
      }
    }
    assert.equal(rows, outs.reduce((s, o) => s + o.calls, 0), 'every board asked is counted once');
  }
  // 10 ms per board (as the fake model reports it): a 55 ms budget allows at most 6 calls (the sixth
  // starts before 55 ms are spent), never a seventh
  const outs = searchSudoku(questions, ask(10), { ms: 55 });
  for (const o of outs) {
    assert.ok(o.calls <= 6, `${o.calls} calls`);
    if (!o.solved) {
      assert.equal(o.stopped, 'ms');
      assert.ok(o.ms >= 55, `${o.ms} ms`);
    }
  }
});

test('boards of many puzzles go through the model as one batch, at most `batch` at a time', () => {
  const questions = generated(10, 31, [24, 26]);
  const solutions = new Map(questions.map((q) => [q.join(''), solutionOf(q)]));
  const { ask, batches } = misleadingModel(solutions, questions, 1);
  const outs = searchSudoku(questions, ask, { calls: 100, batch: 4 });
  assert.ok(outs.every((o) => o.solved));
  assert.equal(batches[0], 4, 'the first call holds four puzzles');
  assert.ok(batches.every((n) => n <= 4));
  assert.ok(batches.length < outs.reduce((s, o) => s + o.calls, 0), 'fewer model calls than boards asked');
});

test('each puzzle is asked about itself first, in a batch of puzzles only; later boards in batches of their own', () => {
  const questions = generated(6, 37, [24, 26]);
  const solutions = new Map(questions.map((q) => [q.join(''), solutionOf(q)]));
  const { ask } = misleadingModel(solutions, questions, 2);
  const seen: { boards: string[]; puzzles: boolean }[] = [];
  const outs = searchSudoku(questions, (boards, puzzles) => (seen.push({ boards: boards.map((b) => b.join('')), puzzles }), ask(boards, puzzles)), { calls: 100, batch: 4, reuse: 0 });
  assert.ok(outs.every((o) => o.solved));
  const own = new Set(questions.map((q) => q.join('')));
  const flagged = seen.filter((x) => x.puzzles).flatMap((x) => x.boards);
  assert.deepEqual([...flagged].sort(), [...own].sort(), 'every puzzle exactly once as its own first call');
  for (const x of seen.filter((y) => !y.puzzles)) assert.ok(x.boards.every((b) => !own.has(b)), 'a later board is not a puzzle itself');
  assert.ok(seen.some((x) => !x.puzzles), 'the misleading model needs later calls');
});

test('reuse: boards go on from an earlier answer without a call, at most `reuse` moves in a row, and every board asked is counted', () => {
  const questions = generated(8, 41, [22, 25]).concat([digits(EXTREME)]);
  const solutions = new Map(questions.map((q) => [q.join(''), solutionOf(q)]));
  for (const reuse of [0, 1, 3]) {
    const { ask } = misleadingModel(solutions, questions, 4);
    let rows = 0;
    const outs = searchSudoku(questions, (boards, puzzles) => ((rows += boards.length), ask(boards, puzzles)), { calls: 300, reuse });
    assert.equal(rows, outs.reduce((s, o) => s + o.calls, 0), 'a board expanded on an earlier answer costs no call');
    outs.forEach((o, i) => {
      assert.ok(o.solved, `reuse ${reuse}, puzzle ${i}: solved (stopped: ${o.stopped})`);
      assert.deepEqual(Array.from(o.grid), Array.from(solutions.get(questions[i].join(''))!));
      const expanded = o.steps.filter((s) => s.outcome === 'expanded');
      if (reuse === 0) assert.equal(expanded.length, 0, 'reuse 0 asks about every board it expands');
      for (const s of expanded) {
        assert.equal(s.call, 0);
        assert.notEqual(s.move, 'puzzle');
        // up the tree to the board that was asked: at most `reuse` moves, all on that board's answer
        let run = 0;
        let t = s;
        while (t.outcome === 'expanded') {
          run++;
          assert.equal(t.from_call, s.from_call);
          t = o.steps[t.parent];
        }
        assert.ok(run <= reuse, `${run} moves in a row on one answer, reuse ${reuse}`);
        assert.equal(t.call, s.from_call, 'the answer they went on from is the asked ancestor\'s');
      }
    });
    if (reuse > 0) assert.ok(outs.some((o) => o.steps.some((s) => s.outcome === 'expanded')), `reuse ${reuse} expands some board on an earlier answer`);
  }
  assert.throws(() => searchSudoku(questions, () => ({ views: [], ms: 0 }), { reuse: -1 }), /reuse must be an integer >= 0/);
});

test('the rules: singles place only forced digits, and a board with no way forward is a contradiction', () => {
  const q = digits(EXTREME);
  const b = new Board(q);
  const placed: number[] = [];
  assert.equal(b.propagate(placed), true);
  const sol = solutionOf(q);
  for (const x of placed) assert.equal(sol[x >> 4], x & 15, 'a forced digit is the solution digit');
  const bad = new Board(q);
  const k = q.findIndex((d, i) => d === 0 && sol[i] !== 0);
  bad.ban[k] = 511; // every digit banned in one blank cell
  assert.equal(bad.propagate(), false);
});

test('the rules never rule out a solution digit: singles and locked candidates on hard puzzles', () => {
  const qs = [digits(EXTREME), ...generated(30, 41, [22, 25])];
  let banned = 0;
  for (const q of qs) {
    const sol = solutionOf(q);
    const b = new Board(q);
    assert.equal(b.propagate(), true);
    for (let k = 0; k < 81; k++) {
      if (b.grid[k] !== 0) assert.equal(b.grid[k], sol[k], 'a placed digit is the solution digit');
      else assert.ok(b.allows(k, sol[k]), `cell ${k}: the solution digit ${sol[k]} was ruled out`);
      banned += b.ban[k] ? 1 : 0;
    }
  }
  assert.ok(banned > 0, 'locked candidates removed something on these puzzles');
});

test('budgets as given on the command line or to solve()', () => {
  assert.deepEqual(parseBudget(64), { calls: 64 });
  assert.deepEqual(parseBudget('200'), { calls: 200 });
  assert.deepEqual(parseBudget('500ms'), { ms: 500 });
  assert.deepEqual(parseBudget('1.5s'), { ms: 1500 });
  for (const bad of [0, 2.5, '-3', '5x', 'ms', '0ms', '']) assert.throws(() => parseBudget(bad as number | string), UserError);
});

test('stablemax confidences: the probability each digit token gets under the model\'s own normalisation', () => {
  const V = 11;
  const logits = new Float32Array(81 * V).fill(-3);
  logits[2 + 4] = 5; // cell 0: digit 5
  const [v] = viewsFromLogits(logits, 1, V, true);
  const s = (x: number) => (x >= 0 ? x + 1 : 1 / (1 - x));
  assert.ok(Math.abs(v.probs[4] - s(5) / (s(5) + 10 * s(-3))) < 1e-6);
  assert.equal(v.digits[0], 5);
  assert.equal(v.digits[1], 0, 'a cell whose best token is not a digit has no digit');
});

test('hrm solve sudoku --search: the bundled model and the search solve an extreme puzzle; --json reports calls and ms', () => {
  const r = hrm(['solve', 'sudoku', EXTREME, '--search', '--json', '--budget', '200']);
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout.trim()) as { valid: boolean; calls: number; ms: number; model_valid: boolean; answer: string };
  assert.equal(o.valid, true);
  assert.ok(solvesPuzzle(digits(o.answer), digits(EXTREME)));
  assert.ok(o.calls >= 1 && o.calls <= 200);
  assert.ok(o.ms > 0);
  assert.equal(typeof o.model_valid, 'boolean');
  const bad = hrm(['solve', 'sudoku', EXTREME, '--budget', 'soon']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--budget must be a whole number of model calls >= 1 or a time/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});
