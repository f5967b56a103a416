/*
 * WebAssembly build of gemm alone, for native/bench/gemm_wasm_bench.mjs (not part of the project build):
 *   clang --target=wasm32 -msimd128 -O3 -nostdlib -ffreestanding -Wl,--no-entry -Wl,--export-dynamic \
 *         -Wl,--export=__heap_base -Wl,--growable-table native/bench/gemm_wasm.c -o /tmp/gemm.wasm
 */
#include "../kernels/gemm.c"

__attribute__((export_name("gemm_f32"))) void gemm_f32(int transA, int transB, int M, int N, int K, float alpha,
                                                       const float *A, int lda, const float *B, int ldb,
                                                       float beta, float *C, int ldc) {
  gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
