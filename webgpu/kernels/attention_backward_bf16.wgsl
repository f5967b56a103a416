// attention_backward_bf16: FlashAttention's bf16 roundings (webgpu/lib/attention_backward.wgsl).
const BF16 = true;
//!include attention_backward.wgsl
