/*
 * The GEMM micro-kernels, one per instruction set, selected at compile time (part of gemm.c).
 *   gemm_micro(kc, a, b, c, ldc, alpha, beta):
 *     a: packed MR x kc panel (a[p*MR + i]), b: packed kc x NR panel (b[p*NR + j]), both aligned;
 *     c[i*ldc + j] = alpha * sum_p a[p*MR+i] * b[p*NR+j] + beta * c[i*ldc + j]  (beta == 0: c not read)
 * Also fixes the blocking: KC (depth of a packed slice), MC (rows of A per packed block, a multiple of
 * MR; the block sits in L2), NC (columns of B per packed block, a multiple of NR).
 *
 * Every accumulator is its own named variable (GEMM_ROWS expands a row macro once per row): with an
 * array of accumulators GCC sometimes kept the tile in memory, storing it on every k step, which
 * halved the AVX2 kernel and depended on unrelated code around it. Never inlined natively, for the
 * same reason; one call per kc-deep tile costs nothing.
 */
#ifndef GEMM_MICRO_ATTR
#if defined(__wasm__)
#define GEMM_MICRO_ATTR inline /* V8 ran the separate function slower (measured) */
#else
#define GEMM_MICRO_ATTR __attribute__((noinline))
#endif
#endif

#if defined(__AVX512F__)
#include <immintrin.h>
/* 8 x 32: 16 zmm accumulators, 2 B vectors, broadcasts folded into the FMAs. */
#define GEMM_MR 8
#define GEMM_NR 32
#define GEMM_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#ifndef GEMM_KC
#define GEMM_KC 512
#endif
#ifndef GEMM_MC
#define GEMM_MC (GEMM_MR * 12)
#endif
#ifndef GEMM_NC
#define GEMM_NC 2048
#endif

static inline void gemm_store16(float *p, __m512 acc, __m512 va, __m512 vb, int keep) {
  __m512 r = _mm512_mul_ps(va, acc);
  if (keep) r = _mm512_fmadd_ps(vb, _mm512_loadu_ps(p), r);
  _mm512_storeu_ps(p, r);
}

static GEMM_MICRO_ATTR void gemm_micro(int kc, const float *a, const float *b, float *c, long ldc, float alpha,
                                       float beta) {
#define GEMM_ZERO(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();
  GEMM_ROWS(GEMM_ZERO)
#undef GEMM_ZERO
  for (int p = 0; p < kc; p++) {
    __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#define GEMM_FMA(i)                                   \
  {                                                   \
    __m512 ai = _mm512_set1_ps(a[i]);                 \
    c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);       \
    c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);       \
  }
    GEMM_ROWS(GEMM_FMA)
#undef GEMM_FMA
    a += GEMM_MR;
    b += GEMM_NR;
  }
  __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  int keep = beta != 0.0f;
#define GEMM_STORE(i)                                   \
  gemm_store16(c + i * ldc, c##i##0, va, vb, keep);     \
  gemm_store16(c + i * ldc + 16, c##i##1, va, vb, keep);
  GEMM_ROWS(GEMM_STORE)
#undef GEMM_STORE
}

#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
/* 6 x 16: 12 ymm accumulators + 2 B vectors + 1 broadcast = 15 of the 16 registers. */
#define GEMM_MR 6
#define GEMM_NR 16
#define GEMM_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#ifndef GEMM_KC
#define GEMM_KC 512
#endif
#ifndef GEMM_MC
#define GEMM_MC (GEMM_MR * 16)
#endif
#ifndef GEMM_NC
#define GEMM_NC 2048
#endif

static inline void gemm_store8(float *p, __m256 acc, __m256 va, __m256 vb, int keep) {
  __m256 r = _mm256_mul_ps(va, acc);
  if (keep) r = _mm256_fmadd_ps(vb, _mm256_loadu_ps(p), r);
  _mm256_storeu_ps(p, r);
}

static GEMM_MICRO_ATTR void gemm_micro(int kc, const float *a, const float *b, float *c, long ldc, float alpha,
                                       float beta) {
#define GEMM_ZERO(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps();
  GEMM_ROWS(GEMM_ZERO)
#undef GEMM_ZERO
  for (int p = 0; p < kc; p++) {
    __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#define GEMM_FMA(i)                                   \
  {                                                   \
    __m256 ai = _mm256_broadcast_ss(a + i);           \
    c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);       \
    c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);       \
  }
    GEMM_ROWS(GEMM_FMA)
#undef GEMM_FMA
    a += GEMM_MR;
    b += GEMM_NR;
  }
  __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  int keep = beta != 0.0f;
#define GEMM_STORE(i)                                 \
  gemm_store8(c + i * ldc, c##i##0, va, vb, keep);    \
  gemm_store8(c + i * ldc + 8, c##i##1, va, vb, keep);
  GEMM_ROWS(GEMM_STORE)
#undef GEMM_STORE
}

#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
/* 4 x 8: 8 accumulators + 2 B vectors + 1 broadcast fit V8's xmm registers (measured: 2x16 is equal;
 * 3x12, 5x8, 4x12 and 6x8 spill and run at half speed). No FMA in SIMD128: mul then add. */
#define GEMM_MR 4
#define GEMM_NR 8
#define GEMM_ROWS(X) X(0) X(1) X(2) X(3)
#ifndef GEMM_KC
#define GEMM_KC 512
#endif
#ifndef GEMM_MC
#define GEMM_MC (GEMM_MR * 16)
#endif
#ifndef GEMM_NC
#define GEMM_NC 1024
#endif

static inline void gemm_store4(float *p, v128_t acc, v128_t va, v128_t vb, int keep) {
  v128_t r = wasm_f32x4_mul(va, acc);
  if (keep) r = wasm_f32x4_add(r, wasm_f32x4_mul(vb, wasm_v128_load(p)));
  wasm_v128_store(p, r);
}

static GEMM_MICRO_ATTR void gemm_micro(int kc, const float *a, const float *b, float *c, long ldc, float alpha,
                                       float beta) {
#define GEMM_ZERO(i) v128_t c##i##0 = wasm_f32x4_splat(0.0f), c##i##1 = wasm_f32x4_splat(0.0f);
  GEMM_ROWS(GEMM_ZERO)
#undef GEMM_ZERO
  for (int p = 0; p < kc; p++) {
    v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
#define GEMM_FMA(i)                                                 \
  {                                                                 \
    v128_t ai = wasm_v128_load32_splat(a + i);                      \
    c##i##0 = wasm_f32x4_add(c##i##0, wasm_f32x4_mul(ai, b0));      \
    c##i##1 = wasm_f32x4_add(c##i##1, wasm_f32x4_mul(ai, b1));      \
  }
    GEMM_ROWS(GEMM_FMA)
#undef GEMM_FMA
    a += GEMM_MR;
    b += GEMM_NR;
  }
  v128_t va = wasm_f32x4_splat(alpha), vb = wasm_f32x4_splat(beta);
  int keep = beta != 0.0f;
#define GEMM_STORE(i)                                 \
  gemm_store4(c + i * ldc, c##i##0, va, vb, keep);    \
  gemm_store4(c + i * ldc + 4, c##i##1, va, vb, keep);
  GEMM_ROWS(GEMM_STORE)
#undef GEMM_STORE
}

#else
/* Plain C with 4-float vectors (GCC/clang vector extensions: SSE2 on x86-64, NEON on arm64, scalar
 * code elsewhere): 4 x 8, 8 accumulators. */
#define GEMM_MR 4
#define GEMM_NR 8
#define GEMM_ROWS(X) X(0) X(1) X(2) X(3)
#ifndef GEMM_KC
#define GEMM_KC 256
#endif
#ifndef GEMM_MC
#define GEMM_MC (GEMM_MR * 32)
#endif
#ifndef GEMM_NC
#define GEMM_NC 1024
#endif
typedef float gemm_v4 __attribute__((vector_size(16)));
typedef float gemm_v4u __attribute__((vector_size(16), aligned(4), may_alias));

static inline void gemm_store4(float *p, gemm_v4 acc, float alpha, float beta, int keep) {
  gemm_v4 r = alpha * acc;
  if (keep) r += beta * *(const gemm_v4u *)p;
  *(gemm_v4u *)p = r;
}

static GEMM_MICRO_ATTR void gemm_micro(int kc, const float *a, const float *b, float *c, long ldc, float alpha,
                                       float beta) {
#define GEMM_ZERO(i) gemm_v4 c##i##0 = {0, 0, 0, 0}, c##i##1 = {0, 0, 0, 0};
  GEMM_ROWS(GEMM_ZERO)
#undef GEMM_ZERO
  for (int p = 0; p < kc; p++) {
    gemm_v4 b0 = *(const gemm_v4 *)b, b1 = *(const gemm_v4 *)(b + 4);
#define GEMM_FMA(i)                 \
  {                                 \
    float ai = a[i];                \
    c##i##0 += ai * b0;             \
    c##i##1 += ai * b1;             \
  }
    GEMM_ROWS(GEMM_FMA)
#undef GEMM_FMA
    a += GEMM_MR;
    b += GEMM_NR;
  }
  int keep = beta != 0.0f;
#define GEMM_STORE(i)                                  \
  gemm_store4(c + i * ldc, c##i##0, alpha, beta, keep); \
  gemm_store4(c + i * ldc + 4, c##i##1, alpha, beta, keep);
  GEMM_ROWS(GEMM_STORE)
#undef GEMM_STORE
}
#endif
