/* optim.c: optimizer updates (REFERENCE.md section 4). */
#include "common.h"

HRM_INLINE void adam_atan2_vec(v16f *P, v16f G, v16f *M, v16f *V, float decay, float b1, float b2, float step,
                               float inv_sqrt_bc2) {
  *P = *P * decay;
  *M = *M + (1.0f - b1) * (G - *M);
  *V = *V + (1.0f - b2) * (G * G - *V);
  *P = *P - step * vatan2_16(*M, vsqrt16(*V) * inv_sqrt_bc2);
}

/* AdamATan2 with decoupled weight decay, bc1 = 1 - b1^t, bc2 = 1 - b2^t:
 * p *= 1 - lr wd; m += (1-b1)(g - m); v += (1-b2)(g^2 - v); p -= (lr/bc1) atan2(m, sqrt(v)/sqrt(bc2)) */
static void adam_atan2(float *p, const float *g, float *m, float *v, long n, float lr, float wd, float b1, float b2,
                       float bc1, float bc2) {
  float step = lr / bc1, inv_sqrt_bc2 = 1.0f / __builtin_sqrtf(bc2), decay = 1.0f - lr * wd;
  long nblocks = (n + 4095) / 4096;
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(n * HRM_NS_MATH, nblocks)))
  for (long bI = 0; bI < nblocks; bI++) {
    long lo = bI * 4096, hi = lo + 4096 < n ? lo + 4096 : n, k = lo;
    for (; k + 16 <= hi; k += 16) {
      v16f P = ld16(p + k), M = ld16(m + k), V = ld16(v + k);
      adam_atan2_vec(&P, ld16(g + k), &M, &V, decay, b1, b2, step, inv_sqrt_bc2);
      st16(p + k, P);
      st16(m + k, M);
      st16(v + k, V);
    }
    if (k < hi) {
      long r = hi - k;
      v16f P = ld16n(p + k, r), M = ld16n(m + k, r), V = ld16n(v + k, r);
      adam_atan2_vec(&P, ld16n(g + k, r), &M, &V, decay, b1, b2, step, inv_sqrt_bc2);
      st16n(p + k, P, r);
      st16n(m + k, M, r);
      st16n(v + k, V, r);
    }
  }
}

/* SignSGD with decoupled weight decay over selected rows (ids unique):
 * w[ids[i]] *= 1 - lr wd; w[ids[i]] -= lr sign(g[i]). w [V, C], g [n, C]. */
static void sign_sgd_rows(float *w, const int32_t *ids, const float *g, long n, long C, double lr, double wd) {
  /* lr and wd arrive as the caller's float64 numbers: the decay is rounded to float32 once, the
   * product w*decay is a float32 product, and the step lr*sign is subtracted in float64 and rounded,
   * as SparseSignSGD always computed it in JS (the same bits on every backend). lr*sign is exact, so
   * fusing the last line into an FMA changes nothing. */
  volatile double lr_wd = lr * wd; /* volatile: gcc would fuse 1 - lr*wd into one FMA (JS does not) */
  float decay = (float)(1.0 - lr_wd);
  for (long i = 0; i < n; i++) {
    float *r = w + (long)ids[i] * C;
    const float *gi = g + i * C;
    for (long c = 0; c < C; c++) {
      double s = gi[c] > 0.0f ? 1.0 : (gi[c] < 0.0f ? -1.0 : 0.0);
      float p = r[c] * decay;
      r[c] = (float)((double)p - lr * s);
    }
  }
}
