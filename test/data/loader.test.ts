import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PuzzleDataset, IGNORE_LABEL_ID, PuzzleDatasetOptions } from '../../src/data/loader.js';
import { DatasetWriter, DatasetMetadata, readDatasetMetadata, metadataJson } from '../../src/data/dataset-format.js';
import { writeNpy } from '../../src/io/npy.js';
import { UserError } from '../../src/util/errors.js';
import { withTempDir } from './helpers.js';

const L = 4;

/**
 * A synthetic dataset: group g has (g % 3) + 1 puzzles; puzzle p has (p % 4) + 1 examples. Example e's
 * inputs are [e, e, e, e] mod 250 + 1 and labels encode e too (label 0 is the ignore label).
 */
function writeSynthetic(dir: string, groups: number): { examples: number; puzzles: number } {
  const puzzleIdx = [0];
  const groupIdx = [0];
  let e = 0;
  let p = 0;
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < (g % 3) + 1; k++) {
      e += (p % 4) + 1;
      puzzleIdx.push(e);
      p++;
    }
    groupIdx.push(p);
  }
  const inputs = new Int32Array(e * L);
  const labels = new Int32Array(e * L);
  for (let i = 0; i < e; i++) {
    inputs.fill(i, i * L, i * L + L);
    labels[i * L] = 0; // ignored
    labels[i * L + 1] = i % 7;
    labels[i * L + 2] = i;
    labels[i * L + 3] = 1;
  }
  const w = new DatasetWriter(dir);
  for (const split of ['train', 'test'] as const) {
    w.writeArray(split, 'all', 'inputs', inputs, [e, L]);
    w.writeArray(split, 'all', 'labels', labels, [e, L]);
    w.writeArray(split, 'all', 'puzzle_identifiers', Int32Array.from({ length: p }, (_, i) => 1 + (i % 5)), [p]);
    w.writeArray(split, 'all', 'puzzle_indices', Int32Array.from(puzzleIdx), [p + 1]);
    w.writeArray(split, 'all', 'group_indices', Int32Array.from(groupIdx), [groups + 1]);
    const m: DatasetMetadata = {
      pad_id: 0, ignore_label_id: 0, blank_identifier_id: 0, vocab_size: 100000, seq_len: L,
      num_puzzle_identifiers: 6, total_groups: groups, mean_puzzle_examples: e / p, sets: ['all'],
    };
    w.writeMetadata(split, m);
  }
  w.commit();
  return { examples: e, puzzles: p };
}

function opts(dir: string, o: Partial<PuzzleDatasetOptions> = {}): PuzzleDatasetOptions {
  return { dataPath: dir, split: 'train', globalBatchSize: 8, testSetMode: false, epochsPerIter: 1, rank: 0, numReplicas: 1, seed: 3, ...o };
}

test('train batches: full, examples distinct within a puzzle, one puzzle per group visit, deterministic per iteration', async () => {
  await withTempDir((d) => {
    const dir = join(d, 'ds');
    const { puzzles } = writeSynthetic(dir, 40);
    // Group of each puzzle, to check the sampling structure.
    const groupOf: number[] = [];
    for (let g = 0, p = 0; g < 40; g++) for (let k = 0; k < (g % 3) + 1; k++, p++) groupOf[p] = g;
    const puzzleStart: number[] = [0];
    for (let p = 0; p < puzzles; p++) puzzleStart.push(puzzleStart[p] + (p % 4) + 1);
    const puzzleOfExample = (e: number) => puzzleStart.findIndex((s, i) => e >= s && e < puzzleStart[i + 1]);

    const ds = new PuzzleDataset(opts(dir, { epochsPerIter: 2 }));
    const batches = [...ds.iterate(5)];
    assert.ok(batches.length > 5);
    const groupVisits = new Map<number, number>();
    for (const { batch, effectiveBatchSize, setName } of batches) {
      assert.equal(setName, 'all');
      assert.equal(effectiveBatchSize, 8);
      assert.equal(batch.inputs.length, 8 * L);
      const seen = new Set<number>();
      for (let r = 0; r < 8; r++) {
        const e = batch.inputs[r * L];
        assert.ok(!seen.has(e), 'an example repeats inside a batch');
        seen.add(e);
        const p = puzzleOfExample(e);
        assert.equal(batch.puzzle_identifiers[r], 1 + (p % 5));
        assert.equal(batch.labels[r * L], IGNORE_LABEL_ID);
        assert.equal(batch.labels[r * L + 2], e === 0 ? IGNORE_LABEL_ID : e);
        if (r === 0 || puzzleOfExample(batch.inputs[(r - 1) * L]) !== p) groupVisits.set(groupOf[p], (groupVisits.get(groupOf[p]) ?? 0) + 1);
      }
    }
    // Two epochs: no group is visited more than twice (a visit may straddle batches, counted once per batch).
    for (const [g, n] of groupVisits) assert.ok(n <= 4, `group ${g} visited ${n} times`);
    // Same iteration, same batches; another iteration, another order.
    const again = [...new PuzzleDataset(opts(dir, { epochsPerIter: 2 })).iterate(5)];
    assert.deepEqual(again.map((b) => Array.from(b.batch.inputs)), batches.map((b) => Array.from(b.batch.inputs)));
    const other = [...ds.iterate(6)];
    assert.notDeepEqual(other.map((b) => Array.from(b.batch.inputs)), batches.map((b) => Array.from(b.batch.inputs)));
    // iterate() without an argument counts 0, 1, 2...
    const fresh = new PuzzleDataset(opts(dir, { epochsPerIter: 2 }));
    fresh.iterate().next();
    assert.deepEqual(Array.from([...fresh.iterate()][0].batch.inputs), Array.from([...ds.iterate(1)][0].batch.inputs));
  });
});

test('train: the last incomplete batch is dropped; ranks take slices of the same global batch', async () => {
  await withTempDir((d) => {
    const dir = join(d, 'ds');
    const { examples } = writeSynthetic(dir, 10);
    const big = [...new PuzzleDataset(opts(dir, { globalBatchSize: examples + 1 })).iterate(0)];
    assert.equal(big.length, 0, 'one epoch holds fewer examples than a batch: nothing is yielded');
    const full = [...new PuzzleDataset(opts(dir, { globalBatchSize: 6 })).iterate(2)];
    const r0 = [...new PuzzleDataset(opts(dir, { globalBatchSize: 6, numReplicas: 2, rank: 0 })).iterate(2)];
    const r1 = [...new PuzzleDataset(opts(dir, { globalBatchSize: 6, numReplicas: 2, rank: 1 })).iterate(2)];
    assert.equal(r0.length, full.length);
    for (let i = 0; i < full.length; i++) {
      assert.deepEqual([...r0[i].batch.inputs, ...r1[i].batch.inputs], Array.from(full[i].batch.inputs));
      assert.deepEqual([...r0[i].batch.puzzle_identifiers, ...r1[i].batch.puzzle_identifiers], Array.from(full[i].batch.puzzle_identifiers));
      assert.equal(r1[i].effectiveBatchSize, 6);
    }
  });
});

test('test mode: examples in order, last batch padded, ranks split each batch', async () => {
  await withTempDir((d) => {
    const dir = join(d, 'ds');
    const { examples, puzzles } = writeSynthetic(dir, 7);
    const ds = new PuzzleDataset(opts(dir, { split: 'test', testSetMode: true, globalBatchSize: 8 }));
    const batches = [...ds.iterate()];
    assert.equal(batches.length, Math.ceil(examples / 8));
    const order: number[] = [];
    for (const b of batches) for (let r = 0; r < 8; r++) if (b.batch.puzzle_identifiers[r] !== 0) order.push(b.batch.inputs[r * L]);
    assert.deepEqual(order, Array.from({ length: examples }, (_, i) => i));
    const last = batches[batches.length - 1];
    const real = examples - 8 * (batches.length - 1);
    assert.equal(last.effectiveBatchSize, real);
    for (let r = real; r < 8; r++) {
      assert.equal(last.batch.puzzle_identifiers[r], 0);
      assert.deepEqual(Array.from(last.batch.inputs.subarray(r * L, r * L + L)), [0, 0, 0, 0]);
      assert.deepEqual(Array.from(last.batch.labels.subarray(r * L, r * L + L)), [-100, -100, -100, -100]);
    }
    // The last example belongs to the last puzzle.
    assert.equal(last.batch.puzzle_identifiers[real - 1], 1 + ((puzzles - 1) % 5));
    const r1 = [...new PuzzleDataset(opts(dir, { split: 'test', testSetMode: true, globalBatchSize: 8, numReplicas: 2, rank: 1 })).iterate()];
    assert.deepEqual(Array.from(r1[0].batch.inputs.filter((_, i) => i % L === 0)), [4, 5, 6, 7]);
  });
});

test('readDatasetMetadata: clear errors for missing or inconsistent data', async () => {
  await withTempDir((d) => {
    const dir = join(d, 'ds');
    assert.throws(() => readDatasetMetadata(dir, 'train'), (e: unknown) => e instanceof UserError && /dataset folder not found/.test(e.message));
    writeSynthetic(dir, 5);
    const m = readDatasetMetadata(dir, 'train');
    assert.equal(m.total_groups, 5);
    const json = join(dir, 'train', 'dataset.json');
    writeFileSync(json, metadataJson({ ...m, seq_len: 5 }));
    assert.throws(() => readDatasetMetadata(dir, 'train'), (e: unknown) => e instanceof UserError && /does not match seq_len 5/.test(e.message));
    writeFileSync(json, JSON.stringify({ ...m, vocab_size: 'big' }));
    assert.throws(() => readDatasetMetadata(dir, 'train'), (e: unknown) => e instanceof UserError && /'vocab_size' must be an integer/.test(e.message));
    writeFileSync(json, '{"pad_id": 0');
    assert.throws(() => readDatasetMetadata(dir, 'train'), (e: unknown) => e instanceof UserError && /not valid JSON/.test(e.message));
    writeFileSync(json, metadataJson({ ...m, total_groups: 6 }));
    assert.throws(() => readDatasetMetadata(dir, 'train'), (e: unknown) => e instanceof UserError && /total_groups is 6/.test(e.message));
    writeFileSync(json, metadataJson(m));
    writeNpy(join(dir, 'train', 'all__puzzle_indices.npy'), new Int32Array(3), [3]);
    assert.throws(() => readDatasetMetadata(dir, 'train'), (e: unknown) => e instanceof UserError && /puzzles \+ 1/.test(e.message));
    rmSync(json);
    assert.throws(() => readDatasetMetadata(dir, 'train'), (e: unknown) => e instanceof UserError && /dataset\.json: missing/.test(e.message));
    mkdirSync(join(d, 'empty'));
    assert.throws(() => readDatasetMetadata(join(d, 'empty'), 'test'), (e: unknown) => e instanceof UserError && /no 'test' split/.test(e.message));
    assert.throws(() => new PuzzleDataset(opts(dir, { split: 'test', globalBatchSize: 9, numReplicas: 2 })), /not divisible/);
  });
});

test('row-by-row reading (for multi-GB arrays) gives the same batches as loading', async () => {
  await withTempDir((d) => {
    const dir = join(d, 'ds');
    writeSynthetic(dir, 12);
    const a = [...new PuzzleDataset(opts(dir)).iterate(1)];
    const ds = new PuzzleDataset(opts(dir, { maxInMemoryBytes: 0 }));
    const b = [...ds.iterate(1)];
    ds.close();
    assert.deepEqual(b.map((x) => Array.from(x.batch.labels)), a.map((x) => Array.from(x.batch.labels)));
    const testOpts = opts(dir, { split: 'test', testSetMode: true, globalBatchSize: 10 });
    const c = [...new PuzzleDataset(testOpts).iterate()];
    const f = [...new PuzzleDataset({ ...testOpts, maxInMemoryBytes: 0 }).iterate()];
    assert.deepEqual(f.map((x) => Array.from(x.batch.inputs)), c.map((x) => Array.from(x.batch.inputs)));
  });
});
