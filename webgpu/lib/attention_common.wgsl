// What the attention kernels share: qkv [B, S, 3, H, D] addressing and RoPE on one element.
// RoPE (halves): y[d] = x[d] cos[d] - x[d+D/2] sin[d] and y[d+D/2] = x[d+D/2] cos[d+D/2] + x[d] sin[d+D/2].

fn qkv_at(b: u32, s: u32, part: u32, h: u32) -> u32 {
  return p.qkv + ((b * p.S + s) * 3u + part) * p.H * p.D + h * p.D;
}

// element d of RoPE(x) for the head vector at `base`, position s (x itself without tables)
fn rope(base: u32, s: u32, d: u32) -> f32 {
  let x = ldf(base + d);
  if (p.cos == 0u) { return x; }
  let h2 = p.D / 2u;
  let at = s * p.D + d;
  if (d < h2) { return x * ldf(p.cos + at) - ldf(base + d + h2) * ldf(p.sin + at); }
  return x * ldf(p.cos + at) + ldf(base + d - h2) * ldf(p.sin + at);
}

// q as the scores use it: RoPE, times 1/sqrt(D); BF16: bf16(RoPE(q)), then the scale in float32
fn q_val(b: u32, s: u32, h: u32, d: u32, scale: f32) -> f32 {
  var v = rope(qkv_at(b, s, 0u, h), s, d);
  if (BF16) { v = bf16(v); }
  return v * scale;
}
fn k_val(b: u32, s: u32, h: u32, d: u32) -> f32 {
  var v = rope(qkv_at(b, s, 1u, h), s, d);
  if (BF16) { v = bf16(v); }
  return v;
}
fn v_val(b: u32, s: u32, h: u32, d: u32) -> f32 {
  var v = ldf(qkv_at(b, s, 2u, h) + d);
  if (BF16) { v = bf16(v); }
  return v;
}
