// loss[n] = logsumexp(x[n]) - x[n, label] = max + log(sum) - x_label; 0 where the label is ignored.
//!include softmax_row.wgsl

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let n = flat_wg(wid, nwg) * 256u + li;
  if (n >= p.N) { return; }
  let lab = ldi(p.labels + n);
  if (!lab_ok(lab)) { stf(p.loss + n, 0.0); return; }
  let row = p.logits + n * p.V;
  let st = softmax_stats(row);
  stf(p.loss + n, st.x + log_c(st.y) - ldf(row + u32(lab)));
}
