/**
 * Parity with the public TRM code: replays every whole-model fixture in TRM_FIXTURES_DIR (default
 * ../shared/fixtures/trm) on every available backend, with the configuration read from each file:
 * every training step (outputs, preds, loss, metrics, carry, gradients, the state after both
 * optimizers, the EMA shadow) and every evaluation segment (test/models/replay.ts).
 *
 * With noiseFloor: trm_mlp_t's trajectory is chaotic from its fourth step on (perturbing the initial
 * weights by one part in 10^7 moves train/4's z_H by 1.2 tolerances and eval/3's by 45), so those steps
 * are held to a limit scaled by that measured rounding noise; steps where the noise is small (all of
 * trm_small, trm_mlp_t's first three) keep the fixtures' tolerance exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { availableBackends } from '../../src/engine/index.js';
import { buildRegisteredModel } from '../../src/models/registry.js';
import { Rng } from '../../src/util/random.js';
import { fixturesDir, listSafetensors, readSafetensors, worstRatio } from '../fixtures.js';
import { replayFixture, widened } from './replay.js';

const dir = fixturesDir('trm', 'TRM_FIXTURES_DIR');
const files = listSafetensors(dir).filter((p) => readSafetensors(p).metadata.config !== undefined);
if (files.length === 0) {
  test('TRM parity with the fixtures', (t) => {
    t.skip(`no whole-model fixtures (*.safetensors with a 'config') in ${dir} (set TRM_FIXTURES_DIR)`);
  });
}
for (const backend of availableBackends()) {
  for (const path of files) {
    test(`TRM replays ${basename(path)} on ${backend}`, () => {
      Object.assign(worstRatio, { ratio: 0, name: '' });
      const problems = replayFixture(path, backend, {
        // the model named by the fixture's `arch` (trm), its configuration from the file; exploration 0 in the fixtures
        build: (config, meta, source) =>
          buildRegisteredModel(meta.arch ?? 'trm', { ...config, loss_type: meta.loss ?? 'stablemax_cross_entropy' }, new Rng(0), source),
        noiseFloor: true,
      });
      if (process.env.HRM_VERBOSE) {
        console.log(`${basename(path)} on ${backend}: worst error ${worstRatio.ratio.toFixed(3)} of the tolerance (${worstRatio.name}); ` +
          `${widened.count} tensors in steps whose rounding noise (perturbed replays) exceeds 1/10 of the tolerance, widest ${widened.worst || '-'}`);
      }
      assert.deepEqual(problems.slice(0, 25), [], `${problems.length} mismatches`);
    });
  }
}
