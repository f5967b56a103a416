/*
 * Packing for gemm (part of gemm.c). A packed panel is kc x R, p-major: dst[p*R + r].
 *   gemm_pack_rows: source rows r (R of them, `rows` valid) each hold kc consecutive values
 *                   (op(A) when not transposed, op(B) when transposed): a transpose, done in
 *                   G x G blocks with SIMD shuffles where the ISA has them.
 *   gemm_pack_cols: source row p holds the values of every panel side by side: a strided copy.
 * Rows / columns past the valid count are zero so that the micro-kernel needs no edge cases.
 */
#if defined(__AVX__)
#include <immintrin.h>
#define GEMM_TG 8
/* 8 rows x 8 values at s (row stride ld) -> 8 groups of 8 at d (group stride ds). */
static inline void gemm_transpose_block(const float *s, long ld, float *d, long ds) {
  __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ld), r2 = _mm256_loadu_ps(s + 2 * ld),
         r3 = _mm256_loadu_ps(s + 3 * ld), r4 = _mm256_loadu_ps(s + 4 * ld), r5 = _mm256_loadu_ps(s + 5 * ld),
         r6 = _mm256_loadu_ps(s + 6 * ld), r7 = _mm256_loadu_ps(s + 7 * ld);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(d, _mm256_permute2f128_ps(s0, s4, 0x20));
  _mm256_storeu_ps(d + ds, _mm256_permute2f128_ps(s1, s5, 0x20));
  _mm256_storeu_ps(d + 2 * ds, _mm256_permute2f128_ps(s2, s6, 0x20));
  _mm256_storeu_ps(d + 3 * ds, _mm256_permute2f128_ps(s3, s7, 0x20));
  _mm256_storeu_ps(d + 4 * ds, _mm256_permute2f128_ps(s0, s4, 0x31));
  _mm256_storeu_ps(d + 5 * ds, _mm256_permute2f128_ps(s1, s5, 0x31));
  _mm256_storeu_ps(d + 6 * ds, _mm256_permute2f128_ps(s2, s6, 0x31));
  _mm256_storeu_ps(d + 7 * ds, _mm256_permute2f128_ps(s3, s7, 0x31));
}
#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define GEMM_TG 4
static inline void gemm_transpose_block(const float *s, long ld, float *d, long ds) {
  v128_t r0 = wasm_v128_load(s), r1 = wasm_v128_load(s + ld), r2 = wasm_v128_load(s + 2 * ld),
         r3 = wasm_v128_load(s + 3 * ld);
  v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
  v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  wasm_v128_store(d, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
  wasm_v128_store(d + ds, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
  wasm_v128_store(d + 2 * ds, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
  wasm_v128_store(d + 3 * ds, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
}
#else
#define GEMM_TG 0
#endif

/* dst[p*R + r] = src[r*ld + p] for r < rows, 0 for rows <= r < R; p < kc. */
static void gemm_pack_rows(const float *src, long ld, int rows, int R, int kc, float *dst) {
  int r = 0;
#if GEMM_TG
  /* whole groups of TG rows: TG x TG blocks, then the scalar tail of p */
  int pv = kc / GEMM_TG * GEMM_TG;
  for (; r + GEMM_TG <= rows && r + GEMM_TG <= R; r += GEMM_TG) {
    const float *s = src + (long)r * ld;
    for (int p = 0; p < pv; p += GEMM_TG) gemm_transpose_block(s + p, ld, dst + (long)p * R + r, R);
    for (int i = 0; i < GEMM_TG; i++)
      for (int p = pv; p < kc; p++) dst[(long)p * R + r + i] = s[(long)i * ld + p];
  }
#endif
  for (; r < rows; r++) {
    const float *s = src + (long)r * ld;
    for (int p = 0; p < kc; p++) dst[(long)p * R + r] = s[p];
  }
  for (; r < R; r++)
    for (int p = 0; p < kc; p++) dst[(long)p * R + r] = 0.0f;
}

/* Every R-column panel of src[0:kc, 0:cols] at once: panel q gets dst[q*kc*R + p*R + j] =
 * src[p*ld + q*R + j] (0 past cols). Row p of the source is read once, front to back. */
static inline __attribute__((always_inline)) void gemm_pack_cols(const float *src, long ld, int cols, int R, int kc,
                                                                  float *dst) {
  int full = cols / R; /* R is a constant at every call, so the whole-panel copy is vector moves */
  for (int p = 0; p < kc; p++) {
    const float *s = src + (long)p * ld;
    float *d = dst + (long)p * R;
    for (int q = 0; q < full; q++)
      for (int j = 0; j < R; j++) d[(long)q * kc * R + j] = s[q * R + j];
    if (full * R < cols) {
      int n = cols - full * R, j = 0;
      for (; j < n; j++) d[(long)full * kc * R + j] = s[full * R + j];
      for (; j < R; j++) d[(long)full * kc * R + j] = 0.0f;
    }
  }
}
