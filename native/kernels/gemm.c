/*
 * gemm: C = alpha * op(A) * op(B) + beta * C, float32, row-major.
 *   op(A) is [M,K] (A itself is [K,M] when transA), op(B) is [K,N] (B is [N,K] when transB).
 *   beta == 0 ignores the old C entirely (even NaN).
 *
 * A packed, register-tiled kernel in the BLIS style:
 *   for each NC-wide column block of B, for each KC-deep slice:
 *     pack op(B)[pc:pc+kc, jc:jc+nc] into NR-wide panels (transposes are handled here)
 *     for each MC-tall row block: pack op(A) into MR-tall panels (the block stays in L2), then run
 *     the MR x NR micro-kernel over every (NR panel, MR panel) pair, B panel outermost so that it
 *     is reused from L1/L2 by every A panel of the block.
 * One micro-kernel per instruction set (see gemm_micro.h), chosen at compile time:
 *   AVX-512 8x32, AVX2+FMA 6x16, WebAssembly SIMD128 4x8, plain C 4x8.
 * Threads (native): B is packed by all threads together (many K slices at once, so the team meets
 * at a barrier rarely), then the threads take row blocks of C; both steps hand out work from a
 * shared counter (schedule(dynamic)), so a core slowed by other jobs does less instead of holding
 * the others up. When M has too few tiles, the output is cut into one column strip per thread
 * instead. How many threads a call uses is split.h's choice. Packing buffers are gemm's own: static
 * in wasm (no libc, one thread), allocated once and kept natively.
 *
 * bfloat16 (gemm_bf16): the same blocking and micro-kernels; the packing rounds both operands to
 * bfloat16 (nearest, ties to even) as it writes the panels, so the float32 FMAs then multiply bf16
 * values exactly and accumulate in float32: what a bf16 matrix unit computes (up to summation order),
 * on every ISA, with one packing variant instead of a micro-kernel per dtype. An AMX or AVX512_BF16
 * path would be another micro-kernel + packing layout behind the same entry.
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

#ifdef HRM_MAX_THREADS
#define GEMM_MAX_THREADS HRM_MAX_THREADS
#else
#define GEMM_MAX_THREADS 64
#endif

#if defined(__wasm__) || !defined(_OPENMP)
/* One thread and (in wasm) no libc: the packing buffers are static. */
static float gemm_bufA_static[GEMM_MC * GEMM_KC] __attribute__((aligned(64)));
static float gemm_bufB_static[GEMM_KC * GEMM_NC] __attribute__((aligned(64)));
static float *gemm_bufA(int slot) {
  (void)slot;
  return gemm_bufA_static;
}
static float *gemm_bufB(int slot) {
  (void)slot;
  return gemm_bufB_static;
}
#else
/* Native: A and B buffers per thread slot (B only for one thread or column strips); allocated on
 * first use, by the calling thread before the team starts, and kept. Kept apart from hrm_scratch
 * so that a kernel holding scratch may call gemm. */
static float *gemm_bufA_heap[GEMM_MAX_THREADS], *gemm_bufB_heap[GEMM_MAX_THREADS];
static float *gemm_bufA(int slot) {
  if (!gemm_bufA_heap[slot]) gemm_bufA_heap[slot] = (float *)aligned_alloc(64, sizeof(float) * GEMM_MC * GEMM_KC);
  return gemm_bufA_heap[slot];
}
static float *gemm_bufB(int slot) {
  if (!gemm_bufB_heap[slot]) gemm_bufB_heap[slot] = (float *)aligned_alloc(64, sizeof(float) * GEMM_KC * GEMM_NC);
  return gemm_bufB_heap[slot];
}
#endif

/* op(A)[i0:i0+mc, p0:p0+kc] -> MR-row panels, each kc x MR (p-major); rows past mc are zero. */
static void gemm_pack_A(int transA, const float *A, int lda, int i0, int mc, int p0, int kc, float *dst, int bf16) {
  if (transA) /* A is [K,M]: row p holds op(A)[:,p] */
    gemm_pack_cols(A + (long)p0 * lda + i0, lda, mc, GEMM_MR, kc, dst);
  else
    for (int r = 0; r < mc; r += GEMM_MR) {
      int mr = mc - r < GEMM_MR ? mc - r : GEMM_MR;
      gemm_pack_rows(A + (long)(i0 + r) * lda + p0, lda, mr, GEMM_MR, kc, dst + (long)r * kc);
    }
  /* the panels just written are still in L1/L2: rounding them costs a small share of the packing */
  if (bf16) hrm_bf16_array(dst, dst, (long)(mc + GEMM_MR - 1) / GEMM_MR * GEMM_MR * kc);
}

/* op(B)[p0:p0+kc, j0:j0+nc] -> NR-column panels, each kc x NR (p-major); columns past nc are zero. */
static void gemm_pack_B(int transB, const float *B, int ldb, int p0, int kc, int j0, int nc, float *dst, int bf16) {
  if (!transB)
    gemm_pack_cols(B + (long)p0 * ldb + j0, ldb, nc, GEMM_NR, kc, dst);
  else
    for (int s = 0; s < nc; s += GEMM_NR) { /* B is [N,K]: op(B)[:,j] is row j of B */
      int nr = nc - s < GEMM_NR ? nc - s : GEMM_NR;
      gemm_pack_rows(B + (long)(j0 + s) * ldb + p0, ldb, nr, GEMM_NR, kc, dst + (long)s * kc);
    }
  if (bf16) hrm_bf16_array(dst, dst, (long)(nc + GEMM_NR - 1) / GEMM_NR * GEMM_NR * kc);
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
                          const float *B, int ldb, float beta, float *C, int ldc, int bf16) {
  gemm_scale_only(M, N, beta, C, ldc);
  for (int i = 0; i < M; i++)
    for (int p = 0; p < K; p++) {
      float a = transA ? A[(long)p * lda + i] : A[(long)i * lda + p];
      a = alpha * (bf16 ? hrm_bf16(a) : a);
      float *c = C + (long)i * ldc;
      for (int j = 0; j < N; j++) {
        float b = transB ? B[(long)j * ldb + p] : B[(long)p * ldb + j];
        c[j] += a * (bf16 ? hrm_bf16(b) : b);
      }
    }
}

/* K slices of equal depth (a multiple of 8, at most KC): K = 768 runs as 2 x 384, not 512 + 256. */
static int gemm_kstep(int K) {
  int nslices = (K + GEMM_KC - 1) / GEMM_KC;
  int kstep = ((K + nslices - 1) / nslices + 7) & ~7;
  return kstep > GEMM_KC ? GEMM_KC : kstep;
}

/* Rows [ic, ic+mc) of C[:, jc:jc+nc] += op(A) slice x the packed B block Bp (kc deep). */
static void gemm_block(int transA, const float *A, int lda, int ic, int mc, int pc, int kc, int nc, const float *Bp,
                       float *Ap, float *C, int ldc, float alpha, float beta, int bf16) {
  gemm_pack_A(transA, A, lda, ic, mc, pc, kc, Ap, bf16);
  for (int jr = 0; jr < nc; jr += GEMM_NR) {
    int nr = nc - jr < GEMM_NR ? nc - jr : GEMM_NR;
    const float *b = Bp + (long)jr * kc;
    for (int ir = 0; ir < mc; ir += GEMM_MR) {
      int mr = mc - ir < GEMM_MR ? mc - ir : GEMM_MR;
      float *c = C + (long)(ic + ir) * ldc + jr;
      if (mr == GEMM_MR && nr == GEMM_NR)
        gemm_micro(kc, Ap + (long)ir * kc, b, c, ldc, alpha, beta);
      else
        gemm_edge(kc, Ap + (long)ir * kc, b, c, ldc, mr, nr, alpha, beta);
    }
  }
}

/* One thread does all of C[M,N] (of the already offset operands), with the buffers of `slot`. */
static void gemm_serial(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                        const float *B, int ldb, float beta, float *C, int ldc, int slot, int bf16) {
  float *Ap = gemm_bufA(slot), *Bp = gemm_bufB(slot);
  if (!Ap || !Bp) {
    gemm_unpacked(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bf16);
    return;
  }
  int kstep = gemm_kstep(K);
  for (int jc = 0; jc < N; jc += GEMM_NC) {
    int nc = N - jc < GEMM_NC ? N - jc : GEMM_NC;
    for (int pc = 0; pc < K; pc += kstep) {
      int kc = K - pc < kstep ? K - pc : kstep;
      float bet = pc == 0 ? beta : 1.0f; /* later K slices accumulate onto the first */
      gemm_pack_B(transB, B, ldb, pc, kc, jc, nc, Bp, bf16);
      for (int ic = 0; ic < M; ic += GEMM_MC)
        gemm_block(transA, A, lda, ic, M - ic < GEMM_MC ? M - ic : GEMM_MC, pc, kc, nc, Bp, Ap, C + jc, ldc, alpha,
                   bet, bf16);
    }
  }
}

#ifdef _OPENMP
/* The team packs B for many K slices at once (at most this many floats), so that it meets at a
 * barrier once per group of slices rather than twice per slice. */
#ifndef GEMM_TEAM_B_FLOATS
#define GEMM_TEAM_B_FLOATS (4L << 20)
#endif
static float *gemm_team_buf;
static long gemm_team_cap;

/* Depth of one group of K slices (a multiple of kstep) for panels ncp floats wide. */
static int gemm_team_depth(int K, int kstep, int ncp) {
  long slices = GEMM_TEAM_B_FLOATS / ((long)kstep * ncp);
  if (slices < 1) slices = 1;
  return slices * kstep >= K ? K : (int)(slices * kstep);
}

/* The shared packed-B buffer for gemm_team (grow-only); 0 when memory is short. */
static float *gemm_team_buffer(int N, int K) {
  int kstep = gemm_kstep(K);
  int ncp = ((N < GEMM_NC ? N : GEMM_NC) + GEMM_NR - 1) / GEMM_NR * GEMM_NR;
  long need = (long)gemm_team_depth(K, kstep, ncp) * ncp;
  if (gemm_team_cap < need) {
    free(gemm_team_buf);
    gemm_team_buf = (float *)aligned_alloc(64, sizeof(float) * need);
    gemm_team_cap = gemm_team_buf ? need : 0;
  }
  return gemm_team_buf;
}

/* nt threads pack B together, then take row blocks of C dynamically, each through every K slice
 * of the group (so its C rows stay in cache between slices). */
static void gemm_team(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                      const float *B, int ldb, float beta, float *C, int ldc, int nt, float *Bp, int bf16) {
  /* row blocks: at most MC rows, and at least about 4 per thread so that the dynamic schedule can
   * even out; whole micro-tiles so that only the last block has edge tiles */
  int tilesM = (M + GEMM_MR - 1) / GEMM_MR;
  int rows = (tilesM + 4 * nt - 1) / (4 * nt) * GEMM_MR;
  if (rows > GEMM_MC) rows = GEMM_MC;
  int nblocks = (M + rows - 1) / rows;
  int kstep = gemm_kstep(K);
#pragma omp parallel num_threads(nt)
  {
    int T = omp_get_num_threads();
    float *Ap = gemm_bufA(omp_get_thread_num());
    for (int jc = 0; jc < N; jc += GEMM_NC) {
      int nc = N - jc < GEMM_NC ? N - jc : GEMM_NC;
      int panels = (nc + GEMM_NR - 1) / GEMM_NR, ncp = panels * GEMM_NR;
      int depth = gemm_team_depth(K, kstep, ncp);
      for (int g0 = 0; g0 < K; g0 += depth) {
        int g1 = K - g0 < depth ? K : g0 + depth;
        /* the threads take runs of panels (every slice of the group) from a shared counter too */
        int run = panels / (4 * T) > 1 ? panels / (4 * T) : 1, runs = (panels + run - 1) / run;
#pragma omp for schedule(dynamic, 1)
        for (int r = 0; r < runs; r++) {
          int q0 = r * run, j0 = q0 * GEMM_NR, j1 = (q0 + run) * GEMM_NR < nc ? (q0 + run) * GEMM_NR : nc;
          for (int pc = g0; pc < g1; pc += kstep) {
            int kc = g1 - pc < kstep ? g1 - pc : kstep;
            gemm_pack_B(transB, B, ldb, pc, kc, jc + j0, j1 - j0, Bp + (long)(pc - g0) * ncp + (long)j0 * kc, bf16);
          }
        }
#pragma omp for schedule(dynamic, 1)
        for (int blk = 0; blk < nblocks; blk++) {
          int ic = blk * rows, mc = M - ic < rows ? M - ic : rows;
          for (int pc = g0; pc < g1; pc += kstep) {
            int kc = g1 - pc < kstep ? g1 - pc : kstep;
            gemm_block(transA, A, lda, ic, mc, pc, kc, nc, Bp + (long)(pc - g0) * ncp, Ap, C + jc, ldc, alpha,
                       pc == 0 ? beta : 1.0f, bf16);
          }
        }
        /* the implicit barrier of the for keeps Bp until every thread is done with it */
      }
    }
  }
}

/* nt threads each do one column strip of C, packing their own B (for M too small to share out). */
static void gemm_strips(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                        const float *B, int ldb, float beta, float *C, int ldc, int nt, int bf16) {
  int tiles = (N + GEMM_NR - 1) / GEMM_NR;
  if (nt > tiles) nt = tiles;
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    int j0 = (int)((long)tiles * t / T) * GEMM_NR, j1 = (int)((long)tiles * (t + 1) / T) * GEMM_NR;
    if (j1 > N) j1 = N;
    if (j1 > j0) {
      const float *b = transB ? B + (long)j0 * ldb : B + j0;
      gemm_serial(transA, transB, M, j1 - j0, K, alpha, A, lda, b, ldb, beta, C + j0, ldc, t, bf16);
    }
  }
}
#endif

/* Row-major C[M,N] = alpha * op(A) * op(B) + beta * C, operands rounded to bf16 when `bf16`. */
static void gemm_any(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *B, int ldb, float beta, float *C, int ldc, int bf16) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    gemm_scale_only(M, N, beta, C, ldc);
    return;
  }
#ifdef _OPENMP
  int nt = hrm_split_threads(2.0 * M * N * K * HRM_NS_FLOP, GEMM_MAX_THREADS);
  if (nt > 1) {
    /* allocate every buffer the team uses here, on one thread; fall back to one thread if short */
    int tilesM = (M + GEMM_MR - 1) / GEMM_MR, tilesN = (N + GEMM_NR - 1) / GEMM_NR;
    int team = tilesM >= 2 * nt || tilesM >= tilesN;
    float *Bp = team ? gemm_team_buffer(N, K) : 0;
    int ok = !team || Bp;
    for (int t = 0; t < nt; t++) ok = ok && gemm_bufA(t) && (team || gemm_bufB(t));
    if (ok) {
      if (team)
        gemm_team(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nt, Bp, bf16);
      else
        gemm_strips(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nt, bf16);
      return;
    }
  }
  /* called from inside another kernel's parallel region: each calling thread uses its own slot */
  int slot = omp_in_parallel() ? omp_get_thread_num() : 0;
  if (slot >= GEMM_MAX_THREADS) {
    gemm_unpacked(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bf16);
    return;
  }
  gemm_serial(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, slot, bf16);
#else
  gemm_serial(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, 0, bf16);
#endif
}

/* float32: C = alpha * op(A) * op(B) + beta * C; see the top of this file. */
static void gemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc) {
  gemm_any(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, 0);
}

/* bfloat16 operands (rounded while packing), float32 accumulation and result. */
static void gemm_bf16(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                      const float *B, int ldb, float beta, float *C, int ldc) {
  gemm_any(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, 1);
}
