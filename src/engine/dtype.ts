/**
 * Compute dtypes: the precision an op computes in, and the kernel table entries that compute it.
 *
 *   float32   every kernel in float32 (the project's default; bit for bit what it always computed)
 *   bfloat16  as the reference's `forward_dtype: bfloat16`: tensors hold bf16 values widened to
 *             float32 (the low 16 bits zero, exactly as the reference fixtures store them); matrix
 *             products take bf16 operands (weights rounded per use while the GEMM packs them) and
 *             accumulate in float32; attention as FlashAttention computes it; every op's output and
 *             the gradient of every bf16 tensor are rounded to bf16 (nearest, ties to even); RMSNorm's
 *             statistics, softmax, the losses and the optimizers stay float32.
 *
 * Storage stays float32 for both (element size: ELEMENT_BYTES in tensor.ts): on a CPU without bf16
 * arithmetic a packed 2-byte tensor would only add conversions. A matrix unit (AMX, AVX512_BF16) is
 * another set of kernels behind the same `bfloat16` entries of this table (native/abi.c), chosen by
 * the addon's ISA; the ops do not change.
 */
import type { Kernels, Ptr } from './backend.js';

export type ComputeDType = 'float32' | 'bfloat16';
export const COMPUTE_DTYPES: readonly ComputeDType[] = ['float32', 'bfloat16'];

/** The kernels an op calls for one compute dtype (same signatures across dtypes). */
export interface DTypeKernels {
  readonly dtype: ComputeDType;
  readonly gemm: Kernels['gemm'];
  readonly add_rmsnorm_forward: Kernels['add_rmsnorm_forward'];
  readonly attention_forward: Kernels['attention_forward'];
  readonly attention_backward: Kernels['attention_backward'];
  readonly swiglu_forward: Kernels['swiglu_forward'];
  readonly swiglu_backward: Kernels['swiglu_backward'];
  /** rounds n values to this dtype (out may be x); null where there is nothing to round (float32) */
  readonly round: ((out: Ptr, x: Ptr, n: number) => void) | null;
}

const tables = new WeakMap<Kernels, Record<ComputeDType, DTypeKernels>>();

/** The dtype's kernels on a backend's kernel table (built once per backend). */
export function dtypeKernels(k: Kernels, dtype: ComputeDType): DTypeKernels {
  let t = tables.get(k);
  if (!t) {
    t = {
      float32: {
        dtype: 'float32',
        gemm: k.gemm,
        add_rmsnorm_forward: k.add_rmsnorm_forward,
        attention_forward: k.attention_forward,
        attention_backward: k.attention_backward,
        swiglu_forward: k.swiglu_forward,
        swiglu_backward: k.swiglu_backward,
        round: null,
      },
      bfloat16: {
        dtype: 'bfloat16',
        gemm: k.gemm_bf16,
        add_rmsnorm_forward: k.add_rmsnorm_forward_bf16,
        attention_forward: k.attention_forward_bf16,
        attention_backward: k.attention_backward_bf16,
        swiglu_forward: k.swiglu_forward_bf16,
        swiglu_backward: k.swiglu_backward_bf16,
        round: k.round_bf16,
      },
    };
    tables.set(k, t);
  }
  const d = t[dtype];
  if (!d) throw new Error(`unknown compute dtype '${String(dtype)}' (have ${COMPUTE_DTYPES.join(', ')})`);
  return d;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** x rounded to the nearest bfloat16 (ties to even), as a number; the kernels' round_bf16 in JS. */
export function roundBf16(x: number): number {
  f32[0] = x;
  let u = u32[0];
  if ((u & 0x7fffffff) > 0x7f800000) return x; // NaN
  u = (u + 0x7fff + ((u >>> 16) & 1)) >>> 0;
  u32[0] = (u & 0xffff0000) >>> 0;
  return f32[0];
}

/** Rounds every value of `a` to bfloat16 in place; returns a. */
export function roundBf16Array(a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = roundBf16(a[i]);
  return a;
}
