/**
 * Where a builder's train and test rows come from. The reference downloads `train.csv` and `test.csv`
 * side by side; users may point at either file or the folder, give the test file explicitly, split a
 * fraction off the train file, or build a train-only dataset.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';

export interface SourcePaths {
  train: string;
  /** null: no test file (train only, or a split taken with --test-fraction). */
  test: string | null;
}

export function resolveSources(source: string, testSource?: string): SourcePaths {
  if (!existsSync(source)) throw new UserError(`${source}: source not found`);
  let train = source;
  if (statSync(source).isDirectory()) {
    train = join(source, 'train.csv');
    if (!existsSync(train)) throw new UserError(`${source}: folder has no train.csv`);
  }
  let test: string | null = null;
  if (testSource) {
    if (!existsSync(testSource)) throw new UserError(`${testSource}: test source not found`);
    test = testSource;
  } else if (basename(train) === 'train.csv') {
    const sibling = join(dirname(train), 'test.csv');
    if (existsSync(sibling) && resolve(sibling) !== resolve(train)) test = sibling;
  }
  return { train, test };
}

/** Splits indices 0..n-1 into (train, test) with a random `fraction` in test; both keep source order. */
export function splitIndices(n: number, fraction: number, rng: Rng): { train: Int32Array; test: Int32Array } {
  const nTest = Math.round(n * fraction);
  const isTest = new Uint8Array(n);
  const perm = rng.permutation(n);
  for (let i = 0; i < nTest; i++) isTest[perm[i]] = 1;
  const train = new Int32Array(n - nTest);
  const test = new Int32Array(nTest);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (isTest[i]) test[b++] = i;
    else train[a++] = i;
  }
  return { train, test };
}

/** A random subset of `size` indices out of n, in random order (as np.random.choice without replacement). */
export function subsampleIndices(n: number, size: number, rng: Rng, what: string): Int32Array {
  if (size > n) throw new UserError(`--subsample-size ${size} is larger than the ${n} ${what} in the source`);
  return rng.permutation(n).slice(0, size);
}

/** Gathers fixed-length rows `idx` of `data` (rows of `len` bytes). */
export function gatherRows(data: Uint8Array, len: number, idx: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(idx.length * len);
  for (let i = 0; i < idx.length; i++) out.set(data.subarray(idx[i] * len, idx[i] * len + len), i * len);
  return out;
}
