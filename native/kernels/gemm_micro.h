/*
 * The GEMM micro-kernels, one per instruction set, selected at compile time (part of gemm.c).
 *   gemm_micro(kc, a, b, c, ldc, alpha, beta):
 *     a: packed MR x kc panel (a[p*MR + i]), b: packed kc x NR panel (b[p*NR + j]), both aligned;
 *     c[i*ldc + j] = alpha * sum_p a[p*MR+i] * b[p*NR+j] + beta * c[i*ldc + j]  (beta == 0: c not read)
 * Also fixes the blocking: KC (depth of a packed slice), MC (rows of A per packed block, a multiple of
 * MR; the block sits in L2), NC (columns of B per packed block, a multiple of NR).
 * The accumulator loops have constant bounds, so the compiler unrolls them and keeps the whole
 * MR x NR tile in registers.
 */
#if defined(__AVX512F__)
#include <immintrin.h>
#ifndef GEMM_MR
#define GEMM_MR 8
#endif
#define GEMM_NR 32
#ifndef GEMM_KC
#define GEMM_KC 512
#endif
#ifndef GEMM_MC
#define GEMM_MC (GEMM_MR * 12)
#endif
#ifndef GEMM_NC
#define GEMM_NC 2048
#endif

static inline void gemm_micro(int kc, const float *a, const float *b, float *c, long ldc, float alpha,
                              float beta) {
  __m512 acc[GEMM_MR][2];
  for (int i = 0; i < GEMM_MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int p = 0; p < kc; p++) {
    __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
    for (int i = 0; i < GEMM_MR; i++) {
      __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += GEMM_MR;
    b += GEMM_NR;
  }
  __m512 va = _mm512_set1_ps(alpha);
  if (beta == 0.0f) {
    for (int i = 0; i < GEMM_MR; i++) {
      _mm512_storeu_ps(c + i * ldc, _mm512_mul_ps(va, acc[i][0]));
      _mm512_storeu_ps(c + i * ldc + 16, _mm512_mul_ps(va, acc[i][1]));
    }
  } else {
    __m512 vb = _mm512_set1_ps(beta);
    for (int i = 0; i < GEMM_MR; i++) {
      float *ci = c + i * ldc;
      _mm512_storeu_ps(ci, _mm512_fmadd_ps(va, acc[i][0], _mm512_mul_ps(vb, _mm512_loadu_ps(ci))));
      _mm512_storeu_ps(ci + 16, _mm512_fmadd_ps(va, acc[i][1], _mm512_mul_ps(vb, _mm512_loadu_ps(ci + 16))));
    }
  }
}

#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define GEMM_MR 6
#define GEMM_NR 16
#ifndef GEMM_KC
#define GEMM_KC 512
#endif
#ifndef GEMM_MC
#define GEMM_MC (GEMM_MR * 16)
#endif
#ifndef GEMM_NC
#define GEMM_NC 2048
#endif

static inline void gemm_micro(int kc, const float *a, const float *b, float *c, long ldc, float alpha,
                              float beta) {
  __m256 acc[GEMM_MR][2];
  for (int i = 0; i < GEMM_MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int p = 0; p < kc; p++) {
    __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    for (int i = 0; i < GEMM_MR; i++) {
      __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += GEMM_MR;
    b += GEMM_NR;
  }
  __m256 va = _mm256_set1_ps(alpha);
  if (beta == 0.0f) {
    for (int i = 0; i < GEMM_MR; i++) {
      _mm256_storeu_ps(c + i * ldc, _mm256_mul_ps(va, acc[i][0]));
      _mm256_storeu_ps(c + i * ldc + 8, _mm256_mul_ps(va, acc[i][1]));
    }
  } else {
    __m256 vb = _mm256_set1_ps(beta);
    for (int i = 0; i < GEMM_MR; i++) {
      float *ci = c + i * ldc;
      _mm256_storeu_ps(ci, _mm256_fmadd_ps(va, acc[i][0], _mm256_mul_ps(vb, _mm256_loadu_ps(ci))));
      _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(va, acc[i][1], _mm256_mul_ps(vb, _mm256_loadu_ps(ci + 8))));
    }
  }
}

#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
/* 4x8: 8 accumulators + 2 B vectors + 1 broadcast fit V8's 16 xmm registers (6x8 spills). */
#ifndef GEMM_MR
#define GEMM_MR 4
#endif
#ifndef GEMM_NR
#define GEMM_NR 8
#endif
#ifndef GEMM_KC
#define GEMM_KC 512
#endif
#ifndef GEMM_MC
#define GEMM_MC (GEMM_MR * 16)
#endif
#ifndef GEMM_NC
#define GEMM_NC 1024
#endif
#define GEMM_NV (GEMM_NR / 4)

static inline void gemm_micro(int kc, const float *a, const float *b, float *c, long ldc, float alpha,
                              float beta) {
  v128_t acc[GEMM_MR][GEMM_NV];
  for (int i = 0; i < GEMM_MR; i++)
    for (int v = 0; v < GEMM_NV; v++) acc[i][v] = wasm_f32x4_splat(0.0f);
  for (int p = 0; p < kc; p++) {
    v128_t bv[GEMM_NV];
    for (int v = 0; v < GEMM_NV; v++) bv[v] = wasm_v128_load(b + 4 * v);
    for (int i = 0; i < GEMM_MR; i++) {
      v128_t ai = wasm_v128_load32_splat(a + i);
      for (int v = 0; v < GEMM_NV; v++) acc[i][v] = wasm_f32x4_add(acc[i][v], wasm_f32x4_mul(ai, bv[v]));
    }
    a += GEMM_MR;
    b += GEMM_NR;
  }
  v128_t va = wasm_f32x4_splat(alpha), vb = wasm_f32x4_splat(beta);
  for (int i = 0; i < GEMM_MR; i++) {
    float *ci = c + i * ldc;
    for (int v = 0; v < GEMM_NV; v++) {
      v128_t r = wasm_f32x4_mul(va, acc[i][v]);
      if (beta != 0.0f) r = wasm_f32x4_add(r, wasm_f32x4_mul(vb, wasm_v128_load(ci + 4 * v)));
      wasm_v128_store(ci + 4 * v, r);
    }
  }
}

#else
/* Plain C: small enough for the compiler to keep in registers and vectorise with what it has. */
#define GEMM_MR 4
#define GEMM_NR 8
#ifndef GEMM_KC
#define GEMM_KC 256
#endif
#ifndef GEMM_MC
#define GEMM_MC (GEMM_MR * 32)
#endif
#ifndef GEMM_NC
#define GEMM_NC 1024
#endif

static inline void gemm_micro(int kc, const float *a, const float *b, float *c, long ldc, float alpha,
                              float beta) {
  float acc[GEMM_MR][GEMM_NR];
  for (int i = 0; i < GEMM_MR; i++)
    for (int j = 0; j < GEMM_NR; j++) acc[i][j] = 0.0f;
  for (int p = 0; p < kc; p++) {
    for (int i = 0; i < GEMM_MR; i++)
      for (int j = 0; j < GEMM_NR; j++) acc[i][j] += a[i] * b[j];
    a += GEMM_MR;
    b += GEMM_NR;
  }
  for (int i = 0; i < GEMM_MR; i++) {
    float *ci = c + i * ldc;
    if (beta == 0.0f)
      for (int j = 0; j < GEMM_NR; j++) ci[j] = alpha * acc[i][j];
    else
      for (int j = 0; j < GEMM_NR; j++) ci[j] = alpha * acc[i][j] + beta * ci[j];
  }
}
#endif
