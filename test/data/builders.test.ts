import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSudokuDataset } from '../../src/data/builders/sudoku.js';
import { buildMazeDataset } from '../../src/data/builders/maze.js';
import { generateSudokuDataset, generateMazeDataset } from '../../src/data/builders/generated.js';
import { readNpy } from '../../src/io/npy.js';
import { readDatasetMetadata } from '../../src/data/dataset-format.js';
import { dihedral, DIHEDRAL_INVERSE } from '../../src/data/augment.js';
import { agreesWithClues, isValidSolution, SudokuSolver } from '../../src/data/sudoku-solver.js';
import { checkMazeSolution } from '../../src/data/maze-generator.js';
import { PuzzleDataset } from '../../src/data/loader.js';
import { UserError } from '../../src/util/errors.js';
import { sharedData, withTempDir, SLOW } from './helpers.js';

/**
 * SHA-256 of every file that NumPy and json.dump write for the reference's builders on the shared
 * CSVs without augmentation (computed with a NumPy 2.4 restatement of REFERENCE.md 5: uint8 tokens,
 * int32 index arrays, format 1.0 headers, pydantic metadata dumped with json.dump).
 */
const REFERENCE_SHA256: Record<string, Record<string, string>> = {
  sudoku: {
    'identifiers.json': '55b844f3f061906c654510cc0c4a5834e4d336540c74a68576211b20fa5f0bea',
    'train/all__group_indices.npy': '8e1237f248ecff97e22387e835f3845a3cd4c6a4af7a125a57724a0fea1e8b0a',
    'train/all__inputs.npy': '0e065636c20517c37105c5095876f946f225564bb2e0327206db4d484e6abebc',
    'train/all__labels.npy': 'd177c85409c4b76785ae501d1f833641476e8a8ae62c08efd9d5e2bd7d9124cc',
    'train/all__puzzle_identifiers.npy': 'ab73033e922426e7ab6bc1277db2bf5399476f6e97aed84417e22d9876380837',
    'train/all__puzzle_indices.npy': '8e1237f248ecff97e22387e835f3845a3cd4c6a4af7a125a57724a0fea1e8b0a',
    'train/dataset.json': 'fddcea0f3d314f7387c686ca0cf7f8f12e98d695c7dc5cb1f42cef5313eec662',
  },
  maze: {
    'identifiers.json': '55b844f3f061906c654510cc0c4a5834e4d336540c74a68576211b20fa5f0bea',
    'train/all__group_indices.npy': '8e1237f248ecff97e22387e835f3845a3cd4c6a4af7a125a57724a0fea1e8b0a',
    'train/all__inputs.npy': '7a18d70e57ac0770ef392d1976a6c23b51f4acbff763bb1ef7c724a21b41dec4',
    'train/all__labels.npy': 'e9befbd171a2386da9218a940102df9c96a3401a7bd16c7cab107be16c1eeee8',
    'train/all__puzzle_identifiers.npy': 'ab73033e922426e7ab6bc1277db2bf5399476f6e97aed84417e22d9876380837',
    'train/all__puzzle_indices.npy': '8e1237f248ecff97e22387e835f3845a3cd4c6a4af7a125a57724a0fea1e8b0a',
    'train/dataset.json': '474d8fabace9f045a62a1c9f61621ef2c8cceb71cbb9a31620cfa18daf7f076f',
  },
};

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]).sort();
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Asserts a failed build names the problem and leaves no output or temporary folder behind. */
async function assertBuildFails(out: string, build: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(build(), (e: unknown) => e instanceof UserError && pattern.test(e.message));
  assert.ok(!existsSync(out), 'a failed build left its output folder');
  assert.deepEqual(readdirSync(dirname(out)).filter((n) => n.includes('.building-')), [], 'a failed build left a temporary folder');
}

test('Sudoku and Maze builds without augmentation are byte-identical to the reference format', async (t) => {
  const sud = sharedData('sudoku/sudoku-extreme-train-1k/train.csv');
  const maze = sharedData('maze/maze-30x30-hard-1k/train.csv');
  if (!sud || !maze) return t.skip('shared data not found');
  await withTempDir(async (d) => {
    await buildSudokuDataset({ source: sud, outputDir: join(d, 'sudoku'), numAug: 0, seed: 0, quiet: true });
    await buildMazeDataset({ source: maze, outputDir: join(d, 'maze'), aug: false, seed: 0, quiet: true });
    for (const kind of ['sudoku', 'maze'] as const) {
      const dir = join(d, kind);
      assert.deepEqual(listFiles(dir), Object.keys(REFERENCE_SHA256[kind]).sort());
      for (const [f, h] of Object.entries(REFERENCE_SHA256[kind])) assert.equal(sha(join(dir, f)), h, `${kind}/${f}`);
    }
    // And what those bytes mean: uint8 tokens that decode back to the CSV rows, int32 indices.
    const inputs = readNpy(join(d, 'sudoku/train/all__inputs.npy'));
    assert.equal(inputs.dtype, 'u1');
    assert.deepEqual(inputs.shape, [1000, 81]);
    const first = readFileSync(sud, 'utf8').split('\n')[1].split(',')[0];
    assert.equal(Array.from(inputs.data.subarray(0, 81) as Uint8Array, (x) => (x === 1 ? '.' : String(x - 1))).join(''), first);
    assert.equal(readNpy(join(d, 'maze/train/all__group_indices.npy')).dtype, 'i4');
    const mazeLabels = readNpy(join(d, 'maze/train/all__labels.npy'));
    const row0 = readFileSync(maze, 'utf8').split('\n')[1].split(',')[1];
    assert.equal(Array.from(mazeLabels.data.subarray(0, 900) as Uint8Array, (x) => '# SGo'[x - 1]).join(''), row0);
    assert.equal(readFileSync(join(d, 'sudoku/train/dataset.json'), 'utf8'),
      '{"pad_id": 0, "ignore_label_id": 0, "blank_identifier_id": 0, "vocab_size": 11, "seq_len": 81, "num_puzzle_identifiers": 1, "total_groups": 1000, "mean_puzzle_examples": 1.0, "sets": ["all"]}');
  });
});

/** Writes the first n data rows of a shared CSV (with its header) to a temp file. */
function csvSlice(src: string, dst: string, n: number): string {
  const lines = readFileSync(src, 'utf8').split('\n');
  mkdirSync(dirname(dst), { recursive: true });
  writeFileSync(dst, lines.slice(0, n + 1).join('\n') + '\n');
  return dst;
}

test('Sudoku augmentation: groups of 1 + num_aug valid puzzles, each consistent with its own solution', async (t) => {
  const sud = sharedData('sudoku/sudoku-extreme-train-1k/train.csv');
  if (!sud) return t.skip('shared data not found');
  await withTempDir(async (d) => {
    const src = csvSlice(sud, join(d, 'src/train.csv'), 30);
    csvSlice(sud, join(d, 'src/test.csv'), 5);
    await buildSudokuDataset({ source: src, outputDir: join(d, 'out'), numAug: 7, seed: 1, quiet: true });
    const m = readDatasetMetadata(join(d, 'out'), 'train');
    assert.equal(m.total_groups, 30);
    assert.equal(readDatasetMetadata(join(d, 'out'), 'test').total_groups, 5, 'test.csv next to train.csv becomes the test split');
    const inp = readNpy(join(d, 'out/train/all__inputs.npy')).data as Uint8Array;
    const lab = readNpy(join(d, 'out/train/all__labels.npy')).data as Uint8Array;
    assert.deepEqual(Array.from(readNpy(join(d, 'out/train/all__group_indices.npy')).data as Int32Array).slice(0, 4), [0, 8, 16, 24]);
    assert.equal(readNpy(join(d, 'out/test/all__inputs.npy')).shape[0], 5, 'test is not augmented');
    const solver = new SudokuSolver();
    for (let e = 0; e < 240; e++) {
      const p = inp.subarray(e * 81, e * 81 + 81).map((x) => x - 1);
      const s = lab.subarray(e * 81, e * 81 + 81).map((x) => x - 1);
      assert.ok(isValidSolution(s), `example ${e}: invalid solution`);
      assert.ok(agreesWithClues(p, s), `example ${e}: clues disagree`);
      if (e % 8 === 3) assert.deepEqual(solver.solve(p, 2).solution, s);
    }
  });
});

test('Sudoku sources: plain puzzle files are solved; --test-fraction splits; --min-difficulty filters', async (t) => {
  const plain = sharedData('sudoku/tdoku/puzzles2_17_clue');
  if (!plain) return t.skip('shared data not found');
  await withTempDir(async (d) => {
    const lines = readFileSync(plain, 'utf8').split('\n').filter((l) => !l.startsWith('#')).slice(0, 40);
    lines.unshift('# a comment line');
    writeFileSync(join(d, 'p.txt'), lines.join('\n') + '\n');
    const r = await buildSudokuDataset({ source: join(d, 'p.txt'), outputDir: join(d, 'out'), numAug: 0, seed: 2, testFraction: 0.25, quiet: true });
    assert.deepEqual([r.train, r.test], [30, 10]);
    const lab = readNpy(join(d, 'out/test/all__labels.npy')).data as Uint8Array;
    for (let e = 0; e < 10; e++) assert.ok(isValidSolution(lab.subarray(e * 81, e * 81 + 81).map((x) => x - 1)));
    const hard = await buildSudokuDataset({ source: join(d, 'p.txt'), outputDir: join(d, 'hard'), numAug: 0, seed: 2, minDifficulty: 3, quiet: true });
    assert.ok(hard.train > 0 && hard.train < 40, `min-difficulty kept ${hard.train}`);
    // The reference's own CSV layout, with a quoted source field and the rating column.
    const good = '..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..,483921657967345821251876493548132976729564138136798245372689514814253769695417382';
    const rows = [0, 5, 1, 7, 2].map((r, i) => `"forum, part ${i}",${good},${r}`);
    writeFileSync(join(d, 'ref.csv'), ['source,question,answer,rating', ...rows].join('\r\n') + '\r\n');
    const kept = await buildSudokuDataset({ source: join(d, 'ref.csv'), outputDir: join(d, 'ref'), numAug: 0, seed: 0, minDifficulty: 2, quiet: true });
    assert.equal(kept.train, 3);
    assert.equal(readNpy(join(d, 'ref/train/all__inputs.npy')).shape[0], 3);
  });
});

test('bad Sudoku input stops the build with file:line and the reason, leaving nothing behind', async () => {
  await withTempDir(async (d) => {
    const good = '..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..,483921657967345821251876493548132976729564138136798245372689514814253769695417382';
    const cases: [string, RegExp][] = [
      ['question,answer\n' + good.slice(1), /bad\.csv:2: question must be 81 characters/],
      ['question,answer\n' + good.replace('..3', '.x3'), /bad\.csv:2: question must be 81/],
      ['question,answer\n' + good + '\n' + good.replace(',4', ',5'), /bad\.csv:3: answer breaks the Sudoku rules/],
      ['question,answer\n' + good.replace('..3.2', '..4.2'), /bad\.csv:2: answer contradicts/],
      ['source,question,answer,rating\nx,' + good + ',zero', /bad\.csv:2: rating 'zero' is not a number/],
      ['puzzle\n' + good, /bad\.csv:1: expected a CSV header with 'question' and 'answer'/],
    ];
    for (const [text, re] of cases) {
      writeFileSync(join(d, 'bad.csv'), text + '\n');
      await assertBuildFails(join(d, 'out'), () => buildSudokuDataset({ source: join(d, 'bad.csv'), outputDir: join(d, 'out'), numAug: 0, seed: 0, quiet: true }), re);
    }
    writeFileSync(join(d, 'multi.txt'), '.'.repeat(81) + '\n');
    await assertBuildFails(join(d, 'out'), () => buildSudokuDataset({ source: join(d, 'multi.txt'), outputDir: join(d, 'out'), numAug: 0, seed: 0, quiet: true }), /multi\.txt:1: puzzle has more than one solution/);
  });
});

test('Maze --aug gives the 8 dihedral transforms per maze; bad mazes are rejected', async (t) => {
  const maze = sharedData('maze/maze-30x30-hard-1k/train.csv');
  if (!maze) return t.skip('shared data not found');
  await withTempDir(async (d) => {
    const src = csvSlice(maze, join(d, 'src/train.csv'), 6);
    await buildMazeDataset({ source: src, outputDir: join(d, 'out'), aug: true, seed: 0, quiet: true });
    const inp = readNpy(join(d, 'out/train/all__inputs.npy')).data as Uint8Array;
    const lab = readNpy(join(d, 'out/train/all__labels.npy')).data as Uint8Array;
    assert.equal(inp.length, 6 * 8 * 900);
    const dec = (a: Uint8Array) => Array.from(a, (x) => '# SGo'[x - 1]).join('');
    for (let m = 0; m < 6; m++) {
      const orig = inp.subarray(m * 8 * 900, m * 8 * 900 + 900);
      for (let tid = 0; tid < 8; tid++) {
        const e = m * 8 + tid;
        const x = inp.subarray(e * 900, e * 900 + 900);
        assert.deepEqual(dihedral(x, 30, 30, DIHEDRAL_INVERSE[tid]), orig);
        assert.equal(typeof checkMazeSolution(dec(x), dec(lab.subarray(e * 900, e * 900 + 900)), 30), 'number');
      }
    }
    const [q, a] = readFileSync(src, 'utf8').split('\n')[1].split(',');
    const bad: [string, RegExp][] = [
      [`${q.slice(1)},${a.slice(1)}`, /bad\.csv:2: question has 899 characters.*trimmed/],
      [`${q.replace('S', ' ')},${a.replace('S', ' ')}`, /bad\.csv:2: maze must have exactly one S and one G, has 0 S and 1 G/],
      [`${q.replace('#', 'x')},${a.replace('#', 'x')}`, /bad\.csv:2: question has character "x"/],
      [`${q},${a.replace('o', '#')}`, /bad\.csv:2: answer differs from the question/],
    ];
    for (const [row, re] of bad) {
      writeFileSync(join(d, 'bad.csv'), `question,answer\n${row}\n`);
      await assertBuildFails(join(d, 'out2'), () => buildMazeDataset({ source: join(d, 'bad.csv'), outputDir: join(d, 'out2'), aug: false, seed: 0, quiet: true }), re);
    }
  });
});

test('generated Sudoku and Maze datasets load and have a test split', async () => {
  await withTempDir(async (d) => {
    const st = await generateSudokuDataset({ count: 200, outputDir: join(d, 's'), clues: [40, 50], testFraction: 0.1, numAug: 0, seed: 4, quiet: true, saveCsv: join(d, 's.csv') });
    assert.ok(st.min >= 40 && st.max <= 50);
    assert.equal(readDatasetMetadata(join(d, 's'), 'test').total_groups, 20);
    assert.equal(readFileSync(join(d, 's.csv'), 'utf8').trim().split('\n').length, 201);
    const ds = new PuzzleDataset({ dataPath: join(d, 's'), split: 'train', globalBatchSize: 32, testSetMode: false, epochsPerIter: 1, rank: 0, numReplicas: 1, seed: 0 });
    assert.equal([...ds.iterate(0)].length, Math.floor(180 / 32));
    const ms = await generateMazeDataset({ count: 10, outputDir: join(d, 'm'), size: 20, minPath: 40, testFraction: 0.2, aug: false, seed: 5, quiet: true });
    assert.ok(ms.min >= 40);
    assert.equal(readDatasetMetadata(join(d, 'm'), 'train').seq_len, 400);
  });
});

test('Sudoku 1k with --num-aug 1000: 1,001,000 puzzles (build time printed, not asserted)', { skip: !SLOW && 'set HRM_SLOW_TESTS=1' }, async (t) => {
  const sud = sharedData('sudoku/sudoku-extreme-train-1k/train.csv');
  if (!sud) return t.skip('shared data not found');
  await withTempDir(async (d) => {
    const t0 = Date.now();
    const r = await buildSudokuDataset({ source: sud, outputDir: join(d, 'out'), numAug: 1000, seed: 0, quiet: true });
    const s = (Date.now() - t0) / 1000;
    console.log(`# sudoku 1k x 1001: ${s.toFixed(1)} s`);
    assert.equal(r.trainPuzzles, 1001000);
  });
});

