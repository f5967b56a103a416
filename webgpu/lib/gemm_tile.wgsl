// A 64x64 tile of C per workgroup of 256 invocations, 4x4 outputs each, K in slices of 16 through
// workgroup memory. op(A)[m,k] = A[k*lda+m] when transA, else A[m*lda+k]; op(B)[k,n] likewise.
// Accumulation in float32 in k order within a slice; beta == 0 ignores the old C (even NaN).
const TM = 64u;
const TN = 64u;
const TK = 16u;
var<workgroup> As: array<f32, 1024>; // [TK][TM]
var<workgroup> Bs: array<f32, 1024>; // [TK][TN]

fn loadA(m: u32, k: u32) -> f32 {
  if (m >= u32(p.M) || k >= u32(p.K)) { return 0.0; }
  if (p.transA != 0) { return ldf(p.A + k * u32(p.lda) + m); }
  return ldf(p.A + m * u32(p.lda) + k);
}
fn loadB(k: u32, n: u32) -> f32 {
  if (n >= u32(p.N) || k >= u32(p.K)) { return 0.0; }
  if (p.transB != 0) { return ldf(p.B + n * u32(p.ldb) + k); }
  return ldf(p.B + k * u32(p.ldb) + n);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  let tr = (li / 16u) * 4u; // this invocation's 4 rows within the tile
  let tc = (li % 16u) * 4u; // and 4 columns
  var acc: array<f32, 16>;
  for (var i = 0u; i < 16u; i++) { acc[i] = 0.0; }
  let K = u32(p.K);
  for (var k0 = 0u; k0 < K; k0 += TK) {
    // 1024 elements of each tile, 4 per invocation
    for (var e = 0u; e < 4u; e++) {
      let idx = li + e * 256u;
      let kk = idx / TM;
      let mm = idx % TM;
      As[idx] = loadA(m0 + mm, k0 + kk);
      Bs[idx] = loadB(k0 + kk, n0 + mm);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[kk * TM + tr + i]; b[i] = Bs[kk * TN + tc + i]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + tr + i;
    if (m >= u32(p.M)) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + tc + j;
      if (n >= u32(p.N)) { continue; }
      let c = p.Cm + m * u32(p.ldc) + n;
      var v = p.alpha * acc[i * 4u + j];
      if (p.beta != 0.0) { v = v + p.beta * ldf(c); }
      stf(c, v);
    }
  }
}
