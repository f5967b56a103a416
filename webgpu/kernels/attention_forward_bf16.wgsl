// attention_forward_bf16: FlashAttention's bf16 roundings (webgpu/lib/attention_forward.wgsl).
const BF16 = true;
//!include attention_forward.wgsl
