// The float32 math of native/kernels/common.h, written again in WGSL with the same constants and
// steps, so that a kernel gives the CPU backends' values to a few ulp instead of whatever the GPU's
// exp and log give (WGSL allows 3 + 2|x| ulp for exp). NaN tests look at the bits: a WGSL compiler
// may assume that x != x is false.

fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// A zero no compiler can fold (launch sizes are at most 65535 a dimension: nwg.z >> 16 is 0), set by
// init_opaque at the top of a kernel that uses log1p_c or dd.wgsl. SPIR-V optimizers (spirv-opt, run
// by SwiftShader) rewrite (x + c) - c as x when c is a constant, which undoes Goldberg's log1p and
// the error-free sums of double-float arithmetic: constants enter those as kc(c) = c + opaque_zero.
var<private> opaque_zero: f32;
fn init_opaque(nwg: vec3u) { opaque_zero = f32(nwg.z >> 16u); }
fn kc(c: f32) -> f32 { return c + opaque_zero; }

// +inf from a variable: a constant bitcast to inf is a shader-creation error.
var<private> inf_bits: u32 = 0x7f800000u;
fn pos_inf() -> f32 { return bitcast<f32>(inf_bits); }

// vexpn: x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r, 2^n in two halves (n can be 128).
fn exp_c(x0: f32) -> f32 {
  let hi = 88.72283935546875;
  let lo = -87.33654022216797;
  var x = select(lo, x0, x0 > lo);
  x = select(hi, x, x < hi);
  let n = round(x * 1.44269504088896341);
  var r = x - n * 0.693359375;
  r = r - n * -2.12194440e-4;
  var q = 1.9875691500e-4;
  q = q * r + 1.3981999507e-3;
  q = q * r + 8.3334519073e-3;
  q = q * r + 4.1665795894e-2;
  q = q * r + 1.6666665459e-1;
  q = q * r + 5.0000001201e-1;
  q = q * r * r + r + 1.0;
  let ni = i32(n);
  let e1 = bitcast<f32>(((ni >> 1u) + 127) << 23u);
  let e2 = bitcast<f32>(((ni - (ni >> 1u)) + 127) << 23u);
  var y = q * e1 * e2;
  y = select(y, 0.0, x0 < lo);
  y = select(y, pos_inf(), x0 > hi);
  return y;
}

// vlogn: x = m 2^e, m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh((m-1)/(m+1)) to f^9.
fn log_c(x: f32) -> f32 {
  let bits = bitcast<i32>(x);
  var e = ((bits >> 23u) & 0xff) - 127;
  var m = bitcast<f32>((bits & 0x007fffff) | 0x3f800000);
  let big = m > 1.41421356;
  m = select(m, m * 0.5, big);
  e = e + select(0, 1, big);
  let f = (m - 1.0) / (m + 1.0);
  let f2 = f * f;
  var s = 0.11111111;
  s = s * f2 + 0.14285715;
  s = s * f2 + 0.2;
  s = s * f2 + 0.33333334;
  s = s * f2 + 1.0;
  let lm = 2.0 * f * s;
  let ef = f32(e);
  var y = ef * 0.693359375 + lm + ef * -2.12194440e-4;
  y = select(y, -pos_inf(), x <= 0.0);
  y = select(y, x, bitcast<u32>(x) == 0x7f800000u);
  y = select(y, x, is_nan(x));
  return y;
}

// log(1 + t) for t >= 0, accurate for tiny t (vlog1pn).
fn log1p_c(t: f32) -> f32 {
  let u = t + kc(1.0);
  let d = u - kc(1.0);
  if (d == 0.0) { return t; }
  return log_c(u) * (t / d);
}

// 1/(1+e^-x) from e^-|x|, never overflowing (vsigmoidn).
fn sigmoid_c(x: f32) -> f32 {
  let e = exp_c(-abs(x));
  let inv = 1.0 / (1.0 + e);
  return select(e * inv, inv, x >= 0.0);
}

// atan2(y, x) in every quadrant, atan2(0, 0) = 0 (vatan2n).
fn atan2_c(y: f32, x: f32) -> f32 {
  let ax = abs(x);
  let ay = abs(y);
  let mx = max(ax, ay);
  let mn = min(ax, ay);
  let a = mn / select(1.0, mx, mx > 0.0);
  let red = a > 0.41421356;
  let z = select(a, (a - 1.0) / (a + 1.0), red);
  let z2 = z * z;
  var q = 8.05374449538e-2;
  q = q * z2 - 1.38776856032e-1;
  q = q * z2 + 1.99777106478e-1;
  q = q * z2 - 3.33329491539e-1;
  var r = q * z2 * z + z;
  r = select(r, r + 0.785398163397448, red);
  r = select(r, 1.57079632679489662 - r, ay > ax);
  r = select(r, 3.14159265358979324 - r, x < 0.0);
  return bitcast<f32>((bitcast<u32>(r) & 0x7fffffffu) | (bitcast<u32>(y) & 0x80000000u));
}
