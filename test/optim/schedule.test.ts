import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { lrAt } from '../../src/optim/schedule.js';
import { fixturesDir, skipOrFail } from '../fixtures.js';

test('warmup-cosine matches the reference table in layers.json', (t) => {
  const dir = fixturesDir();
  if (!existsSync(join(dir, 'layers.json'))) {
    skipOrFail(t, `layers.json not in ${dir} (set HRM_FIXTURES_DIR)`);
    return;
  }
  const table = JSON.parse(readFileSync(join(dir, 'layers.json'), 'utf8')).lr_schedule as {
    step: number; base: number; warmup: number; total: number; min_ratio: number; lr: number;
  }[];
  assert.ok(table.length > 0);
  for (const r of table) {
    const lr = lrAt(r.step, r.base, r.warmup, r.total, r.min_ratio);
    assert.ok(Math.abs(lr - r.lr) <= 1e-12 + 1e-9 * Math.abs(r.lr), `step ${r.step} min_ratio ${r.min_ratio}: ${lr} != ${r.lr}`);
  }
});

test('warmup is linear and the end is base * minRatio', () => {
  assert.equal(lrAt(0, 1e-3, 10, 100, 0.1), 0);
  assert.equal(lrAt(5, 1e-3, 10, 100, 0.1), 5e-4);
  assert.equal(lrAt(10, 1e-3, 10, 100, 0.1), 1e-3);
  assert.ok(Math.abs(lrAt(100, 1e-3, 10, 100, 0.1) - 1e-4) < 1e-15);
  assert.equal(lrAt(50, 1e-3, 0, 100, 1.0), 1e-3);
});
