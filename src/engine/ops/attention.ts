/**
 * attention: non-causal multi-head softmax attention in one fused kernel.
 * qkv [B, S, 3*H*D] (q heads, then k heads, then v heads), RoPE (halves rotation) on q and k from
 * tables cos, sin [S, D] (or none), scale 1/sqrt(D) -> out [B, S, H*D].
 */
import { needsGrad, record } from '../autograd.js';
import { dtypeKernels, type ComputeDType } from '../dtype.js';
import { type Tensor } from '../tensor.js';
import { roundedGrad } from './cast.js';
import { out, prepare, shapeErr } from './util.js';

export interface Rope {
  cos: Tensor;
  sin: Tensor;
}

/** bfloat16: as FlashAttention (native/kernels/attention.c): bf16 q, k, v and output, float32 inside. */
export function attention(qkv: Tensor, heads: number, rope: Rope | null, dtype: ComputeDType = 'float32'): Tensor {
  const be = prepare('attention', [qkv, rope?.cos, rope?.sin]);
  const kd = dtypeKernels(be.k, dtype);
  if (qkv.ndim !== 3) throw shapeErr('attention', 'qkv must be [B, S, 3*H*D]', ['qkv', qkv.shape]);
  const [B, S, W] = qkv.shape;
  if (!Number.isInteger(heads) || heads <= 0 || W % (3 * heads) !== 0) {
    throw new Error(`attention: qkv [${qkv.shape}] last size ${W} is not 3 * ${heads} heads * head_dim`);
  }
  const H = heads;
  const D = W / (3 * H);
  if (rope) {
    for (const [n, t] of [['cos', rope.cos], ['sin', rope.sin]] as const) {
      if (t.ndim !== 2 || t.shape[0] < S || t.shape[1] !== D) {
        throw shapeErr('attention', `rope tables must be [>= S, head_dim] = [${S}, ${D}]`, ['qkv', qkv.shape], [n, t.shape]);
      }
    }
  }
  const cos = rope ? rope.cos.ptr : 0;
  const sin = rope ? rope.sin.ptr : 0;
  const y = out([B, S, H * D], be);
  const lse = out([B, H, S], be);
  if (y.size > 0) kd.attention_forward(y.ptr, lse.ptr, qkv.ptr, cos, sin, B, S, H, D);
  if (needsGrad(qkv)) {
    const saved = [qkv, y, lse];
    if (rope) saved.push(rope.cos, rope.sin);
    record('attention', y, [qkv], saved, (g0, sv) => {
      const g = roundedGrad(g0, kd);
      const dqkv = out([B, S, W], g.backend);
      if (g.size > 0) {
        kd.attention_backward(dqkv.ptr, g.ptr, sv[0].ptr, sv[1].ptr, sv[2].ptr, rope ? sv[3].ptr : 0, rope ? sv[4].ptr : 0, B, S, H, D);
      }
      g.dispose();
      return [dqkv];
    });
  }
  lse.dispose();
  return y;
}
