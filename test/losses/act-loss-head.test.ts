import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, availableBackends, backward, setBackend, tensor, tidy } from '../../src/engine/index.js';
import { actLossHead, rowStatistics } from '../../src/losses/act-loss-head.js';

const I = -100;

test('row statistics: first-maximum argmax (NaN the largest, as torch), counts, exact rows; padding rows count as correct', () => {
  // B=3 rows, T=2 positions, V=3
  const logits = new Float32Array([
    1, 3, 3, /**/ 0, 0, 1, // row 0: preds 1, 2
    5, 0, 0, /**/ 0, 2, NaN, // row 1: preds 0, 2
    0, 0, 0, /**/ 0, 0, 0, // row 2: preds 0, 0
  ]);
  const labels = new Int32Array([1, 2, 0, 2, I, I]);
  for (const be of availableBackends()) {
    setBackend(be);
    const preds = tidy(() => argmax(tensor(logits, [3, 2, 3])).toInt32Array());
    assert.deepEqual(Array.from(preds), [1, 2, 0, 2, 0, 0], be);
    const s = rowStatistics(preds, labels, 3, 2);
    assert.deepEqual(Array.from(s.counts), [2, 2, 0]);
    assert.deepEqual(Array.from(s.correct), [2, 2, 0]);
    assert.deepEqual(Array.from(s.seqCorrect), [1, 1, 1]);
  }
});

for (const backend of availableBackends()) {
  test(`ACT loss head: losses and metric sums as REFERENCE.md section 3 (${backend})`, () => {
    setBackend(backend);
    const B = 3, T = 2, V = 3;
    const logitsArr = [1, 3, 3, 0, 0, 1, 5, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0];
    const labels = new Int32Array([1, 2, 0, 2, I, I]);
    const qh = [0.5, -0.25, 2];
    const qc = [0.1, 0.2, -0.3];
    const target = new Float32Array([0.25, 0.5, 0.75]);
    tidy(() => {
      const logits = tensor(logitsArr, [B, T, V]).requireGrad('logits');
      const r = actLossHead({
        logits,
        qHaltLogits: tensor(qh, [B]),
        qContinueLogits: tensor(qc, [B]),
        targetQContinue: tensor(target, [B]),
        labels,
        halted: new Uint8Array([1, 1, 1]),
        steps: new Int32Array([2, 3, 4]),
        lossType: 'softmax_cross_entropy',
      });
      // softmax CE per position, divided by the row's count (2, 2, max(0,1))
      const ce = (row: number[], l: number) => Math.log(row.reduce((a, x) => a + Math.exp(x), 0)) - row[l];
      const lm = (ce([1, 3, 3], 1) + ce([0, 0, 1], 2)) / 2 + (ce([5, 0, 0], 0) + ce([0, 2, 1], 2)) / 2;
      const bce = (x: number, t: number) => Math.max(x, 0) - x * t + Math.log(1 + Math.exp(-Math.abs(x)));
      const qhl = bce(0.5, 1) + bce(-0.25, 0) + bce(2, 1);
      const qcl = bce(0.1, 0.25) + bce(0.2, 0.5) + bce(-0.3, 0.75);
      const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-5, `${what}: ${a} vs ${b}`);
      close(r.metrics.lm_loss, lm, 'lm_loss');
      close(r.metrics.q_halt_loss, qhl, 'q_halt_loss');
      close(r.metrics.q_continue_loss, qcl, 'q_continue_loss');
      close(r.lossSum.item(), lm + 0.5 * (qhl + qcl), 'loss');
      // valid rows: 0 and 1 (row 2 has no labels)
      assert.equal(r.metrics.count, 2);
      close(r.metrics.accuracy, 1 + 0.5, 'accuracy');
      assert.equal(r.metrics.exact_accuracy, 1);
      // row 0: q_halt 0.5 >= 0 and correct -> right; row 1: -0.25 < 0 and wrong -> right
      assert.equal(r.metrics.q_halt_accuracy, 2);
      assert.equal(r.metrics.steps, 5);
      // the gradient reaches the logits, and the ignored row gets none
      backward(r.lossSum);
      const g = logits.grad!.toFloat32Array();
      assert.ok(g.slice(12).every((x) => x === 0));
      assert.ok(Math.abs(g[1] - (Math.exp(3) / (Math.exp(1) + 2 * Math.exp(3)) - 1) / 2) < 1e-5);
    });
  });
}
