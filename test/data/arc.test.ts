import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildArcDataset, placePair, ARC_EOS } from '../../src/data/builders/arc.js';
import { readNpy } from '../../src/io/npy.js';
import { readDatasetMetadata, readIdentifiers } from '../../src/data/dataset-format.js';
import { dihedral, dihedralShape, DIHEDRAL_INVERSE, invertPermutation } from '../../src/data/augment.js';
import { cropArcGrid } from '../../src/data/show.js';
import { UserError } from '../../src/util/errors.js';
import { sharedData, withTempDir, SLOW } from './helpers.js';

interface Located {
  r0: number;
  c0: number;
  h: number;
  w: number;
  grid: number[][];
}

/** Finds the grid in a 30x30 canvas (first colour token) and checks the EOS frame around it. */
function locate(tokens: Uint8Array): Located {
  let r0 = -1;
  let c0 = 30;
  for (let k = 0; k < 900; k++) if (tokens[k] >= 2) {
    if (r0 < 0) r0 = Math.floor(k / 30);
    c0 = Math.min(c0, k % 30);
  }
  const grid = cropArcGrid(tokens);
  const h = grid.length;
  const w = grid[0].length;
  for (let r = 0; r < 30; r++) for (let c = 0; c < 30; c++) {
    const v = tokens[r * 30 + c];
    const inside = r >= r0 && r < r0 + h && c >= c0 && c < c0 + w;
    const eosRow = r === r0 + h && c >= c0 && c < c0 + w;
    const eosCol = c === c0 + w && r >= r0 && r < r0 + h;
    if (inside) assert.ok(v >= 2, `cell (${r},${c}) inside the grid is ${v}`);
    else if (eosRow || eosCol) assert.equal(v, ARC_EOS, `EOS expected at (${r},${c})`);
    else assert.equal(v, 0, `PAD expected at (${r},${c}), got ${v}`);
  }
  return { r0, c0, h, w, grid };
}

test('EOS placement: the row below and the column right of the grid, inside the canvas only', () => {
  const a = new Uint8Array(900);
  const b = new Uint8Array(900);
  placePair({ h: 2, w: 3, data: Uint8Array.of(0, 1, 2, 3, 4, 5) }, { h: 30, w: 30, data: new Uint8Array(900).fill(9) }, 0, 0, a, b);
  assert.deepEqual(Array.from(a.subarray(0, 4)), [2, 3, 4, ARC_EOS]);
  assert.deepEqual(Array.from(a.subarray(60, 64)), [ARC_EOS, ARC_EOS, ARC_EOS, 0], 'no EOS at the corner');
  assert.ok(b.every((x) => x === 11), 'a full 30x30 grid has no EOS');
  placePair({ h: 1, w: 1, data: Uint8Array.of(7) }, { h: 1, w: 1, data: Uint8Array.of(0) }, 29, 28, a, b);
  assert.equal(a[29 * 30 + 28], 9);
  assert.equal(a[29 * 30 + 29], ARC_EOS);
  assert.equal(a.filter((x) => x === ARC_EOS).length, 1);
});

/** A tiny ARC layout: training/ and evaluation/ tasks (copied from the shared data when present). */
function makeArcDirs(root: string): { dirs: string[]; tasks: Record<string, { train: { input: number[][]; output: number[][] }[]; test: { input: number[][]; output: number[][] }[] }> } {
  const tasks: Record<string, any> = {};
  const put = (sub: string, name: string, task: unknown) => {
    mkdirSync(join(root, 'arc', sub), { recursive: true });
    writeFileSync(join(root, 'arc', sub, `${name}.json`), JSON.stringify(task));
    tasks[name] = task;
  };
  const rnd = (h: number, w: number, seed: number) => Array.from({ length: h }, (_, r) => Array.from({ length: w }, (_, c) => (r * 7 + c * 3 + seed) % 10));
  put('training', 'aaaa0001', { train: [{ input: rnd(3, 4, 1), output: rnd(5, 2, 2) }, { input: rnd(6, 6, 3), output: rnd(6, 6, 4) }], test: [{ input: rnd(2, 2, 5), output: rnd(3, 3, 6) }] });
  put('evaluation', 'eeee0001', { train: [{ input: rnd(4, 4, 7), output: rnd(4, 4, 8) }, { input: rnd(2, 5, 9), output: rnd(5, 2, 0) }], test: [{ input: rnd(7, 3, 1), output: rnd(3, 7, 2) }, { input: rnd(1, 1, 3), output: rnd(30, 30, 4) }] });
  // Fully symmetric task: every augmentation is the same puzzle, so dedup leaves only the original.
  put('training', 'ssss0001', { train: [{ input: [[0, 0], [0, 0]], output: [[0]] }], test: [{ input: [[0]], output: [[0, 0], [0, 0]] }] });
  const dirs = [join(root, 'arc')];
  const concept = sharedData('concept-arc/corpus/AboveBelow');
  if (concept) {
    mkdirSync(join(root, 'concept/AboveBelow'), { recursive: true });
    for (const f of readdirSync(concept).slice(0, 2)) {
      cpSync(join(concept, f), join(root, 'concept/AboveBelow', f));
      tasks[f.replace(/\.json$/, '')] = JSON.parse(readFileSync(join(concept, f), 'utf8'));
    }
    dirs.push(join(root, 'concept'));
  }
  return { dirs, tasks };
}

test('ARC build: identifiers, splits, undoable augmentations with colour 0 fixed, translation only in train', async () => {
  await withTempDir(async (d) => {
    const { dirs, tasks } = makeArcDirs(d);
    const out = join(d, 'out');
    const numAug = 12;
    const summary = await buildArcDataset({ datasetDirs: dirs, outputDir: out, numAug, seed: 42, quiet: true });
    const names = readIdentifiers(out)!;
    assert.equal(names[0], '<blank>');
    assert.equal(names.length, summary.identifiers);
    const trainM = readDatasetMetadata(out, 'train');
    const testM = readDatasetMetadata(out, 'test');
    assert.equal(trainM.vocab_size, 12);
    assert.equal(trainM.seq_len, 900);
    assert.equal(testM.total_groups, 1, 'only the evaluation task has test examples');
    assert.equal(trainM.num_puzzle_identifiers, names.length);

    for (const split of ['train', 'test'] as const) {
      const inp = readNpy(join(out, split, 'all__inputs.npy')).data as Uint8Array;
      const lab = readNpy(join(out, split, 'all__labels.npy')).data as Uint8Array;
      const pidx = readNpy(join(out, split, 'all__puzzle_indices.npy')).data as Int32Array;
      const pids = readNpy(join(out, split, 'all__puzzle_identifiers.npy')).data as Int32Array;
      const gidx = readNpy(join(out, split, 'all__group_indices.npy')).data as Int32Array;
      for (let g = 0; g + 1 < gidx.length; g++) {
        const groupNames = new Set<string>();
        for (let p = gidx[g]; p < gidx[g + 1]; p++) {
          const name = names[pids[p]];
          groupNames.add(name);
          const m = /^(.*?)(?:_t(\d)_(\d{10}))?$/.exec(name)!;
          const task = tasks[m[1]];
          assert.ok(task, `unknown task ${m[1]}`);
          const t = m[2] === undefined ? 0 : Number(m[2]);
          const mapping = m[3] === undefined ? Uint8Array.from({ length: 10 }, (_, i) => i) : Uint8Array.from(m[3], Number);
          assert.equal(mapping[0], 0, 'colour 0 stays fixed');
          const inv = invertPermutation(mapping);
          const isEval = m[1] === 'eeee0001';
          const originals = split === 'test' ? task.test : isEval ? task.train : [...task.train, ...task.test];
          assert.equal(pidx[p + 1] - pidx[p], originals.length);
          let untranslated = 0;
          for (let e = pidx[p], i = 0; e < pidx[p + 1]; e++, i++) {
            const a = locate(inp.subarray(e * 900, e * 900 + 900));
            const b = locate(lab.subarray(e * 900, e * 900 + 900));
            assert.deepEqual([a.r0, a.c0], [b.r0, b.c0], 'input and output share the translation');
            if (a.r0 === 0 && a.c0 === 0) untranslated++;
            if (split === 'test') assert.deepEqual([a.r0, a.c0], [0, 0], 'no translation in test');
            // Undo: inverse dihedral, then inverse colour map, gives the task's grid back.
            for (const [loc, want] of [[a, originals[i].input], [b, originals[i].output]] as const) {
              const flat = Uint8Array.from(loc.grid.flat());
              const back = dihedral(flat, loc.h, loc.w, DIHEDRAL_INVERSE[t]);
              const [h0, w0] = dihedralShape(DIHEDRAL_INVERSE[t], loc.h, loc.w);
              assert.deepEqual([h0, w0], [want.length, want[0].length]);
              assert.deepEqual(Array.from(back, (c) => inv[c]), want.flat());
            }
          }
          assert.ok(untranslated >= 1, 'one example per puzzle keeps its place');
        }
        assert.equal(groupNames.size, gidx[g + 1] - gidx[g], 'augmentations of a task are distinct puzzles');
      }
    }
    // Dedup: the symmetric task has one puzzle; the others have 1 + numAug.
    assert.ok(names.includes('ssss0001') && !names.some((n) => n.startsWith('ssss0001_')));
    assert.equal(names.filter((n) => n.startsWith('aaaa0001')).length, numAug + 1);
    // Test puzzles of an evaluation task share the train puzzles' identifiers.
    assert.equal(summary.puzzles.test, numAug + 1);
  });
});

test('bad ARC tasks stop the build naming the file; nothing is left behind', async () => {
  await withTempDir(async (d) => {
    const cases: [string, RegExp][] = [
      ['{"train": [{"input": [[1]], "output": [[2]]}], "test": [', /bad\.json: not valid JSON \(line 1, column 57: the text ends too early\)$/],
      ['{"train": [{"input": [[1]],\n "output": [[2]] x}], "test": []}', /bad\.json: not valid JSON \(line 2, column 18: unexpected "x"\)$/],
      // #25: a task without demonstrations or without test pairs is not an ARC task
      [JSON.stringify({ train: [], test: [{ input: [[1]], output: [[2]] }] }), /bad\.json: train: an empty list/],
      [JSON.stringify({ train: [{ input: [[1]], output: [[2]] }], test: [] }), /bad\.json: test: an empty list/],
      [JSON.stringify({ train: [{ input: Array(31).fill([1]), output: [[1]] }], test: [] }), /bad\.json: train\[0\]\.input: grid is 31x1, larger than 30x30/],
      [JSON.stringify({ train: [{ input: [[1, 10]], output: [[1]] }], test: [] }), /bad\.json: train\[0\]\.input: row 0, column 1: colour 10/],
      [JSON.stringify({ train: [{ input: [[1, 2], [3]], output: [[1]] }], test: [] }), /row 1 has 1 cells, expected 2/],
      [JSON.stringify({ train: [{ input: [[1]] }], test: [] }), /train\[0\]: needs both "input" and "output"/],
      [JSON.stringify({ train: [] }), /needs both "train" and "test"/],
    ];
    for (const [text, re] of cases) {
      mkdirSync(join(d, 'src/training'), { recursive: true });
      writeFileSync(join(d, 'src/training/bad.json'), text);
      const out = join(d, 'out');
      await assert.rejects(buildArcDataset({ datasetDirs: [join(d, 'src')], outputDir: out, numAug: 3, seed: 1, quiet: true }), (e: unknown) => e instanceof UserError && re.test(e.message));
      assert.ok(!existsSync(out));
      assert.deepEqual(readdirSync(dirname(out)).filter((n) => n.includes('.building-')), []);
    }
    await assert.rejects(buildArcDataset({ datasetDirs: [join(d, 'nowhere')], outputDir: join(d, 'o'), numAug: 1, seed: 1, quiet: true }), /nowhere: dataset folder not found/);
  });
});

test('ARC-AGI-1 + ConceptARC with 1000 augmentations', { skip: !SLOW && 'set HRM_SLOW_TESTS=1' }, async (t) => {
  const a = sharedData('arc-agi-1');
  const c = sharedData('concept-arc/corpus');
  if (!a || !c) return t.skip('shared data not found');
  await withTempDir(async (d) => {
    const t0 = Date.now();
    const s = await buildArcDataset({ datasetDirs: [a, c], outputDir: join(d, 'out'), numAug: 1000, seed: 42, quiet: true });
    console.log(`# arc 1000 aug: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${JSON.stringify(s)}, rss ${(process.memoryUsage().rss / 2 ** 30).toFixed(2)} GiB`);
    assert.equal(s.tasks, 960);
    assert.ok(s.puzzles.train > 800000);
  });
});

test('evaluation helpers: crop a prediction, parse the puzzle name, undo the augmentation', async () => {
  const { cropPrediction, parseArcPuzzleName, undoAugmentation } = await import('../../src/data/arc-grid.js');
  await withTempDir(async (d) => {
    const { dirs, tasks } = makeArcDirs(d);
    await buildArcDataset({ datasetDirs: dirs, outputDir: join(d, 'out'), numAug: 6, seed: 3, quiet: true });
    const names = readIdentifiers(join(d, 'out'))!;
    const lab = readNpy(join(d, 'out/test/all__labels.npy')).data as Uint8Array;
    const pidx = readNpy(join(d, 'out/test/all__puzzle_indices.npy')).data as Int32Array;
    const pids = readNpy(join(d, 'out/test/all__puzzle_identifiers.npy')).data as Int32Array;
    let checked = 0;
    for (let p = 0; p < pids.length; p++) {
      const { task, aug } = parseArcPuzzleName(names[pids[p]]);
      assert.equal(task, 'eeee0001');
      for (let e = pidx[p], i = 0; e < pidx[p + 1]; e++, i++) {
        const g = undoAugmentation(cropPrediction(lab.subarray(e * 900, e * 900 + 900)), aug);
        const want: number[][] = tasks[task].test[i].output;
        assert.deepEqual([g.h, g.w], [want.length, want[0].length]);
        assert.deepEqual(Array.from(g.data), want.flat());
        checked++;
      }
    }
    assert.equal(checked, 7 * 2);
  });
  // A ragged prediction: the widest top-left rectangle of colour tokens wins.
  const canvas = new Uint8Array(900);
  for (let c = 0; c < 5; c++) canvas[c] = 3;
  for (let c = 0; c < 2; c++) for (let r = 1; r < 4; r++) canvas[r * 30 + c] = 4;
  const g = cropPrediction(canvas);
  assert.deepEqual([g.h, g.w], [4, 2]);
  assert.deepEqual(parseArcPuzzleName('abc_t3_0123456789').aug.t, 3);
});
