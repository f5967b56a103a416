import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as E from '../../src/engine/index.js';
import { HRMBlock } from '../../src/nn/block.js';
import { RotaryEmbedding } from '../../src/nn/rotary.js';
import { Rng } from '../../src/util/random.js';
import { eachBackend } from '../nn/backends.js';

const inUse = (): number => E.getBackend().stats().bytesInUse;

test('backward: accumulates into leaves across calls, diamonds sum, detach and noGrad cut the graph', () => {
  eachBackend(() => {
    E.tidy(() => {
      const x = E.tensor([1, 2, 3]).requireGrad();
      const w = E.tensor([1, 0, 2, 1, -1, 0], [2, 3]).requireGrad();
      for (let k = 0; k < 2; k++) E.backward(E.sum(E.linear(E.reshape(x, [1, 3]), w)));
      assert.deepEqual(x.grad!.toArray(), [4, -2, 4], 'x.grad = 2 * column sums of w');
      assert.deepEqual(w.grad!.toArray(), [2, 4, 6, 2, 4, 6], 'w.grad accumulated (gemm with beta 1)');
      // diamond: y = x*x + 3x -> dy/dx = 2x + 3
      x.grad!.dispose();
      x.grad = null;
      E.backward(E.sum(E.add(E.mul(x, x), E.scale(x, 3))));
      assert.deepEqual(x.grad!.toArray(), [5, 7, 9]);
      // detach: no gradient through the detached branch
      x.grad = null;
      E.backward(E.sum(E.mul(x, x.detach())));
      assert.deepEqual(x.grad!.toArray(), [1, 2, 3]);
      const n = E.noGrad(() => E.mul(x, x));
      assert.equal(n.requiresGrad, false);
      assert.equal(n.node, null);
      assert.throws(() => E.backward(E.sum(n)), /does not require grad/);
      assert.throws(() => E.backward(E.mul(x, x)), /has 3 elements; pass a seed/);
    });
  });
});

test('backward: a leaf gradient owns its storage even when the op passes the gradient through', () => {
  eachBackend(() => {
    E.tidy(() => {
      const a = E.tensor([1, 2]).requireGrad();
      const b = E.tensor([3, 4]).requireGrad();
      E.backward(E.add(a, b), E.tensor([1, 1]));
      assert.notEqual(a.grad!.storage, b.grad!.storage);
      a.grad!.set([9, 9]);
      assert.deepEqual(b.grad!.toArray(), [1, 1]);
    });
  });
});

test('backward: the graph is released after use; a second backward says so', () => {
  eachBackend(() => {
    const x = E.tensor([1, 2, 3]).requireGrad();
    const base = inUse();
    const loss = E.tidy(() => E.sum(E.sigmoid(E.mul(x, x))));
    assert.ok(inUse() > base, 'the graph holds saved tensors');
    E.backward(loss);
    assert.throws(() => E.backward(loss), /already released/);
    loss.dispose();
    const g = x.grad!.toArray();
    x.grad!.dispose();
    x.grad = null;
    assert.equal(inUse(), base, 'saved tensors and intermediate gradients are freed');
    assert.ok(g.every((v) => v > 0));
    // A graph made inside tidy whose result is not returned is released at the end of the scope.
    E.tidy(() => {
      E.sum(E.mul(x, x));
    });
    assert.equal(inUse(), base);
    x.dispose();
  });
});

test('memory: block forward+backward+update in tidy allocates nothing new after the first step', () => {
  eachBackend(() => {
    const rng = new Rng(1);
    const block = new HRMBlock(rng, { hidden: 32, heads: 2, expansion: 2 });
    const rope = new RotaryEmbedding(16, 9);
    const x = E.tensor(Float32Array.from({ length: 2 * 9 * 32 }, () => rng.normal()), [2, 9, 32]);
    const step = (): void =>
      E.tidy(() => {
        const y = block.forward(x, rope);
        E.backward(E.mean(E.mul(y, y)));
        for (const [, p] of block.parameters()) {
          p.backend.k.axpy(p.ptr, p.grad!.ptr, -1e-3, p.size);
          p.grad!.dispose();
          p.grad = null;
        }
      });
    step();
    const s0 = E.getBackend().stats();
    for (let i = 0; i < 50; i++) step();
    const s1 = E.getBackend().stats();
    assert.equal(s1.bytesInUse, s0.bytesInUse, 'no tensor leaks');
    assert.equal(s1.misses, s0.misses, 'every allocation after the first step comes from the pool');
    block.dispose();
    rope.dispose();
    x.dispose();
  });
});

test('memory (HRM_SLOW_TESTS=1): 10,000 block training iterations, pool and RSS stay flat', async (t) => {
  if (process.env.HRM_SLOW_TESTS !== '1') return t.skip('set HRM_SLOW_TESTS=1 (about a minute)');
  for (const name of E.availableBackends()) {
    E.setBackend(name);
    const rng = new Rng(2);
    const block = new HRMBlock(rng, { hidden: 64, heads: 2, expansion: 4 });
    const rope = new RotaryEmbedding(32, 16);
    const x = E.tensor(Float32Array.from({ length: 4 * 16 * 64 }, () => rng.normal()), [4, 16, 64]);
    const step = (): void =>
      E.tidy(() => {
        E.backward(E.mean(E.mul(block.forward(x, rope), x)));
        for (const [, p] of block.parameters()) {
          p.backend.k.axpy(p.ptr, p.grad!.ptr, -1e-3, p.size);
          p.grad!.dispose();
          p.grad = null;
        }
      });
    // Yield now and then: Node frees the native backend's JS views only when the event loop turns.
    const steps = async (n: number): Promise<void> => {
      for (let i = 1; i <= n; i++) {
        step();
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
      }
    };
    await steps(1000);
    const s0 = E.getBackend().stats();
    const rss0 = process.memoryUsage().rss;
    await steps(9000);
    const s1 = E.getBackend().stats();
    assert.equal(s1.bytesInUse, s0.bytesInUse);
    assert.equal(s1.misses, s0.misses);
    const grew = process.memoryUsage().rss - rss0;
    assert.ok(grew < 32 * 1024 * 1024, `RSS grew by ${grew} bytes over 9,000 iterations`);
    block.dispose();
    rope.dispose();
    x.dispose();
  }
});
