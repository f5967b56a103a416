// A GPU's float32 multiply-add peak for the benchmarks: every invocation runs `iters` rounds of 12
// independent multiply-adds x = x m + c (m = 0.999: values stay normal however long it runs).
// Workgroups of 256: `threads` invocations rounded up, or 4096 workgroups when threads <= 1 (enough
// to fill current GPUs; grids.ts). out[0] = float32 operations done (2 per multiply-add, all
// invocations launched); out[1] = invocation 0's sum of its chains (the others write only if theirs
// is negative, which it never is, so the loop cannot be dropped).
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = flat_wg(wid, nwg) * 256u + li;
  let seed = 0.5 + f32(g & 1023u) * 1e-6;
  let m = 0.999;
  let c = 1e-3;
  var a: array<f32, 12>;
  for (var k = 0u; k < 12u; k++) { a[k] = seed + 0.01 * f32(k); }
  for (var it = 0u; it < p.iters; it++) {
    a[0] = fma(a[0], m, c); a[1] = fma(a[1], m, c); a[2] = fma(a[2], m, c); a[3] = fma(a[3], m, c);
    a[4] = fma(a[4], m, c); a[5] = fma(a[5], m, c); a[6] = fma(a[6], m, c); a[7] = fma(a[7], m, c);
    a[8] = fma(a[8], m, c); a[9] = fma(a[9], m, c); a[10] = fma(a[10], m, c); a[11] = fma(a[11], m, c);
  }
  var s = 0.0;
  for (var k = 0u; k < 12u; k++) { s = s + a[k]; }
  if (g == 0u) {
    stf(p.out, f32(nwg.x * nwg.y * nwg.z) * 256.0 * f32(p.iters) * 24.0);
    stf(p.out + 1u, s);
  } else if (s < 0.0) {
    stf(p.out + 1u, s);
  }
}
