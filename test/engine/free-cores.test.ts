/**
 * The native backend's automatic thread count (src/engine/free-cores.ts): with every core kept busy by
 * other processes, the cores measured free fall below one and one thread is chosen; this process's own
 * work does not count against it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { FreeCores, threadsFor } from '../../src/engine/free-cores.js';

const linux = process.platform === 'linux';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('threadsFor: at least one, at most the ceiling, a core counts when half of it is free', () => {
  assert.equal(threadsFor(0, 2), 1);
  assert.equal(threadsFor(1.0, 2), 1);
  assert.equal(threadsFor(1.4, 2), 1);
  assert.equal(threadsFor(1.6, 2), 2);
  assert.equal(threadsFor(8, 2), 2);
});

test('FreeCores: busy processes on every core leave less than one core; own work is not counted', { skip: !linux && 'reads /proc/stat (Linux)' }, async () => {
  const cores = availableParallelism();
  const f = new FreeCores(cores);
  assert.equal(f.sample(), null, 'the first sample has no interval');
  // this process busy for 600 ms: its own use is subtracted
  const t0 = Date.now();
  while (Date.now() - t0 < 600) Math.sqrt(Math.random());
  const alone = f.sample()!;
  const hogs = Array.from({ length: cores }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  try {
    await sleep(300);
    f.sample();
    await sleep(1200);
    const busy = f.sample()!;
    assert.ok(busy < 0.75, `with ${cores} busy processes: ${busy.toFixed(2)} cores measured free`);
    assert.equal(threadsFor(busy, cores), 1);
    assert.ok(alone > busy + 0.5, `own work alone left ${alone.toFixed(2)} cores free, the hogs ${busy.toFixed(2)}`);
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
  }
});
