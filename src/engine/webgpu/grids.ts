/**
 * How many workgroups each WGSL kernel launches, from its arguments (the same Float64Array the CPU
 * kernels read, in the spec's order; pointers are byte addresses). A kernel with a WGSL file and no
 * grid here is an error when it is called, and so is a grid that throws (a size the kernel cannot
 * take). 1-D launches give a workgroup count; dispatch folds counts over 65535 into y, and the kernel
 * reads its index with the prelude's flat_wg.
 */
export type Grid = number | readonly [number, number, number];

const ceil = (a: number, b: number): number => Math.ceil(a / b);
/** one invocation per element of argument `i`'s count, 256 per workgroup */
const perElement = (i: number) => (a: Float64Array): Grid => ceil(a[i], 256);
/** one invocation per element of a[i] x a[j] */
const perProduct = (i: number, j: number) => (a: Float64Array): Grid => ceil(a[i] * a[j], 256);
/** 16 rows per workgroup of 256 (webgpu/lib/rows16.wgsl), rows = a[i] */
const per16Rows = (i: number) => (a: Float64Array): Grid => ceil(a[i], 16);

/** One invocation per (b, h, 64-column slice, query row), 64 a workgroup (webgpu/lib/attention_forward.wgsl). */
function attentionForward(a: Float64Array): Grid {
  const [B, S, H, D] = [a[5], a[6], a[7], a[8]];
  return ceil(B * H * ceil(D, 64) * S, 64);
}

/**
 * The attention backward: invocations for (b, h, slice of 32 RoPE pairs, row) twice over, query rows
 * then key rows, 64 a workgroup (webgpu/lib/attention_backward.wgsl).
 */
function attentionBackward(a: Float64Array): Grid {
  const [B, S, H, D] = [a[7], a[8], a[9], a[10]];
  return ceil(2 * B * H * ceil(Math.ceil(D / 2), 32) * S, 64);
}

export const GRIDS: Readonly<Record<string, (a: Float64Array) => Grid>> = {
  // gemm(transA, transB, M, N, K, ...): 32x32 tiles of C (webgpu/lib/gemm_tile.wgsl)
  gemm: (a) => [ceil(a[3], 32), ceil(a[2], 32), 1],
  gemm_bf16: (a) => [ceil(a[3], 32), ceil(a[2], 32), 1],
  add_bias: perProduct(2, 3),
  // one invocation per column, adding the rows in order
  bias_grad: perElement(3),
  embedding_forward: perProduct(3, 4),
  // a workgroup per (row of dout, 256 columns)
  embedding_backward: (a) => a[3] * ceil(a[4], 256),
  add_rmsnorm_forward: per16Rows(4),
  add_rmsnorm_forward_bf16: per16Rows(4),
  rmsnorm_backward: per16Rows(4),
  attention_forward: attentionForward,
  attention_forward_bf16: attentionForward,
  attention_backward: attentionBackward,
  attention_backward_bf16: attentionBackward,
  swiglu_forward: perProduct(2, 3),
  swiglu_forward_bf16: perProduct(2, 3),
  swiglu_backward: perProduct(3, 4),
  swiglu_backward_bf16: perProduct(3, 4),
  add: perElement(3),
  mul: perElement(3),
  add_rows: perElement(3),
  scale: perElement(3),
  axpy: perElement(3),
  fill: perElement(2),
  copy2d: perProduct(4, 5),
  // losses: one invocation per row
  stablemax_ce_forward: perElement(3),
  stablemax_ce_backward: perElement(4),
  softmax_ce_forward: perElement(3),
  softmax_ce_backward: perElement(4),
  bce_logits_forward: perElement(3),
  bce_logits_backward: perElement(4),
  sigmoid: perElement(2),
  argmax: perElement(2),
  // one workgroup adds everything (out[0] is written even for n = 0)
  sum: () => 1,
  where_rows: perProduct(4, 5),
  adam_atan2: perElement(4),
  sign_sgd_rows: perProduct(3, 4),
  round_bf16: perElement(2),
  // `threads` invocations, or 4096 workgroups (enough to fill a current GPU) when threads <= 1
  fma_peak: (a) => (a[2] > 1 ? ceil(a[2], 256) : 4096),
  // 16x16 tiles of each matrix
  transpose: (a) => ceil(a[2] * a[3] * a[4], 256),
  // out may start at x: then one workgroup reads x[0] before any invocation writes
  fill_scaled: (a) => (a[1] >= a[0] && a[1] < a[0] + 4 * a[3] ? Math.min(1, a[3]) : ceil(a[3], 256)),
  sigmoid_f64: perElement(2),
  maximum: perElement(3),
};
