// dlogits[n, j] = dloss (s'(x_j) / sum - [j == label] s'(x_label) / s(x_label)), s' = s^2 for x < 0
// and 1 otherwise; float64 in native, double-float here (dd.wgsl), rounded once. 0 on ignored rows.
//!include stablemax_row.wgsl

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  init_opaque(nwg);
  let n = flat_wg(wid, nwg) * 256u + li;
  if (n >= p.N) { return; }
  let lab = ldi(p.labels + n);
  let d = p.dlogits + n * p.V;
  if (!lab_ok(lab)) {
    for (var j = 0u; j < p.V; j++) { stf(d + j, 0.0); }
    return;
  }
  let row = p.logits + n * p.V;
  let inv = dd_div(ddk(1.0), stablemax_sum(row));
  let g = ldf(p.dloss + n);
  for (var j = 0u; j < p.V; j++) {
    let x = ldf(row + j);
    let s = stablemax_s(x);
    var ds = ddk(1.0);
    if (x < 0.0) { ds = dd_mul(s, s); }
    var v = dd_mul(ds, inv);
    if (j == u32(lab)) {
      var t = s;
      if (x >= 0.0) { t = dd_div(ddk(1.0), s); }
      v = dd_add(v, -t);
    }
    stf(d + j, dd_mul_f(v, g).x);
  }
}
