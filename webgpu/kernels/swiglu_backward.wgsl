// d up = dout g s, d gate = dout u s (1 + g (1 - s)), s = sigmoid(g) = 1 / (1 + e^-g)
//!include math.wgsl
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.N * p.I) {
    let n = i / p.I;
    let gi = i + n * p.I;
    let g = ldf(p.gu + gi);
    let u = ldf(p.gu + gi + p.I);
    let d = ldf(p.dout + i);
    let s = 1.0 / (1.0 + exp_c(-g));
    stf(p.dgu + gi + p.I, d * g * s);
    stf(p.dgu + gi, d * u * s * (1.0 + g * (1.0 - s)));
  }
}
