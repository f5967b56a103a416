// Stablemax s(x) = 1/(1 - x) for x < 0, x + 1 otherwise (native's + 1e-30 vanishes in float64 next
// to 1 - x >= 1), and a row's sum of it, in double-float (dd.wgsl) where native uses float64.
//!include math.wgsl
//!include dd.wgsl

fn lab_ok(lab: i32) -> bool { return lab != bitcast<i32>(p.ignore) && lab >= 0 && u32(lab) < p.V; }

fn stablemax_s(x: f32) -> vec2f {
  if (x < 0.0) { return dd_div(ddk(1.0), two_sum(kc(1.0), -x)); }
  return two_sum(x, kc(1.0));
}

fn stablemax_sum(row: u32) -> vec2f {
  var sum = dd(0.0);
  for (var j = 0u; j < p.V; j++) { sum = dd_add(sum, stablemax_s(ldf(row + j))); }
  return sum;
}
