// loss[n] = log(sum_j s(x_j)) - log(s(x_label)), float64 in native: here the ratio r = sum / s(x_label)
// in double-float and log r by one Newton step y + (r e^-y - 1) from the float32 log (dd.wgsl): the
// result is within about 2^-46 of float64's (absolute, as float64's own log(a) - log(b)), so it is
// float64's rounded value except near a halfway point or for losses below ~1e-7 (measured in
// test/engine/webgpu-kernels.test.ts). 0 where the label is ignored.
//!include stablemax_row.wgsl

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  init_opaque(nwg);
  let n = flat_wg(wid, nwg) * 256u + li;
  if (n >= p.N) { return; }
  let lab = ldi(p.labels + n);
  if (!lab_ok(lab)) { stf(p.loss + n, 0.0); return; }
  let row = p.logits + n * p.V;
  let r = dd_div(stablemax_sum(row), stablemax_s(ldf(row + u32(lab))));
  let y0 = log_c(r.x);
  let c = dd_add_f(dd_mul(r, dd_exp(dd(-y0))), kc(-1.0));
  stf(p.loss + n, dd_add_f(c, y0).x);
}
