// out = s * x[0]. out may start at x (as in C): then the grid is one workgroup (grids.ts), every
// invocation reads x[0] before the barrier and writes after it, and the workgroup loops over out.
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let v = p.s * ldf(p.x);
  storageBarrier();
  let total = nwg.x * nwg.y * 256u;
  for (var i = flat_wg(wid, nwg) * 256u + li; i < p.n; i += total) { stf(p.out + i, v); }
}
