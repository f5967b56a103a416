/**
 * What the inner networks of TRM and the transformer baseline share with HRM's (src/models/hrm/inner.ts,
 * REFERENCE.md section 1): token and puzzle embeddings in front of the sequence (P positions, padded to
 * P * hidden), learned or RoPE positions (or none), the sqrt(hidden) embedding scale, H_init/L_init, the
 * LM head on the sequence positions and the Q head on position 0 (zero weights, bias -5).
 *
 * State names carry the reference's `model.inner.` prefix; parameters and buffers are created in the
 * reference's module order: embed_tokens, lm_head, q_head, puzzle_emb, embed_pos, the levels, H_init,
 * L_init.
 */
import { add, concat, embedding, narrow, noGrad, reshape, roundBf16Array, scale, tensor, tidy, toDType, zeros, type ComputeDType, type Tensor } from '../../engine/index.js';
import { headDim } from '../../nn/attention.js';
import { truncNormalFill } from '../../nn/init.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../nn/module.js';
import { gridSide, RotaryEmbedding } from '../../nn/rotary.js';
import type { Rng } from '../../util/random.js';
import type { SegmentData, StateKind } from './act.js';

/** rope_2d: 2D rotary positions over a square grid (src/nn/rotary.ts) */
export type PositionEncoding = 'rope' | 'rope_2d' | 'learned' | 'none';

export interface InnerIOConfig {
  seq_len: number;
  vocab_size: number;
  num_puzzle_identifiers: number;
  hidden_size: number;
  num_heads: number;
  puzzle_emb_ndim: number;
  pos_encodings: PositionEncoding;
  rope_theta: number;
}

/** A block of a reasoning level: HRMBlock or MLPTBlock. */
export interface LevelBlock extends Module {
  forward(h: Tensor, rope: RotaryEmbedding | null): Tensor;
}

export abstract class InnerBase {
  readonly io: InnerIOConfig;
  readonly P: number;
  readonly S: number;
  readonly embedTokens: Embedding;
  readonly lmHead: Linear;
  /** [2, D] + bias: Q-halt and Q-continue from position 0 */
  readonly qHead: Linear;
  readonly puzzleEmb: Tensor | null;
  readonly embedPos: Embedding | null;
  readonly HInit: Tensor;
  readonly LInit: Tensor | null;
  readonly rope: RotaryEmbedding | null;
  readonly entries: { name: string; tensor: Tensor; kind: StateKind }[] = [];
  /** forward_dtype: every op's compute dtype (bfloat16: as the reference rounds, src/engine/dtype.ts) */
  readonly dtype: ComputeDType;

  /** the reasoning levels' blocks, in the order `levels` returned them */
  readonly levels: LevelBlock[][];

  /**
   * `levels` creates the reasoning blocks at their place in the module order, as [state-name prefix
   * (e.g. 'L_level'), blocks] pairs; they are registered under `model.inner.<prefix>.layers.<i>.`.
   */
  constructor(io: InnerIOConfig, P: number, rng: Rng, opts: { withLInit: boolean; dtype?: ComputeDType }, levels: () => [string, LevelBlock[]][]) {
    this.io = io;
    const dt = (this.dtype = opts.dtype ?? 'float32');
    this.P = P;
    this.S = io.seq_len + P;
    const D = io.hidden_size;
    const embStd = 1 / Math.sqrt(D);
    // The nn layers draw from rng in this order (the reference's module order): the init is part of
    // every reproducible figure.
    this.embedTokens = this.module('embed_tokens', new Embedding(rng, io.vocab_size, D, embStd, dt));
    this.lmHead = this.module('lm_head', new Linear(rng, D, io.vocab_size, { std: 1 / Math.sqrt(D), dtype: dt }));
    this.qHead = this.module('q_head', new Linear(rng, D, 2, { bias: true, std: 0, dtype: dt }));
    // "halt strongly disfavoured" at the start, as the reference
    this.qHead.bias!.set([-5, -5]);
    this.puzzleEmb = io.puzzle_emb_ndim > 0 ? this.buffer('puzzle_emb.weights', zeros([io.num_puzzle_identifiers, io.puzzle_emb_ndim])) : null;
    this.embedPos = io.pos_encodings === 'learned' ? this.module('embed_pos', new Embedding(rng, this.S, D, embStd, dt)) : null;
    this.levels = levels().map(([prefix, blocks]) => this.addBlocks(prefix, blocks));
    // the reference makes H_init / L_init in the forward dtype
    const init = (): Float32Array => {
      const v = truncNormalFill(rng, new Float32Array(D), 1);
      return dt === 'bfloat16' ? roundBf16Array(v) : v;
    };
    this.HInit = this.buffer('H_init', tensor(init(), [D]));
    this.LInit = opts.withLInit ? this.buffer('L_init', tensor(init(), [D])) : null;
    this.rope =
      io.pos_encodings === 'rope'
        ? new RotaryEmbedding(headDim(D, io.num_heads), this.S, io.rope_theta)
        : io.pos_encodings === 'rope_2d'
          ? new RotaryEmbedding(headDim(D, io.num_heads), this.S, io.rope_theta, { side: gridSide(io.seq_len), prefix: P })
          : null;
    this.rope?.cos.keep();
    this.rope?.sin.keep();
  }

  /** Registers a layer's parameters as `model.inner.<name>.<its state names>`. */
  private module<M extends Module>(name: string, m: M): M {
    for (const [n, t] of m.stateDict(`model.inner.${name}.`)) {
      t.keep().name = n;
      this.entries.push({ name: n, tensor: t, kind: 'parameter' });
    }
    return m;
  }

  private buffer(name: string, t: Tensor): Tensor {
    t.keep().name = `model.inner.${name}`;
    this.entries.push({ name: `model.inner.${name}`, tensor: t, kind: 'buffer' });
    return t;
  }

  private addBlocks(prefix: string, blocks: LevelBlock[]): LevelBlock[] {
    blocks.forEach((block, i) => this.module(`${prefix}.layers.${i}`, block));
    return blocks;
  }

  dispose(): void {
    for (const e of this.entries) e.tensor.dispose();
    this.rope?.dispose();
  }

  parameters(): [string, Tensor][] {
    return this.entries.filter((e) => e.kind === 'parameter').map((e) => [e.name, e.tensor]);
  }

  /** A reasoning module: f(h, x) = blocks(h + x). */
  level(blocks: LevelBlock[], h: Tensor, injection: Tensor): Tensor {
    h = add(h, injection, this.dtype);
    for (const block of blocks) h = block.forward(h, this.rope);
    return h;
  }

  /**
   * level(blocks, h, injection) for the no-gradient cycles, freeing `h` unless it is one of `carry` (the
   * caller's tensors): such a cycle's states are dead once replaced, and keeping them (and their blocks'
   * intermediates) until the segment ended made memory grow with the number of cycles.
   */
  levelFreeing(blocks: LevelBlock[], h: Tensor, injection: Tensor, carry: readonly Tensor[]): Tensor {
    const next = tidy(() => this.level(blocks, h, injection));
    if (!carry.includes(h)) h.dispose();
    return next;
  }

  /** The input embedding [B, S, D]; in training the puzzle rows are a fresh leaf that gets the gradient. */
  inputEmbeddings(data: SegmentData, training: boolean): { e: Tensor; puzzleLocal: Tensor | null } {
    const c = this.io;
    const B = data.puzzle_identifiers.length;
    const T = c.seq_len;
    const D = c.hidden_size;
    if (data.inputs.length !== B * T) {
      throw new Error(`inputs have ${data.inputs.length} values, expected batch ${B} x seq_len ${T}`);
    }
    const dt = this.dtype;
    let e = this.embedTokens.forward(tensor(data.inputs, [B, T], 'int32'));
    let puzzleLocal: Tensor | null = null;
    if (this.puzzleEmb && this.P > 0) {
      const ids = tensor(data.puzzle_identifiers, [B], 'int32');
      let pe: Tensor;
      if (training) {
        puzzleLocal = noGrad(() => embedding(ids, this.puzzleEmb!)).requireGrad('model.inner.puzzle_emb.local_weights');
        pe = toDType(puzzleLocal, dt);
      } else {
        pe = embedding(ids, this.puzzleEmb, dt);
      }
      const pad = this.P * D - c.puzzle_emb_ndim;
      if (pad > 0) pe = concat([pe, zeros([B, pad])], 1);
      e = concat([reshape(pe, [B, this.P, D]), e], 1);
    }
    if (this.embedPos) e = scale(add(e, toDType(this.embedPos.embedding_weight, dt), dt), 0.707106781, dt);
    return { e: scale(e, Math.sqrt(D), dt), puzzleLocal };
  }

  /** The LM head on the sequence positions and the Q head on position 0. */
  heads(zH: Tensor, wantLogits: boolean): { logits: Tensor; qHalt: Tensor; qContinue: Tensor } {
    const B = zH.shape[0];
    const { seq_len: T, hidden_size: D } = this.io;
    const logits = wantLogits ? this.lmHead.forward(this.P > 0 ? narrow(zH, 1, this.P, T) : zH) : zeros([B, T, 0]);
    const q = this.qHead.forward(reshape(narrow(zH, 1, 0, 1), [B, D]));
    return { logits, qHalt: reshape(narrow(q, 1, 0, 1), [B]), qContinue: reshape(narrow(q, 1, 1, 1), [B]) };
  }
}
