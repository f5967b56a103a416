// w[ids[i]] = f32(f32(w * f32(1 - lr wd)) - lr sign(g[i])) with lr and wd float64 numbers: they
// arrive split in two floats (hi + lo) and the two float64 steps run in double-float; a result
// differs from float64's only within 2^-46 of a halfway point. One invocation per element (ids unique).
//!include dd.wgsl
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  init_opaque(nwg);
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.n * p.C) {
    let r = i / p.C;
    let c = i - r * p.C;
    let lr = vec2f(p.lr, p.lr_lo);
    let decay = dd_add_f(-dd_mul(lr, vec2f(p.wd, p.wd_lo)), kc(1.0)).x;
    let at = p.w + u32(ldi(p.ids + r)) * p.C + c;
    let gv = ldf(p.g + i);
    let w = ldf(at) * decay;
    var out = w;
    if (gv > 0.0) { let d = dd_add(dd(w), -lr); out = d.x; }
    else if (gv < 0.0) { let d = dd_add(dd(w), lr); out = d.x; }
    stf(at, out);
  }
}
