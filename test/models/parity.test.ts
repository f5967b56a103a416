/**
 * Parity with the reference HRM: replays every whole-model fixture (`*.safetensors` whose metadata has
 * a `config`) in HRM_FIXTURES_DIR on every available backend: each training step's outputs, loss,
 * metrics, carry, gradients (puzzle-embedding rows included) and the state after both optimizers, then
 * the evaluation segments from the final weights. Tolerance (fixtures README): |ours - ref| <=
 * 1e-3 * max|ref| + 1e-6 per tensor; integer metrics, halting flags and step counts exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { allBackends } from '../nn/backends.js';
import { HRM } from '../../src/models/hrm/act.js';
import { parseHRMConfig } from '../../src/models/hrm/config.js';
import { Rng } from '../../src/util/random.js';
import { fixturesDir, listSafetensors, readSafetensors, repoFixturesDir, skipOrFail, worstRatio } from '../fixtures.js';
import { replayFixture } from './replay.js';

function replay(path: string, backend: string): string[] {
  return replayFixture(path, backend, {
    // Exploration would draw random numbers the reference did not; the fixtures use 0.
    build: (config, meta, source) => new HRM(parseHRMConfig({ ...config, loss_type: meta.loss ?? 'stablemax_cross_entropy' }, source), new Rng(0)),
  });
}

const dir = fixturesDir();
const shared = listSafetensors(dir).filter((p) => readSafetensors(p).metadata.config !== undefined);
if (shared.length === 0) {
  test('HRM parity with the reference fixtures', (t) => {
    skipOrFail(t, `no whole-model fixtures (*.safetensors with a 'config') in ${dir} (set HRM_FIXTURES_DIR)`);
  });
}
// The repository's own small fixture runs always, with or without ../shared.
const own = listSafetensors(repoFixturesDir()).filter((p) => readSafetensors(p).metadata.config !== undefined);
test('the repository keeps a reference fixture', () => assert.ok(own.length > 0, `no *.safetensors in ${repoFixturesDir()}`));
const files = [...shared, ...own];
for (const backend of allBackends()) {
  for (const path of files) {
    test(`HRM replays ${basename(path)} on ${backend}`, () => {
      Object.assign(worstRatio, { ratio: 0, name: '' });
      const problems = replay(path, backend);
      if (process.env.HRM_VERBOSE) console.log(`${basename(path)} on ${backend}: worst error ${worstRatio.ratio.toFixed(3)} of the tolerance (${worstRatio.name})`);
      assert.deepEqual(problems.slice(0, 25), [], `${problems.length} mismatches`);
    });
  }
}
