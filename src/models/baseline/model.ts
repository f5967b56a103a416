/**
 * The plain-transformer baseline (TRM's `transformers_baseline`, after the ARC Prize's finding that a
 * same-size transformer comes close to HRM): one latent z_H, updated as z_H = H_level(z_H, x) with
 * H_level = H_layers post-norm attention blocks, H_cycles times per segment (all but the last without
 * gradient; H_cycles is 1 by default, so the whole stack once with gradient), wrapped by the shared ACT
 * wrapper (src/models/shared/act.ts). Embeddings and heads: src/models/shared/inner-base.ts.
 */
import { noGrad, tidy, zeros, type Tensor } from '../../engine/index.js';
import { HRMBlock } from '../../nn/block.js';
import type { Rng } from '../../util/random.js';
import { ACTModel, type InnerOutput, type RecurrentInner, type SegmentData } from '../shared/act.js';
import { InnerBase, type LevelBlock } from '../shared/inner-base.js';
import type { BaselineConfig } from './config.js';
import { puzzleEmbPositions } from '../shared/config-schema.js';

export class BaselineInner extends InnerBase implements RecurrentInner {
  readonly config: BaselineConfig;

  constructor(config: BaselineConfig, rng: Rng) {
    super(config, puzzleEmbPositions(config), rng, { withLInit: false, dtype: config.forward_dtype }, () => {
      const blocks: LevelBlock[] = [];
      for (let i = 0; i < config.H_layers; i++) {
        blocks.push(new HRMBlock(rng, { hidden: config.hidden_size, heads: config.num_heads, expansion: config.expansion, eps: config.rms_norm_eps, dtype: config.forward_dtype }));
      }
      return [['H_level', blocks]];
    });
    this.config = config;
  }

  forward(zH0: Tensor, zL0: Tensor, data: SegmentData, training: boolean, grad: boolean, wantLogits = true): InnerOutput {
    const B = data.puzzle_identifiers.length;
    const { e, puzzleLocal } = this.inputEmbeddings(data, training && grad);
    const net = this.levels[0];
    const zHpre = noGrad(() =>
      tidy(() => {
        let zH = zH0;
        for (let i = 0; i < this.config.H_cycles - 1; i++) zH = this.levelFreeing(net, zH, e, [zH0]);
        return zH;
      }),
    );
    void zL0;
    const run = (): InnerOutput => {
      const zH = this.level(net, zHpre, e);
      return { zH: zH.detach(), zL: zeros([B, 0]), ...this.heads(zH, wantLogits), puzzleLocal };
    };
    return grad ? run() : noGrad(run);
  }
}

export class TransformerBaseline extends ACTModel<BaselineConfig, BaselineInner> {
  constructor(config: BaselineConfig, rng: Rng) {
    super('transformers_baseline', config, new BaselineInner(config, rng), rng);
  }
}
