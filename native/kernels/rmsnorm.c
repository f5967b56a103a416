/* rmsnorm.c: RMSNorm without weight, fused with the residual add before it (post-norm blocks).
 * x, y, out, ds, dout [N, C]; rstd [N]. */
#include "common.h"

static void add_rmsnorm_row(float *out, float *rstd, const float *x, const float *y, long C, float eps) {
  v16f acc = splat16(0.0f);
  long c = 0;
  /* s = x + y goes to out first, then out is scaled in place */
  for (; c + 16 <= C; c += 16) {
    v16f s = ld16(x + c);
    if (y) s += ld16(y + c);
    st16(out + c, s);
    acc += s * s;
  }
  if (c < C) {
    v16f s = ld16n(x + c, C - c);
    if (y) s += ld16n(y + c, C - c);
    st16n(out + c, s, C - c);
    acc += s * s;
  }
  float r = 1.0f / __builtin_sqrtf(hsum16(acc) / (float)C + eps);
  *rstd = r;
  for (c = 0; c < C; c++) out[c] *= r;
}

/* s = x + y (y may be 0); rstd = 1/sqrt(mean(s^2) + eps); out = s * rstd */
static void add_rmsnorm_forward(float *out, float *rstd, const float *x, const float *y, long N, long C, float eps) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * C * HRM_NS_MATH, N)))
  for (long n = 0; n < N; n++) add_rmsnorm_row(out + n * C, rstd + n, x + n * C, y ? y + n * C : 0, C, eps);
}

static void rmsnorm_backward_row(float *ds, const float *dout, const float *out, float rstd, long C) {
  v16f acc = splat16(0.0f);
  long c = 0;
  for (; c + 16 <= C; c += 16) acc += ld16(dout + c) * ld16(out + c);
  if (c < C) acc += ld16n(dout + c, C - c) * ld16n(out + c, C - c);
  float m = hsum16(acc) / (float)C;
  for (c = 0; c < C; c++) ds[c] = rstd * (dout[c] - out[c] * m);
}

/* ds = rstd * (dout - out * mean(dout * out)); ds may alias dout */
static void rmsnorm_backward(float *ds, const float *dout, const float *out, const float *rstd, long N, long C) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * C * HRM_NS_MATH, N)))
  for (long n = 0; n < N; n++) rmsnorm_backward_row(ds + n * C, dout + n * C, out + n * C, rstd[n], C);
}

/* bfloat16, as the reference rounds: s = bf16(x + y) (a bf16 add), the norm in float32 on s,
 * out = bf16(s * rstd). rstd is float32. */
static void add_rmsnorm_forward_bf16(float *out, float *rstd, const float *x, const float *y, long N, long C,
                                     float eps) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * C * HRM_NS_MATH, N)))
  for (long n = 0; n < N; n++) {
    float *o = out + n * C;
    const float *xr = x + n * C;
    if (y) {
      const float *yr = y + n * C;
      for (long c = 0; c < C; c++) o[c] = xr[c] + yr[c];
      hrm_bf16_array(o, o, C);
    } else {
      hrm_bf16_array(o, xr, C);
    }
    add_rmsnorm_row(o, rstd + n, o, 0, C, eps);
    hrm_bf16_array(o, o, C);
  }
}
