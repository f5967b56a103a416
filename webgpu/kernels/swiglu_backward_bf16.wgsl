// The backward of swiglu_forward_bf16's two bf16 ops: d up = bf16(dout * bf16(silu(g))),
// d gate = bf16(bf16(dout * up) * silu'(g)).
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
    let e = 1.0 + exp_c(-g);
    let s = 1.0 / e;
    stf(p.dgu + gi + p.I, bf16(d * bf16(g / e)));
    stf(p.dgu + gi, bf16(bf16(d * u) * (s * (1.0 + g * (1.0 - s)))));
  }
}
