/*
 * abi.c: the one translation unit of the kernels. It includes every kernel file (all functions are
 * static) and wraps each kernel as abi_<name>(const double *args): JS writes the arguments into a
 * shared array of doubles (pointers and integers are exact below 2^53) and calls by id or name.
 * The table below lists the kernels in the order of KERNELS in src/engine/backend.ts (docs/ENGINE.md
 * section 2); keep the two in step.
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
HRM_ADAPTER(gemm) {
  gemm((int)a[0], (int)a[1], (int)a[2], (int)a[3], (int)a[4], FLT(5), F32(6), (int)a[7], F32(8), (int)a[9], FLT(10),
       F32(11), (int)a[12]);
}
HRM_ADAPTER(add_bias) { add_bias(F32(0), F32(1), INT(2), INT(3)); }
HRM_ADAPTER(bias_grad) { bias_grad(F32(0), F32(1), INT(2), INT(3)); }
HRM_ADAPTER(embedding_forward) { embedding_forward(F32(0), I32(1), F32(2), INT(3), INT(4)); }
HRM_ADAPTER(embedding_backward) { embedding_backward(F32(0), I32(1), F32(2), INT(3), INT(4)); }
HRM_ADAPTER(add_rmsnorm_forward) { add_rmsnorm_forward(F32(0), F32(1), F32(2), F32(3), INT(4), INT(5), FLT(6)); }
HRM_ADAPTER(rmsnorm_backward) { rmsnorm_backward(F32(0), F32(1), F32(2), F32(3), INT(4), INT(5)); }
HRM_ADAPTER(attention_forward) {
  attention_forward(F32(0), F32(1), F32(2), F32(3), F32(4), INT(5), INT(6), INT(7), INT(8));
}
HRM_ADAPTER(attention_backward) {
  attention_backward(F32(0), F32(1), F32(2), F32(3), F32(4), F32(5), F32(6), INT(7), INT(8), INT(9), INT(10));
}
HRM_ADAPTER(swiglu_forward) { swiglu_forward(F32(0), F32(1), INT(2), INT(3)); }
HRM_ADAPTER(swiglu_backward) { swiglu_backward(F32(0), F32(1), F32(2), INT(3), INT(4)); }
HRM_ADAPTER(add) { add(F32(0), F32(1), F32(2), INT(3)); }
HRM_ADAPTER(mul) { mul(F32(0), F32(1), F32(2), INT(3)); }
HRM_ADAPTER(add_rows) { add_rows(F32(0), F32(1), F32(2), INT(3), INT(4)); }
HRM_ADAPTER(scale) { scale(F32(0), F32(1), FLT(2), INT(3)); }
HRM_ADAPTER(axpy) { axpy(F32(0), F32(1), FLT(2), INT(3)); }
HRM_ADAPTER(fill) { fill(F32(0), FLT(1), INT(2)); }
HRM_ADAPTER(copy2d) { copy2d(F32(0), INT(1), F32(2), INT(3), INT(4), INT(5)); }
HRM_ADAPTER(stablemax_ce_forward) { stablemax_ce_forward(F32(0), F32(1), I32(2), INT(3), INT(4), INT(5)); }
HRM_ADAPTER(stablemax_ce_backward) {
  stablemax_ce_backward(F32(0), F32(1), F32(2), I32(3), INT(4), INT(5), INT(6));
}
HRM_ADAPTER(softmax_ce_forward) { softmax_ce_forward(F32(0), F32(1), I32(2), INT(3), INT(4), INT(5)); }
HRM_ADAPTER(softmax_ce_backward) { softmax_ce_backward(F32(0), F32(1), F32(2), I32(3), INT(4), INT(5), INT(6)); }
HRM_ADAPTER(bce_logits_forward) { bce_logits_forward(F32(0), F32(1), F32(2), INT(3)); }
HRM_ADAPTER(bce_logits_backward) { bce_logits_backward(F32(0), F32(1), F32(2), F32(3), INT(4)); }
HRM_ADAPTER(sigmoid) { sigmoid(F32(0), F32(1), INT(2)); }
HRM_ADAPTER(argmax) { argmax(I32(0), F32(1), INT(2), INT(3)); }
HRM_ADAPTER(sum) { sum(F32(0), F32(1), INT(2)); }
HRM_ADAPTER(where_rows) { where_rows(F32(0), I32(1), F32(2), F32(3), INT(4), INT(5)); }
HRM_ADAPTER(adam_atan2) {
  adam_atan2(F32(0), F32(1), F32(2), F32(3), INT(4), FLT(5), FLT(6), FLT(7), FLT(8), FLT(9), FLT(10));
}
HRM_ADAPTER(sign_sgd_rows) { sign_sgd_rows(F32(0), I32(1), F32(2), INT(3), INT(4), FLT(5), FLT(6)); }
/* bfloat16 compute (values held widened in float32) and the FMA peak probe: kept together */
HRM_ADAPTER(gemm_bf16) {
  gemm_bf16((int)a[0], (int)a[1], (int)a[2], (int)a[3], (int)a[4], FLT(5), F32(6), (int)a[7], F32(8), (int)a[9],
            FLT(10), F32(11), (int)a[12]);
}
HRM_ADAPTER(round_bf16) { round_bf16(F32(0), F32(1), INT(2)); }
HRM_ADAPTER(add_rmsnorm_forward_bf16) {
  add_rmsnorm_forward_bf16(F32(0), F32(1), F32(2), F32(3), INT(4), INT(5), FLT(6));
}
HRM_ADAPTER(attention_forward_bf16) {
  attention_forward_bf16(F32(0), F32(1), F32(2), F32(3), F32(4), INT(5), INT(6), INT(7), INT(8));
}
HRM_ADAPTER(attention_backward_bf16) {
  attention_backward_bf16(F32(0), F32(1), F32(2), F32(3), F32(4), F32(5), F32(6), INT(7), INT(8), INT(9), INT(10));
}
HRM_ADAPTER(swiglu_forward_bf16) { swiglu_forward_bf16(F32(0), F32(1), INT(2), INT(3)); }
HRM_ADAPTER(swiglu_backward_bf16) { swiglu_backward_bf16(F32(0), F32(1), F32(2), INT(3), INT(4)); }
HRM_ADAPTER(fma_peak) { fma_peak(F32(0), INT(1), INT(2)); }
HRM_ADAPTER(transpose) { transpose(F32(0), F32(1), INT(2), INT(3), INT(4)); }
HRM_ADAPTER(engine_limits) { engine_limits(F32(0)); }

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
#define K(name) {#name, abi_##name}
const hrm_kernel HRM_CAT(hrm_table_, HRM_ISA_NAME)[] = {
    K(set_threads), K(gemm), K(add_bias), K(bias_grad), K(embedding_forward), K(embedding_backward),
    K(add_rmsnorm_forward), K(rmsnorm_backward), K(attention_forward), K(attention_backward),
    K(swiglu_forward), K(swiglu_backward), K(add), K(mul), K(add_rows), K(scale), K(axpy), K(fill), K(copy2d),
    K(stablemax_ce_forward), K(stablemax_ce_backward), K(softmax_ce_forward), K(softmax_ce_backward),
    K(bce_logits_forward), K(bce_logits_backward), K(sigmoid), K(argmax), K(sum), K(where_rows), K(adam_atan2),
    K(sign_sgd_rows),
    /* bfloat16 and the peak probe */
    K(gemm_bf16), K(round_bf16), K(add_rmsnorm_forward_bf16), K(attention_forward_bf16), K(attention_backward_bf16),
    K(swiglu_forward_bf16), K(swiglu_backward_bf16), K(fma_peak),
    /* TRM's mlp_t */
    K(transpose),
    /* the build's limits (threads, attention scratch), read by the loaders */
    K(engine_limits),
    {0, 0}};
#endif
