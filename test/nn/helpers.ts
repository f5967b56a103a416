/** Test helpers shared by the engine, nn and io tests: fixtures, tolerances, looping over backends. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type SafetensorsFile } from '../../src/io/safetensors.js';

// dist/test/nn/helpers.js -> the repository root is three levels up.
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function fixturesDir(): string {
  return process.env.HRM_FIXTURES_DIR ? resolve(process.env.HRM_FIXTURES_DIR) : resolve(repoRoot, '..', 'shared', 'fixtures', 'reference');
}

/** Every `<stem>*.safetensors` in the fixtures folder (none when the folder is absent). */
export function fixtureFiles(stem: string): string[] {
  const dir = fixturesDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(stem) && f.endsWith('.safetensors'))
    .sort()
    .map((f) => join(dir, f));
}

export function loadFixture(path: string): SafetensorsFile {
  return readSafetensors(path);
}

export function skipMessage(what: string): string {
  return `${what}: no fixture in ${fixturesDir()} (set HRM_FIXTURES_DIR)`;
}

/** Asserts |ours - ref| <= rtol * max|ref| + atol elementwise. */
export function assertClose(ours: ArrayLike<number>, ref: ArrayLike<number>, what: string, rtol = 1e-3, atol = 1e-6): void {
  assert.equal(ours.length, ref.length, `${what}: ${ours.length} values, reference has ${ref.length}`);
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) maxRef = Math.max(maxRef, Math.abs(ref[i]));
  const tol = rtol * maxRef + atol;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert.ok(
    worst <= tol,
    `${what}: max |ours - ref| = ${worst} at ${at} (ours ${ours[at]}, ref ${ref[at]}) exceeds ${tol} (max|ref| ${maxRef})`,
  );
}

