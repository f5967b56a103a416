// s = bf16(x + y), the norm in float32, out = bf16(s rstd) (webgpu/lib/add_rmsnorm.wgsl).
const BF16 = true;
//!include add_rmsnorm.wgsl
