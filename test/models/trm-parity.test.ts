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
 *
 * The (mlp_t, pos_encodings) pairs no fixture records are checked in test/models/trm-positions.test.ts.
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

// The reference computes RoPE tables for mlp_t but its sequence MLP never reads them (and they are not
// in the state dict): an mlp_t fixture recorded without positions is also the run with rope, and one
// with rope the run without. One backend: what is checked is the configuration, not the kernels.
const swapped = { rope: 'none', none: 'rope' } as Record<string, string>;
for (const path of files) {
  const config = JSON.parse(readSafetensors(path).metadata.config) as Record<string, unknown>;
  const other = swapped[String(config.pos_encodings)];
  if (config.mlp_t !== true || other === undefined) continue;
  const backend = availableBackends()[0];
  test(`TRM replays ${basename(path)} (mlp_t) with pos_encodings=${other} on ${backend}: the same run`, () => {
    const problems = replayFixture(path, backend, {
      build: (cfg, meta, source) =>
        buildRegisteredModel(meta.arch ?? 'trm', { ...cfg, pos_encodings: other, loss_type: meta.loss ?? 'stablemax_cross_entropy' }, new Rng(0), source),
      noiseFloor: true,
    });
    assert.deepEqual(problems.slice(0, 25), [], `${problems.length} mismatches`);
  });
}
