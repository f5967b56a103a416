/*
 * gemm: C = alpha * op(A) * op(B) + beta * C, float32, row-major.
 *   op(A) is [M,K] (A itself is [K,M] when transA), op(B) is [K,N] (B is [N,K] when transB).
 *   beta == 0 ignores the old C entirely (even NaN).
 *
 * A packed, register-tiled kernel in the BLIS style:
 *   for each NC-wide column block of B, for each KC-deep slice:
 *     pack op(B)[pc:pc+kc, jc:jc+nc] into NR-wide panels (transposes are handled here)
 *     for each MC-tall row block: pack op(A) into MR-tall panels, then run the MR x NR
 *     micro-kernel over every (NR panel, MR panel) pair; the B panel stays in L1 while A streams
 *     from L2.
 * One micro-kernel per instruction set (see gemm_micro.h), chosen at compile time:
 *   AVX-512 8x32, AVX2+FMA 6x16, WebAssembly SIMD128 4x8, plain C 4x8.
 * Threads (native): the output is cut into one strip per thread (along M, or along N when that is
 * longer); each thread packs its own panels into its own static buffers, so there is no heap use and
 * no barrier. The wasm build has no libc and one thread.
 *
 * Included into the unity translation unit native/abi.c; every helper is static.
 */
#if __has_include("common.h")
#include "common.h"
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include "gemm_micro.h"
#include "gemm_pack.h"
#ifndef GEMM_ORDER
#define GEMM_ORDER 0
#endif

#ifdef HRM_MAX_THREADS
#define GEMM_MAX_THREADS HRM_MAX_THREADS
#else
#define GEMM_MAX_THREADS 64
#endif

#if defined(__wasm__) || !defined(_OPENMP)
/* One thread and (in wasm) no libc: the packing buffers are static. */
static float gemm_bufA[GEMM_MC * GEMM_KC] __attribute__((aligned(64)));
static float gemm_bufB[GEMM_KC * GEMM_NC] __attribute__((aligned(64)));
static int gemm_buffers(int slot, float **Ap, float **Bp) {
  (void)slot;
  *Ap = gemm_bufA;
  *Bp = gemm_bufB;
  return 1;
}
#else
/* Native: one pair per thread slot, allocated on first use and kept (gemm's own, so that a kernel
 * that holds hrm_scratch may call gemm). Returns 0 when memory is short. */
static float *gemm_bufA[GEMM_MAX_THREADS], *gemm_bufB[GEMM_MAX_THREADS];
static int gemm_buffers(int slot, float **Ap, float **Bp) {
  if (!gemm_bufA[slot]) gemm_bufA[slot] = (float *)aligned_alloc(64, sizeof(float) * GEMM_MC * GEMM_KC);
  if (!gemm_bufB[slot]) gemm_bufB[slot] = (float *)aligned_alloc(64, sizeof(float) * GEMM_KC * GEMM_NC);
  *Ap = gemm_bufA[slot];
  *Bp = gemm_bufB[slot];
  return *Ap && *Bp;
}
#endif

/* op(A)[i0:i0+mc, p0:p0+kc] -> MR-row panels, each kc x MR (p-major); rows past mc are zero. */
static void gemm_pack_A(int transA, const float *A, int lda, int i0, int mc, int p0, int kc, float *dst) {
  if (transA) { /* A is [K,M]: row p holds op(A)[:,p] */
    gemm_pack_cols(A + (long)p0 * lda + i0, lda, mc, GEMM_MR, kc, dst);
    return;
  }
  for (int r = 0; r < mc; r += GEMM_MR) {
    int mr = mc - r < GEMM_MR ? mc - r : GEMM_MR;
    gemm_pack_rows(A + (long)(i0 + r) * lda + p0, lda, mr, GEMM_MR, kc, dst + (long)r * kc);
  }
}

/* op(B)[p0:p0+kc, j0:j0+nc] -> NR-column panels, each kc x NR (p-major); columns past nc are zero. */
static void gemm_pack_B(int transB, const float *B, int ldb, int p0, int kc, int j0, int nc, float *dst) {
  if (!transB) {
    gemm_pack_cols(B + (long)p0 * ldb + j0, ldb, nc, GEMM_NR, kc, dst);
    return;
  }
  for (int s = 0; s < nc; s += GEMM_NR) { /* B is [N,K]: op(B)[:,j] is row j of B */
    int nr = nc - s < GEMM_NR ? nc - s : GEMM_NR;
    gemm_pack_rows(B + (long)(j0 + s) * ldb + p0, ldb, nr, GEMM_NR, kc, dst + (long)s * kc);
  }
}

/* Partial tile: run the micro-kernel into a scratch tile, then merge the valid mr x nr corner. */
static void gemm_edge(int kc, const float *a, const float *b, float *C, long ldc, int mr, int nr, float alpha,
                      float beta) {
  float t[GEMM_MR * GEMM_NR] __attribute__((aligned(64)));
  gemm_micro(kc, a, b, t, GEMM_NR, 1.0f, 0.0f);
  for (int i = 0; i < mr; i++) {
    float *c = C + i * ldc;
    const float *s = t + i * GEMM_NR;
    if (beta == 0.0f)
      for (int j = 0; j < nr; j++) c[j] = alpha * s[j];
    else
      for (int j = 0; j < nr; j++) c[j] = alpha * s[j] + beta * c[j];
  }
}

/* C = beta * C for the degenerate cases (K == 0 or alpha == 0). */
static void gemm_scale_only(int M, int N, float beta, float *C, int ldc) {
  for (int i = 0; i < M; i++) {
    float *c = C + (long)i * ldc;
    if (beta == 0.0f)
      for (int j = 0; j < N; j++) c[j] = 0.0f;
    else if (beta != 1.0f)
      for (int j = 0; j < N; j++) c[j] *= beta;
  }
}

/* Fallback when the packing buffers cannot be allocated: slow but correct. */
static void gemm_unpacked(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                          const float *B, int ldb, float beta, float *C, int ldc) {
  gemm_scale_only(M, N, beta, C, ldc);
  for (int i = 0; i < M; i++)
    for (int p = 0; p < K; p++) {
      float a = alpha * (transA ? A[(long)p * lda + i] : A[(long)i * lda + p]);
      float *c = C + (long)i * ldc;
      for (int j = 0; j < N; j++) c[j] += a * (transB ? B[(long)j * ldb + p] : B[(long)p * ldb + j]);
    }
}

/* One thread's share: C[M,N] of the (already offset) operands, with buffers slot `slot`. */
static void gemm_serial(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                        const float *B, int ldb, float beta, float *C, int ldc, int slot) {
  float *Ap, *Bp;
  if (!gemm_buffers(slot, &Ap, &Bp)) {
    gemm_unpacked(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  /* Equal K slices (a multiple of 8 deep): K = 768 runs as 2 x 384, not 512 + 256. */
  int nslices = (K + GEMM_KC - 1) / GEMM_KC;
  int kstep = ((K + nslices - 1) / nslices + 7) & ~7;
  if (kstep > GEMM_KC) kstep = GEMM_KC;
  for (int jc = 0; jc < N; jc += GEMM_NC) {
    int nc = N - jc < GEMM_NC ? N - jc : GEMM_NC;
    for (int pc = 0; pc < K; pc += kstep) {
      int kc = K - pc < kstep ? K - pc : kstep;
      float bet = pc == 0 ? beta : 1.0f; /* later K slices accumulate onto the first */
      gemm_pack_B(transB, B, ldb, pc, kc, jc, nc, Bp);
      for (int ic = 0; ic < M; ic += GEMM_MC) {
        int mc = M - ic < GEMM_MC ? M - ic : GEMM_MC;
        gemm_pack_A(transA, A, lda, ic, mc, pc, kc, Ap);
#if GEMM_ORDER
        for (int ir = 0; ir < mc; ir += GEMM_MR) {
          int mr = mc - ir < GEMM_MR ? mc - ir : GEMM_MR;
        for (int jr = 0; jr < nc; jr += GEMM_NR) {
          int nr = nc - jr < GEMM_NR ? nc - jr : GEMM_NR;
#else
        for (int jr = 0; jr < nc; jr += GEMM_NR) {
          int nr = nc - jr < GEMM_NR ? nc - jr : GEMM_NR;
          for (int ir = 0; ir < mc; ir += GEMM_MR) {
            int mr = mc - ir < GEMM_MR ? mc - ir : GEMM_MR;
#endif
          const float *b = Bp + (long)jr * kc;
            float *c = C + (long)(ic + ir) * ldc + jc + jr;
            if (mr == GEMM_MR && nr == GEMM_NR)
              gemm_micro(kc, Ap + (long)ir * kc, b, c, ldc, alpha, bet);
            else
              gemm_edge(kc, Ap + (long)ir * kc, b, c, ldc, mr, nr, alpha, bet);
          }
        }
      }
    }
  }
}

/* Row-major C[M,N] = alpha * op(A) * op(B) + beta * C; see the top of this file. */
static void gemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    gemm_scale_only(M, N, beta, C, ldc);
    return;
  }
  int nt = 1;
#ifdef _OPENMP
  /* Below ~2 MFLOP the fork/join costs more than a second core gives. */
  if ((double)M * N * K >= 1e6 && !omp_in_parallel()) {
    nt = omp_get_max_threads();
    if (nt > GEMM_MAX_THREADS) nt = GEMM_MAX_THREADS;
  }
#endif
  if (nt <= 1) {
    gemm_serial(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, 0);
    return;
  }
#ifdef _OPENMP
  /* Cut along the dimension with more micro-tiles, in whole tiles so only the last strip has edges. */
  int tilesM = (M + GEMM_MR - 1) / GEMM_MR, tilesN = (N + GEMM_NR - 1) / GEMM_NR;
  int alongM = tilesM >= tilesN;
  int tiles = alongM ? tilesM : tilesN;
  if (nt > tiles) nt = tiles;
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    int lo = (int)((long)tiles * t / T), hi = (int)((long)tiles * (t + 1) / T);
    if (alongM) {
      int i0 = lo * GEMM_MR, i1 = hi * GEMM_MR < M ? hi * GEMM_MR : M;
      if (i1 > i0) {
        const float *a = transA ? A + i0 : A + (long)i0 * lda;
        gemm_serial(transA, transB, i1 - i0, N, K, alpha, a, lda, B, ldb, beta, C + (long)i0 * ldc, ldc, t);
      }
    } else {
      int j0 = lo * GEMM_NR, j1 = hi * GEMM_NR < N ? hi * GEMM_NR : N;
      if (j1 > j0) {
        const float *b = transB ? B + (long)j0 * ldb : B + j0;
        gemm_serial(transA, transB, M, j1 - j0, K, alpha, A, lda, b, ldb, beta, C + j0, ldc, t);
      }
    }
  }
#endif
}
