// attention_backward: float32 (webgpu/lib/attention_backward.wgsl).
const BF16 = false;
//!include attention_backward.wgsl
