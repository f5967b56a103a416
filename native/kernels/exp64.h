/*
 * exp64.h: exp in float64 by the classic fdlibm method (Sun's e_exp.c, as described in its comments
 * and used by the FreeBSD libm that V8 ports for Math.exp), written here because the wasm build has no
 * libc. The point is agreement with JavaScript, not speed: code that used to compute
 * 1/(1+Math.exp(-x)) in JS gives the same bits on the device (test/engine/kernels.test.ts compares
 * this with Math.exp).
 *
 * Method: x = k ln2 + r with |r| <= ln2/2 (ln2 split in a high part with trailing zero bits and a low
 * part, so that k*ln2hi is exact); exp(r) = 1 + r + r c(r)/(2 - c(r)) with
 * c(r) = r - r^2 (P1 + r^2 (P2 + ... + r^2 P5)), a Remez fit of degree 10 with error below 2^-59;
 * exp(x) = 2^k exp(r).
 *
 * gcc contracts a*b+c into one FMA on FMA targets (its default -ffp-contract=fast) and V8 is built
 * without FMA: the attribute keeps every product and sum rounded separately. clang (wasm) only
 * contracts within one expression and wasm has no scalar FMA.
 */
#ifndef HRM_KERNELS_EXP64_H
#define HRM_KERNELS_EXP64_H

#include <stdint.h>

#if defined(__GNUC__) && !defined(__clang__)
#define HRM_NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define HRM_NO_CONTRACT
#endif

typedef union {
  double d;
  uint64_t u;
} hrm_f64_bits;

HRM_NO_CONTRACT static double hrm_exp64(double x) {
  const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
  const double invln2 = 1.44269504088896338700e+00;
  const double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03,
               P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06,
               P5 = 4.13813679705723846039e-08;
  const double o_threshold = 7.09782712893383973096e+02, u_threshold = -7.45133219101941108420e+02;
  const double twom1000 = 9.33263618503218878990e-302; /* 2^-1000 */
  hrm_f64_bits b = {x};
  uint32_t hx = (uint32_t)(b.u >> 32);
  int xsb = (int)(hx >> 31);
  hx &= 0x7fffffffu;
  double hi = 0.0, lo = 0.0;
  int k = 0;
  if (hx >= 0x40862E42u) { /* |x| >= 709.78 */
    if (hx >= 0x7ff00000u) {
      if (((hx & 0xfffffu) | (uint32_t)b.u) != 0) return x + x; /* NaN */
      return xsb == 0 ? x : 0.0;                                /* exp(+-inf) = inf, 0 */
    }
    if (x > o_threshold) return __builtin_inf();
    if (x < u_threshold) return 0.0;
  }
  if (hx > 0x3fd62e42u) { /* |x| > ln2/2 */
    if (hx < 0x3FF0A2B2u) { /* and |x| < 1.5 ln2 */
      hi = xsb ? x + ln2hi : x - ln2hi;
      lo = xsb ? -ln2lo : ln2lo;
      k = xsb ? -1 : 1;
    } else {
      k = (int)(invln2 * x + (xsb ? -0.5 : 0.5));
      double t = (double)k;
      hi = x - t * ln2hi;
      lo = t * ln2lo;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000u) { /* |x| < 2^-28 */
    return 1.0 + x;
  }
  double t = x * x;
  hrm_f64_bits twopk;
  if (k >= -1021) twopk.u = (uint64_t)(0x3ff00000u + ((uint32_t)k << 20)) << 32;
  else twopk.u = (uint64_t)(0x3ff00000u + ((uint32_t)(k + 1000) << 20)) << 32;
  double c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  double y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * 8.98846567431157953865e+307; /* 2^1023 */
    return y * twopk.d;
  }
  return y * twopk.d * twom1000;
}

#endif
