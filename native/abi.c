/*
 * abi.c: the one translation unit of the kernels. It includes every kernel file (all functions are
 * static) and wraps each kernel as abi_<name>(const double *args): JS writes the arguments into a
 * shared array of doubles (pointers and integers are exact below 2^53) and calls by id or name.
 * The adapters and the table's entries come from native/kernels.spec (generated into abi_table.h by
 * scripts/gen-kernels.mjs, as is the TypeScript table); only set_threads' adapter is written here.
 *
 * Built four times from this one file: native with AVX-512, AVX2+FMA and plain flags (HRM_ISA_NAME
 * names the table symbol, native/binding.c picks one by CPUID), and wasm32 with SIMD128, where the
 * adapters are exported by name instead.
 */
#include "kernels/common.h"
#include "kernels/gemm.c"
#include "kernels/bias.c"
#include "kernels/embedding.c"
#include "kernels/rmsnorm.c"
#include "kernels/attention.c"
#include "kernels/swiglu.c"
#include "kernels/elementwise.c"
#include "kernels/losses.c"
#include "kernels/reduce.c"
#include "kernels/optim.c"
#include "kernels/probe.c"
#include "kernels/transpose.c"

#define F32(i) ((float *)(uintptr_t)a[i])
#define I32(i) ((int32_t *)(uintptr_t)a[i])
#define INT(i) ((long)a[i])
#define FLT(i) ((float)a[i])

#ifdef __wasm__
#define HRM_ADAPTER(name) __attribute__((export_name("abi_" #name))) void abi_##name(const double *a)
#else
#define HRM_ADAPTER(name) static void abi_##name(const double *a)
#endif

HRM_ADAPTER(set_threads) {
#ifdef _OPENMP
  int n = (int)a[0];
  omp_set_num_threads(n > 0 ? n : 1);
#else
  (void)a;
#endif
}
/* every other adapter, generated from native/kernels.spec */
#include "abi_table.h"

#ifdef __wasm__
/* The argument buffer JS writes into (a byte offset in linear memory). */
static double hrm_args[64];
__attribute__((export_name("hrm_args"))) double *hrm_args_ptr(void) { return hrm_args; }
/* 1 when the last kernel could not run (see hrm_fail in kernels/common.h); clears the flag */
__attribute__((export_name("hrm_take_error"))) int hrm_take_error(void) {
  int e = hrm_error;
  hrm_error = 0;
  return e;
}
#else
#include "abi.h"
#define HRM_CAT2(a, b) a##b
#define HRM_CAT(a, b) HRM_CAT2(a, b)
int HRM_CAT(hrm_take_error_, HRM_ISA_NAME)(void) {
  int e = __atomic_exchange_n(&hrm_error, 0, __ATOMIC_RELAXED);
  return e;
}
/* the least work (estimated ns) each thread of a split call must get (kernels/split.h) */
void HRM_CAT(hrm_set_split_floor_, HRM_ISA_NAME)(double ns) { hrm_split_floor = ns; }
double HRM_CAT(hrm_split_floor_, HRM_ISA_NAME)(void) { return hrm_split_floor; }
#define K(name) {#name, abi_##name}
const hrm_kernel HRM_CAT(hrm_table_, HRM_ISA_NAME)[] = {HRM_KERNEL_TABLE, {0, 0}};
_Static_assert(sizeof(HRM_CAT(hrm_table_, HRM_ISA_NAME)) / sizeof(hrm_kernel) == HRM_KERNEL_COUNT + 1, "one table entry per kernel");
#endif
