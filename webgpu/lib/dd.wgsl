// Double-float arithmetic: a value is vec2f(hi, lo) with hi = f32(hi + lo), about 48 significant bits,
// for the kernels whose reference computes in float64 (WGSL has no f64). The splitting for exact
// products masks bits instead of Dekker's 4097*a or fma: both break where a compiler fuses or does
// not fuse a multiply-add (SwiftShader's fma is not fused), while products of 12-bit halves are exact
// either way. Sums use Knuth's two-sum, which holds under IEEE rounding without reassociation; so
// that no optimizer reassociates around a constant, constants come in through ddk/kv (math.wgsl's
// opaque zero: a kernel calls init_opaque first).
//!include math.wgsl

fn two_sum(a: f32, b: f32) -> vec2f {
  let s = a + b;
  let bb = s - a;
  return vec2f(s, (a - (s - bb)) + (b - bb));
}
fn fast_two_sum(a: f32, b: f32) -> vec2f {
  let s = a + b;
  return vec2f(s, b - (s - a));
}
fn two_prod(a: f32, b: f32) -> vec2f {
  let p = a * b;
  let ah = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  let bh = bitcast<f32>(bitcast<u32>(b) & 0xfffff000u);
  let al = a - ah;
  let bl = b - bh;
  return vec2f(p, ((ah * bh - p) + ah * bl + al * bh) + al * bl);
}
fn dd_add(a: vec2f, b: vec2f) -> vec2f {
  var s = two_sum(a.x, b.x);
  let t = two_sum(a.y, b.y);
  s.y = s.y + t.x;
  s = fast_two_sum(s.x, s.y);
  s.y = s.y + t.y;
  return fast_two_sum(s.x, s.y);
}
fn dd_add_f(a: vec2f, b: f32) -> vec2f {
  var s = two_sum(a.x, b);
  s.y = s.y + a.y;
  return fast_two_sum(s.x, s.y);
}
fn dd_mul(a: vec2f, b: vec2f) -> vec2f {
  var q = two_prod(a.x, b.x);
  q.y = q.y + (a.x * b.y + a.y * b.x);
  return fast_two_sum(q.x, q.y);
}
fn dd_mul_f(a: vec2f, b: f32) -> vec2f {
  var q = two_prod(a.x, b);
  q.y = q.y + a.y * b;
  return fast_two_sum(q.x, q.y);
}
// a / b: an f32 quotient and two corrections from the exact remainder (the f32 division may be off
// by a few ulp on a GPU; the corrections do not care).
fn dd_div(a: vec2f, b: vec2f) -> vec2f {
  let q1 = a.x / b.x;
  var r = dd_add(a, -dd_mul_f(b, q1));
  let q2 = r.x / b.x;
  r = dd_add(r, -dd_mul_f(b, q2));
  let q3 = r.x / b.x;
  return dd_add_f(fast_two_sum(q1, q2), q3);
}
fn dd(x: f32) -> vec2f { return vec2f(x, 0.0); }
// a constant (hi, lo) or c as a double-float, opaque to the compiler
fn kv(c: vec2f) -> vec2f { return c + vec2f(opaque_zero); }
fn ddk(c: f32) -> vec2f { return vec2f(kc(c), opaque_zero); }

// e^x for |x| < 87: x = k ln2 + r (ln2 as a double-float), e^r by its Taylor series to r^12
// (|r| <= 0.35: the next term is below 2^-47), then 2^k in two steps.
fn dd_exp(x: vec2f) -> vec2f {
  let k = round(x.x * 1.44269504088896341);
  let r = dd_add(x, dd_mul_f(kv(vec2f(0.69314718246459961, -1.9046542121259336e-9)), -k));
  // 1/n! as double-floats, n = 12 down to 2
  var s = kv(vec2f(2.0876755879584152e-9, 1.1082839809204342e-16));
  s = dd_add(dd_mul(s, r), kv(vec2f(2.5052107943679403e-8, 4.4176230446483665e-16)));
  s = dd_add(dd_mul(s, r), kv(vec2f(2.7557319981497130e-7, -7.5751122090511949e-15)));
  s = dd_add(dd_mul(s, r), kv(vec2f(0.0000027557318844628753, 3.7935712242972291e-14)));
  s = dd_add(dd_mul(s, r), kv(vec2f(0.000024801587642286904, -3.4069960936668198e-13)));
  s = dd_add(dd_mul(s, r), kv(vec2f(0.00019841270113829523, -2.7255968749334558e-12)));
  s = dd_add(dd_mul(s, r), kv(vec2f(0.0013888889225199819, -3.3631094437103215e-11)));
  s = dd_add(dd_mul(s, r), kv(vec2f(0.0083333337679505348, -4.3461720333759502e-10)));
  s = dd_add(dd_mul(s, r), kv(vec2f(0.041666667908430099, -1.2417634698280722e-9)));
  s = dd_add(dd_mul(s, r), kv(vec2f(0.16666667163372040, -4.9670538793122887e-9)));
  s = dd_add(dd_mul(s, r), kv(vec2f(0.5, 0.0)));
  s = dd_add(dd_mul(s, r), ddk(1.0));
  s = dd_add(dd_mul(s, r), ddk(1.0));
  let k1 = i32(k) / 2;
  let k2 = i32(k) - k1;
  return vec2f(ldexp(ldexp(s.x, k1), k2), ldexp(ldexp(s.y, k1), k2));
}
