/**
 * The HRM inner model (REFERENCE.md section 1): token and puzzle embeddings, the H_level and L_level
 * reasoning modules (post-norm blocks with input injection by addition), H_init/L_init, one ACT segment
 * with the 1-step gradient, the LM head and the Q head.
 *
 * Parameters and buffers carry the reference's state-dict names with the `model.` prefix the training
 * wrapper adds (`model.inner.H_level.layers.0.self_attn.qkv_proj.weight`, ...), so gradients, state dicts
 * and checkpoints use one naming everywhere.
 *
 * Shapes: B batch, T = seq_len, P puzzle-embedding positions, S = T + P, D = hidden_size.
 */
import { add, concat, embedding, linear, noGrad, scale, tensor, tidy, zeros, type Tensor } from '../../engine/index.js';
import { headDim } from '../../nn/attention.js';
import { HRMBlock } from '../../nn/block.js';
import { truncNormalFill } from '../../nn/init.js';
import { RotaryEmbedding } from '../../nn/rotary.js';
import type { Rng } from '../../util/random.js';
import type { InnerOutput, RecurrentInner, SegmentData, StateKind } from '../shared/act.js';
import { puzzleEmbLen, type HRMConfig } from './config.js';

export type { InnerOutput, SegmentData, StateKind } from '../shared/act.js';

export class HRMInner implements RecurrentInner {
  readonly config: HRMConfig;
  /** puzzle-embedding positions P and inner sequence length S */
  readonly P: number;
  readonly S: number;
  readonly embedTokens: Tensor;
  readonly lmHead: Tensor;
  readonly qHeadW: Tensor;
  readonly qHeadB: Tensor;
  readonly embedPos: Tensor | null;
  /** [num_puzzle_identifiers, puzzle_emb_ndim], a buffer updated by SparseSignSGD */
  readonly puzzleEmb: Tensor | null;
  readonly HInit: Tensor;
  readonly LInit: Tensor;
  readonly H: HRMBlock[];
  readonly L: HRMBlock[];
  /** RoPE tables [S, head_dim] ([f, f] halves), or null with learned positions */
  readonly rope: RotaryEmbedding | null;
  /** name -> tensor and kind, in the reference's state-dict order */
  readonly entries: { name: string; tensor: Tensor; kind: StateKind }[] = [];

  constructor(config: HRMConfig, rng: Rng) {
    this.config = config;
    const D = config.hidden_size;
    this.P = puzzleEmbLen(config);
    this.S = config.seq_len + this.P;
    const embStd = 1 / Math.sqrt(D);
    const param = (name: string, shape: number[], std: number): Tensor => {
      const t = tensor(truncNormalFill(rng, new Float32Array(shape.reduce((a, b) => a * b, 1)), std), shape).keep().requireGrad(`model.inner.${name}`);
      this.entries.push({ name: `model.inner.${name}`, tensor: t, kind: 'parameter' });
      return t;
    };
    const buffer = (name: string, t: Tensor): Tensor => {
      t.keep().name = `model.inner.${name}`;
      this.entries.push({ name: `model.inner.${name}`, tensor: t, kind: 'buffer' });
      return t;
    };
    const level = (prefix: 'H_level' | 'L_level', n: number): HRMBlock[] => {
      const out: HRMBlock[] = [];
      for (let i = 0; i < n; i++) {
        const block = new HRMBlock(rng, { hidden: D, heads: config.num_heads, expansion: config.expansion, eps: config.rms_norm_eps });
        // the block's own names (self_attn.qkv_proj.weight, ...) under the reference's prefix
        for (const [name, t] of block.stateDict(`model.inner.${prefix}.layers.${i}.`)) {
          t.keep().name = name;
          this.entries.push({ name, tensor: t, kind: 'parameter' });
        }
        out.push(block);
      }
      return out;
    };
    // Created in the reference's module order (the random streams differ from torch's anyway).
    this.embedTokens = param('embed_tokens.embedding_weight', [config.vocab_size, D], embStd);
    this.lmHead = param('lm_head.weight', [config.vocab_size, D], 1 / Math.sqrt(D));
    this.qHeadW = param('q_head.weight', [2, D], 0);
    this.qHeadB = param('q_head.bias', [2], 0);
    // The reference starts the Q head at "halt strongly disfavoured": zero weights, bias -5.
    this.qHeadB.set([-5, -5]);
    this.puzzleEmb = config.puzzle_emb_ndim > 0 ? buffer('puzzle_emb.weights', zeros([config.num_puzzle_identifiers, config.puzzle_emb_ndim])) : null;
    this.embedPos = config.pos_encodings === 'learned' ? param('embed_pos.embedding_weight', [this.S, D], embStd) : null;
    this.H = level('H_level', config.H_layers);
    this.L = level('L_level', config.L_layers);
    this.HInit = buffer('H_init', tensor(truncNormalFill(rng, new Float32Array(D), 1), [D]));
    this.LInit = buffer('L_init', tensor(truncNormalFill(rng, new Float32Array(D), 1), [D]));
    this.rope = config.pos_encodings === 'rope' ? new RotaryEmbedding(headDim(D, config.num_heads), this.S, config.rope_theta) : null;
    this.rope?.cos.keep();
    this.rope?.sin.keep();
  }

  /** Frees every tensor of the model. */
  dispose(): void {
    for (const e of this.entries) e.tensor.dispose();
    this.rope?.dispose();
  }

  /** Trainable parameters, [name, tensor]. */
  parameters(): [string, Tensor][] {
    return this.entries.filter((e) => e.kind === 'parameter').map((e) => [e.name, e.tensor]);
  }

  /** The input embedding [B, S, D]; in training the puzzle rows are a fresh leaf that gets the gradient. */
  inputEmbeddings(data: SegmentData, training: boolean): { e: Tensor; puzzleLocal: Tensor | null } {
    const c = this.config;
    const B = data.puzzle_identifiers.length;
    const T = c.seq_len;
    const D = c.hidden_size;
    if (data.inputs.length !== B * T) {
      throw new Error(`HRM: inputs have ${data.inputs.length} values, expected batch ${B} x seq_len ${T}`);
    }
    let e = embedding(tensor(data.inputs, [B, T], 'int32'), this.embedTokens);
    let puzzleLocal: Tensor | null = null;
    if (this.puzzleEmb && this.P > 0) {
      const ids = tensor(data.puzzle_identifiers, [B], 'int32');
      let pe: Tensor;
      if (training) {
        puzzleLocal = noGrad(() => embedding(ids, this.puzzleEmb!)).requireGrad('model.inner.puzzle_emb.local_weights');
        pe = puzzleLocal;
      } else {
        pe = embedding(ids, this.puzzleEmb);
      }
      const pad = this.P * D - c.puzzle_emb_ndim;
      if (pad > 0) pe = concat([pe, zeros([B, pad])], 1);
      e = concat([pe.reshape(B, this.P, D), e], 1);
    }
    if (this.embedPos) e = scale(add(e, this.embedPos), 0.707106781);
    return { e: scale(e, Math.sqrt(D)), puzzleLocal };
  }

  /** A reasoning module: f(h, x) = blocks(h + x), each block post-norm (src/nn/block.ts). */
  level(blocks: HRMBlock[], h: Tensor, injection: Tensor): Tensor {
    h = add(h, injection);
    for (const block of blocks) h = block.forward(h, this.rope);
    return h;
  }

  /**
   * One ACT segment from carry (zH, zL). All but the last L and H steps run without gradient; with
   * `grad` false the whole segment does. Returns the detached new carry, the logits and Q values.
   */
  forward(zH0: Tensor, zL0: Tensor, data: SegmentData, training: boolean, grad: boolean, wantLogits = true): InnerOutput {
    const c = this.config;
    const B = data.puzzle_identifiers.length;
    const { e, puzzleLocal } = this.inputEmbeddings(data, training && grad);
    const [zHpre, zLpre] = noGrad(() =>
      tidy(() => {
        let zH = zH0;
        let zL = zL0;
        for (let i = 0; i < c.H_cycles; i++) {
          // zH + e is the same for every L step of this H cycle: compute it once
          const last = i === c.H_cycles - 1;
          const lSteps = last ? c.L_cycles - 1 : c.L_cycles;
          if (lSteps > 0) {
            const injection = add(zH, e);
            for (let j = 0; j < lSteps; j++) zL = this.level(this.L, zL, injection);
          }
          if (!last) zH = this.level(this.H, zH, zL);
        }
        return [zH, zL];
      }),
    );
    const run = (): InnerOutput => {
      // the 1-step gradient: only this last L step and H step record
      const zL = this.level(this.L, zLpre, add(zHpre, e));
      const zH = this.level(this.H, zHpre, zL);
      const D = c.hidden_size;
      // (the Q target's forward needs only the Q head)
      const logits = wantLogits ? linear(this.P > 0 ? zH.narrow(1, this.P, c.seq_len) : zH, this.lmHead) : zeros([B, c.seq_len, 0]);
      const q = linear(zH.narrow(1, 0, 1).reshape(B, D), this.qHeadW, this.qHeadB);
      return {
        zH: zH.detach(),
        zL: zL.detach(),
        logits,
        qHalt: q.narrow(1, 0, 1).reshape(B),
        qContinue: q.narrow(1, 1, 1).reshape(B),
        puzzleLocal,
      };
    };
    return grad ? run() : noGrad(run);
  }
}
