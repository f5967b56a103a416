// The attention backward in native's steps (attention.c), without atomics, workgroup memory or
// barriers (attention_rows.wgsl): invocations [0, R) own a query row i and dQ_i = sum_j dS_ij K_j;
// invocations [R, 2R) own a key row j with dV_j = sum_i P_ij dO_i and dK_j = sum_i dS_ij Q_i; both
// recompute P_ij = e^(q_i.k_j - lse_i) and dS_ij = P_ij (dO_i.v_j - D_i), D_i = dO_i . out_i in 16 lanes,
// and add over the other side's rows in order. Columns go in slices of 32 RoPE pairs (d, d + D/2),
// so RoPE's transpose stays within an invocation: dq = RoPE^T(dQ) / sqrt(D), dk = RoPE^T(dK),
// dv = dV. BF16: P and dS rounded before the products, dq = bf16(RoPE^T(bf16(dQ / sqrt(D)))),
// dk = bf16(RoPE^T(bf16(dK))), dv = bf16(dV). R = B H ceil(ceil(D/2)/32) S, rows fastest; grids.ts.
//!include attention_rows.wgsl

// D_i = dout_i . out_i in native's order (16 lanes over whole 16-column chunks, hsum16, then the rest)
fn d_row(ob: u32) -> f32 {
  var lanes: array<f32, 16>;
  for (var l = 0u; l < 16u; l++) { lanes[l] = 0.0; }
  let D16 = p.D / 16u * 16u;
  for (var d = 0u; d < D16; d++) { lanes[d % 16u] = lanes[d % 16u] + ldf(p.dout + ob + d) * ldf(p.out + ob + d); }
  var acc = hsum16(&lanes);
  for (var d = D16; d < p.D; d++) { acc = acc + ldf(p.dout + ob + d) * ldf(p.out + ob + d); }
  return acc;
}

fn row_at(b: u32, s: u32, h: u32) -> u32 { return ((b * p.S + s) * p.H + h) * p.D; }

// slot e of a slice (32 pairs from pair k0) -> its column, or D when the slot is unused
fn slot_col(e: u32, k0: u32, hp: u32) -> u32 {
  let k = k0 + e % 32u;
  if (k >= hp) { return p.D; }
  return min(p.D, select(k, k + hp, e >= 32u));
}

// RoPE^T of the pair (y[k], y[k + D/2]) at position s: returns (dx[k], dx[k + D/2])
fn rope_t2(a: f32, c: f32, s: u32, k: u32) -> vec2f {
  if (p.cos == 0u) { return vec2f(a, c); }
  let h2 = p.D / 2u;
  let at = s * p.D + k;
  return vec2f(a * ldf(p.cos + at) + c * ldf(p.sin + at + h2), c * ldf(p.cos + at + h2) - a * ldf(p.sin + at));
}

// dO_i . v_j: from registers (dO_i or v_j held, `held` says which) when D <= 64, else from memory
fn dot_dov(x: ptr<function, array<f32, 64>>, held_do: bool, b: u32, i: u32, j: u32, h: u32) -> f32 {
  var acc = 0.0;
  let ob = row_at(b, i, h);
  let vb = qkv_at(b, j, 2u, h);
  if (p.D <= DS) {
    for (var d = 0u; d < DS; d++) {
      if (d < p.D) {
        if (held_do) { acc = acc + (*x)[d] * v_val(b, j, h, d); } else { acc = acc + ldf(p.dout + ob + d) * (*x)[d]; }
      }
    }
  } else {
    for (var d = 0u; d < p.D; d++) { acc = acc + ldf(p.dout + ob + d) * v_val(b, j, h, d); }
  }
  return acc;
}

// q_i . k_j with k_j held (D <= 64) or from memory
fn dot_kq(k: ptr<function, array<f32, 64>>, b: u32, i: u32, j: u32, h: u32, scale: f32) -> f32 {
  var acc = 0.0;
  if (p.D <= DS) {
    for (var d = 0u; d < DS; d++) {
      if (d < p.D) { acc = acc + q_val(b, i, h, d, scale) * (*k)[d]; }
    }
  } else {
    for (var d = 0u; d < p.D; d++) { acc = acc + q_val(b, i, h, d, scale) * k_val(b, j, h, d); }
  }
  return acc;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let D = p.D;
  let S = p.S;
  let H = p.H;
  let hp = (D + 1u) / 2u;
  let nsl = (hp + 31u) / 32u;
  let R = p.B * H * nsl * S;
  let idx = flat_wg(wid, nwg) * 64u + li;
  if (S == 0u || idx >= 2u * R) { return; }
  let keys = idx >= R;
  let r = select(idx, idx - R, keys);
  let s = r % S;
  let t = r / S;
  let k0 = (t % nsl) * 32u;
  let bh = t / nsl;
  let b = bh / H;
  let h = bh % H;
  let scale = 1.0 / sqrt(f32(D));
  var x1: array<f32, 64>; // queries: q_i, keys: k_j (by column, D <= 64)
  var x2: array<f32, 64>; // queries: dO_i, keys: v_j
  if (D <= DS) {
    for (var d = 0u; d < DS; d++) {
      if (d < D) {
        if (keys) {
          x1[d] = k_val(b, s, h, d);
          x2[d] = v_val(b, s, h, d);
        } else {
          x1[d] = q_val(b, s, h, d, scale);
          x2[d] = ldf(p.dout + row_at(b, s, h) + d);
        }
      }
    }
  }
  var a1: array<f32, 64>; // by slot: dQ (queries) or dK (keys)
  var a2: array<f32, 64>; // dV (keys)
  for (var e = 0u; e < DS; e++) {
    a1[e] = 0.0;
    a2[e] = 0.0;
  }
  if (!keys) {
    let L = ldf(p.lse + (b * H + h) * S + s);
    let Di = d_row(row_at(b, s, h));
    for (var j = 0u; j < S; j++) {
      let pv = exp_c(dot_qk(&x1, b, s, j, h, scale) - L);
      var ds = pv * (dot_dov(&x2, true, b, s, j, h) - Di);
      if (BF16) { ds = bf16(ds); }
      for (var e = 0u; e < DS; e++) {
        let c = slot_col(e, k0, hp);
        if (c < D) { a1[e] = a1[e] + ds * k_val(b, j, h, c); }
      }
    }
  } else {
    for (var i = 0u; i < S; i++) {
      let L = ldf(p.lse + (b * H + h) * S + i);
      let Di = d_row(row_at(b, i, h));
      var pv = exp_c(dot_kq(&x1, b, i, s, h, scale) - L);
      var ds = pv * (dot_dov(&x2, false, b, i, s, h) - Di);
      if (BF16) {
        pv = bf16(pv);
        ds = bf16(ds);
      }
      let ob = row_at(b, i, h);
      for (var e = 0u; e < DS; e++) {
        let c = slot_col(e, k0, hp);
        if (c < D) {
          a2[e] = a2[e] + pv * ldf(p.dout + ob + c);
          a1[e] = a1[e] + ds * q_val(b, i, h, c, scale);
        }
      }
    }
  }
  // RoPE's transpose pair by pair; q: times 1/sqrt(D) (bf16: before it, rounded)
  let at = ((b * S + s) * 3u) * H * D + h * D;
  let dst = p.dqkv + at + select(0u, H * D, keys);
  for (var e = 0u; e < 32u; e++) {
    let k = k0 + e;
    if (k >= hp) { break; }
    var ya = a1[e];
    var yb = a1[e + 32u]; // column k + hp (none when D is odd and k + hp = D)
    if (BF16) {
      if (!keys) {
        ya = ya * scale;
        yb = yb * scale;
      }
      ya = bf16(ya);
      yb = bf16(yb);
    }
    var g = rope_t2(ya, yb, s, k);
    if (!BF16 && !keys) { g = g * scale; }
    if (BF16) { g = vec2f(bf16(g.x), bf16(g.y)); }
    stf(dst + k, g.x);
    if (k + hp < D) { stf(dst + k + hp, g.y); }
    if (keys) {
      var va = a2[e];
      var vb = a2[e + 32u];
      if (BF16) {
        va = bf16(va);
        vb = bf16(vb);
      }
      stf(p.dqkv + at + 2u * H * D + k, va);
      if (k + hp < D) { stf(p.dqkv + at + 2u * H * D + k + hp, vb); }
    }
  }
}
