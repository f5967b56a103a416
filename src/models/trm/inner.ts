/**
 * TRM's inner network (arXiv 2510.04871 and its public code; ../shared/fixtures/trm/README.md): one
 * reasoning network, `L_level` (L_layers post-norm blocks with input injection by addition), used for
 * both updates of a cycle:
 *   z_L = L_level(z_L, z_H + x)   L_cycles times,   then   z_H = L_level(z_H, z_L)
 * H_cycles - 1 cycles run without gradient, the last whole cycle with it (not only its last steps, as
 * HRM's 1-step gradient). The blocks use attention (RoPE, learned or no positions) or, with mlp_t, a
 * SwiGLU across the sequence axis (learned or no positions; RoPE is ignored there, as upstream). The
 * LM head reads z_H after the P puzzle positions, the Q head position 0. Embeddings, heads and state:
 * src/models/shared/inner-base.ts.
 */
import { add, noGrad, tidy, type Tensor } from '../../engine/index.js';
import { HRMBlock } from '../../nn/block.js';
import { MLPTBlock } from '../../nn/mlp-t-block.js';
import type { Rng } from '../../util/random.js';
import type { InnerOutput, RecurrentInner, SegmentData } from '../shared/act.js';
import { InnerBase, type LevelBlock } from '../shared/inner-base.js';
import type { TRMConfig } from './config.js';
import { puzzleEmbPositions } from '../shared/config-schema.js';

export class TRMInner extends InnerBase implements RecurrentInner {
  readonly config: TRMConfig;

  constructor(config: TRMConfig, rng: Rng) {
    const P = puzzleEmbPositions(config);
    const S = config.seq_len + P;
    const D = config.hidden_size;
    super(
      // The reference makes the learned table whatever the block type and adds it to the input; its RoPE
      // tables (non-persistent buffers) are never read by the mlp_t blocks, so rope with mlp_t is none.
      { ...config, pos_encodings: config.mlp_t && config.pos_encodings === 'rope' ? 'none' : config.pos_encodings },
      P,
      rng,
      { withLInit: true, dtype: config.forward_dtype },
      () => {
        const blocks: LevelBlock[] = [];
        const dtype = config.forward_dtype;
        for (let i = 0; i < config.L_layers; i++) {
          blocks.push(
            config.mlp_t
              ? new MLPTBlock(rng, { hidden: D, seq: S, expansion: config.expansion, eps: config.rms_norm_eps, dtype })
              : new HRMBlock(rng, { hidden: D, heads: config.num_heads, expansion: config.expansion, eps: config.rms_norm_eps, dtype }),
          );
        }
        return [['L_level', blocks]];
      },
    );
    this.config = config;
  }

  /**
   * One latent recursion: L_cycles updates of z_L from (z_H + x), then one of z_H from z_L. With `carry`
   * (no gradient), each replaced state other than the carry's is freed at once.
   */
  private cycle(zH: Tensor, zL: Tensor, e: Tensor, carry?: readonly Tensor[]): [Tensor, Tensor] {
    const net = this.levels[0];
    const step = (h: Tensor, x: Tensor): Tensor => (carry ? this.levelFreeing(net, h, x, carry) : this.level(net, h, x));
    // z_H + x is the same for every z_L update of the cycle: computed once
    const injection = add(zH, e, this.dtype);
    for (let j = 0; j < this.config.L_cycles; j++) zL = step(zL, injection);
    if (carry) injection.dispose();
    zH = step(zH, zL);
    return [zH, zL];
  }

  forward(zH0: Tensor, zL0: Tensor, data: SegmentData, training: boolean, grad: boolean, wantLogits = true): InnerOutput {
    const c = this.config;
    const { e, puzzleLocal } = this.inputEmbeddings(data, training && grad);
    const [zHpre, zLpre] = noGrad(() =>
      tidy(() => {
        let zH = zH0;
        let zL = zL0;
        for (let i = 0; i < c.H_cycles - 1; i++) [zH, zL] = this.cycle(zH, zL, e, [zH0, zL0]);
        return [zH, zL];
      }),
    );
    const run = (): InnerOutput => {
      // without gradient nothing needs this cycle's intermediate states either
      const [zH, zL] = this.cycle(zHpre, zLpre, e, grad ? undefined : [zHpre, zLpre]);
      const h = this.heads(zH, wantLogits);
      return { zH: zH.detach(), zL: zL.detach(), ...h, puzzleLocal };
    };
    return grad ? run() : noGrad(run);
  }
}
