/**
 * The HRM with adaptive computation time (REFERENCE.md sections 2 and 3): the ACT wrapper around the
 * inner model (carry reset of halted rows, replacement of their data, step counting, halting by Q values
 * with exploration in training, all halt_max_steps segments in evaluation, the Q target from a second
 * forward pass). The ACT loss head (src/losses/act-loss-head.ts) wraps it for training and evaluation.
 *
 * API (for the trainer and evaluator):
 *   const cfg = parseHRMConfig(obj, source);            // src/models/hrm/config.ts
 *   const model = new HRM(cfg, rng);                     // rng: src/util/random.ts (init + exploration)
 *   model.parameters(): [name, Tensor][]                 // trainable, full state names with the `model.` prefix
 *                                                        //   e.g. 'model.inner.H_level.layers.0.self_attn.qkv_proj.weight'
 *   model.puzzleEmb: Tensor | null                       // 'model.inner.puzzle_emb.weights' buffer (SparseSignSGD)
 *   const head = new ACTLossHead(model);                 // src/losses/act-loss-head.ts
 *   let carry = model.initialCarry(batchSize);            // all rows halted: the first batch fills every row
 *   // training: forward + backward of lossSum / globalBatchSize, gradients left in p.grad
 *   const r = head.trainStep(carry, batch, { globalBatchSize });
 *   carry = r.carry;  adam.step(lr);  sgd.step(pzLr, r.puzzleEmbGrad, r.puzzleEmbIds);  adam.zeroGrad();
 *   // evaluation: one segment, no gradient; repeat until r.allHalted (halt_max_steps segments)
 *   const e = head.evalStep(carry, batch);
 *   // lower level: head.forward(carry, batch, {training}) returns lossSum as a Tensor with its graph
 *   // (model.forward the segment's outputs alone); call it inside tidy() and run backward() in the same tidy.
 * Optimizers: new AdamATan2(model.parameters(), {betas, weightDecay}) (src/optim/adam-atan2.ts),
 * new SparseSignSGD(model.puzzleEmb, puzzleEmbWeightDecay) (src/optim/sign-sgd.ts), lrAt (schedule.ts).
 * Checkpoints: stateDict/loadStateDict (state-dict.ts), adam.state()/loadState(), and the exploration
 * stream model.random.getState()/setState().
 * A batch is { inputs, labels, puzzle_identifiers }: Int32Arrays of B*seq_len, B*seq_len (-100 = ignore)
 * and B values. A carry is consumed by the step that takes it (its tensors are disposed); use the
 * returned one. Metrics are sums over rows with the reference's names (see act-loss-head.ts).
 */
import type { Rng } from '../../util/random.js';
import { ACTModel, type ACTCarry } from '../shared/act.js';
import type { HRMConfig } from './config.js';
import { HRMInner } from './inner.js';

// The carry, outputs, halting and the ACT step are shared with the other recursive models
// (src/models/shared/act.ts); these names stay for HRM's callers.
export { decideHalting, type Batch } from '../shared/act.js';
export type HRMCarry = ACTCarry;

export class HRM extends ACTModel<HRMConfig, HRMInner> {
  constructor(config: HRMConfig, rng: Rng) {
    super('HRM', config, new HRMInner(config, rng), rng);
  }
}
