// s = x + y; rstd = 1/sqrt(mean(s^2) + eps); out = s rstd (webgpu/lib/add_rmsnorm.wgsl).
const BF16 = false;
//!include add_rmsnorm.wgsl
