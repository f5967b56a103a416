// out[b] = cond[b] ? a[b] : b[b], rows of R floats; one invocation per element.
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.B * p.R) {
    let row = i / p.R;
    let src = select(p.b, p.a, ldi(p.cond + row) != 0);
    mem[p.out + i] = mem[src + i];
  }
}
