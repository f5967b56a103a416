import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, formatDuration, formatRate } from '../../src/util/progress.js';

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, columns: 80, write: (s: string) => out.push(s) } };
}

test('TTY: redraws one line with a bar, count/total, rate and ETA; finish ends the line', () => {
  const { out, stream } = sink(true);
  const p = new Progress('build', 1000, { stream, unit: 'puzzles' });
  const line = p.format(Date.now() + 1000);
  assert.match(line, /^build \[\.+\] 0\/1000 0\.0%/);
  for (let i = 0; i < 500; i++) p.tick();
  assert.match(p.format(), /\[#{12}\.{12}\] 500\/1000 50\.0% .* puzzles\/s ETA /);
  p.finish();
  assert.ok(out.length >= 1);
  assert.ok(out.every((s) => s.startsWith('\r')));
  assert.ok(out[out.length - 1].endsWith('\n'));
  assert.match(out[out.length - 1], /500\/1000/);
});

test('non-TTY: plain lines, no carriage returns, at most one per interval; silent prints nothing', () => {
  const { out, stream } = sink(false);
  const p = new Progress('gen', 0, { stream, plainIntervalS: 3600 });
  for (let i = 0; i < 100000; i++) p.tick();
  p.finish();
  assert.ok(out.length <= 2, `${out.length} lines`);
  assert.ok(out.every((s) => !s.includes('\r') && s.endsWith('\n')));
  assert.match(out[out.length - 1], /^gen 100000 .* it\/s elapsed/);
  const q = sink(false);
  const s = new Progress('x', 10, { stream: q.stream, silent: true });
  s.tick(10);
  s.finish();
  assert.equal(q.out.length, 0);
});

test('rate and duration formats', () => {
  assert.equal(formatRate(12.345), '12.35');
  assert.equal(formatRate(55600), '55.6k');
  assert.equal(formatRate(2.5e6), '2.50M');
  assert.equal(formatDuration(59), '59s');
  assert.equal(formatDuration(61), '1m01s');
  assert.equal(formatDuration(3 * 3600 + 120), '3h02m');
});
