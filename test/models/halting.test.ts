/**
 * Halting exploration statistics (REFERENCE.md section 2): with probability p a row draws min_steps
 * uniformly in [2, halt_max_steps] and may not halt before it; otherwise Q decides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideHalting } from '../../src/models/hrm/act.js';
import { Rng } from '../../src/util/random.js';

const N = 40000;

function run(step: number, qHaltWins: boolean, p: number, maxSteps: number, training = true, seed = 7) {
  const steps = new Int32Array(N).fill(step);
  const qh = new Float32Array(N).fill(qHaltWins ? 1 : -1);
  const qc = new Float32Array(N).fill(0);
  return decideHalting(steps, qh, qc, { training, maxSteps, explorationProb: p, rng: new Rng(seed) });
}

test('the share of explored rows is the exploration probability', () => {
  for (const p of [0.1, 0.5]) {
    const { minSteps, halted } = run(1, true, p, 8);
    const explored = minSteps.reduce((a, m) => a + (m > 0 ? 1 : 0), 0) / N;
    // 5 standard deviations of a binomial share
    const sd = Math.sqrt((p * (1 - p)) / N);
    assert.ok(Math.abs(explored - p) < 5 * sd, `p=${p}: explored share ${explored}`);
    // at step 1 every explored row (min_steps >= 2) continues, every other row halts (Q says halt)
    for (let i = 0; i < N; i++) assert.equal(halted[i], minSteps[i] > 0 ? 0 : 1);
  }
});

test('min_steps is uniform in [2, halt_max_steps]', () => {
  const maxSteps = 6;
  const { minSteps } = run(1, true, 1, maxSteps);
  const counts = new Array(maxSteps + 1).fill(0);
  for (const m of minSteps) counts[m]++;
  assert.equal(counts[0] + counts[1], 0);
  const k = maxSteps - 1;
  let chi2 = 0;
  for (let m = 2; m <= maxSteps; m++) chi2 += (counts[m] - N / k) ** 2 / (N / k);
  // chi-square with 4 degrees of freedom: P(chi2 > 23) < 2e-4
  assert.ok(chi2 < 23, `chi2 ${chi2}, counts ${counts}`);
});

test('a row continues at step s with probability p * (max - s) / (max - 1)', () => {
  const maxSteps = 5;
  const p = 0.4;
  for (let s = 1; s <= maxSteps; s++) {
    const { halted } = run(s, true, p, maxSteps, true, 100 + s);
    const cont = halted.reduce((a, h) => a + (h ? 0 : 1), 0) / N;
    const want = s >= maxSteps ? 0 : (p * (maxSteps - s)) / (maxSteps - 1);
    assert.ok(Math.abs(cont - want) < 5 * Math.sqrt((want * (1 - want)) / N) + 1e-9, `step ${s}: ${cont} vs ${want}`);
  }
});

test('exploration never makes a row halt; evaluation halts only at halt_max_steps', () => {
  const a = run(3, false, 0.5, 8);
  assert.equal(a.halted.reduce((x, h) => x + h, 0), 0);
  const last = run(8, false, 0.5, 8);
  assert.equal(last.halted.reduce((x, h) => x + h, 0), N);
  const ev = run(3, true, 0.5, 8, false);
  assert.equal(ev.halted.reduce((x, h) => x + h, 0), 0);
  assert.equal(ev.minSteps.reduce((x, m) => x + m, 0), 0);
  // halt_max_steps 1: every row halts after one segment, no exploration
  const one = run(1, false, 1, 1);
  assert.equal(one.halted.reduce((x, h) => x + h, 0), N);
});
