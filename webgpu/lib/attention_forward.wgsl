// Non-causal attention with RoPE inside: one workgroup of 256 per (b, h, T query rows), keys in tiles
// of T through workgroup memory (Q, K, V tiles and the T x T scores: 3 T D + T^2 floats), so nothing
// S-sized is stored. float32: an online softmax (the running max rescales the sums). BF16 as native:
// a first pass finds each row's max, the second rounds p = e^(s - max) to bf16 before it multiplies
// V while the row sum adds the float32 p in native's 16-lane order, then out = bf16(O / l).
// lse = max + log(l). grids.ts: B x H x ceil(S / T) workgroups, flattened.
//!include math.wgsl
//!include attention_common.wgsl

var<workgroup> sm: array<f32, 3328>; // 3 T D + T^2 <= 3 x 1024 + 16^2
// the largest power of two <= 16 with T x nextpow2(D) <= 1024
fn fwd_tile(D: u32) -> u32 {
  var np = 1u;
  while (np < D) { np = np * 2u; }
  return max(1u, min(16u, 1024u / np));
}

const NEG = -3.0e38; // the masked score and the initial max (e^(NEG - m) = 0 without infinities)
var<workgroup> row_m: array<f32, 16>;
var<workgroup> row_l: array<f32, 16>;
var<workgroup> row_a: array<f32, 16>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let D = p.D;
  let S = p.S;
  let T = fwd_tile(D);
  let TD = T * D;
  let nq = (S + T - 1u) / T;
  let t = flat_wg(wid, nwg);
  let bh = t / nq;
  if (bh >= p.B * p.H) { return; }
  let b = bh / p.H;
  let h = bh % p.H;
  let q0 = (t % nq) * T;
  let scale = 1.0 / sqrt(f32(D));
  for (var e = li; e < TD; e += 256u) {
    let s = q0 + e / D;
    sm[e] = select(0.0, q_val(b, s, h, e % D, scale), s < S);
  }
  if (li < T) {
    row_m[li] = NEG;
    row_l[li] = 0.0;
    row_a[li] = 1.0;
  }
  var o: array<f32, 4>;
  for (var j = 0u; j < 4u; j++) { o[j] = 0.0; }
  var lanes: array<f32, 16>; // BF16: this row's sum in native's 16 lanes (invocations li < T)
  for (var j = 0u; j < 16u; j++) { lanes[j] = 0.0; }
  let P = 3u * TD;
  let passes = select(1u, 2u, BF16);
  for (var pass_ = 0u; pass_ < passes; pass_++) {
    let accumulate = !BF16 || pass_ == 1u;
    for (var k0 = 0u; k0 < S; k0 += T) {
      workgroupBarrier();
      for (var e = li; e < TD; e += 256u) {
        let s = k0 + e / D;
        let d = e % D;
        let ok = s < S;
        sm[TD + e] = select(0.0, k_val(b, s, h, d), ok);
        if (accumulate) { sm[2u * TD + e] = select(0.0, v_val(b, s, h, d), ok); }
      }
      workgroupBarrier();
      for (var e = li; e < T * T; e += 256u) {
        let r = e / T;
        let c = e % T;
        var sc = NEG;
        if (k0 + c < S) {
          var acc = 0.0;
          for (var d = 0u; d < D; d++) { acc = acc + sm[r * D + d] * sm[TD + c * D + d]; }
          sc = acc;
        }
        sm[P + e] = sc;
      }
      workgroupBarrier();
      if (li < T) {
        let r0 = P + li * T;
        if (!BF16) {
          var mx = row_m[li];
          for (var c = 0u; c < T; c++) { mx = max(mx, sm[r0 + c]); }
          let a = exp_c(row_m[li] - mx);
          var sum = 0.0;
          for (var c = 0u; c < T; c++) {
            let e = exp_c(sm[r0 + c] - mx);
            sm[r0 + c] = e;
            sum = sum + e;
          }
          row_l[li] = row_l[li] * a + sum;
          row_m[li] = mx;
          row_a[li] = a;
        } else if (pass_ == 0u) {
          var mx = row_m[li];
          for (var c = 0u; c < T; c++) { mx = max(mx, sm[r0 + c]); }
          row_m[li] = mx;
        } else {
          let mx = row_m[li];
          for (var c = 0u; c < T && k0 + c < S; c++) {
            let e = exp_c(sm[r0 + c] - mx);
            lanes[(k0 + c) % 16u] = lanes[(k0 + c) % 16u] + e;
            sm[r0 + c] = bf16(e);
          }
          for (var c = S - min(S, k0); c < T; c++) { sm[r0 + c] = 0.0; }
        }
      }
      workgroupBarrier();
      if (accumulate) {
        for (var j = 0u; j < 4u; j++) {
          let e = li + 256u * j;
          if (e < TD) {
            let r = e / D;
            let d = e % D;
            var acc = o[j] * row_a[r];
            for (var c = 0u; c < T; c++) { acc = acc + sm[P + r * T + c] * sm[2u * TD + c * D + d]; }
            o[j] = acc;
          }
        }
      }
    }
  }
  if (BF16 && li < T) {
    var a: array<f32, 8>;
    for (var i = 0u; i < 8u; i++) { a[i] = lanes[i] + lanes[i + 8u]; }
    for (var i = 0u; i < 4u; i++) { a[i] = a[i] + a[i + 4u]; }
    row_l[li] = (a[0] + a[2]) + (a[1] + a[3]);
  }
  workgroupBarrier();
  for (var j = 0u; j < 4u; j++) {
    let e = li + 256u * j;
    let r = e / D;
    if (e < TD && q0 + r < S) {
      var v = o[j] * (1.0 / row_l[r]);
      if (BF16) { v = bf16(v); }
      stf(p.out + ((b * S + q0 + r) * p.H + h) * D + e % D, v);
    }
  }
  if (li < T && q0 + li < S) { stf(p.lse + (b * p.H + h) * S + q0 + li, row_m[li] + log_c(row_l[li])); }
}
