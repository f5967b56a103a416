import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as E from '../../src/engine/index.js';
import { eachBackend } from '../nn/backends.js';

const inUse = (): number => E.getBackend().stats().bytesInUse;

test('tensor: creation, dtypes, copies in and out', () => {
  eachBackend((b) => {
    E.tidy(() => {
      const t = E.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      assert.deepEqual(t.shape, [2, 3]);
      assert.equal(t.size, 6);
      assert.equal(t.dtype, 'float32');
      assert.equal(t.backend.name, b);
      assert.deepEqual(t.toArray(), [1, 2, 3, 4, 5, 6]);
      const i = E.fromTyped(new Int32Array([-100, 7]));
      assert.equal(i.dtype, 'int32');
      assert.deepEqual(i.toArray(), [-100, 7]);
      assert.deepEqual(E.full([3], 2.5).toArray(), [2.5, 2.5, 2.5]);
      assert.deepEqual(E.zeros([2], 'int32').toArray(), [0, 0]);
      assert.deepEqual(E.ones([2]).toArray(), [1, 1]);
      assert.equal(E.tensor([3.5], []).item(), 3.5);
      assert.equal(E.zeros([0, 4]).size, 0);
      t.set([6, 5, 4, 3, 2, 1]);
      assert.deepEqual(t.toArray(), [6, 5, 4, 3, 2, 1]);
      assert.throws(() => E.tensor([1, 2, 3], [2, 2]), /3 values do not fill shape \[2,2\]/);
      assert.throws(() => t.set([1]), /set: tensor float32 \[2,3\] has 6 elements, got 1 values/);
      assert.throws(() => t.item(), /item: .* has 6 elements, need 1/);
    });
  });
});

test('tensor: reshape and leading-axis narrow are views sharing storage; other narrows copy', () => {
  eachBackend(() => {
    E.tidy(() => {
      const t = E.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [3, 4]);
      const v = E.reshape(t, [2, -1]);
      assert.deepEqual(v.shape, [2, 6]);
      assert.equal(v.storage, t.storage);
      const rows = E.narrow(t, 0, 1, 2);
      assert.equal(rows.storage, t.storage);
      assert.deepEqual(rows.toArray(), [4, 5, 6, 7, 8, 9, 10, 11]);
      const cols = E.narrow(t, 1, 1, 2);
      assert.notEqual(cols.storage, t.storage);
      assert.deepEqual(cols.toArray(), [1, 2, 5, 6, 9, 10]);
      // A view of [1, 4] rows inside [1, 3, 4] is still contiguous.
      const one = E.narrow(E.reshape(t, [1, 3, 4]), 1, 2, 1);
      assert.equal(one.storage, t.storage);
      assert.deepEqual(one.toArray(), [8, 9, 10, 11]);
      rows.set([0, 0, 0, 0, 0, 0, 0, 0]);
      assert.deepEqual(t.toArray().slice(4), [0, 0, 0, 0, 0, 0, 0, 0], 'writes through a view reach the base');
      assert.deepEqual(E.concat([E.narrow(t, 1, 0, 1), E.narrow(t, 1, 3, 1)], 1).toArray(), [0, 3, 0, 0, 0, 0]);
    });
  });
});

test('tensor: storage is ref-counted; dispose returns memory to the pool deterministically', () => {
  eachBackend(() => {
    const base = inUse();
    const t = E.zeros([1000]);
    assert.ok(inUse() >= base + 4000);
    const v = E.reshape(t, [10, 100]);
    const d = t.detach();
    t.dispose();
    assert.ok(inUse() >= base + 4000, 'views keep the storage alive');
    const row = E.narrow(v, 0, 0, 1);
    assert.deepEqual(row.toArray().length, 100);
    row.dispose();
    v.dispose();
    d.dispose();
    d.dispose(); // idempotent
    assert.equal(inUse(), base);
    assert.throws(() => v.toArray(), /was disposed/);
  });
});

test('tidy: disposes what fn does not return, nested scopes, keep(), exceptions', () => {
  eachBackend(() => {
    const base = inUse();
    let inner: E.Tensor | undefined;
    const [a, obj] = E.tidy(() => {
      E.zeros([100]);
      const r = E.tidy(() => {
        E.ones([50]);
        inner = E.full([3], 7);
        return inner;
      });
      assert.equal(r.disposed, false);
      const kept = E.ones([5]).keep();
      return [r, { kept2: E.zeros([2]), kept }] as const;
    });
    assert.equal(a, inner!);
    assert.deepEqual(a.toArray(), [7, 7, 7]);
    assert.deepEqual(obj.kept2.toArray(), [0, 0]);
    assert.deepEqual(obj.kept.toArray(), [1, 1, 1, 1, 1]);
    a.dispose();
    obj.kept.dispose();
    obj.kept2.dispose();
    assert.equal(inUse(), base);
    assert.throws(() =>
      E.tidy(() => {
        E.zeros([64]);
        throw new Error('boom');
      }),
    /boom/);
    assert.equal(inUse(), base, 'an exception inside tidy still frees');
    assert.equal(E.scopeDepth(), 0);
  });
});
