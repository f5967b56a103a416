// The prelude every kernel shader starts with (after its Params struct and the two bindings).
// Memory is one storage buffer of u32 words (`mem`); float32 and int32 tensors are both read and
// written through bitcasts, so one binding serves every pointer argument and aliasing (out == x)
// needs nothing special. Pointers arrive as element offsets (0 = none).

fn ldf(i: u32) -> f32 { return bitcast<f32>(mem[i]); }
fn stf(i: u32, v: f32) { mem[i] = bitcast<u32>(v); }
fn ldi(i: u32) -> i32 { return bitcast<i32>(mem[i]); }
fn sti(i: u32, v: i32) { mem[i] = bitcast<u32>(v); }

// A 1-D launch's workgroup index: the host folds more than 65535 workgroups into y (grids.ts).
fn flat_wg(wid: vec3u, nwg: vec3u) -> u32 { return wid.x + wid.y * nwg.x; }

// float32 -> bfloat16 -> float32, round to nearest, ties to even; NaN stays NaN (as round_bf16 in C).
fn bf16(x: f32) -> f32 {
  var u = bitcast<u32>(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) { u = u | 0x00400000u; } else { u = u + 0x7fffu + ((u >> 16u) & 1u); }
  return bitcast<f32>(u & 0xffff0000u);
}
