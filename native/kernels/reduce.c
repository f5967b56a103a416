/* reduce.c: sum, argmax, row select. */
#include "common.h"

/* out[0] = sum of x, accumulated in float64 (8 partial sums, fixed order) */
static void sum(float *out, const float *x, long n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) acc[k] += (double)x[i + k];
  for (; i < n; i++) acc[0] += (double)x[i];
  out[0] = (float)(((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7])));
}

/* out[n] = first index of the maximum of x[n, :] (int32); a NaN counts as the largest, as torch.argmax */
static void argmax(int32_t *out, const float *x, long N, long V) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * V * HRM_NS_STREAM * 4, N)))
  for (long n = 0; n < N; n++) {
    const float *r = x + n * V;
    long best = 0;
    for (long j = 1; j < V; j++)
      if (r[j] > r[best] || (r[j] != r[j] && r[best] == r[best])) best = j;
    out[n] = (int32_t)best;
  }
}

/* out[b] = cond[b] ? a[b] : bb[b], rows of R floats */
static void where_rows(float *out, const int32_t *cond, const float *a, const float *bb, long B, long R) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(B * R * HRM_NS_STREAM, B)))
  for (long b = 0; b < B; b++) {
    const float *src = cond[b] ? a + b * R : bb + b * R;
    if (src != out + b * R) hrm_copy(out + b * R, src, (size_t)R * 4);
  }
}
