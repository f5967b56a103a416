/* embedding.c: row gather and its scatter-add gradient. ids int32 [N], w / dw [V, C], out / dout [N, C]. */
#include "common.h"

/* out[n] = w[ids[n]] */
static void embedding_forward(float *out, const int32_t *ids, const float *w, long N, long C) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * C * HRM_NS_STREAM, N)))
  for (long n = 0; n < N; n++) hrm_copy(out + n * C, w + (long)ids[n] * C, (size_t)C * 4);
}

/* dw[ids[n]] += dout[n]; ids may repeat, so threads split the columns instead of the rows */
static void embedding_backward(float *dw, const int32_t *ids, const float *dout, long N, long C) {
  const long block = 256;
  long nblocks = (C + block - 1) / block;
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * C * HRM_NS_STREAM, nblocks)))
  for (long jb = 0; jb < nblocks; jb++) {
    long c0 = jb * block, c1 = c0 + block < C ? c0 + block : C;
    for (long n = 0; n < N; n++) {
      float *d = dw + (long)ids[n] * C;
      const float *s = dout + n * C;
      for (long c = c0; c < c1; c++) d[c] += s[c];
    }
  }
}
