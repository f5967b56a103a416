// out[i] = a[i] + b[i % m]; the tail past the last whole row takes b from its start too (as C).
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.n && p.m > 0u) { stf(p.out + i, ldf(p.a + i) + ldf(p.b + i % p.m)); }
}
