import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsLog, readMetrics } from '../../src/train/metrics-log.js';
import { curvesSvg, downsample } from '../../src/train/plot.js';
import { reduceTrainMetrics } from '../../src/train/loop.js';
import { formatEval, formatSummary } from '../../src/train/summary.js';
import { UserError } from '../../src/util/errors.js';

test('metrics log: buffered appends, truncation to a resume point, torn last line tolerated', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-log-'));
  try {
    const log = new MetricsLog(join(dir, 'metrics.jsonl'));
    log.append({ step: 1, kind: 'train', 'train/lm_loss': 2.5 });
    assert.equal(log.size(), 0, 'nothing written before a flush');
    log.flush(true);
    const mark = log.size();
    log.append({ step: 2, kind: 'train', 'train/lm_loss': NaN });
    log.flush();
    assert.deepEqual(readMetrics(log.path).map((r) => [r.step, r['train/lm_loss']]), [[1, 2.5], [2, 'NaN']]);
    appendFileSync(log.path, '{"step":3,"ki'); // a crash in the middle of a line
    assert.equal(readMetrics(log.path).length, 2);
    log.truncateTo(mark);
    assert.equal(readFileSync(log.path, 'utf8'), '{"step":1,"kind":"train","train/lm_loss":2.5}\n');
    appendFileSync(log.path, 'garbage\n{"step":4,"kind":"train"}\n');
    assert.throws(() => readMetrics(log.path), (e: unknown) => e instanceof UserError && /metrics\.jsonl:2: not a JSON line/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("train metrics are reduced as the reference: losses / global batch, the rest / max(count, 1)", () => {
  const r = reduceTrainMetrics({ count: 4, accuracy: 3, exact_accuracy: 1, lm_loss: 16, q_halt_loss: 8, steps: 10 }, 8, 0.01);
  assert.deepEqual(r, {
    'train/accuracy': 0.75, 'train/count': 1, 'train/exact_accuracy': 0.25, 'train/lm_loss': 2, 'train/q_halt_loss': 1, 'train/steps': 2.5, 'train/lr': 0.01,
  });
  assert.equal(reduceTrainMetrics({ count: 0, accuracy: 0 }, 8, 0)['train/accuracy'], 0);
});

test('curves: an SVG with train and eval series, long series averaged down', () => {
  const recs = [];
  for (let s = 1; s <= 2000; s++) recs.push({ step: s, kind: 'train' as const, 'train/lm_loss': 2 / s, 'train/accuracy': s / 2000, 'train/steps': 2 });
  recs.push({ step: 1000, kind: 'eval' as const, 'all/accuracy': 0.5, 'all/exact_accuracy': 0.1, 'all/steps': 4 });
  recs.push({ step: 2000, kind: 'eval' as const, 'all/accuracy': 0.9, 'all/exact_accuracy': 0.6, 'all/steps': 4 });
  const svg = curvesSvg(recs, 'a <run> & more');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /a &lt;run&gt; &amp; more/);
  assert.match(svg, /all exact accuracy/);
  assert.equal((svg.match(/<path /g) ?? []).length, 6, 'lm_loss, accuracy, train steps, eval accuracy x2, eval steps');
  assert.match(curvesSvg([], 'empty'), /no data yet/);
  const pts = Array.from({ length: 1000 }, (_, i) => [i, i % 2] as [number, number]);
  const d = downsample(pts, 100);
  assert.equal(d.length, 100);
  assert.deepEqual(d[0], [9, 0.5]);
});

test('summary lines', () => {
  assert.equal(formatEval({ all: { accuracy: 0.5, exact_accuracy: 0.25 } }), 'all: exact_accuracy 0.2500 accuracy 0.5000');
  const s = formatSummary({ run_dir: 'r', steps: 10, total_steps: 10, seconds: 75, steps_per_second: 0.5, final_checkpoint: 'r/step_10.safetensors', eval: { 'all/exact_accuracy': 0.5, 'all/accuracy': 0.9, 'all/steps': 4 } });
  assert.match(s, /done: 10\/10 steps in 1m15s/);
  assert.match(s, /held-out 'all': exact accuracy 50\.00%, token accuracy 90\.00%, ACT steps 4\.0/);
});
