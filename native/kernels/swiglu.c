/* swiglu.c: SwiGLU, silu(gate) * up. gu [N, 2I] = [gate | up] per row, out / dout [N, I]. */
#include "common.h"

/* silu(g) = g / (1 + e^-g): e^-g = inf for g < -88 gives -0, the right limit; one exp, one divide */
HRM_INLINE v16f swiglu16(v16f g, v16f u) { return g / (1.0f + vexp16(-g)) * u; }

static void swiglu_forward_row(float *out, const float *gu, long I) {
  const float *g = gu, *u = gu + I;
  long i = 0;
  for (; i + 16 <= I; i += 16) st16(out + i, swiglu16(ld16(g + i), ld16(u + i)));
  if (i < I) st16n(out + i, swiglu16(ld16n(g + i, I - i), ld16n(u + i, I - i)), I - i);
}

static void swiglu_forward(float *out, const float *gu, long N, long I) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * I * HRM_NS_MATH, N)))
  for (long n = 0; n < N; n++) swiglu_forward_row(out + n * I, gu + n * 2 * I, I);
}

/* d silu(g)/dg = sig(g) (1 + g (1 - sig(g))) */
HRM_INLINE void swiglu_grad16(v16f g, v16f u, v16f d, v16f *dg, v16f *du) {
  v16f s = 1.0f / (1.0f + vexp16(-g));
  *du = d * g * s;
  *dg = d * u * s * (1.0f + g * (1.0f - s));
}

static void swiglu_backward_row(float *dgu, const float *dout, const float *gu, long I) {
  const float *g = gu, *u = gu + I;
  float *dg = dgu, *du = dgu + I;
  long i = 0;
  v16f a, b;
  for (; i + 16 <= I; i += 16) {
    swiglu_grad16(ld16(g + i), ld16(u + i), ld16(dout + i), &a, &b);
    st16(dg + i, a);
    st16(du + i, b);
  }
  if (i < I) {
    long r = I - i;
    swiglu_grad16(ld16n(g + i, r), ld16n(u + i, r), ld16n(dout + i, r), &a, &b);
    st16n(dg + i, a, r);
    st16n(du + i, b, r);
  }
}

/* dgu [N, 2I] = [d gate | d up] */
static void swiglu_backward(float *dgu, const float *dout, const float *gu, long N, long I) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * I * HRM_NS_MATH, N)))
  for (long n = 0; n < N; n++) swiglu_backward_row(dgu + n * 2 * I, dout + n * I, gu + n * 2 * I, I);
}

/* bfloat16, as the reference's bf16 ops round: out = bf16(bf16(silu(gate)) * up). Native-width
 * vectors with a scalar tail that computes the same formulas (vexpn / hrm_bf16 agree lane by lane). */
HRM_INLINE vnf swiglu_silun(vnf g) { return g / (1.0f + vexpn(-g)); }

static void swiglu_forward_bf16(float *out, const float *gu, long N, long I) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * I * HRM_NS_MATH, N)))
  for (long n = 0; n < N; n++) {
    const float *g = gu + n * 2 * I, *u = g + I;
    float *o = out + n * I;
    long i = 0;
    for (; i + HRM_NW <= I; i += HRM_NW) stn(o + i, hrm_bf16n(hrm_bf16n(swiglu_silun(ldn(g + i))) * ldn(u + i)));
    for (; i < I; i++) o[i] = hrm_bf16(hrm_bf16(swiglu_silun(splatn(g[i]))[0]) * u[i]);
  }
}

/* The backward of those two bf16 ops (dout already bf16): d silu = bf16(dout * up),
 * d up = bf16(dout * bf16(silu(gate))), d gate = bf16(d silu * silu'(gate)). */
HRM_INLINE void swiglu_grad_bf16n(vnf g, vnf u, vnf d, vnf *dg, vnf *du) {
  vnf e = 1.0f + vexpn(-g), s = 1.0f / e;
  *du = hrm_bf16n(d * hrm_bf16n(g / e));
  *dg = hrm_bf16n(hrm_bf16n(d * u) * (s * (1.0f + g * (1.0f - s))));
}

static void swiglu_backward_bf16(float *dgu, const float *dout, const float *gu, long N, long I) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * I * HRM_NS_MATH, N)))
  for (long n = 0; n < N; n++) {
    const float *g = gu + n * 2 * I, *u = g + I, *d = dout + n * I;
    float *dg = dgu + n * 2 * I, *du = dg + I;
    long i = 0;
    vnf a, b;
    for (; i + HRM_NW <= I; i += HRM_NW) {
      swiglu_grad_bf16n(ldn(g + i), ldn(u + i), ldn(d + i), &a, &b);
      stn(dg + i, a);
      stn(du + i, b);
    }
    for (; i < I; i++) {
      swiglu_grad_bf16n(splatn(g[i]), splatn(u[i]), splatn(d[i]), &a, &b);
      dg[i] = a[0];
      du[i] = b[0];
    }
  }
}
