// As gemm, op(A) and op(B) rounded to bfloat16 as they are loaded; float32 accumulation and result.
const BF16 = true;
//!include gemm_tile.wgsl
