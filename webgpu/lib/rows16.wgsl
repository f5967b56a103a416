// Row reductions in native's order: 16 rows per workgroup of 256, 16 lanes per row. Lane l adds the
// row's elements l, l+16, l+32, ... in order (the lanes of native's 16-float vector accumulator) and
// the row's total is hsum16's fixed pairwise sum of the lanes, so a sum has the CPU backends' bits up
// to the contraction of a multiply and an add into one FMA, which WGSL leaves to the compiler.
var<workgroup> lanes: array<f32, 256>;

// The hsum16 of this invocation's row of lanes (every lane gets it). Call in uniform control flow.
fn row_sum16(li: u32, v: f32) -> f32 {
  lanes[li] = v;
  workgroupBarrier();
  let b = li & ~15u;
  var a: array<f32, 8>;
  for (var i = 0u; i < 8u; i++) { a[i] = lanes[b + i] + lanes[b + i + 8u]; }
  for (var i = 0u; i < 4u; i++) { a[i] = a[i] + a[i + 4u]; }
  let s = (a[0] + a[2]) + (a[1] + a[3]);
  workgroupBarrier();
  return s;
}
