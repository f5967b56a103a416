// out = bf16(bf16(silu(gate)) * up)
//!include math.wgsl
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.N * p.I) {
    let n = i / p.I;
    let g = ldf(p.gu + i + n * p.I);
    let u = ldf(p.gu + i + n * p.I + p.I);
    stf(p.out + i, bf16(bf16(g / (1.0 + exp_c(-g))) * u));
  }
}
