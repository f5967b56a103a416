/**
 * ARC voting with hand-built predictions: augmented answers are mapped back, votes and halting
 * confidence rank the candidates, pass@K under both rules, the crop's edge cases, and every dihedral
 * transform with random colour permutations round-trips through the token canvas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARC_EOS, ARC_PAD, augName, augmentGrid, placePair, type ArcAug, type Grid } from '../../src/data/builders/arc.js';
import { cropPrediction, parseArcPuzzleName, undoAugmentation } from '../../src/data/arc-grid.js';
import { randomColourPermutation } from '../../src/data/augment.js';
import { Rng } from '../../src/util/random.js';
import { ArcVoter, gridKey, passAtK, rowsToGrid } from '../../src/arc/voting.js';
import { makeSubmission } from '../../src/arc/submission.js';

/** The grid in a 30x30 token canvas at the top left, with its EOS border (as the builder places it). */
function canvas(g: Grid): Uint8Array {
  const a = new Uint8Array(900);
  const b = new Uint8Array(900);
  placePair(g, g, 0, 0, a, b);
  return a;
}

const logit = (p: number) => Math.log(p / (1 - p));
const sameGrid = (a: Grid, b: Grid) => gridKey(a) === gridKey(b);

const INPUT = rowsToGrid([[1, 0, 2], [0, 3, 0]]);
const RIGHT = rowsToGrid([[1, 1, 2, 2], [0, 0, 3, 3]]);
const WRONG = rowsToGrid([[1, 1, 2, 2], [0, 0, 3, 4]]);
const AUGS: ArcAug[] = [
  { t: 1, mapping: Uint8Array.from([0, 3, 1, 2, 5, 4, 6, 7, 9, 8]) },
  { t: 6, mapping: Uint8Array.from([0, 9, 8, 7, 6, 5, 4, 3, 2, 1]) },
  { t: 7, mapping: Uint8Array.from([0, 2, 3, 4, 5, 6, 7, 8, 9, 1]) },
  { t: 4, mapping: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) },
];

/** One row of task `task` seen through augmentation `aug` (null: the original), predicting `pred` (in the original frame). */
function row(v: ArcVoter, task: string, aug: ArcAug | null, pred: Grid, q: number, input = INPUT, label: Grid | null = RIGHT, order = 0): void {
  const name = aug ? augName(task, aug) : task;
  const a = aug ?? { t: 0, mapping: Uint8Array.from({ length: 10 }, (_, i) => i) };
  v.addRow(name, canvas(augmentGrid(input, a)), canvas(augmentGrid(pred, a)), q, label ? canvas(augmentGrid(label, a)) : null, order);
}

test('a correct answer from augmented copies is mapped back to the task frame and wins', () => {
  const v = new ArcVoter([]);
  row(v, 'task', null, WRONG, logit(0.9));
  row(v, 'task', AUGS[0], RIGHT, logit(0.5));
  row(v, 'task', AUGS[1], RIGHT, logit(0.5));
  const [tv] = v.result();
  assert.equal(tv.task, 'task');
  assert.equal(tv.tests.length, 1, 'all copies are grouped under one (un-augmented) test input');
  assert.ok(sameGrid(tv.tests[0].input, INPUT));
  assert.ok(sameGrid(tv.tests[0].label!, RIGHT), 'the label is mapped back too');
  const [first, second] = tv.tests[0].candidates;
  assert.ok(sameGrid(first.grid, RIGHT));
  assert.equal(first.votes, 2);
  assert.ok(sameGrid(second.grid, WRONG));
  assert.equal(passAtK([tv]).official[1], 1);
  assert.deepEqual(makeSubmission([tv]).task[0].attempt_1, [[1, 1, 2, 2], [0, 0, 3, 3]]);
});

test('a wrong majority beats a right minority at pass@1 but not at pass@2', () => {
  const v = new ArcVoter([]);
  row(v, 't', null, WRONG, logit(0.1));
  row(v, 't', AUGS[0], WRONG, logit(0.1));
  row(v, 't', AUGS[1], WRONG, logit(0.1));
  row(v, 't', AUGS[2], RIGHT, logit(0.99));
  row(v, 't', AUGS[3], RIGHT, logit(0.99));
  const tasks = v.result();
  const s = passAtK(tasks);
  assert.equal(s.official[1], 0);
  assert.equal(s.official[2], 1);
  assert.equal(s.allTests[1], 0);
  assert.equal(s.allTests[2], 1);
  const sub = makeSubmission(tasks);
  assert.deepEqual(sub.t[0].attempt_1, [[1, 1, 2, 2], [0, 0, 3, 4]]);
  assert.deepEqual(sub.t[0].attempt_2, [[1, 1, 2, 2], [0, 0, 3, 3]]);
});

test('equal votes are ranked by mean sigmoid(q_halt)', () => {
  for (const rightFirst of [true, false]) {
    const hi = [logit(0.9), logit(0.7)]; // mean 0.8
    const lo = [logit(0.95), logit(0.55)]; // mean 0.75 (its max is higher: the mean decides)
    const v = new ArcVoter([]);
    row(v, 't', null, RIGHT, (rightFirst ? hi : lo)[0]);
    row(v, 't', AUGS[0], WRONG, (rightFirst ? lo : hi)[0]);
    row(v, 't', AUGS[1], RIGHT, (rightFirst ? hi : lo)[1]);
    row(v, 't', AUGS[2], WRONG, (rightFirst ? lo : hi)[1]);
    const c = v.result()[0].tests[0].candidates;
    assert.deepEqual(c.map((x) => x.votes), [2, 2]);
    assert.ok(Math.abs(c[0].meanQ - 0.8) < 1e-12 && Math.abs(c[1].meanQ - 0.75) < 1e-12, `${c[0].meanQ} ${c[1].meanQ}`);
    assert.equal(sameGrid(c[0].grid, RIGHT), rightFirst);
    assert.equal(passAtK(v.result()).official[1], rightFirst ? 1 : 0);
  }
});

test('a task with two test inputs, one right: 1/2 under the ARC Prize rule, 0 under the notebook rule', () => {
  const in2 = rowsToGrid([[5, 5], [5, 6]]);
  const out2 = rowsToGrid([[6, 6], [6, 5]]);
  const v = new ArcVoter([]);
  // Another task, fully right, so the mean over tasks is checked too.
  row(v, 'other', null, RIGHT, 0);
  for (const aug of [null, AUGS[0], AUGS[1]]) {
    row(v, 'two', aug, RIGHT, 0, INPUT, RIGHT, 0);
    row(v, 'two', aug, in2, 0, in2, out2, 1); // predicts the input: wrong
  }
  const tasks = v.result();
  const two = tasks.find((t) => t.task === 'two')!;
  assert.equal(two.tests.length, 2);
  assert.ok(sameGrid(two.tests[1].input, in2), 'test inputs in the task order');
  const s = passAtK(tasks);
  for (const k of [1, 2, 10, 100, 1000]) {
    assert.equal(s.official[k], (1 + 0.5) / 2);
    assert.equal(s.allTests[k], (1 + 0) / 2);
  }
  assert.equal(makeSubmission(tasks).two.length, 2);
});

test('crop: EOS right after the grid, a full 30x30 grid, PAD inside, an empty prediction', () => {
  // EOS right after the grid (the builder's layout).
  const g = rowsToGrid([[1, 2, 3, 4], [5, 6, 7, 8], [9, 0, 1, 2]]);
  const c = canvas(g);
  assert.equal(c[4], ARC_EOS);
  assert.equal(c[3 * 30], ARC_EOS);
  assert.ok(sameGrid(cropPrediction(c), g));
  // A full 30x30 grid: no EOS anywhere.
  const full = { h: 30, w: 30, data: Uint8Array.from({ length: 900 }, (_, k) => (k * 7) % 10) };
  const fc = canvas(full);
  assert.ok(!fc.includes(ARC_EOS));
  assert.ok(sameGrid(cropPrediction(fc), full));
  // PAD inside a 5x5 grid at (1, 3): rows 0-1 are 5 wide, then the width narrows to 3; the largest
  // top-left rectangle is 5 rows x 3 columns (15 cells beat 2 x 5 = 10).
  const five = { h: 5, w: 5, data: Uint8Array.from({ length: 25 }, (_, k) => 1 + (k % 9)) };
  const p = canvas(five);
  p[2 * 30 + 3] = ARC_PAD;
  const cp = cropPrediction(p);
  assert.deepEqual([cp.h, cp.w], [5, 3]);
  for (let r = 0; r < 5; r++) for (let k = 0; k < 3; k++) assert.equal(cp.data[r * 3 + k], five.data[r * 5 + k]);
  // PAD at the start of row 2: only the 2 x 5 rectangle above it remains.
  const q = canvas(five);
  q[2 * 30] = ARC_PAD;
  assert.deepEqual([cropPrediction(q).h, cropPrediction(q).w], [2, 5]);
  // An EOS inside ends a row the same way.
  const e = canvas(five);
  e[0 * 30 + 2] = ARC_EOS;
  assert.deepEqual([cropPrediction(e).h, cropPrediction(e).w], [5, 2]);
  // An empty prediction (EOS, or PAD, in the top-left cell): a 0x0 grid, which is no candidate.
  for (const first of [ARC_EOS, ARC_PAD]) {
    const z = canvas(five);
    z[0] = first;
    const cz = cropPrediction(z);
    assert.equal(cz.h * cz.w, 0);
    const v = new ArcVoter([]);
    v.addRow('t', canvas(INPUT), z, 0, canvas(RIGHT));
    const [tv] = v.result();
    assert.equal(tv.tests[0].candidates.length, 0);
    assert.equal(passAtK([tv]).official[1], 0);
    assert.deepEqual(makeSubmission([tv]).t[0], { attempt_1: [[0]], attempt_2: [[0]] }, 'a placeholder keeps the format');
  }
  assert.equal(cropPrediction(new Uint8Array(900)).h, 0, 'all PAD');
});

test('all 8 dihedral transforms with random colour permutations round-trip through the canvas and the name', () => {
  const rng = new Rng(7);
  for (let t = 0; t < 8; t++) {
    for (let trial = 0; trial < 25; trial++) {
      const h = 1 + rng.int(30);
      const w = 1 + rng.int(30);
      const g: Grid = { h, w, data: Uint8Array.from({ length: h * w }, () => rng.int(10)) };
      const aug: ArcAug = { t, mapping: randomColourPermutation(rng) };
      assert.equal(aug.mapping[0], 0);
      const name = augName('00d62c1b', aug);
      const parsed = parseArcPuzzleName(name);
      assert.equal(parsed.task, '00d62c1b');
      assert.equal(parsed.aug.t, t);
      assert.deepEqual(Array.from(parsed.aug.mapping), Array.from(aug.mapping));
      const back = undoAugmentation(cropPrediction(canvas(augmentGrid(g, aug))), parsed.aug);
      assert.ok(sameGrid(back, g), `t=${t} ${h}x${w} mapping ${Array.from(aug.mapping).join('')}`);
    }
  }
  // No suffix: not augmented.
  assert.equal(parseArcPuzzleName('abc').task, 'abc');
  assert.equal(parseArcPuzzleName('abc').aug.t, 0);
});

test('batched rows: padding rows dropped, logits argmaxed, order inside a puzzle kept across batches', () => {
  const ids = ['<blank>', 'a', augName('a', AUGS[0])];
  const in2 = rowsToGrid([[7]]);
  const out2 = rowsToGrid([[8, 8]]);
  // Rows: a/test0, a/test1 | aug/test0, aug/test1, blank
  const rowsList: [number, Grid, Grid, ArcAug | null][] = [[1, INPUT, RIGHT, null], [1, in2, out2, null], [2, INPUT, RIGHT, AUGS[0]], [2, in2, WRONG, AUGS[0]]];
  const toks = (g: Grid, a: ArcAug | null) => canvas(a ? augmentGrid(g, a) : g);
  const V = 12;
  const mk = (list: typeof rowsList, blank: number) => {
    const n = list.length + blank;
    const pid = new Int32Array(n);
    const inp = new Int32Array(n * 900);
    const lab = new Int32Array(n * 900);
    const logits = new Float32Array(n * 900 * V);
    list.forEach(([id, input, pred, a], b) => {
      pid[b] = id;
      inp.set(toks(input, a), b * 900);
      lab.set(toks(input === INPUT ? RIGHT : out2, a), b * 900);
      const p = toks(pred, a);
      for (let t = 0; t < 900; t++) logits[(b * 900 + t) * V + p[t]] = 1 + t % 3;
    });
    return { pid, inp, lab, logits };
  };
  const v = new ArcVoter(ids);
  const b1 = mk(rowsList.slice(0, 3), 0);
  const b2 = mk(rowsList.slice(3), 2);
  v.add(b1.pid, b1.inp, b1.logits, new Float32Array(3), b1.lab, V);
  v.add(b2.pid, b2.inp, b2.logits, new Float32Array(3), b2.lab, V);
  assert.equal(v.rows, 4, 'blank rows are dropped');
  const [tv] = v.result();
  assert.equal(tv.tests.length, 2);
  assert.ok(sameGrid(tv.tests[0].input, INPUT));
  assert.ok(sameGrid(tv.tests[1].input, in2));
  assert.deepEqual(tv.tests[1].candidates.map((c) => c.votes), [1, 1]);
  // Equal votes and confidence: first seen first (a stable sort, as the reference's sorted()).
  assert.ok(sameGrid(tv.tests[1].candidates[0].grid, out2));
  const s = passAtK([tv]);
  assert.equal(s.official[1], 1);
  assert.equal(s.official[2], 1);
});
