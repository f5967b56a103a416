// max(a, b) as Math.max: NaN when either is (the first NaN, quieted, as x86's a + b), +0 over -0.
// The tests are on the bits: a WGSL compiler may assume that no NaN reaches a comparison.
//!include math.wgsl
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.n) {
    let ua = mem[p.a + i];
    let ub = mem[p.b + i];
    let x = bitcast<f32>(ua);
    let y = bitcast<f32>(ub);
    var r: u32;
    if (is_nan(x)) { r = ua | 0x00400000u; }
    else if (is_nan(y)) { r = ub | 0x00400000u; }
    else if (x == y) { r = select(ua, ub, (ua & 0x80000000u) != 0u); }
    else { r = select(ub, ua, x > y); }
    mem[p.out + i] = r;
  }
}
