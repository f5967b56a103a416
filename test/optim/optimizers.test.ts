import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableBackends, setBackend, tensor } from '../../src/engine/index.js';
import { AdamATan2 } from '../../src/optim/adam-atan2.js';
import { SparseSignSGD } from '../../src/optim/sign-sgd.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

for (const backend of availableBackends()) {
  test(`AdamATan2 follows the formula over several steps (${backend})`, () => {
    setBackend(backend);
    const p0 = [0.5, -1.25, 2, 0, 3e-3];
    const grads = [
      [0.1, -0.2, 0, 1e-8, 5],
      [-0.3, 0.2, 0.01, -1e-8, 5],
      [0.05, 0.0, -0.02, 0, -4],
    ];
    const lr = 0.01;
    const wd = 0.1;
    const [b1, b2] = [0.9, 0.95];
    const p = tensor(p0, [5]).requireGrad('w');
    const opt = new AdamATan2([['w', p]], { betas: [b1, b2], weightDecay: wd });
    const ref = p0.slice();
    const m = [0, 0, 0, 0, 0];
    const v = [0, 0, 0, 0, 0];
    grads.forEach((g, i) => {
      p.grad = tensor(g, [5]);
      opt.step(lr);
      opt.zeroGrad();
      const t = i + 1;
      for (let j = 0; j < 5; j++) {
        ref[j] *= 1 - lr * wd;
        m[j] += (1 - b1) * (g[j] - m[j]);
        v[j] += (1 - b2) * (g[j] * g[j] - v[j]);
        ref[j] -= (lr / (1 - b1 ** t)) * Math.atan2(m[j], Math.sqrt(v[j]) / Math.sqrt(1 - b2 ** t));
      }
    });
    const got = p.toFloat32Array();
    for (let j = 0; j < 5; j++) assert.ok(Math.abs(got[j] - ref[j]) < 1e-6, `${j}: ${got[j]} vs ${ref[j]}`);
    // state round trip
    const st = opt.state();
    assert.equal(st.step, 3);
    const opt2 = new AdamATan2([['w', p]], { betas: [b1, b2], weightDecay: wd });
    opt2.loadState(st, 'ckpt');
    assert.deepEqual(opt2.state().m.w, st.m.w);
    assert.throws(() => opt2.loadState({ ...st, m: {} }, 'ckpt.safetensors'), (e: unknown) => e instanceof UserError && /ckpt\.safetensors: optimizer state is missing 'm' for parameter 'w'/.test((e as Error).message));
    opt.dispose();
    opt2.dispose();
  });

  test(`SparseSignSGD sums equal ids and updates only the batch's rows (${backend})`, () => {
    setBackend(backend);
    const w = tensor([1, 1, 2, 2, 3, 3, 4, 4], [4, 2]);
    const sgd = new SparseSignSGD(w, 0.5);
    // ids 1, 1, 3: row 1 gets (0.2 - 0.5, 0.3 + 0) = (-0.3, 0.3); row 3 gets (0, -1)
    sgd.step(0.1, tensor([0.2, 0.3, -0.5, 0, 0, -1], [3, 2]), new Int32Array([1, 1, 3]));
    const got = Array.from(w.toFloat32Array());
    const d = 1 - 0.1 * 0.5;
    const want = [1, 1, 2 * d + 0.1, 2 * d - 0.1, 3, 3, 4 * d, 4 * d + 0.1];
    got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-6, `${i}: ${x} vs ${want[i]}`));
  });

  test(`SparseSignSGD on the device gives the bits of the float64 JS update it replaced (${backend})`, () => {
    setBackend(backend);
    const rng = new Rng(3);
    const V = 12, D = 7, B = 20;
    for (let trial = 0; trial < 20; trial++) {
      const w0 = Float32Array.from({ length: V * D }, () => (rng.random() - 0.5) * 4);
      // a tenth exact zeros (sign 0: decay only)
      const g = Float32Array.from({ length: B * D }, () => (rng.random() < 0.1 ? 0 : (rng.random() - 0.5) * 1e-3));
      const ids = Int32Array.from({ length: B }, () => Math.floor(rng.random() * V));
      const lr = rng.random() * 1e-2;
      const wd = rng.random() * 2;
      // The JS update as SparseSignSGD computed it before it moved to the kernels.
      const want = Float32Array.from(w0);
      const sums = new Map<number, Float64Array>();
      ids.forEach((id, i) => {
        let s = sums.get(id);
        if (!s) sums.set(id, (s = new Float64Array(D)));
        for (let c = 0; c < D; c++) s[c] = Math.fround(s[c] + g[i * D + c]);
      });
      const decay = Math.fround(1 - lr * wd);
      for (const [id, s] of sums) {
        for (let c = 0; c < D; c++) {
          const sign = s[c] > 0 ? 1 : s[c] < 0 ? -1 : 0;
          want[id * D + c] = Math.fround(want[id * D + c] * decay) - lr * sign;
        }
      }
      const w = tensor(w0, [V, D]);
      new SparseSignSGD(w, wd).step(lr, tensor(g, [B, D]), ids);
      assert.deepEqual(w.toFloat32Array(), want, `trial ${trial}: lr ${lr} wd ${wd}`);
      w.dispose();
    }
  });
}
