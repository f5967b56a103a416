// s = x + y (y = 0: none); rstd = 1/sqrt(mean(s^2) + eps); out = s rstd, one row per 16 lanes
// (rows16.wgsl). BF16 (set by the including kernel): s = bf16(x + y), out = bf16(s rstd), rstd float32.
// Each lane reads and writes only its own elements, so out may be x or y.
//!include rows16.wgsl

fn s_at(i: u32) -> f32 {
  var s = ldf(p.x + i);
  if (p.y != 0u) { s = s + ldf(p.y + i); }
  if (BF16) { s = bf16(s); }
  return s;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = flat_wg(wid, nwg) * 16u + li / 16u;
  let lane = li % 16u;
  let ok = row < p.N;
  let base = row * p.C;
  var acc = 0.0;
  if (ok) {
    for (var c = lane; c < p.C; c += 16u) {
      let s = s_at(base + c);
      acc = acc + s * s;
    }
  }
  let ss = row_sum16(li, acc);
  if (!ok) { return; }
  let r = 1.0 / sqrt(ss / f32(p.C) + p.eps);
  if (lane == 0u) { stf(p.rstd + row, r); }
  for (var c = lane; c < p.C; c += 16u) {
    var v = s_at(base + c) * r;
    if (BF16) { v = bf16(v); }
    stf(p.out + base + c, v);
  }
}
