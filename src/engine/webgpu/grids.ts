/**
 * How many workgroups each WGSL kernel launches, from its arguments (the same Float64Array the CPU
 * kernels read, in the spec's order). A kernel with a WGSL file and no grid here is an error when it is
 * called. 1-D launches give a workgroup count; dispatch folds counts over 65535 into y, and the
 * kernel reads its index with the prelude's flat_wg.
 */
export type Grid = number | readonly [number, number, number];

const ceil = (a: number, b: number): number => Math.ceil(a / b);
/** one invocation per element of argument `i`'s count, 256 per workgroup */
const perElement = (i: number) => (a: Float64Array): Grid => ceil(a[i], 256);

export const GRIDS: Readonly<Record<string, (a: Float64Array) => Grid>> = {
  // gemm(transA, transB, M, N, K, ...): 64x64 tiles of C
  gemm: (a) => [ceil(a[3], 64), ceil(a[2], 64), 1],
  gemm_bf16: (a) => [ceil(a[3], 64), ceil(a[2], 64), 1],
  fill: perElement(2),
  add: perElement(3),
};
