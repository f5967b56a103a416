// out[0] = sum(x) with float64 accumulation in C; here one workgroup adds in double-float (about 2^-46
// relative per step), so the rounded result is float64's except within that of a halfway point.
//!include dd.wgsl
var<workgroup> part: array<vec2f, 256>;

@compute @workgroup_size(256)
fn main(@builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  init_opaque(nwg);
  var acc = vec2f(0.0, 0.0);
  for (var i = li; i < p.n; i += 256u) { acc = dd_add_f(acc, ldf(p.x + i)); }
  part[li] = acc;
  for (var s = 128u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (li < s) { part[li] = dd_add(part[li], part[li + s]); }
  }
  if (li == 0u) { stf(p.out, part[0].x); }
}
