/* bias.c: the bias of a linear layer. y [N, C], b [C]. */
#include "common.h"

/* y[n, c] += b[c] */
static void add_bias(float *y, const float *b, long N, long C) {
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * C * HRM_NS_STREAM, N)))
  for (long n = 0; n < N; n++)
    for (long c = 0; c < C; c++) y[n * C + c] += b[c];
}

/* db[c] += sum_n dy[n, c]  (threads split the columns, so no two write the same db[c]) */
static void bias_grad(float *db, const float *dy, long N, long C) {
  const long block = 256;
  long nblocks = (C + block - 1) / block;
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(N * C * HRM_NS_STREAM, nblocks)))
  for (long jb = 0; jb < nblocks; jb++) {
    long c0 = jb * block, c1 = c0 + block < C ? c0 + block : C;
    for (long n = 0; n < N; n++)
      for (long c = c0; c < c1; c++) db[c] += dy[n * C + c];
  }
}
