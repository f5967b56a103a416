/* probe.c: fma_peak, the float32 multiply-add peak of this kernel table's instruction set, for the
 * benchmarks to report a GEMM's fraction of it. Each of `threads` threads runs `iters` rounds of 12
 * independent multiply-adds on native-width vectors held in registers (12 chains cover the FMA
 * latency x issue width of current x86 cores): AVX-512 _mm512_fmadd_ps, AVX2 _mm256_fmadd_ps,
 * SIMD128 and plain C a multiply and an add (no fused instruction there). out[0] = the float32
 * operations done in all (2 per lane per multiply-add), out[1] = a sum of the results (keeps the
 * loop live). A bf16 matrix-unit probe (AMX tdpbf16ps) would be another entry beside this one. */
#include "common.h"
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
typedef __m512 probe_v;
#define PROBE_LANES 16
#define PROBE_SPLAT(x) _mm512_set1_ps(x)
#define PROBE_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define PROBE_STORE(p, v) _mm512_storeu_ps(p, v)
#elif defined(__AVX2__) && defined(__FMA__)
typedef __m256 probe_v;
#define PROBE_LANES 8
#define PROBE_SPLAT(x) _mm256_set1_ps(x)
#define PROBE_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define PROBE_STORE(p, v) _mm256_storeu_ps(p, v)
#else
typedef vnf probe_v;
#define PROBE_LANES HRM_NW
#define PROBE_SPLAT(x) splatn(x)
#define PROBE_FMA(a, b, c) ((a) * (b) + (c))
#define PROBE_STORE(p, v) stn(p, v)
#endif

static double fma_peak_thread(long iters, float seed) {
  /* x -> x * m + c converges to c / (1 - m): values stay normal however long it runs */
  probe_v m = PROBE_SPLAT(0.999f), c = PROBE_SPLAT(1e-3f);
#define PROBE_ACC(i) probe_v a##i = PROBE_SPLAT(seed + 0.01f * i);
#define PROBE_STEP(i) a##i = PROBE_FMA(a##i, m, c);
#define PROBE_ALL(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
  PROBE_ALL(PROBE_ACC)
  for (long k = 0; k < iters; k++) {
    PROBE_ALL(PROBE_STEP)
#if defined(__x86_64__) || defined(__i386__)
    /* an empty asm on the accumulators keeps the compiler from folding or reordering the chains */
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5));
    __asm__ volatile("" : "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));
#endif
  }
  float t[PROBE_LANES];
  double s = 0;
#define PROBE_SUM(i)                                     \
  PROBE_STORE(t, a##i);                                  \
  for (int l = 0; l < PROBE_LANES; l++) s += t[l];
  PROBE_ALL(PROBE_SUM)
#undef PROBE_ACC
#undef PROBE_STEP
#undef PROBE_ALL
#undef PROBE_SUM
  return s;
}

static void fma_peak(float *out, long iters, long threads) {
  double total = 0;
  if (threads < 1) threads = 1;
#ifdef _OPENMP
  long ran = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total, ran)
  {
    total += fma_peak_thread(iters, 0.5f + 0.001f * omp_get_thread_num());
    ran += 1;
  }
#else
  total = fma_peak_thread(iters, 0.5f);
  long ran = 1;
#endif
  out[0] = (float)((double)ran * iters * 12 * 2 * PROBE_LANES);
  out[1] = (float)total;
}

/* engine_limits: what this build can do, so that TypeScript reads the limits instead of copying them:
 * out[0] = the most threads (HRM_MAX_THREADS), out[1] = floats of attention scratch per thread
 * (HRM_WASM_SCRATCH_FLOATS in the wasm build; -1 where it grows on demand). */
static void engine_limits(float *out) {
  out[0] = (float)HRM_MAX_THREADS;
#ifdef HRM_WASM
  out[1] = (float)HRM_WASM_SCRATCH_FLOATS;
#else
  out[1] = -1.0f;
#endif
}
