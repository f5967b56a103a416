// db[c] += sum_n dy[n, c], one invocation per column adding the rows in order (as C: the same bits).
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let c = flat_wg(wid, nwg) * 256u + li;
  if (c >= p.C) { return; }
  var acc = ldf(p.db + c);
  for (var n = 0u; n < p.N; n++) { acc = acc + ldf(p.dy + n * p.C + c); }
  stf(p.db + c, acc);
}
