// One invocation per copied element (rows x cols of them).
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.rows * p.cols) {
    let r = i / p.cols;
    let c = i - r * p.cols;
    mem[p.dst + r * p.dst_stride + c] = mem[p.src + r * p.src_stride + c];
  }
}
