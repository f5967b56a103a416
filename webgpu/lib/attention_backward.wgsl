// The attention backward without atomics or S-sized scratch: each (b, h) gets 2 ceil(S/T) workgroups
// of 64. The first ceil(S/T) own a block of T keys and walk every query tile for dK and dV; the
// others own T query rows and walk every key tile for dQ. Both recompute P = e^(q.k - lse) and
// dS = P (dO.v - D_i), D_i = dO_i . out_i, tile by tile (Q, dO, K, V tiles and P, dS: 4 T D + 2 T^2
// floats), which costs the scores twice and keeps every sum in one workgroup, in native's order.
// dq = RoPE^T(dQ) / sqrt(D), dk = RoPE^T(dK), dv = dV, into dqkv (overwritten). BF16 as native: P and
// dS rounded before the products, dq = bf16(RoPE^T(bf16(dQ / sqrt(D)))), dk = bf16(RoPE^T(bf16(dK))),
// dv = bf16(dV). grids.ts: B x H x 2 ceil(S/T) workgroups, flattened.
//!include math.wgsl
//!include attention_common.wgsl

var<workgroup> row_L: array<f32, 16>;
var<workgroup> row_D: array<f32, 16>;

var<workgroup> sm: array<f32, 4064>; // with row_L and row_D: 16 KiB

// the largest T <= 16 with 4 T D + 2 T^2 <= 4064 and T D <= 1024 (16 accumulators an invocation)
fn bwd_tile(D: u32) -> u32 {
  var t = 16u;
  while (t > 1u && (4u * t * D + 2u * t * t > 4064u || t * D > 1024u)) { t = t - 1u; }
  return t;
}

// D_i = dout_i . out_i in native's order (16 lanes over whole 16-column chunks, hsum16, then the rest)
fn d_row(ob: u32) -> f32 {
  var lanes: array<f32, 16>;
  for (var l = 0u; l < 16u; l++) { lanes[l] = 0.0; }
  let D16 = p.D / 16u * 16u;
  for (var d = 0u; d < D16; d++) { lanes[d % 16u] = lanes[d % 16u] + ldf(p.dout + ob + d) * ldf(p.out + ob + d); }
  var a: array<f32, 8>;
  for (var i = 0u; i < 8u; i++) { a[i] = lanes[i] + lanes[i + 8u]; }
  for (var i = 0u; i < 4u; i++) { a[i] = a[i] + a[i + 4u]; }
  var acc = (a[0] + a[2]) + (a[1] + a[3]);
  for (var d = D16; d < p.D; d++) { acc = acc + ldf(p.dout + ob + d) * ldf(p.out + ob + d); }
  return acc;
}

// element d of RoPE^T(y) for the row y at sm[at..], position s (y itself without tables)
fn rope_t(at: u32, s: u32, d: u32) -> f32 {
  let y = sm[at + d];
  if (p.cos == 0u) { return y; }
  let h2 = p.D / 2u;
  let c = s * p.D + d;
  if (d < h2) { return y * ldf(p.cos + c) + sm[at + d + h2] * ldf(p.sin + c + h2); }
  return y * ldf(p.cos + c) - sm[at + d - h2] * ldf(p.sin + c - h2);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let D = p.D;
  let S = p.S;
  let H = p.H;
  let T = bwd_tile(D);
  let TD = T * D;
  let nb = (S + T - 1u) / T;
  let t = flat_wg(wid, nwg);
  let bh = t / (2u * nb);
  if (bh >= p.B * H) { return; }
  let b = bh / H;
  let h = bh % H;
  let blk = t % (2u * nb);
  let keys = blk < nb; // this workgroup: dK, dV of keys [k0, k0+T) / dQ of queries [q0, q0+T)
  let own0 = (blk % nb) * T;
  let scale = 1.0 / sqrt(f32(D));
  // tiles in sm: Q [T, D], dO [T, D], K [T, D], V [T, D], P [T, T], dS [T, T]
  let oQ = 0u;
  let odO = TD;
  let oK = 2u * TD;
  let oV = 3u * TD;
  let oP = 4u * TD;
  let odS = oP + T * T;
  var acc1: array<f32, 16>; // dK (keys) or dQ (queries)
  var acc2: array<f32, 16>; // dV (keys)
  for (var j = 0u; j < 16u; j++) {
    acc1[j] = 0.0;
    acc2[j] = 0.0;
  }
  for (var x0 = 0u; x0 < S; x0 += T) {
    let first = x0 == 0u;
    let q0 = select(own0, x0, keys);
    let k0 = select(x0, own0, keys);
    workgroupBarrier();
    // the query side (loaded every tile for keys, once for queries) and the key side (the reverse)
    if (keys || first) {
      for (var e = li; e < TD; e += 64u) {
        let s = q0 + e / D;
        let d = e % D;
        let ok = s < S;
        sm[oQ + e] = select(0.0, q_val(b, s, h, d, scale), ok);
        sm[odO + e] = select(0.0, ldf(p.dout + ((b * S + s) * H + h) * D + d), ok);
      }
      if (li < T) {
        let s = q0 + li;
        if (s < S) {
          row_L[li] = ldf(p.lse + (b * H + h) * S + s);
          row_D[li] = d_row(((b * S + s) * H + h) * D);
        } else {
          row_L[li] = 0.0;
          row_D[li] = 0.0;
        }
      }
    }
    if (!keys || first) {
      for (var e = li; e < TD; e += 64u) {
        let s = k0 + e / D;
        let d = e % D;
        let ok = s < S;
        sm[oK + e] = select(0.0, k_val(b, s, h, d), ok);
        sm[oV + e] = select(0.0, v_val(b, s, h, d), ok);
      }
    }
    workgroupBarrier();
    for (var e = li; e < T * T; e += 64u) {
      let r = e / T;
      let c = e % T;
      var pv = 0.0;
      var ds = 0.0;
      if (q0 + r < S && k0 + c < S) {
        var sc = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < D; d++) {
          sc = sc + sm[oQ + r * D + d] * sm[oK + c * D + d];
          dp = dp + sm[odO + r * D + d] * sm[oV + c * D + d];
        }
        pv = exp_c(sc - row_L[r]);
        ds = pv * (dp - row_D[r]);
        if (BF16) {
          pv = bf16(pv);
          ds = bf16(ds);
        }
      }
      sm[oP + e] = pv;
      sm[odS + e] = ds;
    }
    workgroupBarrier();
    for (var j = 0u; j < 16u; j++) {
      let e = li + 64u * j;
      if (e < TD) {
        let r = e / D; // a key (keys) or a query row (queries)
        let d = e % D;
        if (keys) {
          var a1 = acc1[j];
          var a2 = acc2[j];
          for (var i = 0u; i < T; i++) {
            a2 = a2 + sm[oP + i * T + r] * sm[odO + i * D + d];
            a1 = a1 + sm[odS + i * T + r] * sm[oQ + i * D + d];
          }
          acc1[j] = a1;
          acc2[j] = a2;
        } else {
          var a1 = acc1[j];
          for (var c = 0u; c < T; c++) { a1 = a1 + sm[odS + r * T + c] * sm[oK + c * D + d]; }
          acc1[j] = a1;
        }
      }
    }
  }
  // dK or dQ through workgroup memory for RoPE's transpose (it pairs d with d +- D/2)
  workgroupBarrier();
  for (var j = 0u; j < 16u; j++) {
    let e = li + 64u * j;
    if (e < TD) {
      var v = acc1[j];
      if (BF16) { v = bf16(select(v, v * scale, !keys)); }
      sm[e] = v;
    }
  }
  workgroupBarrier();
  for (var j = 0u; j < 16u; j++) {
    let e = li + 64u * j;
    let r = e / D;
    let s = own0 + r;
    if (e < TD && s < S) {
      let d = e % D;
      var g = rope_t(r * D, s, d);
      if (!BF16 && !keys) { g = g * scale; }
      if (BF16) { g = bf16(g); }
      let at = ((b * S + s) * 3u) * H * D + h * D + d;
      if (keys) {
        stf(p.dqkv + at + H * D, g);
        var v = acc2[j];
        if (BF16) { v = bf16(v); }
        stf(p.dqkv + at + 2u * H * D, v);
      } else {
        stf(p.dqkv + at, g);
      }
    }
  }
}
