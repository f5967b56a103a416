// out[b, c, r] = x[b, r, c], one element per invocation, in output order (writes along rows, reads
// strided). No workgroup memory: SwiftShader runs barriers slowly (see gemm_tile.wgsl).
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = flat_wg(wid, nwg) * 256u + li;
  let plane = p.R * p.C;
  if (i >= p.B * plane) { return; }
  let b = i / plane;
  let rem = i - b * plane;
  let c = rem / p.R;
  let r = rem - c * p.R;
  mem[p.out + i] = mem[p.x + b * plane + r * p.C + c];
}
