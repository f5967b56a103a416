/* losses.c: per-row cross entropies (stablemax in float64, softmax in float32) with an ignore label,
 * and binary cross entropy with logits. logits / dlogits [N, V], labels int32 [N], loss / dloss [N]. */
#include "common.h"

/* stablemax s(x) = 1/(1 - x + 1e-30) for x < 0, x + 1 otherwise; ds/dx = s^2 for x < 0, 1 otherwise */
HRM_INLINE double stablemax_s(double x) { return x < 0.0 ? 1.0 / (1.0 - x + 1e-30) : x + 1.0; }

/* loss = -log(s(x_label) / sum_j s(x_j)), 0 where label == ignore */
static void stablemax_ce_forward(float *loss, const float *logits, const int32_t *labels, long N, long V, long ignore) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * V * HRM_NS_LOSS, N)))
  for (long n = 0; n < N; n++) {
    long lab = labels[n];
    if (lab == ignore || lab < 0 || lab >= V) {
      loss[n] = 0.0f;
      continue;
    }
    const float *x = logits + n * V;
    double sum = 0.0;
    for (long j = 0; j < V; j++) sum += stablemax_s((double)x[j]);
    loss[n] = (float)(hrm_log(sum) - hrm_log(stablemax_s((double)x[lab])));
  }
}

/* dlogits[j] = dloss * (s'(x_j)/sum - [j == label] s'(x_label)/s(x_label)) */
static void stablemax_ce_backward(float *dlogits, const float *dloss, const float *logits, const int32_t *labels,
                                  long N, long V, long ignore) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * V * HRM_NS_LOSS, N)))
  for (long n = 0; n < N; n++) {
    long lab = labels[n];
    float *d = dlogits + n * V;
    if (lab == ignore || lab < 0 || lab >= V) {
      for (long j = 0; j < V; j++) d[j] = 0.0f;
      continue;
    }
    const float *x = logits + n * V;
    double sum = 0.0;
    for (long j = 0; j < V; j++) sum += stablemax_s((double)x[j]);
    double g = (double)dloss[n], inv = 1.0 / sum;
    for (long j = 0; j < V; j++) {
      double xj = (double)x[j], s = stablemax_s(xj);
      double ds = xj < 0.0 ? s * s : 1.0;
      double v = ds * inv;
      if (j == lab) v -= ds / s;
      d[j] = (float)(g * v);
    }
  }
}

/* max and sum_j exp(x_j - max) of one row */
static void softmax_row_stats(const float *x, long V, float *max_out, float *sum_out) {
  v16f m = splat16(-__builtin_inff());
  long j = 0;
  for (; j + 16 <= V; j += 16) m = vmax16(m, ld16(x + j));
  float mx = hmax16(m);
  for (; j < V; j++) mx = x[j] > mx ? x[j] : mx;
  v16f acc = splat16(0.0f);
  for (j = 0; j + 16 <= V; j += 16) acc += vexp16(ld16(x + j) - mx);
  if (j < V) {
    v16f e = vexp16(ld16n(x + j, V - j) - mx);
    float t[16];
    st16(t, e);
    for (long k = V - j; k < 16; k++) t[k] = 0.0f;
    acc += ld16(t);
  }
  *max_out = mx;
  *sum_out = hsum16(acc);
}

/* loss = logsumexp(x) - x_label, 0 where label == ignore */
static void softmax_ce_forward(float *loss, const float *logits, const int32_t *labels, long N, long V, long ignore) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * V * HRM_NS_LOSS, N)))
  for (long n = 0; n < N; n++) {
    long lab = labels[n];
    if (lab == ignore || lab < 0 || lab >= V) {
      loss[n] = 0.0f;
      continue;
    }
    float mx, sum;
    softmax_row_stats(logits + n * V, V, &mx, &sum);
    loss[n] = mx + hrm_logf(sum) - logits[n * V + lab];
  }
}

/* dlogits = dloss * (softmax(x) - onehot(label)) */
static void softmax_ce_backward(float *dlogits, const float *dloss, const float *logits, const int32_t *labels,
                                long N, long V, long ignore) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * V * HRM_NS_LOSS, N)))
  for (long n = 0; n < N; n++) {
    long lab = labels[n];
    float *d = dlogits + n * V;
    if (lab == ignore || lab < 0 || lab >= V) {
      for (long j = 0; j < V; j++) d[j] = 0.0f;
      continue;
    }
    const float *x = logits + n * V;
    float mx, sum;
    softmax_row_stats(x, V, &mx, &sum);
    float g = dloss[n] / sum;
    long j = 0;
    for (; j + 16 <= V; j += 16) st16(d + j, vexp16(ld16(x + j) - mx) * g);
    if (j < V) st16n(d + j, vexp16(ld16n(x + j, V - j) - mx) * g, V - j);
    d[lab] -= dloss[n];
  }
}

HRM_INLINE v16f bce16(v16f x, v16f t) {
  return vmax16(x, splat16(0.0f)) - x * t + vlog1p16(vexp16(-vabs16(x)));
}

/* loss = max(x, 0) - x t + log(1 + exp(-|x|)), elementwise */
static void bce_logits_forward(float *loss, const float *x, const float *t, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16) st16(loss + i, bce16(ld16(x + i), ld16(t + i)));
  if (i < n) st16n(loss + i, bce16(ld16n(x + i, n - i), ld16n(t + i, n - i)), n - i);
}

/* dx = dloss * (sigmoid(x) - t) */
static void bce_logits_backward(float *dx, const float *dloss, const float *x, const float *t, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16) st16(dx + i, ld16(dloss + i) * (vsigmoid16(ld16(x + i)) - ld16(t + i)));
  if (i < n)
    st16n(dx + i, ld16n(dloss + i, n - i) * (vsigmoid16(ld16n(x + i, n - i)) - ld16n(t + i, n - i)), n - i);
}
