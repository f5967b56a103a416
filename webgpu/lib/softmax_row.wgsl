// A row's max and sum_j e^(x_j - max) in native's order (softmax_row_stats: 16 lanes, hsum16).
// One invocation per row: the vocabularies here are a few dozen tokens.
//!include math.wgsl

fn lab_ok(lab: i32) -> bool { return lab != bitcast<i32>(p.ignore) && lab >= 0 && u32(lab) < p.V; }

fn softmax_stats(row: u32) -> vec2f {
  var mx = -pos_inf();
  for (var j = 0u; j < p.V; j++) {
    let v = ldf(row + j);
    mx = select(mx, v, v > mx);
  }
  var acc: array<f32, 16>;
  for (var l = 0u; l < 16u; l++) { acc[l] = 0.0; }
  for (var j = 0u; j < p.V; j++) { acc[j % 16u] = acc[j % 16u] + exp_c(ldf(row + j) - mx); }
  var a: array<f32, 8>;
  for (var i = 0u; i < 8u; i++) { a[i] = acc[i] + acc[i + 8u]; }
  for (var i = 0u; i < 4u; i++) { a[i] = a[i] + a[i + 4u]; }
  return vec2f(mx, (a[0] + a[2]) + (a[1] + a[3]));
}
