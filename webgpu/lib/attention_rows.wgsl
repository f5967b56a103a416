// The attention kernels' rows: one invocation owns one query (or key) row and up to 64 of its head's
// columns, keeps them in registers and walks the other side's rows from memory, so there is no
// workgroup memory and no barrier (SwiftShader, CI's adapter, runs a barrier as a switch between all
// of a workgroup's invocations; on a GPU the rows a SIMD group walks are the same, so their loads are
// broadcasts). Each sum runs in native's order (attention.c): scores over d, the probabilities' row
// sum in 16 lanes, products over keys in order, which the tiled form could not keep.
// Heads with D <= 64 (the models': 512 / 8) keep whole rows in registers; wider heads compute the
// dot products from memory and take their columns in slices of 64 (the backward: of 32 RoPE pairs).
//!include math.wgsl
//!include attention_common.wgsl

const DS = 64u;

// q.k for query row s and key row j (q scaled): from the registers when D <= 64, else from memory
fn dot_qk(q: ptr<function, array<f32, 64>>, b: u32, s: u32, j: u32, h: u32, scale: f32) -> f32 {
  var acc = 0.0;
  if (p.D <= DS) {
    for (var d = 0u; d < DS; d++) {
      if (d < p.D) { acc = acc + (*q)[d] * k_val(b, j, h, d); }
    }
  } else {
    for (var d = 0u; d < p.D; d++) { acc = acc + q_val(b, s, h, d, scale) * k_val(b, j, h, d); }
  }
  return acc;
}

// q_s (RoPE, scaled; bf16 rounded first) into registers when D <= 64 (dot_qk reads memory otherwise)
fn load_q(q: ptr<function, array<f32, 64>>, b: u32, s: u32, h: u32, scale: f32) {
  if (p.D > DS) { return; }
  for (var d = 0u; d < DS; d++) {
    if (d < p.D) { (*q)[d] = q_val(b, s, h, d, scale); }
  }
}

// hsum16 of 16 lanes
fn hsum16(l: ptr<function, array<f32, 16>>) -> f32 {
  var a: array<f32, 8>;
  for (var i = 0u; i < 8u; i++) { a[i] = (*l)[i] + (*l)[i + 8u]; }
  for (var i = 0u; i < 4u; i++) { a[i] = a[i] + a[i + 4u]; }
  return (a[0] + a[2]) + (a[1] + a[3]);
}
