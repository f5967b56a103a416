// C = alpha op(A) op(B) + beta C in float32.
const BF16 = false;
//!include gemm_tile.wgsl
