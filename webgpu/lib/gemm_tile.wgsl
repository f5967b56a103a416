// C = alpha op(A) op(B) + beta C with no workgroup memory and no barrier: each invocation keeps a 4x4
// block of C in registers and streams its 4 rows of op(A) and 4 columns of op(B) from memory, 8x8
// invocations (a 32x32 tile of C) per workgroup, so neighbours share what they read through the
// caches. SwiftShader (CI's adapter) runs a barrier as a switch between all the workgroup's
// invocations: the workgroup-memory version was 5-10x slower there. A tiled variant for real GPUs
// is a separate kernel-table entry once one can be measured.
// op(A)[m,k] = A[k*lda+m] when transA, else A[m*lda+k]; op(B)[k,n] likewise. Accumulation in float32
// in k order; beta == 0 ignores the old C (even NaN); K == 0 or alpha == 0 gives beta C without
// reading A or B (as C). The including kernel sets BF16: operands rounded to bfloat16 as they are
// read (gemm_bf16), so the products are exact.
fn opA(m: u32, k: u32) -> f32 {
  var v: f32;
  if (p.transA != 0) { v = ldf(p.A + k * u32(p.lda) + m); } else { v = ldf(p.A + m * u32(p.lda) + k); }
  if (BF16) { v = bf16(v); }
  return v;
}
fn opB(k: u32, n: u32) -> f32 {
  var v: f32;
  if (p.transB != 0) { v = ldf(p.B + n * u32(p.ldb) + k); } else { v = ldf(p.B + k * u32(p.ldb) + n); }
  if (BF16) { v = bf16(v); }
  return v;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let M = u32(p.M);
  let N = u32(p.N);
  let m0 = wid.y * 32u + lid.y * 4u;
  let n0 = wid.x * 32u + lid.x * 4u;
  if (m0 >= M || n0 >= N) { return; }
  // rows and columns past the edge repeat the last one: their sums are computed and never stored
  let mi = vec4u(m0, min(m0 + 1u, M - 1u), min(m0 + 2u, M - 1u), min(m0 + 3u, M - 1u));
  let ni = vec4u(n0, min(n0 + 1u, N - 1u), min(n0 + 2u, N - 1u), min(n0 + 3u, N - 1u));
  var c0 = vec4f(0.0);
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  let K = select(u32(p.K), 0u, p.alpha == 0.0 || p.K < 0);
  for (var k = 0u; k < K; k++) {
    let b = vec4f(opB(k, ni.x), opB(k, ni.y), opB(k, ni.z), opB(k, ni.w));
    c0 = fma(vec4f(opA(mi.x, k)), b, c0);
    c1 = fma(vec4f(opA(mi.y, k)), b, c1);
    c2 = fma(vec4f(opA(mi.z, k)), b, c2);
    c3 = fma(vec4f(opA(mi.w, k)), b, c3);
  }
  let acc = array<vec4f, 4>(c0, c1, c2, c3);
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + i;
    if (m >= M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + j;
      if (n >= N) { break; }
      let c = p.Cm + m * u32(p.ldc) + n;
      var v = p.alpha * acc[i][j];
      if (p.beta != 0.0) { v = v + p.beta * ldf(c); }
      stf(c, v);
    }
  }
}
