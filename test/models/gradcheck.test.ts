/**
 * Configurations the shared fixtures do not cover: a puzzle embedding that needs zero padding
 * (puzzle_emb_ndim 20 with hidden 16: P = 2 positions) together with learned positions. The analytic
 * gradients of the puzzle rows (summed over equal ids) and of the position table must match central
 * differences of the loss along random directions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableBackends, noGrad, setBackend, tidy } from '../../src/engine/index.js';
import { HRM, type Batch } from '../../src/models/hrm/act.js';
import { parseHRMConfig } from '../../src/models/hrm/config.js';
import { Rng } from '../../src/util/random.js';
import { ACTLossHead } from '../../src/losses/act-loss-head.js';

for (const backend of availableBackends()) test(`puzzle-embedding padding with learned positions: gradients match finite differences (${backend})`, () => {
  setBackend(backend);
  const B = 3;
  const T = 5;
  // halt_max_steps 1: no Q target, so the loss is a smooth function of the weights; one cycle each:
  // no steps without gradient, so the 1-step gradient is the exact gradient
  const cfg = parseHRMConfig(
    {
      batch_size: B, seq_len: T, vocab_size: 6, num_puzzle_identifiers: 4, hidden_size: 16, num_heads: 2,
      H_layers: 1, L_layers: 2, H_cycles: 1, L_cycles: 1, halt_max_steps: 1, puzzle_emb_ndim: 20, pos_encodings: 'learned',
      loss_type: 'softmax_cross_entropy',
    },
    'gradcheck',
  );
  const rng = new Rng(5);
  const model = new HRM(cfg, rng);
  const pz = model.puzzleEmb!;
  const init = new Float32Array(pz.size);
  for (let i = 0; i < init.length; i++) init[i] = rng.normal() * 0.5;
  pz.set(init);
  const batch: Batch = {
    inputs: Int32Array.from({ length: B * T }, () => rng.int(6)),
    labels: Int32Array.from({ length: B * T }, (_, i) => (i % 4 === 3 ? -100 : rng.int(6))),
    puzzle_identifiers: new Int32Array([0, 2, 0]),
  };
  const lossNow = (): number =>
    noGrad(() =>
      tidy(() => {
        const r = new ACTLossHead(model).forward(model.initialCarry(B), batch, { training: true });
        model.disposeCarry(r.carry);
        return r.lossSum.item();
      }),
    );

  const r = new ACTLossHead(model).trainStep(model.initialCarry(B), batch, { globalBatchSize: 1 });
  model.disposeCarry(r.carry);
  assert.equal(r.metrics.q_continue_loss, undefined);
  const localGrad = r.puzzleEmbGrad!.toFloat32Array();
  r.puzzleEmbGrad!.dispose();
  assert.equal(localGrad.length, B * 20);
  // the analytic gradient of the table: rows of equal ids summed
  const gTable = new Float64Array(pz.size);
  r.puzzleEmbIds.forEach((id, i) => {
    for (let c = 0; c < 20; c++) gTable[id * 20 + c] += localGrad[i * 20 + c];
  });
  const posParam = model.parameters().find(([n]) => n === 'model.inner.embed_pos.embedding_weight')![1];
  assert.deepEqual(posParam.shape, [T + 2, 16]);
  const gPos = posParam.grad!.toFloat32Array();

  const directional = (set: (x: Float32Array) => void, base: Float32Array, grad: ArrayLike<number>, mask: (i: number) => boolean) => {
    const d = new Float32Array(base.length);
    for (let i = 0; i < d.length; i++) d[i] = mask(i) ? rng.normal() : 0;
    const h = 1e-2;
    const shifted = (s: number) => {
      const x = new Float32Array(base.length);
      for (let i = 0; i < x.length; i++) x[i] = base[i] + s * h * d[i];
      set(x);
      return lossNow();
    };
    const fd = (shifted(1) - shifted(-1)) / (2 * h);
    set(base);
    let an = 0;
    for (let i = 0; i < d.length; i++) an += grad[i] * d[i];
    return { fd, an };
  };
  // rows 0 and 2 are used; row 1 and 3 are not and get no gradient
  for (let id = 0; id < 4; id++) {
    const used = id === 0 || id === 2;
    if (!used) for (let c = 0; c < 20; c++) assert.equal(gTable[id * 20 + c], 0);
  }
  for (let trial = 0; trial < 2; trial++) {
    const p = directional((x) => pz.set(x), init, gTable, (i) => Math.floor(i / 20) === 0 || Math.floor(i / 20) === 2);
    if (process.env.HRM_VERBOSE) console.log('puzzle rows', p);
    assert.ok(Math.abs(p.fd - p.an) <= 0.03 * Math.abs(p.an) + 2e-3, `puzzle rows: finite difference ${p.fd} vs analytic ${p.an}`);
    const base = posParam.toFloat32Array();
    // include the two puzzle positions (rows 0 and 1 of the table)
    const q = directional((x) => posParam.set(x), base, gPos, () => true);
    if (process.env.HRM_VERBOSE) console.log('positions', q);
    assert.ok(Math.abs(q.fd - q.an) <= 0.03 * Math.abs(q.an) + 2e-3, `positions: finite difference ${q.fd} vs analytic ${q.an}`);
  }
  model.disposeCarry(model.initialCarry(1));
});
