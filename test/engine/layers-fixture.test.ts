/**
 * The engine against the reference's own numbers (fixtures/reference/layers*.safetensors): one HRM
 * block forward and backward with RoPE, RMSNorm, the three losses; on every backend; and the
 * backends against each other. Tolerance |ours - ref| <= 1e-3 * max|ref| + 1e-6.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as E from '../../src/engine/index.js';
import type { Tensor } from '../../src/engine/index.js';
import { toFloat32, toInt32, type SafetensorsFile } from '../../src/io/safetensors.js';
import { HRMBlock } from '../../src/nn/block.js';
import { ropeTables } from '../../src/nn/rotary.js';
import { Rng } from '../../src/util/random.js';
import { eachBackend } from '../nn/backends.js';
import { assertClose, fixtureFiles, loadFixture, skipMessage } from '../nn/helpers.js';
import { skipOrFail } from '../fixtures.js';

function f32(f: SafetensorsFile, name: string): { data: Float32Array; shape: number[] } {
  const t = f.tensors.get(name);
  assert.ok(t, `fixture has no tensor '${name}'`);
  return { data: toFloat32(t), shape: t.shape };
}
function load(f: SafetensorsFile, name: string): Tensor {
  const { data, shape } = f32(f, name);
  return E.tensor(data, shape);
}
function sidecar(path: string): Record<string, any> {
  const j = path.replace(/\.safetensors$/, '.json');
  return existsSync(j) ? JSON.parse(readFileSync(j, 'utf8')) : {};
}

const files = fixtureFiles('layers');

/** Runs the fixture's block on the current backend; returns every output by fixture name. */
function runBlock(f: SafetensorsFile, cfg: Record<string, any>, ownRope: boolean): Map<string, Float32Array> {
  return E.tidy(() => {
    const x = load(f, 'block/x').requireGrad();
    const [, S, hidden] = x.shape;
    const hasRope = f.tensors.has('block/rope/cos');
    const heads: number = cfg.heads ?? hidden / f.tensors.get('block/rope/cos')!.shape[1];
    const D = hidden / heads;
    const gu = f.tensors.get('block/param/mlp.gate_up_proj.weight')!.shape[0];
    const block = new HRMBlock(new Rng(0), { hidden, heads, expansion: cfg.expansion ?? (gu / 2) * 1.5 / hidden, eps: cfg.eps ?? 1e-5 });
    for (const [name, p] of block.parameters()) {
      const ref = f32(f, `block/param/${name}`);
      assert.deepEqual(p.shape, ref.shape, `parameter ${name}`);
      p.set(ref.data);
    }
    let rope: E.Rope | null;
    if (!hasRope) rope = null;
    else if (ownRope) {
      const t = ropeTables(D, S, cfg.rope_theta ?? 10000);
      rope = { cos: E.tensor(t.cos, [S, D]), sin: E.tensor(t.sin, [S, D]) };
    } else rope = { cos: load(f, 'block/rope/cos'), sin: load(f, 'block/rope/sin') };
    const y = block.forward(x, rope);
    E.backward(y, load(f, 'block/dy'));
    const out = new Map<string, Float32Array>([
      ['block/y', y.toFloat32Array()],
      ['block/dx', x.grad!.toFloat32Array()],
    ]);
    for (const [name, p] of block.parameters()) {
      assert.ok(p.grad, `no gradient for ${name}`);
      out.set(`block/grad/${name}`, p.grad.toFloat32Array());
    }
    block.dispose();
    return out;
  });
}

test('layers fixture: block forward and backward with RoPE (every backend, fixture and own rope tables)', (t) => {
  if (files.length === 0) return skipOrFail(t, skipMessage('layers'));
  for (const path of files) {
    const f = loadFixture(path);
    const cfg = sidecar(path).block ?? {};
    const perBackend: Map<string, Float32Array>[] = [];
    eachBackend((b) => {
      for (const own of f.tensors.has('block/rope/cos') ? [false, true] : [false]) {
        const got = runBlock(f, cfg, own);
        for (const [name, v] of got) assertClose(v, f32(f, name).data, `${path} ${name} [${b}${own ? ', own rope' : ''}]`);
        if (!own) perBackend.push(got);
      }
    });
    // The backends agree with each other (tighter than with the reference).
    for (let i = 1; i < perBackend.length; i++) {
      for (const [name, v] of perBackend[0]) assertClose(perBackend[i].get(name)!, v, `backends agree on ${name}`, 1e-4, 1e-6);
    }
  }
});

test('layers fixture: our rotary tables equal the reference tables', (t) => {
  if (files.length === 0) return skipOrFail(t, skipMessage('layers'));
  for (const path of files) {
    const f = loadFixture(path);
    if (!f.tensors.has('block/rope/cos')) continue;
    const cos = f32(f, 'block/rope/cos');
    const [S, D] = cos.shape;
    const own = ropeTables(D, S, sidecar(path).block?.rope_theta ?? 10000);
    assertClose(own.cos, cos.data, 'rope cos', 1e-6, 1e-7);
    assertClose(own.sin, f32(f, 'block/rope/sin').data, 'rope sin', 1e-6, 1e-7);
  }
});

test('layers fixture: rms_norm, stablemax / softmax cross entropy and BCE values and gradients (every backend)', (t) => {
  if (files.length === 0) return skipOrFail(t, skipMessage('layers'));
  for (const path of files) {
    const f = loadFixture(path);
    const eps = sidecar(path).block?.eps ?? 1e-5;
    eachBackend((b) => {
      E.tidy(() => {
        const x = load(f, 'rms_norm/x').requireGrad();
        const y = E.rmsNorm(x, eps);
        E.backward(y, load(f, 'rms_norm/dy'));
        assertClose(y.toFloat32Array(), f32(f, 'rms_norm/y').data, `rms_norm y [${b}]`);
        assertClose(x.grad!.toFloat32Array(), f32(f, 'rms_norm/dx').data, `rms_norm dx [${b}]`);

        const lshape = f.tensors.get('loss/logits')!.shape;
        const V = lshape[lshape.length - 1];
        const labels = E.tensor(toInt32(f.tensors.get('loss/labels')!), [f.tensors.get('loss/labels')!.data.length], 'int32');
        for (const kind of ['stablemax', 'softmax'] as const) {
          const logits = load(f, 'loss/logits').requireGrad();
          const flat = E.reshape(logits, [-1, V]);
          const loss = kind === 'stablemax' ? E.stablemaxCrossEntropy(flat, labels) : E.softmaxCrossEntropy(flat, labels);
          assertClose(loss.toFloat32Array(), f32(f, `loss/${kind}/value`).data, `${kind} value [${b}]`);
          const dv = f32(f, `loss/${kind}/dvalue`).data;
          E.backward(loss, E.tensor(dv, [dv.length]));
          assertClose(logits.grad!.toFloat32Array(), f32(f, `loss/${kind}/dlogits`).data, `${kind} dlogits [${b}]`);
        }
        const bx = load(f, 'loss/bce/logits').requireGrad();
        const bl = E.sum(E.bceWithLogits(bx, load(f, 'loss/bce/target')));
        assertClose([bl.item()], f32(f, 'loss/bce/value').data, `bce value [${b}]`);
        E.backward(bl);
        assertClose(bx.grad!.toFloat32Array(), f32(f, 'loss/bce/dlogits').data, `bce dlogits [${b}]`);
      });
    });
  }
});
