/**
 * The HRM inner model (REFERENCE.md section 1): token and puzzle embeddings, the H_level and L_level
 * reasoning modules (post-norm blocks with input injection by addition), H_init/L_init, one ACT segment
 * with the 1-step gradient, the LM head and the Q head. What HRM shares with TRM and the baseline
 * (embeddings, puzzle positions, heads, H_init/L_init, the state names) is src/models/shared/inner-base.ts;
 * this file holds HRM's two levels and its segment.
 *
 * Parameters and buffers carry the reference's state-dict names with the `model.` prefix the training
 * wrapper adds (`model.inner.H_level.layers.0.self_attn.qkv_proj.weight`, ...), so gradients, state dicts
 * and checkpoints use one naming everywhere.
 *
 * Shapes: B batch, T = seq_len, P puzzle-embedding positions, S = T + P, D = hidden_size.
 */
import { add, noGrad, tidy, type Tensor } from '../../engine/index.js';
import { HRMBlock } from '../../nn/block.js';
import type { Rng } from '../../util/random.js';
import type { InnerOutput, RecurrentInner, SegmentData } from '../shared/act.js';
import { InnerBase } from '../shared/inner-base.js';
import { puzzleEmbLen, type HRMConfig } from './config.js';

export type { InnerOutput, SegmentData, StateKind } from '../shared/act.js';

export class HRMInner extends InnerBase implements RecurrentInner {
  readonly config: HRMConfig;
  declare readonly LInit: Tensor;

  constructor(config: HRMConfig, rng: Rng) {
    const dtype = config.forward_dtype ?? 'float32';
    const blocks = (n: number): HRMBlock[] =>
      Array.from({ length: n }, () => new HRMBlock(rng, { hidden: config.hidden_size, heads: config.num_heads, expansion: config.expansion, eps: config.rms_norm_eps, dtype }));
    // Created in the reference's module order (the random streams differ from torch's anyway).
    super(config, puzzleEmbLen(config), rng, { withLInit: true, dtype }, () => {
      const H = blocks(config.H_layers);
      const L = blocks(config.L_layers);
      return [['H_level', H], ['L_level', L]];
    });
    this.config = config;
  }

  /** The H_level blocks. */
  get H(): HRMBlock[] {
    return this.levels[0] as HRMBlock[];
  }

  /** The L_level blocks. */
  get L(): HRMBlock[] {
    return this.levels[1] as HRMBlock[];
  }

  /**
   * One ACT segment from carry (zH, zL). All but the last L and H steps run without gradient; with
   * `grad` false the whole segment does. Returns the detached new carry, the logits and Q values.
   */
  forward(zH0: Tensor, zL0: Tensor, data: SegmentData, training: boolean, grad: boolean, wantLogits = true): InnerOutput {
    const c = this.config;
    const { e, puzzleLocal } = this.inputEmbeddings(data, training && grad);
    const [zHpre, zLpre] = noGrad(() =>
      tidy(() => {
        const carry = [zH0, zL0];
        let zH = zH0;
        let zL = zL0;
        for (let i = 0; i < c.H_cycles; i++) {
          // zH + e is the same for every L step of this H cycle: compute it once
          const last = i === c.H_cycles - 1;
          const lSteps = last ? c.L_cycles - 1 : c.L_cycles;
          if (lSteps > 0) {
            const injection = add(zH, e, this.dtype);
            for (let j = 0; j < lSteps; j++) zL = this.levelFreeing(this.L, zL, injection, carry);
            injection.dispose();
          }
          if (!last) zH = this.levelFreeing(this.H, zH, zL, carry);
        }
        return [zH, zL];
      }),
    );
    const run = (): InnerOutput => {
      // the 1-step gradient: only this last L step and H step record
      const zL = this.level(this.L, zLpre, add(zHpre, e, this.dtype));
      const zH = this.level(this.H, zHpre, zL);
      // (the Q target's forward needs only the Q head)
      return { zH: zH.detach(), zL: zL.detach(), ...this.heads(zH, wantLogits), puzzleLocal };
    };
    return grad ? run() : noGrad(run);
  }
}
