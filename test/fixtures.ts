/**
 * Test helpers shared by every test folder: the repository root, the reference fixtures
 * (HRM_FIXTURES_DIR, default ../shared/fixtures/reference next to the repository), reading them with
 * src/io/safetensors.ts, and comparing with the fixtures' tolerance.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type SafeTensor } from '../src/io/safetensors.js';

/** The repository root: the nearest folder above this file with a package.json. */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('package.json not found above the test file');
    d = up;
  }
  return d;
}

/**
 * The fixtures folder (it may not exist: callers skip with a message naming it): $envVar, else
 * ../shared/fixtures/<name> beside the repository (e.g. fixturesDir('trm', 'TRM_FIXTURES_DIR')).
 */
export function fixturesDir(name = 'reference', envVar = 'HRM_FIXTURES_DIR'): string {
  const env = process.env[envVar];
  return env ? resolve(env) : resolve(repoRoot(), '..', 'shared', 'fixtures', name);
}

/** Every *.safetensors in dir, sorted (none when dir does not exist). */
export function listSafetensors(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => join(dir, f));
}

export { readSafetensors };

/** Any fixture tensor as float64 numbers (exact for F32, F64, I32, I64 below 2^53, BOOL). */
export function asNumbers(t: SafeTensor): Float64Array {
  const d = t.data;
  if (d instanceof BigInt64Array) return Float64Array.from(d, (v) => Number(v));
  return Float64Array.from(d as ArrayLike<number>);
}

/** The largest error seen by compareTolerance as a share of its tolerance (reported with HRM_VERBOSE=1). */
export const worstRatio = { ratio: 0, name: '' };

/** `|ours - ref| <= rel * max|ref| + abs` elementwise; returns a message on failure, else null. */
export function compareTolerance(name: string, ours: ArrayLike<number>, ref: ArrayLike<number>, rel = 1e-3, abs = 1e-6): string | null {
  if (ours.length !== ref.length) return `${name}: ${ours.length} values, reference has ${ref.length}`;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) maxRef = Math.max(maxRef, Math.abs(ref[i]));
  const tol = rel * maxRef + abs;
  let worst = -1;
  let worstAt = -1;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    if (!(d <= worst)) {
      worst = Number.isNaN(d) ? Infinity : d;
      worstAt = i;
    }
  }
  if (worstAt >= 0 && worst / tol > worstRatio.ratio) Object.assign(worstRatio, { ratio: worst / tol, name });
  if (worstAt >= 0 && !(worst <= tol)) {
    return `${name}: max |ours - ref| = ${worst.toExponential(3)} at ${worstAt} (ours ${ours[worstAt]}, ref ${ref[worstAt]}) > tol ${tol.toExponential(3)}`;
  }
  return null;
}

/** Exact equality of integer-valued arrays; returns a message on failure, else null. */
export function compareExact(name: string, ours: ArrayLike<number>, ref: ArrayLike<number>): string | null {
  if (ours.length !== ref.length) return `${name}: ${ours.length} values, reference has ${ref.length}`;
  for (let i = 0; i < ref.length; i++) {
    if (ours[i] !== ref[i]) return `${name}: differs at ${i}: ours ${Array.from(ours).join(',')} vs ref ${Array.from(ref).join(',')}`;
  }
  return null;
}

/**
 * The fixtures kept in the repository (test/reference): small ones derived from the reference's, so
 * that a clone without ../shared still checks the model against the reference.
 */
export function repoFixturesDir(): string {
  return join(repoRoot(), 'test', 'reference');
}

/**
 * Skips a fixture test whose fixtures are missing, with `why` naming the folder; in CI (CI=true) a
 * missing fixture is a failure instead, so that correctness checks cannot hide behind a skip.
 */
export function skipOrFail(t: { skip(msg: string): void }, why: string): void {
  if (process.env.CI === 'true') throw new Error(`${why} (CI=true: missing fixtures fail the run)`);
  t.skip(why);
}
