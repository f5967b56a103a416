// dx = dloss (sigmoid(x) - t)
//!include math.wgsl
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.n) { stf(p.dx + i, ldf(p.dloss + i) * (sigmoid_c(ldf(p.x + i)) - ldf(p.t + i))); }
}
