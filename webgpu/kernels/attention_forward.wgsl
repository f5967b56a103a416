// attention_forward: float32 (webgpu/lib/attention_forward.wgsl).
const BF16 = false;
//!include attention_forward.wgsl
