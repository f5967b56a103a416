/** Test helpers for the inference / checkpoint tests: the reference-checkpoint fixture folders. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../fixtures.js';

/** HRM_CHECKPOINT_FIXTURES_DIR, default ../shared/fixtures/checkpoints beside the repository. */
export function checkpointFixturesDir(): string {
  const env = process.env.HRM_CHECKPOINT_FIXTURES_DIR;
  return env ? resolve(env) : resolve(repoRoot(), '..', 'shared', 'fixtures', 'checkpoints');
}

/** Every folder in it that holds a `checkpoint` and its `expected.safetensors`. */
export function checkpointFixtures(): string[] {
  const dir = checkpointFixturesDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isDirectory() && existsSync(join(p, 'checkpoint')) && existsSync(join(p, 'expected.safetensors')))
    .sort();
}
