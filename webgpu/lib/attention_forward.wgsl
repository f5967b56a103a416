// Non-causal attention with RoPE inside, native's steps (attention.c): per query row, the max of the
// scores (first pass over the keys), then p = e^(s - max) with the row sum l in 16 lanes, out =
// (sum_j p_j v_j) / l, lse = max + log l (second pass, the scores computed again). BF16: q, k, v
// rounded after RoPE, p rounded before it multiplies v (l adds the float32 p), out rounded.
// One invocation per (b, h, 64-column slice, query row), rows fastest (attention_rows.wgsl);
// grids.ts: ceil(B H ceil(D/64) S / 64) workgroups of 64. On a GPU a batch of one has only H S rows
// (776 for the 27M Sudoku model) and each walks its keys with a chain of D dependent multiply-adds a
// score: splitting a row's keys over invocations (a barrier to share the max, one to add the parts)
// would cut that latency ~8x, and costs SwiftShader a 6x longer compile (measured: 18 s vs 3 s under
// load), so it waits for a GPU to measure it on.
//!include attention_rows.wgsl

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let D = p.D;
  let S = p.S;
  let H = p.H;
  let nsl = (D + DS - 1u) / DS;
  let idx = flat_wg(wid, nwg) * 64u + li;
  let s = idx % S;
  let t = idx / S;
  let c0 = (t % nsl) * DS;
  let bh = t / nsl;
  if (S == 0u || bh >= p.B * H) { return; }
  let b = bh / H;
  let h = bh % H;
  let scale = 1.0 / sqrt(f32(D));
  var q: array<f32, 64>;
  load_q(&q, b, s, h, scale);
  var mx = -pos_inf();
  for (var j = 0u; j < S; j++) { mx = max(mx, dot_qk(&q, b, s, j, h, scale)); }
  var lanes: array<f32, 16>;
  for (var i = 0u; i < 16u; i++) { lanes[i] = 0.0; }
  var o: array<f32, 64>;
  for (var d = 0u; d < DS; d++) { o[d] = 0.0; }
  for (var j = 0u; j < S; j++) {
    let e = exp_c(dot_qk(&q, b, s, j, h, scale) - mx);
    lanes[j % 16u] = lanes[j % 16u] + e;
    var pe = e;
    if (BF16) { pe = bf16(e); }
    for (var d = 0u; d < DS; d++) {
      if (c0 + d < D) { o[d] = o[d] + pe * v_val(b, j, h, c0 + d); }
    }
  }
  let l = hsum16(&lanes);
  let inv = 1.0 / l;
  let at = ((b * S + s) * H + h) * D + c0;
  for (var d = 0u; d < DS; d++) {
    if (c0 + d < D) {
      var v = o[d] * inv;
      if (BF16) { v = bf16(v); }
      stf(p.out + at + d, v);
    }
  }
  if (c0 == 0u) { stf(p.lse + (b * H + h) * S + s, mx + log_c(l)); }
}
