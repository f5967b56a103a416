import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { erf, erfinv, truncNormalFill } from '../../src/nn/init.js';
import { Rng } from '../../src/util/random.js';
import { fixtureFiles, skipMessage } from './helpers.js';
import { skipOrFail } from '../fixtures.js';

test('erf matches known values and erfinv inverts it', () => {
  assert.ok(Math.abs(erf(0.5) - 0.5204998778130465) < 1e-15);
  assert.ok(Math.abs(erf(1) - 0.8427007929497149) < 1e-15);
  assert.ok(Math.abs(erf(Math.SQRT2) - 0.9544997361036416) < 1e-15);
  assert.ok(Math.abs(erf(3.5) - 0.9999992569016276) < 1e-15);
  for (let u = -0.999; u < 1; u += 0.0137) {
    const x = erfinv(u);
    assert.ok(Math.abs(erf(x) - u) < 2e-7 * Math.max(1, Math.abs(x)), `erf(erfinv(${u})) = ${erf(x)}`);
  }
});

function stats(a: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of a) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / a.length;
  let q = 0;
  for (const v of a) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / a.length), min, max };
}

test('truncated normal: std is exact, the range is [-2c, 2c] with c ~ 1.137 std, seeded', () => {
  const a = truncNormalFill(new Rng(1), new Float32Array(400_000), 0.7);
  const s = stats(a);
  assert.ok(Math.abs(s.std - 0.7) < 0.004, `std ${s.std}`);
  assert.ok(Math.abs(s.mean) < 0.004, `mean ${s.mean}`);
  const c = 0.7 * 1.1368;
  assert.ok(s.max <= 2 * c + 1e-3 && s.max > 2 * c - 0.01, `max ${s.max}`);
  assert.ok(s.min >= -2 * c - 1e-3 && s.min < -2 * c + 0.01, `min ${s.min}`);
  const b = truncNormalFill(new Rng(1), new Float32Array(10), 0.7);
  assert.deepEqual([...b], [...a.subarray(0, 10)], 'same seed, same samples');
  assert.deepEqual([...truncNormalFill(new Rng(1), new Float32Array(3), 0)], [0, 0, 0]);
});

test('truncated normal: statistics match the reference fixture (std 0.7)', (t) => {
  const [st] = fixtureFiles('layers');
  if (!st) return skipOrFail(t, skipMessage('layers'));
  const ref = JSON.parse(readFileSync(st.replace(/\.safetensors$/, '.json'), 'utf8')).trunc_normal;
  const a = truncNormalFill(new Rng(123), new Float32Array(400_000), ref.std_arg);
  const s = stats(a);
  assert.ok(Math.abs(s.std - ref.sample_std) < 0.005, `std ${s.std} vs ${ref.sample_std}`);
  assert.ok(Math.abs(s.mean - ref.sample_mean) < 0.005, `mean ${s.mean} vs ${ref.sample_mean}`);
  assert.ok(Math.abs(s.min - ref.min) < 0.01, `min ${s.min} vs ${ref.min}`);
  assert.ok(Math.abs(s.max - ref.max) < 0.01, `max ${s.max} vs ${ref.max}`);
});
