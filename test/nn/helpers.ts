/** Test helpers shared by the engine, nn and io tests: fixtures, tolerances, looping over backends. */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { readSafetensors, type SafetensorsFile } from '../../src/io/safetensors.js';
import { compareTolerance, fixturesDir, listSafetensors } from '../fixtures.js';

/** Every `<stem>*.safetensors` in the fixtures folder (none when the folder is absent). */
export function fixtureFiles(stem: string): string[] {
  return listSafetensors(fixturesDir()).filter((p) => basename(p).startsWith(stem));
}

export function loadFixture(path: string): SafetensorsFile {
  return readSafetensors(path);
}

export function skipMessage(what: string): string {
  return `${what}: no fixture in ${fixturesDir()} (set HRM_FIXTURES_DIR)`;
}

/** Asserts |ours - ref| <= rtol * max|ref| + atol elementwise. */
export function assertClose(ours: ArrayLike<number>, ref: ArrayLike<number>, what: string, rtol = 1e-3, atol = 1e-6): void {
  const problem = compareTolerance(what, ours, ref, rtol, atol);
  assert.ok(problem === null, problem ?? '');
}

