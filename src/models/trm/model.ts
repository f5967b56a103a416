/**
 * TRM with its ACT wrapper (TinyRecursiveReasoningModel_ACTV1): the shared carry, reset and halting of
 * src/models/shared/act.ts, with no_ACT_continue (halt when q_halt > 0, no Q-continue target) by
 * default, and the shared ACT loss head (which also reports preds).
 */
import type { Rng } from '../../util/random.js';
import { ACTModel } from '../shared/act.js';
import type { TRMConfig } from './config.js';
import { TRMInner } from './inner.js';

export class TRM extends ACTModel<TRMConfig, TRMInner> {
  constructor(config: TRMConfig, rng: Rng) {
    super('TRM', config, new TRMInner(config, rng), rng);
  }
}
