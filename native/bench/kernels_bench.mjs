// Times the non-GEMM kernels at the HRM block shape (hidden 256, 4 heads x 64, batch 64 x 81,
// SwiGLU inter 768), per backend: node native/bench/kernels_bench.mjs [native|wasm] [reps]
// (run `npx tsc -p .` first; uses dist/).
import { setBackend } from '../../dist/src/engine/backend.js';

const name = process.argv[2] ?? 'native';
const reps = Number(process.argv[3] ?? 20);
const be = setBackend(name);
const B = 64, S = 81, H = 4, D = 64, C = H * D, I = 768, N = B * S;
const mk = (n, f = () => Math.random() * 2 - 1) => {
  const p = be.alloc(n * 4);
  const v = be.f32(p, n);
  for (let i = 0; i < n; i++) v[i] = f(i);
  return p;
};
const qkv = mk(N * 3 * C), out = mk(N * C), lse = mk(B * H * S), dout = mk(N * C), dqkv = mk(N * 3 * C);
const cos = mk(S * D, () => Math.cos(Math.random())), sin = mk(S * D, () => Math.sin(Math.random()));
const x = mk(N * C), y = mk(N * C), o2 = mk(N * C), rstd = mk(N), gu = mk(N * 2 * I), sw = mk(N * I), dgu = mk(N * 2 * I);
const big = mk(27e6 / 10), g = mk(27e6 / 10), m = mk(27e6 / 10), v = mk(27e6 / 10, () => Math.random());
const k = be.k;
const cases = {
  attention_forward: () => k.attention_forward(out, lse, qkv, cos, sin, B, S, H, D),
  attention_backward: () => k.attention_backward(dqkv, dout, qkv, out, lse, cos, sin, B, S, H, D),
  add_rmsnorm_forward: () => k.add_rmsnorm_forward(o2, rstd, x, y, N, C, 1e-5),
  rmsnorm_backward: () => k.rmsnorm_backward(y, dout, o2, rstd, N, C),
  swiglu_forward: () => k.swiglu_forward(sw, gu, N, I),
  swiglu_backward: () => k.swiglu_backward(dgu, sw, gu, N, I),
  add: () => k.add(o2, x, y, N * C),
  'adam_atan2 (2.7M)': () => k.adam_atan2(big, g, m, v, 27e5, 1e-4, 0.1, 0.9, 0.95, 0.5, 0.5),
};
for (const [label, fn] of Object.entries(cases)) {
  fn();
  const t = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  console.log(JSON.stringify({ kernel: label, backend: name, isa: be.isa, threads: be.threads, ms: +t[t.length >> 1].toFixed(3), min: +t[0].toFixed(3) }));
}
