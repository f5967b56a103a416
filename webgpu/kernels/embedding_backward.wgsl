// dw[ids[n]] += dout[n] with repeated ids summed in batch order, as C, without float atomics: the
// workgroup of (row n, 256 columns) first looks for ids[n] among ids[0..n); only the first occurrence
// goes on, adding every later row with the same id, in order, onto dw. Workgroups = N x ceil(C/256).
var<workgroup> found: atomic<u32>;
var<workgroup> seen: u32;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let nb = (p.C + 255u) / 256u;
  let t = flat_wg(wid, nwg);
  let n = t / nb;
  if (n >= p.N) { return; }
  let c = (t - n * nb) * 256u + li;
  let id = ldi(p.ids + n);
  if (li == 0u) { atomicStore(&found, 0u); }
  for (var m0 = 0u; m0 < n; m0 += 256u) {
    workgroupBarrier();
    let m = m0 + li;
    if (m < n && ldi(p.ids + m) == id) { atomicStore(&found, 1u); }
    workgroupBarrier();
    if (li == 0u) { seen = atomicLoad(&found); }
    if (workgroupUniformLoad(&seen) != 0u) { return; }
  }
  if (c >= p.C) { return; }
  let at = p.dw + u32(id) * p.C + c;
  var acc = ldf(at);
  for (var m = n; m < p.N; m++) {
    if (ldi(p.ids + m) == id) { acc = acc + ldf(p.dout + m * p.C + c); }
  }
  stf(at, acc);
}
