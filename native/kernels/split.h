/*
 * split.h: how many threads one kernel call uses (native builds; always one in wasm).
 *
 * Splitting a loop across threads costs waking the team and meeting it at the end. With the threads
 * sleeping as soon as they wait (OMP_WAIT_POLICY=passive, set by src/engine/backends/native.ts) that was
 * 15-20 us on a busy 2-core machine; spinning 10,000 rounds instead cost 0.2-0.7 ms per split there,
 * and a one-puzzle Sudoku solve took 14x longer on two threads than on one (issue #25). So each parallel loop asks hrm_split_threads(ns, most), ns = its estimated one-thread
 * time from the HRM_NS_* rates below, and uses only as many threads as each get at least
 * hrm_split_floor ns of that work: a small call runs on the calling thread without waking anyone.
 * The count depends on the call's sizes only, and no result depends on it: every kernel computes each
 * output element in the same order on any number of threads (test/engine/threads.test.ts compares them
 * bit for bit). A kernel called from inside another's parallel loop runs on its own thread.
 */
#ifndef HRM_KERNELS_SPLIT_H
#define HRM_KERNELS_SPLIT_H

/* One-thread cost rates (ns per unit), measured on a Zen 3 core with the AVX2 kernels; other cores
 * differ by a small factor, which moves the floor by as much. */
#define HRM_NS_STREAM 0.15 /* per float of a copy-like loop: add, scale, copy, gather, bias */
#define HRM_NS_MATH 1.2    /* per float of a loop with exp, sqrt or atan2, or a row reduction */
#define HRM_NS_LOSS 3.0    /* per logit of a cross entropy (float64, divisions, log) */
#define HRM_NS_FLOP 0.02   /* per floating-point operation of a GEMM (2*M*N*K of them) */
#define HRM_NS_ATT 0.05    /* per unit of attention's 4*B*H*S*S*D */

/* The least work (ns) a thread must get: a split then gains at least ~25% over one thread even after
 * the wake-up; below it the wake-up eats the gain. 80 us, not the earlier 40: on the idle 2-core Zen 3
 * VM the bundled one-puzzle solve (calls of 40-80 us) took 119 ms at 40 us against 110 ms on one thread,
 * and 110 ms at 80 us, while the quick-start training step kept its two-thread speed (1,090 ms at
 * either, 1,714 ms on one thread); at 160 us that step lost 7% (issue #25, medians of 32 and 10 runs). Settable (binding.c setSplitFloor): benchmarks
 * lower it to compare with the old rule, tests set 0 to split every call that can. */
#define HRM_SPLIT_FLOOR_NS 80000.0
static double hrm_split_floor = HRM_SPLIT_FLOOR_NS;

/* threads for a call of `ns` estimated one-thread ns whose loop has `most` independent parts */
static inline int hrm_split_threads(double ns, long most) {
#ifdef _OPENMP
  if (omp_in_parallel()) return 1;
  int max = omp_get_max_threads();
  if (most < max) max = most < 1 ? 1 : (int)most;
  if (max < 2) return 1;
  if (!(hrm_split_floor > 0)) return max;
  double per = ns / hrm_split_floor;
  return per >= max ? max : per >= 2 ? (int)per : 1;
#else
  (void)ns, (void)most;
  return 1;
#endif
}

#endif
