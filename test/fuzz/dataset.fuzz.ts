/**
 * Fuzzes the dataset readers: dataset.json, identifiers.json and every .npy array of small Sudoku and
 * ARC datasets, one file mutated at a time (bytes, numbers, an array element set out of range), read as
 * `hrm data show` reads it (the loader's checks, then rows rendered) and as the trainer does (the loader
 * built, one training batch and the test batches drawn). Run: node scripts/fuzz-readers.mjs dataset
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildArcDataset } from '../../src/data/builders/arc.js';
import { generateSudokuDataset } from '../../src/data/builders/generated.js';
import { PuzzleDataset } from '../../src/data/loader.js';
import { showDataset } from '../../src/data/show.js';
import { npyBytes, readNpy } from '../../src/io/npy.js';
import type { Rng } from '../../src/util/random.js';
import { main, mutateBytes, type Mutator } from './harness.js';

const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : 'test-output/fuzz';
const work = join(out, 'dataset-work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

async function datasets(): Promise<string[]> {
  const sudoku = join(work, 'sudoku');
  await generateSudokuDataset({ count: 12, outputDir: sudoku, clues: [50, 60], testFraction: 0.25, numAug: 1, seed: 1, quiet: true });
  const src = join(work, 'arc-src');
  mkdirSync(join(src, 'training'), { recursive: true });
  mkdirSync(join(src, 'evaluation'), { recursive: true });
  const task = (k: number) => ({ train: [{ input: [[k, 1], [2, 3]], output: [[3, 2], [1, k]] }], test: [{ input: [[k, 4], [5, 6]], output: [[6, 5], [4, k]] }] });
  writeFileSync(join(src, 'training', 'aaaa0001.json'), JSON.stringify(task(7)));
  writeFileSync(join(src, 'evaluation', 'bbbb0002.json'), JSON.stringify(task(8)));
  const arc = join(work, 'arc');
  await buildArcDataset({ datasetDirs: [src], outputDir: arc, numAug: 1, seed: 1, quiet: true });
  return [sudoku, arc];
}

/**
 * An input is one dataset with one of its files replaced: the first line names the dataset and the file,
 * the rest is the file's new content.
 */
function encode(dataset: string, file: string, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${dataset}\n${file}\n`), bytes]);
}
function decode(b: Buffer): { dataset: string; file: string; bytes: Buffer } | null {
  const a = b.indexOf(10);
  const c = a < 0 ? -1 : b.indexOf(10, a + 1);
  if (c < 0) return null;
  return { dataset: b.subarray(0, a).toString(), file: b.subarray(a + 1, c).toString(), bytes: b.subarray(c + 1) };
}

/** An .npy file with one element set to a value at or past a range's end. */
const npyElement: Mutator = (b: Buffer, rng: Rng) => {
  const d = decode(b);
  if (!d || !d.file.endsWith('.npy')) return mutateBytes(b, rng);
  try {
    const tmp = join(work, 'element.npy');
    writeFileSync(tmp, d.bytes);
    const a = readNpy(tmp);
    const data = a.data as unknown as { length: number; [i: number]: number | bigint };
    if (data.length === 0) return mutateBytes(b, rng);
    const i = rng.int(data.length);
    const v = [-1, 0, 11, 12, 255, 1000, 2147483647][rng.int(7)];
    data[i] = typeof data[i] === 'bigint' ? BigInt(v) : v;
    return encode(d.dataset, d.file, Buffer.from(npyBytes(a.data, a.shape)));
  } catch {
    return mutateBytes(b, rng);
  }
};

/** The file's bytes mutated (the naming lines kept). */
const fileBytes: Mutator = (b: Buffer, rng: Rng) => {
  const d = decode(b);
  return d ? encode(d.dataset, d.file, mutateBytes(d.bytes, rng)) : b;
};

const roots = await datasets();
const seeds: Buffer[] = [];
const known = new Set<string>();
for (const r of roots) {
  for (const f of files(r)) {
    seeds.push(encode(relative(work, r), relative(r, f), readFileSync(f)));
    known.add(`${relative(work, r)}\n${relative(r, f)}`);
  }
}

main([
  {
    name: 'dataset',
    seeds,
    mutators: [fileBytes, fileBytes, npyElement, npyElement],
    run(input) {
      const d = decode(input);
      // a mutation of the naming lines names no file of ours: nothing to read
      if (!d || !known.has(`${d.dataset}\n${d.file}`)) return;
      const orig = join(work, d.dataset);
      const dir = join(work, 'current');
      rmSync(dir, { recursive: true, force: true });
      cpSync(orig, dir, { recursive: true });
      writeFileSync(join(dir, d.file), d.bytes);
      for (const split of ['train', 'test'] as const) {
        showDataset(dir, { split, index: 0, count: 2, colour: false });
        const ds = new PuzzleDataset({ dataPath: dir, split, globalBatchSize: 2, testSetMode: split === 'test', epochsPerIter: 1, rank: 0, numReplicas: 1, seed: 0 });
        try {
          for (const _ of ds.iterate(0)) if (split === 'train') break;
        } finally {
          ds.close();
        }
      }
    },
  },
]);
