// dlogits[n] = dloss[n] (softmax(x[n]) - onehot(label)); 0 on ignored rows.
//!include softmax_row.wgsl

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let n = flat_wg(wid, nwg) * 256u + li;
  if (n >= p.N) { return; }
  let lab = ldi(p.labels + n);
  let d = p.dlogits + n * p.V;
  if (!lab_ok(lab)) {
    for (var j = 0u; j < p.V; j++) { stf(d + j, 0.0); }
    return;
  }
  let row = p.logits + n * p.V;
  let st = softmax_stats(row);
  let dl = ldf(p.dloss + n);
  let g = dl / st.y;
  for (var j = 0u; j < p.V; j++) {
    var v = exp_c(ldf(row + j) - st.x) * g;
    if (j == u32(lab)) { v = v - dl; }
    stf(d + j, v);
  }
}
