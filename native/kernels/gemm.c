/*
 * gemm: C = alpha * op(A) * op(B) + beta * C, float32, row-major.
 * op(A) is [M,K] (A itself is [K,M] when transA), op(B) is [K,N] (B is [N,K] when transB).
 * beta == 0 ignores the old C entirely (even NaN). This first version is a simple
 * cache-blocked loop nest; a packed, register-tiled kernel replaces it.
 * Included into the unity translation unit native/abi.c; every helper is static.
 */
#if __has_include("common.h")
#include "common.h"
#endif

#define GEMM_A(i, p) (transA ? A[(long)(p) * lda + (i)] : A[(long)(i) * lda + (p)])
#define GEMM_B(p, j) (transB ? B[(long)(j) * ldb + (p)] : B[(long)(p) * ldb + (j)])

static void gemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc) {
  for (int i = 0; i < M; i++) {
    float *c = C + (long)i * ldc;
    if (beta == 0.0f)
      for (int j = 0; j < N; j++) c[j] = 0.0f;
    else if (beta != 1.0f)
      for (int j = 0; j < N; j++) c[j] *= beta;
  }
  if (alpha == 0.0f || K == 0) return;
  enum { KB = 256 };
  for (int p0 = 0; p0 < K; p0 += KB) {
    int p1 = p0 + KB < K ? p0 + KB : K;
    for (int i = 0; i < M; i++) {
      float *c = C + (long)i * ldc;
      if (!transB) {
        for (int p = p0; p < p1; p++) {
          float a = alpha * GEMM_A(i, p);
          const float *b = B + (long)p * ldb;
          for (int j = 0; j < N; j++) c[j] += a * b[j];
        }
      } else {
        for (int j = 0; j < N; j++) {
          const float *b = B + (long)j * ldb;
          float s = 0.0f;
          for (int p = p0; p < p1; p++) s += GEMM_A(i, p) * b[p];
          c[j] += alpha * s;
        }
      }
    }
  }
}

#undef GEMM_A
#undef GEMM_B
