// out[n] = the first index of the largest x[n, :]; a NaN counts as the largest (torch.argmax).
// One invocation per row.
//!include math.wgsl
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let n = flat_wg(wid, nwg) * 256u + li;
  if (n >= p.N) { return; }
  let row = p.x + n * p.V;
  var best = 0u;
  var bv = ldf(row);
  var bnan = is_nan(bv);
  for (var j = 1u; j < p.V && !bnan; j++) {
    let v = ldf(row + j);
    if (is_nan(v)) { best = j; bnan = true; }
    else if (v > bv) { best = j; bv = v; }
  }
  sti(p.out + n, i32(best));
}
