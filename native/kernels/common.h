/*
 * common.h: what every kernel file shares. Included by each kernel file; the files are
 * compiled together as one unit by native/abi.c (once per ISA for native, once for wasm32).
 *
 * - 16-float vectors (GCC/clang vector extensions): zmm on AVX-512, 2 x ymm on AVX2, 4 x xmm on
 *   SSE2, 4 x v128 on wasm SIMD128. One source, every target. Where gcc would scalarise them
 *   (compares, selects) and in register tiles, code uses the native width instead (vnf, HRM_NW).
 * - Branch-free math (exp, log, sigmoid, atan2) written here, because the wasm build has no libc
 *   and both backends must compute the same values (about 1 ulp).
 * - OpenMP helpers that become no-ops in the single-threaded wasm build, and each call's thread count
 *   (split.h).
 * - Per-thread scratch memory (grow-only heap buffers natively, one static arena in wasm), and
 *   hrm_fail() for a kernel that cannot get it (the call then throws in JS).
 */
#ifndef HRM_KERNELS_COMMON_H
#define HRM_KERNELS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__wasm__)
#define HRM_WASM 1
#define HRM_MAX_THREADS 1
#else
#include <stdlib.h>
#include <string.h>
#define HRM_MAX_THREADS 256
#endif

#ifdef _OPENMP
#include <omp.h>
static inline int hrm_thread_id(void) { return omp_get_thread_num(); }
#else
static inline int hrm_thread_id(void) { return 0; }
#endif

#define HRM_PRAGMA(x) _Pragma(#x)
/* vector helpers must inline: out of line, 64-byte vectors go through memory on AVX2 / SSE */
#define HRM_INLINE static inline __attribute__((always_inline))
/* how many threads a call uses, by its work */
#include "split.h"

HRM_INLINE void hrm_copy(void *dst, const void *src, size_t bytes) { __builtin_memcpy(dst, src, bytes); }
HRM_INLINE void hrm_zero(void *dst, size_t bytes) { __builtin_memset(dst, 0, bytes); }

/* ---- 16-lane vectors ---- */
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
typedef float v16f_u __attribute__((vector_size(64), aligned(4), may_alias));
typedef int32_t v16i_u __attribute__((vector_size(64), aligned(4), may_alias));

HRM_INLINE v16f ld16(const float *p) { return *(const v16f_u *)p; }
HRM_INLINE void st16(float *p, v16f x) { *(v16f_u *)p = x; }
HRM_INLINE v16f splat16(float s) { return (v16f){0} + s; }
/* Partial load / store of n < 16 lanes (the rest read as 0): tails compute exactly like bodies. */
HRM_INLINE v16f ld16n(const float *p, long n) {
  float t[16] = {0};
  for (long i = 0; i < n; i++) t[i] = p[i];
  return ld16(t);
}
HRM_INLINE void st16n(float *p, v16f x, long n) {
  float t[16];
  st16(t, x);
  for (long i = 0; i < n; i++) p[i] = t[i];
}
HRM_INLINE float hsum16(v16f x) {
  /* fixed pairwise order so that every target sums the same way */
  float t[16];
  st16(t, x);
  float a[8];
  for (int i = 0; i < 8; i++) a[i] = t[i] + t[i + 8];
  for (int i = 0; i < 4; i++) a[i] = a[i] + a[i + 4];
  return (a[0] + a[2]) + (a[1] + a[3]);
}
HRM_INLINE float hmax16(v16f x) {
  float t[16];
  st16(t, x);
  float m = t[0];
  for (int i = 1; i < 16; i++) m = t[i] > m ? t[i] : m;
  return m;
}
/* The math below is written once on the target's native vector width (HRM_NW lanes: 16 with
 * AVX-512, 8 with AVX, 4 on SSE2 and wasm): gcc lowers comparisons of vectors wider than the hardware
 * to scalar code, so the 16-lane wrappers further down split into native pieces. */
#if defined(__AVX512F__)
#define HRM_NW 16
#elif defined(__AVX__)
#define HRM_NW 8
#else
#define HRM_NW 4
#endif
typedef float vnf __attribute__((vector_size(HRM_NW * 4)));
typedef int32_t vni __attribute__((vector_size(HRM_NW * 4)));
typedef float vnf_u __attribute__((vector_size(HRM_NW * 4), aligned(4), may_alias));
HRM_INLINE vnf splatn(float s) { return (vnf){0} + s; }
HRM_INLINE vnf ldn(const float *p) { return *(const vnf_u *)p; }
HRM_INLINE void stn(float *p, vnf x) { *(vnf_u *)p = x; }

/* lane select: mask lanes are all ones (true) or zero */
HRM_INLINE vnf seln(vni mask, vnf a, vnf b) {
  return (vnf)(((vni)a & mask) | ((vni)b & ~mask));
}
HRM_INLINE vnf vmaxn(vnf a, vnf b) { return seln(a > b, a, b); }
HRM_INLINE vnf vminn(vnf a, vnf b) { return seln(a < b, a, b); }
HRM_INLINE vnf vabsn(vnf a) { return (vnf)((vni)a & 0x7fffffff); }
HRM_INLINE vnf vsqrtn(vnf a) {
#if defined(__wasm_simd128__)
  return __builtin_wasm_sqrt_f32x4(a);
#elif HRM_NW == 16
  return __builtin_ia32_sqrtps512_mask(a, a, (uint16_t)-1, 4); /* 4: current rounding */
#elif HRM_NW == 8
  return __builtin_ia32_sqrtps256(a);
#elif defined(__SSE__)
  return __builtin_ia32_sqrtps(a);
#else
  for (int i = 0; i < HRM_NW; i++) a[i] = __builtin_sqrtf(a[i]);
  return a;
#endif
}

/* ---- math ---- */

/* exp(x): x = n ln2 + r, |r| <= ln2/2, degree-6 polynomial for e^r, 2^n by exponent bits.
 * exp(x) = 0 for x < -87.3 (also -inf), +inf above 88.72. */
HRM_INLINE vnf vexpn(vnf x) {
  const vnf hi = splatn(88.72283935546875f), lo = splatn(-87.33654022216797f);
  vni under = x < lo, over = x > hi;
  x = vminn(vmaxn(x, lo), hi);
  /* round to nearest with the 1.5*2^23 trick (no rint call on any target) */
  const vnf magic = splatn(12582912.0f);
  vnf n = (x * 1.44269504088896341f + magic) - magic;
  vnf r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  vnf p = splatn(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  /* n can reach 128 at the top of the range: scale by 2^n in two halves */
  vni ni = __builtin_convertvector(n, vni);
  vni e1 = ((ni >> 1) + 127) << 23;
  vni e2 = ((ni - (ni >> 1)) + 127) << 23;
  vnf y = p * (vnf)e1 * (vnf)e2;
  y = seln(under, splatn(0.0f), y);
  y = seln(over, splatn(__builtin_inff()), y);
  return y;
}

/* log(x) for x > 0 (normal numbers): x = m 2^e with m in [sqrt(1/2), sqrt(2)), then
 * log(m) = 2 atanh(f), f = (m-1)/(m+1), odd series to f^9 (|f| <= 0.1716). */
HRM_INLINE vnf vlogn(vnf x) {
  vni bits = (vni)x;
  vni e = ((bits >> 23) & 0xff) - 127;
  vnf m = (vnf)((bits & 0x007fffff) | 0x3f800000); /* [1, 2) */
  vni big = m > 1.41421356f;
  m = seln(big, m * 0.5f, m);
  e = e + (big & 1);
  vnf f = (m - 1.0f) / (m + 1.0f);
  vnf f2 = f * f;
  vnf s = splatn(0.11111111f);
  s = s * f2 + 0.14285715f;
  s = s * f2 + 0.2f;
  s = s * f2 + 0.33333334f;
  s = s * f2 + 1.0f;
  vnf lm = 2.0f * f * s;
  vnf ef = __builtin_convertvector(e, vnf);
  vnf y = ef * 0.693359375f + lm + ef * -2.12194440e-4f;
  y = seln(x <= 0.0f, splatn(-__builtin_inff()), y);
  y = seln(x == __builtin_inff(), x, y);
  y = seln(x != x, x, y);
  return y;
}

/* log(1 + t) for t >= 0, accurate for tiny t (Goldberg's trick). */
HRM_INLINE vnf vlog1pn(vnf t) {
  vnf u = t + 1.0f;
  vnf d = u - 1.0f;
  vnf r = vlogn(u) * (t / seln(d == 0.0f, splatn(1.0f), d));
  return seln(d == 0.0f, t, r);
}

/* sigmoid(x) = 1/(1+e^-x), computed from e^-|x| so that it never overflows. */
HRM_INLINE vnf vsigmoidn(vnf x) {
  vnf e = vexpn(-vabsn(x));
  vnf inv = 1.0f / (1.0f + e);
  return seln(x >= 0.0f, inv, e * inv);
}

/* atan2(y, x), all quadrants; atan2(0, 0) = 0. */
HRM_INLINE vnf vatan2n(vnf y, vnf x) {
  vnf ax = vabsn(x), ay = vabsn(y);
  vnf mx = vmaxn(ax, ay), mn = vminn(ax, ay);
  vnf a = mn / seln(mx > 0.0f, mx, splatn(1.0f));
  /* reduce to |z| <= tan(pi/8) */
  vni red = a > 0.41421356f;
  vnf z = seln(red, (a - 1.0f) / (a + 1.0f), a);
  vnf z2 = z * z;
  vnf p = splatn(8.05374449538e-2f);
  p = p * z2 - 1.38776856032e-1f;
  p = p * z2 + 1.99777106478e-1f;
  p = p * z2 - 3.33329491539e-1f;
  vnf r = p * z2 * z + z;
  r = seln(red, r + 0.785398163397448f, r);
  r = seln(ay > ax, 1.57079632679489662f - r, r);
  r = seln(x < 0.0f, 3.14159265358979324f - r, r);
  /* sign of y (copysign) */
  return (vnf)(((vni)r & 0x7fffffff) | ((vni)y & (int32_t)0x80000000));
}

/* 16-lane forms: split into native pieces (a no-op with AVX-512) */
#define HRM_V16_UNARY(name16, namen)                        \
  HRM_INLINE v16f name16(v16f x) {                          \
    union { v16f v; vnf p[16 / HRM_NW]; } u = {x};         \
    for (int i = 0; i < 16 / HRM_NW; i++) u.p[i] = namen(u.p[i]); \
    return u.v;                                             \
  }
HRM_V16_UNARY(vexp16, vexpn)
HRM_V16_UNARY(vlog16, vlogn)
HRM_V16_UNARY(vlog1p16, vlog1pn)
HRM_V16_UNARY(vsigmoid16, vsigmoidn)
HRM_V16_UNARY(vabs16, vabsn)
HRM_V16_UNARY(vsqrt16, vsqrtn)
HRM_INLINE v16f vmax16(v16f a, v16f b) {
  union { v16f v; vnf p[16 / HRM_NW]; } u = {a}, w = {b};
  for (int i = 0; i < 16 / HRM_NW; i++) u.p[i] = vmaxn(u.p[i], w.p[i]);
  return u.v;
}
HRM_INLINE v16f vmin16(v16f a, v16f b) {
  union { v16f v; vnf p[16 / HRM_NW]; } u = {a}, w = {b};
  for (int i = 0; i < 16 / HRM_NW; i++) u.p[i] = vminn(u.p[i], w.p[i]);
  return u.v;
}
HRM_INLINE v16f vatan2_16(v16f y, v16f x) {
  union { v16f v; vnf p[16 / HRM_NW]; } u = {y}, w = {x};
  for (int i = 0; i < 16 / HRM_NW; i++) u.p[i] = vatan2n(u.p[i], w.p[i]);
  return u.v;
}

HRM_INLINE float hrm_expf(float x) { return vexp16(splat16(x))[0]; }
HRM_INLINE float hrm_logf(float x) { return vlog16(splat16(x))[0]; }

/* log(x) in double for x > 0: x = m 2^e, m in [sqrt(1/2), sqrt(2)), 2 atanh((m-1)/(m+1)) series. */
HRM_INLINE double hrm_log(double x) {
  if (!(x > 0.0)) return x == 0.0 ? -__builtin_inf() : (x - x) / (x - x);
  if (x == __builtin_inf()) return x;
  union { double d; uint64_t u; } v = {x};
  int e = 0;
  if ((v.u >> 52) == 0) { /* subnormal */
    v.d = x * 4503599627370496.0; /* 2^52 */
    e = -52;
  }
  e += (int)((v.u >> 52) & 0x7ff) - 1023;
  v.u = (v.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
  double m = v.d;
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
  double f = (m - 1.0) / (m + 1.0), f2 = f * f;
  double s = 0.0;
  for (int k = 23; k >= 3; k -= 2) s = (s + 1.0 / k) * f2;
  double lm = 2.0 * f * (1.0 + s);
  return e * 0.6931471805599453 + lm;
}

/* ---- errors ---- */
/* Set by a kernel that could not run (its scratch memory could not be had); the binding / the wasm
 * loader reads and clears it after every call (hrm_take_error in native/abi.c) and throws. */
static int hrm_error;
HRM_INLINE void hrm_fail(void) { __atomic_store_n(&hrm_error, 1, __ATOMIC_RELAXED); }

/* ---- per-thread scratch ---- */
#ifdef HRM_WASM
#define HRM_WASM_SCRATCH_FLOATS (10L * 1024 * 128 + 65536)
static float hrm_wasm_scratch[HRM_WASM_SCRATCH_FLOATS] __attribute__((aligned(64)));
/* returns 0 when the request does not fit (the TS side checks sizes before calling) */
static float *hrm_scratch(long floats) {
  return floats <= HRM_WASM_SCRATCH_FLOATS ? hrm_wasm_scratch : 0;
}
#else
static float *hrm_scratch_buf[HRM_MAX_THREADS];
static long hrm_scratch_cap[HRM_MAX_THREADS];
/* grow-only, 64-byte aligned, one per OpenMP thread number */
static float *hrm_scratch(long floats) {
  int t = hrm_thread_id();
  if (t >= HRM_MAX_THREADS) return 0;
  if (hrm_scratch_cap[t] < floats) {
    free(hrm_scratch_buf[t]);
    long cap = (floats + 15) / 16 * 16;
    hrm_scratch_buf[t] = (float *)aligned_alloc(64, (size_t)cap * sizeof(float));
    hrm_scratch_cap[t] = hrm_scratch_buf[t] ? cap : 0;
  }
  return hrm_scratch_buf[t];
}
#endif

static inline long hrm_round16(long n) { return (n + 15) & ~15L; }

/* ---- bfloat16, held widened in float32 ----
 * A bfloat16 value is the top 16 bits of a float32; the kernels keep bf16 tensors in float32 memory
 * with the low 16 bits zero (as the reference fixtures store them), so every float32 kernel reads
 * them unchanged and a product of two of them is exact in float32 (8 + 8 significant bits). Rounding
 * is to nearest, ties to even, as PyTorch's float -> bfloat16 cast; NaN stays a (quiet) NaN; values
 * past the largest bf16 round to infinity. */
typedef uint32_t vnu __attribute__((vector_size(HRM_NW * 4)));
HRM_INLINE float hrm_bf16(float x) {
  uint32_t u;
  __builtin_memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) u |= 0x00400000u;
  else u += 0x7fffu + ((u >> 16) & 1u);
  u &= 0xffff0000u;
  __builtin_memcpy(&x, &u, 4);
  return x;
}
HRM_INLINE vnf hrm_bf16n(vnf x) {
  vnu u = (vnu)x;
  vnu nan = (vnu)((u & 0x7fffffffu) > 0x7f800000u);
  vnu r = u + 0x7fffu + ((u >> 16) & 1u);
  r = (r & ~nan) | ((u | 0x00400000u) & nan);
  return (vnf)(r & 0xffff0000u);
}
/* dst[i] = bf16(src[i]) for i < n (dst may be src) */
HRM_INLINE void hrm_bf16_array(float *dst, const float *src, long n) {
  long i = 0;
  for (; i + HRM_NW <= n; i += HRM_NW) stn(dst + i, hrm_bf16n(ldn(src + i)));
  for (; i < n; i++) dst[i] = hrm_bf16(src[i]);
}

#endif
