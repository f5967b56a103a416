/**
 * The public engine API: tensors, autodiff scopes and the differentiable ops (docs/ENGINE.md §3).
 * Import from here (not from the individual files) so that every op is installed.
 */
export { getBackend, setBackend, availableBackends } from './backend.js';
export type { Backend } from './backend.js';
export {
  Tensor,
  Storage,
  empty,
  zeros,
  ones,
  full,
  tensor,
  fromTyped,
  shapeSize,
  fmtShape,
  type DType,
  ELEMENT_BYTES,
  type GradNode,
} from './tensor.js';
export { backward, noGrad, tidy, needsGrad, record, scopeDepth } from './autograd.js';
export { reshape, narrow, concat, copy, repeatRows } from './ops/shape.js';
export { add, sub, mul, scale, sigmoid, sigmoid64, maximum, where } from './ops/elementwise.js';
export { linear } from './ops/linear.js';
export { embedding } from './ops/embedding.js';
export { addRmsNorm, rmsNorm } from './ops/norm.js';
export { attention, type Rope } from './ops/attention.js';
export { swiglu } from './ops/swiglu.js';
export { transpose } from './ops/transpose.js';
export { stablemaxCrossEntropy, softmaxCrossEntropy, bceWithLogits } from './ops/losses.js';
export { sum, mean, argmax } from './ops/reduce.js';
export { toDType } from './ops/cast.js';
export { dtypeKernels, roundBf16, roundBf16Array, COMPUTE_DTYPES, type ComputeDType, type DTypeKernels } from './dtype.js';
