/**
 * Every op's forward against a float64 reference written here in plain JS, and its gradient against
 * float64 central differences of that reference, on every available backend.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as E from '../../src/engine/index.js';
import type { Tensor } from '../../src/engine/index.js';
import { Rng } from '../../src/util/random.js';
import { eachBackend } from '../nn/backends.js';
import { assertClose } from '../nn/helpers.js';

type Arr = Float64Array;
interface Input {
  shape: number[];
  int?: boolean;
  grad?: boolean;
  data?: (rng: Rng, n: number) => number[];
}
interface Case {
  name: string;
  inputs: Input[];
  ref: (xs: Arr[]) => Arr;
  run: (ts: Tensor[]) => Tensor;
  intOut?: boolean;
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const normal = (scale = 1) => (rng: Rng, n: number): number[] => Array.from({ length: n }, () => scale * rng.normal());

// ---- float64 references ----
function refLinear([x, w, b]: Arr[], K: number, N: number): Arr {
  const M = x.length / K;
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = b ? b[n] : 0;
      for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
      y[m * N + n] = s;
    }
  return y;
}
function refRms(s: Arr, C: number, eps: number): Arr {
  const y = new Float64Array(s.length);
  for (let r = 0; r < s.length / C; r++) {
    let q = 0;
    for (let c = 0; c < C; c++) q += s[r * C + c] ** 2;
    const k = 1 / Math.sqrt(q / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = s[r * C + c] * k;
  }
  return y;
}
function refAttention(qkv: Arr, B: number, S: number, H: number, D: number, cos: Arr | null, sin: Arr | null): Arr {
  const W = 3 * H * D;
  const out = new Float64Array(B * S * H * D);
  const get = (b: number, s: number, part: number, h: number): Float64Array => {
    const v = qkv.slice(b * S * W + s * W + part * H * D + h * D, b * S * W + s * W + part * H * D + (h + 1) * D);
    if (!cos || part === 2) return v;
    const r = new Float64Array(D);
    const half = D / 2;
    for (let d = 0; d < D; d++) {
      const rot = d < half ? -v[d + half] : v[d - half];
      r[d] = v[d] * cos[s * D + d] + rot * sin![s * D + d];
    }
    return r;
  };
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const k = Array.from({ length: S }, (_, s) => get(b, s, 1, h));
      const v = Array.from({ length: S }, (_, s) => get(b, s, 2, h));
      for (let i = 0; i < S; i++) {
        const q = get(b, i, 0, h);
        const sc = k.map((kj) => kj.reduce((a, x, d) => a + x * q[d], 0) / Math.sqrt(D));
        const mx = Math.max(...sc);
        const p = sc.map((x) => Math.exp(x - mx));
        const z = p.reduce((a, x) => a + x, 0);
        for (let d = 0; d < D; d++) {
          let s = 0;
          for (let j = 0; j < S; j++) s += (p[j] / z) * v[j][d];
          out[b * S * H * D + i * H * D + h * D + d] = s;
        }
      }
    }
  return out;
}
function ropeRef(S: number, D: number): { cos: number[]; sin: number[] } {
  const cos: number[] = [];
  const sin: number[] = [];
  for (let s = 0; s < S; s++)
    for (let d = 0; d < D; d++) {
      const f = s * 10000 ** (-(2 * (d % (D / 2))) / D);
      cos.push(Math.cos(f));
      sin.push(Math.sin(f));
    }
  return { cos, sin };
}
function refCE(kind: 'stablemax' | 'softmax', x: Arr, lab: Arr, V: number): Arr {
  const N = lab.length;
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    if (lab[n] === -100) continue;
    const row = x.subarray(n * V, (n + 1) * V);
    if (kind === 'stablemax') {
      const s = Array.from(row, (v) => (v < 0 ? 1 / (1 - v + 1e-30) : v + 1));
      out[n] = -Math.log(s[lab[n]] / s.reduce((a, b) => a + b, 0));
    } else {
      const mx = Math.max(...row);
      const z = row.reduce((a, v) => a + Math.exp(v - mx), 0);
      out[n] = mx + Math.log(z) - row[lab[n]];
    }
  }
  return out;
}
const map = (f: (v: number, i: number) => number) => (xs: Arr[]): Arr => xs[0].map(f);

function concatRef(xs: Arr[], shapes: number[][], axis: number): Arr {
  const outer = size(shapes[0].slice(0, axis));
  const inner = size(shapes[0].slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++)
    xs.forEach((x, i) => {
      const w = shapes[i][axis] * inner;
      out.push(...x.subarray(o * w, (o + 1) * w));
    });
  return Float64Array.from(out);
}
function narrowRef(x: Arr, shape: number[], axis: number, start: number, len: number): Arr {
  const outer = size(shape.slice(0, axis));
  const inner = size(shape.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) out.push(...x.subarray((o * shape[axis] + start) * inner, (o * shape[axis] + start + len) * inner));
  return Float64Array.from(out);
}

const rope = ropeRef(5, 4);
const labels = (V: number) => (rng: Rng, n: number): number[] => Array.from({ length: n }, (_, i) => (i % 4 === 3 ? -100 : rng.int(V)));
const wide = (rng: Rng, n: number): number[] => Array.from({ length: n }, (_, i) => rng.normal() * [0.1, 1, 10, 100][i % 4]);

const CASES: Case[] = [
  {
    name: 'linear (batched, bias)',
    inputs: [{ shape: [2, 3, 5], grad: true }, { shape: [4, 5], grad: true }, { shape: [4], grad: true }],
    ref: (xs) => refLinear(xs, 5, 4),
    run: ([x, w, b]) => E.linear(x, w, b),
  },
  {
    name: 'linear (no bias, weight only)',
    inputs: [{ shape: [7, 6] }, { shape: [3, 6], grad: true }],
    ref: (xs) => refLinear(xs, 6, 3),
    run: ([x, w]) => E.linear(x, w),
  },
  {
    name: 'embedding',
    inputs: [{ shape: [2, 3], int: true, data: (r, n) => Array.from({ length: n }, (_, i) => (i === 4 ? 0 : r.int(5))) }, { shape: [5, 4], grad: true }],
    ref: ([ids, w]) => Float64Array.from(Array.from(ids).flatMap((i) => Array.from(w.subarray(i * 4, i * 4 + 4)))),
    run: ([ids, w]) => E.embedding(ids, w),
  },
  ...[0, 1, 2].map(
    (axis): Case => ({
      name: `concat axis ${axis}`,
      inputs: [{ shape: [2, 3, 4], grad: true }, { shape: [2, 3, 4].map((d, i) => (i === axis ? 1 : d)), grad: true }],
      ref: (xs) => concatRef(xs, [[2, 3, 4], [2, 3, 4].map((d, i) => (i === axis ? 1 : d))], axis),
      run: (ts) => E.concat(ts, axis),
    }),
  ),
  ...[
    [0, 1, 2],
    [1, 1, 2],
    [2, 1, 3],
  ].map(
    ([axis, start, len]): Case => ({
      name: `narrow axis ${axis}`,
      inputs: [{ shape: [3, 4, 5], grad: true }],
      ref: ([x]) => narrowRef(x, [3, 4, 5], axis, start, len),
      run: ([x]) => E.narrow(x, axis, start, len),
    }),
  ),
  { name: 'reshape', inputs: [{ shape: [2, 6], grad: true }], ref: ([x]) => x.slice(), run: ([x]) => E.reshape(x, [3, -1]) },
  { name: 'copy', inputs: [{ shape: [5], grad: true }], ref: ([x]) => x.slice(), run: ([x]) => E.copy(x) },
  {
    name: 'repeatRows',
    inputs: [{ shape: [2, 3], grad: true }],
    ref: ([x]) => Float64Array.from({ length: 24 }, (_, i) => x[i % 6]),
    run: ([x]) => E.repeatRows(x, 4),
  },
  {
    name: 'transpose (last two axes)',
    inputs: [{ shape: [2, 3, 5], grad: true }],
    ref: ([x]) => Float64Array.from({ length: 30 }, (_, i) => {
      const [b, c, r] = [Math.floor(i / 15), Math.floor((i % 15) / 3), i % 3];
      return x[b * 15 + r * 5 + c];
    }),
    run: ([x]) => E.transpose(x),
  },
  {
    name: 'add (same shape)',
    inputs: [{ shape: [3, 4], grad: true }, { shape: [3, 4], grad: true }],
    ref: ([a, b]) => a.map((v, i) => v + b[i]),
    run: ([a, b]) => E.add(a, b),
  },
  {
    name: 'add (broadcast over leading dims)',
    inputs: [{ shape: [2, 3, 4], grad: true }, { shape: [4], grad: true }],
    ref: ([a, b]) => a.map((v, i) => v + b[i % 4]),
    run: ([a, b]) => E.add(a, b),
  },
  {
    name: 'add (same tensor twice)',
    inputs: [{ shape: [6], grad: true }],
    ref: ([a]) => a.map((v) => 2 * v),
    run: ([a]) => E.add(a, a),
  },
  {
    name: 'sub',
    inputs: [{ shape: [3, 4], grad: true }, { shape: [3, 4], grad: true }],
    ref: ([a, b]) => a.map((v, i) => v - b[i]),
    run: ([a, b]) => E.sub(a, b),
  },
  {
    name: 'mul',
    inputs: [{ shape: [3, 4], grad: true }, { shape: [3, 4], grad: true }],
    ref: ([a, b]) => a.map((v, i) => v * b[i]),
    run: ([a, b]) => E.mul(a, b),
  },
  { name: 'scale', inputs: [{ shape: [7], grad: true }], ref: map((v) => -1.5 * v), run: ([x]) => E.scale(x, -1.5) },
  { name: 'sigmoid', inputs: [{ shape: [9], grad: true, data: normal(3) }], ref: map((v) => 1 / (1 + Math.exp(-v))), run: ([x]) => E.sigmoid(x) },
  {
    name: 'where',
    inputs: [{ shape: [4], int: true, data: () => [1, 0, 0, 3] }, { shape: [4, 2, 3], grad: true }, { shape: [4, 2, 3], grad: true }],
    ref: ([c, a, b]) => a.map((v, i) => (c[Math.floor(i / 6)] ? v : b[i])),
    run: ([c, a, b]) => E.where(c, a, b),
  },
  {
    name: 'addRmsNorm (x + y)',
    inputs: [{ shape: [3, 8], grad: true }, { shape: [3, 8], grad: true }],
    ref: ([x, y]) => refRms(x.map((v, i) => v + y[i]), 8, 1e-5),
    run: ([x, y]) => E.addRmsNorm(x, y, 1e-5),
  },
  { name: 'rmsNorm (no y)', inputs: [{ shape: [2, 2, 5], grad: true }], ref: ([x]) => refRms(x, 5, 1e-5), run: ([x]) => E.addRmsNorm(x, null, 1e-5) },
  {
    name: 'attention with RoPE',
    inputs: [{ shape: [2, 5, 24], grad: true }, { shape: [5, 4], data: () => rope.cos }, { shape: [5, 4], data: () => rope.sin }],
    ref: ([qkv, c, s]) => refAttention(qkv, 2, 5, 2, 4, c, s),
    run: ([qkv, cos, sin]) => E.attention(qkv, 2, { cos, sin }),
  },
  {
    name: 'attention without RoPE',
    inputs: [{ shape: [1, 6, 18], grad: true, data: normal(2) }],
    ref: ([qkv]) => refAttention(qkv, 1, 6, 3, 2, null, null),
    run: ([qkv]) => E.attention(qkv, 3, null),
  },
  {
    name: 'swiglu',
    inputs: [{ shape: [3, 8], grad: true, data: normal(2) }],
    ref: ([gu]) => {
      const out = new Float64Array(12);
      for (let n = 0; n < 3; n++)
        for (let i = 0; i < 4; i++) {
          const g = gu[n * 8 + i];
          out[n * 4 + i] = (g / (1 + Math.exp(-g))) * gu[n * 8 + 4 + i];
        }
      return out;
    },
    run: ([gu]) => E.swiglu(gu),
  },
  {
    name: 'stablemaxCrossEntropy',
    inputs: [{ shape: [8, 6], grad: true, data: wide }, { shape: [8], int: true, data: labels(6) }],
    ref: ([x, l]) => refCE('stablemax', x, l, 6),
    run: ([x, l]) => E.stablemaxCrossEntropy(x, l),
  },
  {
    name: 'softmaxCrossEntropy',
    inputs: [{ shape: [8, 6], grad: true, data: normal(3) }, { shape: [8], int: true, data: labels(6) }],
    ref: ([x, l]) => refCE('softmax', x, l, 6),
    run: ([x, l]) => E.softmaxCrossEntropy(x, l),
  },
  {
    name: 'bceWithLogits',
    inputs: [{ shape: [9], grad: true, data: normal(4) }, { shape: [9], data: (r, n) => Array.from({ length: n }, (_, i) => (i % 3) / 2) }],
    ref: ([x, t]) => x.map((v, i) => Math.max(v, 0) - v * t[i] + Math.log1p(Math.exp(-Math.abs(v)))),
    run: ([x, t]) => E.bceWithLogits(x, t),
  },
  { name: 'sum', inputs: [{ shape: [3, 5], grad: true }], ref: ([x]) => Float64Array.of(x.reduce((a, b) => a + b, 0)), run: ([x]) => E.sum(x) },
  { name: 'mean', inputs: [{ shape: [3, 5], grad: true }], ref: ([x]) => Float64Array.of(x.reduce((a, b) => a + b, 0) / 15), run: ([x]) => E.mean(x) },
  {
    name: 'argmax (first maximum)',
    inputs: [{ shape: [3, 4], data: () => [1, 5, 5, 0, -1, -2, -3, -1, 0, 0, 0, 7] }],
    ref: () => Float64Array.of(1, 0, 3),
    run: ([x]) => E.argmax(x),
    intOut: true,
  },
];

function checkCase(c: Case, backend: string): void {
  const rng = new Rng(7);
  const xs: Arr[] = c.inputs.map((inp) => {
    const n = size(inp.shape);
    const v = inp.data ? inp.data(rng, n) : normal()(rng, n);
    return Float64Array.from(inp.int ? v : Float32Array.from(v));
  });
  const where = `${c.name} [${backend}]`;
  E.tidy(() => {
    const ts = c.inputs.map((inp, i) => {
      const t = E.tensor(xs[i], inp.shape, inp.int ? 'int32' : 'float32');
      return inp.grad ? t.requireGrad() : t;
    });
    const y = c.run(ts);
    const ref = c.ref(xs);
    if (c.intOut) {
      assert.equal(y.dtype, 'int32', where);
      assert.deepEqual(y.toArray(), Array.from(ref), where);
      return;
    }
    assertClose(y.toFloat32Array(), ref, `${where} forward`, 1e-4, 1e-5);
    if (!c.inputs.some((i) => i.grad)) return;
    const R = normal()(rng, y.size);
    E.backward(y, E.tensor(R, y.shape));
    const loss = (a: Arr[]): number => c.ref(a).reduce((s, v, i) => s + v * R[i], 0);
    c.inputs.forEach((inp, i) => {
      if (!inp.grad) return;
      const g = ts[i].grad;
      assert.ok(g, `${where}: input ${i} got no gradient`);
      assert.deepEqual(g.shape, inp.shape, `${where}: gradient shape`);
      const fd = new Float64Array(xs[i].length);
      for (let j = 0; j < fd.length; j++) {
        const h = 1e-6 * Math.max(1, Math.abs(xs[i][j]));
        const p = xs.map((a) => a.slice());
        p[i][j] += h;
        const lp = loss(p);
        p[i][j] -= 2 * h;
        fd[j] = (lp - loss(p)) / (2 * h);
      }
      assertClose(g.toFloat32Array(), fd, `${where}: gradient of input ${i}`, 2e-3, 1e-5);
    });
  });
}

test('every op: forward matches a float64 reference, gradient matches central differences (all backends)', () => {
  eachBackend((b) => {
    for (const c of CASES) checkCase(c, b);
  });
});

test('bad calls throw errors naming the op and the shapes or dtypes', () => {
  E.tidy(() => {
    const x = E.zeros([4, 10]);
    assert.throws(() => E.linear(x, E.zeros([8, 12])), { message: 'linear: x [4,10] and w [8,12]: inner sizes differ' });
    assert.throws(() => E.linear(x, E.zeros([8, 10]), E.zeros([7])), /linear: .*bias must be \[out\]/);
    assert.throws(() => E.add(x, E.zeros([3])), /add: a \[4,10\] and b \[3\]/);
    assert.throws(() => E.mul(x, E.zeros([10, 4])), /mul: a \[4,10\] and b \[10,4\]: shapes differ/);
    assert.throws(() => E.embedding(E.zeros([3]), E.zeros([5, 2])), /embedding: float32 \[3\] must be int32/);
    assert.throws(() => E.embedding(E.tensor([0, 5], [2], 'int32'), E.zeros([5, 2])), /embedding: id 5 at position 1 is outside \[0, 5\)/);
    assert.throws(() => E.attention(E.zeros([1, 3, 10]), 2, null), /attention: .*not 3 \* 2 heads/);
    assert.throws(() => E.stablemaxCrossEntropy(E.zeros([2, 3]), E.tensor([0, 3], [2], 'int32')), /label 3 at row 1 is outside \[0, 3\)/);
    assert.throws(() => E.swiglu(E.zeros([2, 3])), /swiglu: .*even size/);
    assert.throws(() => E.narrow(x, 1, 8, 3), /narrow: \[8, 11\) out of range for axis 1/);
    assert.throws(() => E.concat([x, E.zeros([4, 9, 1])], 0), /concat: .*sizes must agree/);
    assert.throws(() => E.reshape(x, [3, 3]), /reshape: cannot view float32 \[4,10\] as \[3,3\]/);
    assert.throws(() => E.where(E.tensor([1], [1], 'int32'), x, x), /where: /);
    const d = E.zeros([2]);
    d.dispose();
    assert.throws(() => E.scale(d, 2), /scale: tensor float32 \[2\] was disposed/);
  });
});

test('ids and labels uploaded from JS are range-checked without reading them back; others are read and checked', () => {
  eachBackend(() => {
    E.tidy(() => {
      const be = E.getBackend();
      const orig = be.readI32.bind(be);
      let reads = 0;
      be.readI32 = (ptr, n) => {
        reads++;
        return orig(ptr, n);
      };
      try {
        const w = E.zeros([5, 2]);
        E.embedding(E.tensor([0, 4, 2], [3], 'int32'), w);
        E.stablemaxCrossEntropy(E.zeros([3, 3]), E.tensor([-100, 2, -100], [3], 'int32'), -100);
        E.embedding(E.zeros([2, 2], 'int32'), w);
        assert.equal(reads, 0, 'ids or labels read back although the host wrote them');
        // Still rejected, with the value and position, through the read-back path.
        assert.throws(() => E.embedding(E.tensor([0, 5], [2], 'int32'), w), /id 5 at position 1 is outside \[0, 5\)/);
        assert.throws(() => E.stablemaxCrossEntropy(E.zeros([2, 3]), E.tensor([-100, -7], [2], 'int32'), -100), /label -7 at row 1/);
        // A partial upload makes the range unknown: the values are then read and checked.
        const ids = E.tensor([0, 1, 2, 3], [4], 'int32');
        E.narrow(ids, 0, 2, 2).set([4, 9]);
        reads = 0;
        assert.throws(() => E.embedding(ids, w), /id 9 at position 3 is outside \[0, 5\)/);
        assert.equal(reads, 1);
        // argmax's output comes from a kernel: read and checked.
        reads = 0;
        E.embedding(E.argmax(E.tensor([0, 1, 1, 0], [2, 2])), w);
        assert.equal(reads, 1);
      } finally {
        be.readI32 = orig;
      }
    });
  });
});

test('sigmoid64 gives the bits of 1/(1+Math.exp(-x)) in JS; maximum follows Math.max', () => {
  eachBackend((b) => {
    E.tidy(() => {
      // random float32 bit patterns (every exponent), a dense sweep where sigmoid is neither 0 nor 1,
      // and the special values
      const n = 1 << 17;
      const bits = new Uint32Array(n);
      let s = 12345;
      for (let i = 0; i < n; i++) bits[i] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const x = new Float32Array(bits.buffer);
      for (let i = 0; i < n / 2; i++) x[i] = Math.fround(((i / (n / 2)) * 2 - 1) * 110);
      x.set([0, -0, 1, -1, Infinity, -Infinity, NaN, 88.7, -88.7, 103.97, -103.97, 1e-30, -1e-45, 3.4e38, -3.4e38], n - 15);
      const got = E.sigmoid64(E.tensor(x, [n])).toFloat32Array();
      let bad = 0;
      let first = '';
      for (let i = 0; i < n; i++) {
        const want = Math.fround(1 / (1 + Math.exp(-x[i])));
        if (!Object.is(got[i], want) && !(Number.isNaN(got[i]) && Number.isNaN(want))) {
          if (bad++ === 0) first = `x=${x[i]}: ${got[i]} vs ${want}`;
        }
      }
      assert.equal(bad, 0, `${b}: ${bad} of ${n} differ, first ${first}`);
      const a = [1, -2, NaN, 0, -0, 5, -Infinity];
      const c = [0, 3, 1, -0, 0, NaN, -1];
      const m = E.maximum(E.tensor(a, [7]), E.tensor(c, [7])).toFloat32Array();
      a.forEach((v, i) => assert.ok(Object.is(m[i], Math.fround(Math.max(v, c[i]))), `${b}: max(${v}, ${c[i]}) = ${m[i]}`));
      const g = E.tensor([1], [1]).requireGrad('x');
      assert.throws(() => E.sigmoid64(g), /sigmoid64: .* needs a gradient/);
    });
  });
});
