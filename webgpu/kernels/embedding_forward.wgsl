// out[n] = w[ids[n]], one invocation per element (the C kernel does not check the ids either).
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.N * p.C) {
    let n = i / p.C;
    let c = i - n * p.C;
    mem[p.out + i] = mem[p.w + u32(ldi(p.ids + n)) * p.C + c];
  }
}
