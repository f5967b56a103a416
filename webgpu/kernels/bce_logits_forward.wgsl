// loss = max(x, 0) - x t + log(1 + e^-|x|)
//!include math.wgsl
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  init_opaque(nwg);
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.n) {
    let x = ldf(p.x + i);
    stf(p.loss + i, select(0.0, x, x > 0.0) - x * ldf(p.t + i) + log1p_c(exp_c(-abs(x))));
  }
}
