/**
 * Rotary position embedding tables: inv_freq = theta^(-2i/D) for i < D/2, angles pos*inv_freq
 * duplicated to [f, f], cos and sin [S, D]. Computed with float32 rounding at each step, as the
 * reference does, so the tables match it to the last bit or two.
 *
 * `rope_2d` (ours): the sequence is a side x side grid in row-major order; the first D/4 rotary pairs
 * turn with the row, the other D/4 with the column, each axis with inv_freq = theta^(-j/(D/4)). A
 * query-key score then depends on the 2D offset between the cells, not on where they are nor on the
 * grid's size, so one set of weights serves every size. Only the tables change: the attention kernel
 * rotates pair i by the angle in column i as for 1D RoPE.
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

/**
 * 2D tables for `prefix` leading positions (puzzle embedding: angle 0, no rotation) then side*side grid
 * cells, cell p at row floor(p / side), column p % side.
 */
export function rope2dTables(headDim: number, side: number, prefix = 0, theta = 10000): { cos: Float32Array; sin: Float32Array } {
  if (headDim % 4 !== 0) throw new Error(`rope_2d: head_dim ${headDim} must be a multiple of 4`);
  const f32 = Math.fround;
  const half = headDim / 2;
  const quarter = headDim / 4;
  const inv = new Float32Array(quarter);
  for (let j = 0; j < quarter; j++) inv[j] = f32(1 / f32(theta ** f32(j / quarter)));
  const positions = prefix + side * side;
  const cos = new Float32Array(positions * headDim).fill(1);
  const sin = new Float32Array(positions * headDim);
  for (let p = 0; p < side * side; p++) {
    const row = Math.floor(p / side);
    const col = p - row * side;
    const o = (prefix + p) * headDim;
    for (let i = 0; i < half; i++) {
      const a = i < quarter ? f32(row * inv[i]) : f32(col * inv[i - quarter]);
      const c = Math.cos(a);
      const s = Math.sin(a);
      cos[o + i] = c;
      cos[o + i + half] = c;
      sin[o + i] = s;
      sin[o + i + half] = s;
    }
  }
  return { cos, sin };
}

/** The grid side of a rope_2d sequence of `cells` tokens; an error unless it is a square. */
export function gridSide(cells: number): number {
  const side = Math.round(Math.sqrt(cells));
  if (side * side !== cells) throw new Error(`rope_2d: seq_len ${cells} is not a square grid`);
  return side;
}

/** The cos/sin tables as tensors for `attention` (buffers, not parameters). */
export class RotaryEmbedding implements Rope {
  readonly cos: Tensor;
  readonly sin: Tensor;

  /** `grid`: rope_2d over a grid of `grid.side` after `grid.prefix` unrotated positions (then `positions` is ignored). */
  constructor(headDim: number, positions: number, theta = 10000, grid?: { side: number; prefix: number }) {
    const t = grid ? rope2dTables(headDim, grid.side, grid.prefix, theta) : ropeTables(headDim, positions, theta);
    positions = grid ? grid.prefix + grid.side * grid.side : positions;
    this.cos = tensor(t.cos, [positions, headDim]);
    this.sin = tensor(t.sin, [positions, headDim]);
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
  }
}
