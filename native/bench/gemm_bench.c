/*
 * Standalone harness for native/kernels/gemm.c (not part of the addon): checks it against a double
 * precision reference on edge shapes, then times the benchmark and HRM shapes.
 * Build (pick the flag set the addon uses for the ISA you want):
 *   gcc -O3 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -mavx2 -fopenmp \
 *       -Inative/kernels native/bench/gemm_bench.c -o /tmp/gemm_bench -lm
 *   gcc -O3 -mavx2 -mfma -fopenmp ...      gcc -O3 -fopenmp ...
 * Run: OMP_NUM_THREADS=2 /tmp/gemm_bench [reps] [nocheck,main]   (prints GFLOP/s: median, min, max)
 *   GEMM_BENCH_CPU=1: time by CPU time (see now()), for tuning while the machine is busy; best with
 *   one thread (with two, waiting threads spin and count, and the clock is coarse for short runs).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../kernels/gemm.c"

/* With GEMM_BENCH_CPU=1 the clock is the process CPU time divided by the thread count: on a machine
 * shared with other jobs it shows what the kernel does while it runs, not how long it waited. */
static int use_cpu_clock, clock_threads = 1;
static double now(void) {
  struct timespec t;
  clock_gettime(use_cpu_clock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return (t.tv_sec + t.tv_nsec * 1e-9) / (use_cpu_clock ? clock_threads : 1);
}

static _Thread_local unsigned rng_state = 12345u;
static float frand(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* Returns the largest |C - ref| / (1 + |ref|). */
static double check(int tA, int tB, int M, int N, int K, float alpha, float beta, int pad) {
  int lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
  long nA = (long)(tA ? K : M) * lda, nB = (long)(tB ? N : K) * ldb, nC = (long)M * ldc;
  float *A = malloc(sizeof(float) * (nA + 1)), *B = malloc(sizeof(float) * (nB + 1));
  float *C = malloc(sizeof(float) * (nC + 1)), *C0 = malloc(sizeof(float) * (nC + 1));
  for (long i = 0; i < nA; i++) A[i] = frand();
  for (long i = 0; i < nB; i++) B[i] = frand();
  for (long i = 0; i < nC; i++) C0[i] = C[i] = beta == 0.0f ? NAN : frand();
  gemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  double err = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double s = 0;
      for (int p = 0; p < K; p++)
        s += (double)(tA ? A[(long)p * lda + i] : A[(long)i * lda + p]) *
             (tB ? B[(long)j * ldb + p] : B[(long)p * ldb + j]);
      double ref = alpha * s + (beta == 0.0f ? 0.0 : beta * (double)C0[(long)i * ldc + j]);
      double e = fabs(C[(long)i * ldc + j] - ref) / (1 + fabs(ref));
      if (!(e <= err)) err = isnan(e) ? INFINITY : e;
    }
  /* padding columns of C must be untouched */
  for (int i = 0; i < M; i++)
    for (int j = N; j < ldc; j++)
      if (memcmp(&C[(long)i * ldc + j], &C0[(long)i * ldc + j], 4)) err = INFINITY;
  free(A), free(B), free(C), free(C0);
  return err;
}

static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void bench(const char *name, int tA, int tB, int M, int K, int N, int reps) {
  float *A = aligned_alloc(64, sizeof(float) * (long)M * K);
  float *B = aligned_alloc(64, sizeof(float) * (long)K * N);
  float *C = aligned_alloc(64, sizeof(float) * (long)M * N);
  for (long i = 0; i < (long)M * K; i++) A[i] = frand();
  for (long i = 0; i < (long)K * N; i++) B[i] = frand();
  int lda = tA ? M : K, ldb = tB ? K : N;
  double g[64], flop = 2.0 * M * N * K;
  gemm(tA, tB, M, N, K, 1, A, lda, B, ldb, 0, C, N);
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    gemm(tA, tB, M, N, K, 1, A, lda, B, ldb, 0, C, N);
    g[r] = flop / (now() - t0) / 1e9;
  }
  qsort(g, reps, sizeof(double), cmpd);
  printf("%-22s tA=%d tB=%d M=%5d K=%5d N=%5d  GFLOP/s median %6.1f  min %6.1f  max %6.1f\n", name, tA, tB, M,
         K, N, g[reps / 2], g[0], g[reps - 1]);
  free(A), free(B), free(C);
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 9;
  if (reps > 64) reps = 64;
  const char *only = argc > 2 ? argv[2] : "";
  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  use_cpu_clock = getenv("GEMM_BENCH_CPU") && atoi(getenv("GEMM_BENCH_CPU"));
  clock_threads = threads;
  printf("MR=%d NR=%d KC=%d MC=%d NC=%d threads=%d clock=%s\n", GEMM_MR, GEMM_NR, GEMM_KC, GEMM_MC, GEMM_NC, threads,
         use_cpu_clock ? "cpu" : "wall");
  if (!strstr(only, "nocheck")) {
    static const int shapes[][3] = {{1, 1, 1}, {6, 2, 64}, {7, 33, 1}, {9, 31, 17}, {17, 65, 300},
                                    {33, 1, 5},  {130, 70, 513}, {300, 97, 260}, {64, 700, 40},
                                    {40, 2100, 20}, {6, 700, 300}};
    double worst = 0;
    for (unsigned s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
      for (int t = 0; t < 4; t++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        double e1 = check(t & 1, t >> 1, M, N, K, 1.0f, 0.0f, 0);
        double e2 = check(t & 1, t >> 1, M, N, K, -0.5f, 0.75f, 3);
        double e = e1 > e2 ? e1 : e2;
        if (!(e <= 1e-4)) printf("FAIL tA=%d tB=%d M=%d N=%d K=%d err=%g\n", t & 1, t >> 1, M, N, K, e);
        if (!(e <= worst)) worst = e;
      }
#ifdef _OPENMP
    /* gemm called from inside a parallel region (each thread its own product) */
#pragma omp parallel for schedule(static, 1) reduction(max : worst)
    for (int t = 0; t < 8; t++) {
      double e = check(t & 1, (t >> 1) & 1, 40 + t, 50, 300, 1.0f, 0.5f, 1);
      if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
    }
#endif
    printf("check: worst relative error %.3g %s\n", worst, worst <= 1e-4 ? "ok" : "FAILED");
    if (!(worst <= 1e-4)) return 1;
  }
  bench("bench", 0, 0, 8192, 512, 1536, reps);
  if (strstr(only, "main")) return 0;
  bench("bench", 0, 0, 8192, 1536, 512, reps);
  bench("bench", 0, 0, 512, 512, 512, reps);
  bench("fwd xW^T qkv", 0, 1, 5184, 256, 768, reps);
  bench("fwd xW^T o", 0, 1, 5184, 256, 256, reps);
  bench("fwd xW^T gate_up", 0, 1, 5184, 256, 1536, reps);
  bench("fwd xW^T down", 0, 1, 5184, 768, 256, reps);
  bench("bwd dX=dY W", 0, 0, 5184, 768, 256, reps);
  bench("bwd dX=dY W", 0, 0, 5184, 1536, 256, reps);
  bench("bwd dW=dY^T X", 1, 0, 768, 5184, 256, reps);
  bench("bwd dW=dY^T X", 1, 0, 256, 5184, 768, reps);
  bench("fwd lm_head", 0, 1, 5184, 256, 11, reps);
  bench("bwd lm_head dX", 0, 0, 5184, 11, 256, reps);
  bench("bwd lm_head dW", 1, 0, 11, 5184, 256, reps);
  return 0;
}
