/**
 * Rotary position embedding tables: inv_freq = theta^(-2i/D) for i < D/2, angles pos*inv_freq
 * duplicated to [f, f], cos and sin [S, D]. Computed with float32 rounding at each step, as the
 * reference does, so the tables match it to the last bit or two.
 */
import { tensor, type Rope, type Tensor } from '../engine/index.js';

export function ropeTables(headDim: number, positions: number, theta = 10000): { cos: Float32Array; sin: Float32Array } {
  if (headDim % 2 !== 0) throw new Error(`rope: head_dim ${headDim} must be even`);
  const f32 = Math.fround;
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = f32(1 / f32(theta ** f32(f32(2 * i) / headDim)));
  const cos = new Float32Array(positions * headDim);
  const sin = new Float32Array(positions * headDim);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const a = f32(p * inv[i]);
      const c = Math.cos(a);
      const s = Math.sin(a);
      cos[p * headDim + i] = c;
      cos[p * headDim + i + half] = c;
      sin[p * headDim + i] = s;
      sin[p * headDim + i + half] = s;
    }
  }
  return { cos, sin };
}

/** The cos/sin tables as tensors for `attention` (buffers, not parameters). */
export class RotaryEmbedding implements Rope {
  readonly cos: Tensor;
  readonly sin: Tensor;

  constructor(headDim: number, positions: number, theta = 10000) {
    const t = ropeTables(headDim, positions, theta);
    this.cos = tensor(t.cos, [positions, headDim]);
    this.sin = tensor(t.sin, [positions, headDim]);
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
  }
}
