// f32(1/(1+e^-x)) as float64 gives it (native: fdlibm's exp, as JS Math.exp). WGSL has no f64: the
// same formula in double-float (webgpu/lib/dd.wgsl, about 2^-46 relative), rounded once, equals the
// float64 result except within 2^-46 of a halfway point between two floats (none in the 131k patterns
// of test/engine/webgpu-kernels.test.ts). Below x = -40 the result is e^x to 2^-57 relative, computed
// as s 2^k (double-float lows would underflow there) and, below 2^-125, built from its bits: a GPU may
// flush subnormal arithmetic.
//!include math.wgsl
//!include dd.wgsl

fn sigmoid64(x: f32) -> u32 {
  if (is_nan(x)) { return bitcast<u32>(x) | 0x00400000u; }
  if (x > 20.0) { return 0x3f800000u; } // e^-x < 2^-28: 1/(1+e^-x) rounds to 1
  if (x < -104.0) { return 0u; } // below half the smallest subnormal
  if (x < -40.0) {
    // 1/(1+e^-x) = e^x (1 - e^x + ...): e^x = s 2^k, s = e^r in [0.7, 1.42] rounded to float32, then
    // scaled exactly while the result is a normal float, else its subnormal from the bits
    let k = round(x * 1.44269504088896341);
    let r = dd_add(dd(x), dd_mul_f(kv(vec2f(0.69314718246459961, -1.9046542121259336e-9)), -k));
    let s = dd_exp(r); // k = 0 inside
    let ki = i32(k);
    if (ki >= -125) { return bitcast<u32>(ldexp(s.x, ki)); }
    let j = ki + 149; // e^x = (s 2^j) 2^-149
    if (j < -1) { return 0u; } // below 2^-150: rounds to 0
    let t = ldexp(s.x, j);
    var n = round(t);
    let d = (t - n) + ldexp(s.y, j);
    if (d > 0.5) { n = n + 1.0; } else if (d < -0.5) { n = n - 1.0; }
    return u32(n);
  }
  let e = dd_exp(dd(-x));
  let q = dd_div(ddk(1.0), dd_add_f(e, kc(1.0)));
  return bitcast<u32>(q.x);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  init_opaque(nwg);
  let i = flat_wg(wid, nwg) * 256u + li;
  if (i < p.n) { mem[p.out + i] = sigmoid64(ldf(p.x + i)); }
}
