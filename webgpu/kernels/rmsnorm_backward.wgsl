// ds = rstd (dout - out mean(dout out)), one row per 16 lanes (rows16.wgsl); ds may be dout.
//!include rows16.wgsl

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = flat_wg(wid, nwg) * 16u + li / 16u;
  let lane = li % 16u;
  let ok = row < p.N;
  let base = row * p.C;
  var acc = 0.0;
  if (ok) {
    for (var c = lane; c < p.C; c += 16u) { acc = acc + ldf(p.dout + base + c) * ldf(p.out + base + c); }
  }
  let m = row_sum16(li, acc) / f32(p.C);
  if (!ok) { return; }
  let r = ldf(p.rstd + row);
  for (var c = lane; c < p.C; c += 16u) {
    stf(p.ds + base + c, r * (ldf(p.dout + base + c) - ldf(p.out + base + c) * m));
  }
}
