// AdamATan2 with decoupled weight decay (REFERENCE.md 4), the steps of native/kernels/optim.c:
// p *= 1 - lr wd; m += (1-b1)(g - m); v += (1-b2)(g^2 - v); p -= (lr/bc1) atan2(m, sqrt(v)/sqrt(bc2))
//!include math.wgsl
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.n) {
    let step = p.lr / p.bc1;
    let inv_sqrt_bc2 = 1.0 / sqrt(p.bc2);
    let decay = 1.0 - p.lr * p.wd;
    let g = ldf(p.g + i);
    var m = ldf(p.m + i);
    var v = ldf(p.v + i);
    var w = ldf(p.p + i) * decay;
    m = m + (1.0 - p.b1) * (g - m);
    v = v + (1.0 - p.b2) * (g * g - v);
    w = w - step * atan2_c(m, sqrt(v) * inv_sqrt_bc2);
    stf(p.p + i, w);
    stf(p.m + i, m);
    stf(p.v + i, v);
  }
}
