/**
 * The ACT loss head (REFERENCE.md section 3), which wraps a model as the reference's ACTLossHead(model)
 * does: the language-model loss per row divided by the row's label count, the Q-halt BCE against "the
 * whole sequence is right", the Q-continue BCE against the bootstrapped target, and the metrics as sums
 * over rows, with the reference's names. `ACTLossHead` runs the model's segment and adds the loss; its
 * trainStep and evalStep are what the trainer and evaluator call.
 *
 * The predictions are the argmax kernel's on the device; the metrics are computed on the host from them
 * and the labels (B x seq_len integers), with the Q values the model already copied. The logits come to
 * the host only when a caller keeps them (evaluation outputs, tests). The loss is built from engine ops
 * so it carries gradient.
 */
import {
  add,
  argmax,
  backward,
  bceWithLogits,
  mul,
  noGrad,
  reshape,
  scale,
  softmaxCrossEntropy,
  stablemaxCrossEntropy,
  sum,
  tensor,
  tidy,
  zeros,
  type Tensor,
} from '../engine/index.js';
import { IGNORE_LABEL_ID } from '../data/loader.js';
import type { ACTCarry, ACTConfig, ACTModel, Batch, LossType, RecurrentInner } from '../models/shared/act.js';

export type { LossType };
/** labels equal to this are ignored by the loss (the loader maps the dataset's ignore_label_id to it) */
export { IGNORE_LABEL_ID };

export interface LossHeadInput {
  /** [B, seq_len, vocab], with gradient */
  logits: Tensor;
  /** [B] each, with gradient */
  qHaltLogits: Tensor;
  qContinueLogits: Tensor;
  /** [B] sigmoid target for Q-continue (training only), else null */
  targetQContinue: Tensor | null;
  /** [B * seq_len], -100 where ignored */
  labels: Int32Array;
  halted: Uint8Array;
  steps: Int32Array;
  lossType: LossType;
  /** the host copy of qHaltLogits when the caller has one (else it is copied here) */
  qHaltHost?: Float32Array;
  /** copy the logits to the host (default true) */
  keepLogits?: boolean;
}

export interface LossHeadResult {
  /** scalar: lm_loss + 0.5 * (q_halt_loss + q_continue_loss), summed over rows, with gradient */
  lossSum: Tensor;
  /** sums over rows: count, accuracy, exact_accuracy, q_halt_accuracy, steps, lm_loss, q_halt_loss (+ q_continue_loss) */
  metrics: Record<string, number>;
  /** argmax of the logits, [B * seq_len] */
  preds: Int32Array;
  /** the logits copied to the host (detached), [B * seq_len * vocab]; null unless keepLogits */
  logitsHost: Float32Array | null;
}

/** Row-wise pieces of the metrics: label counts, correct predictions, whole rows right. */
export function rowStatistics(preds: Int32Array, labels: Int32Array, B: number, T: number) {
  const counts = new Int32Array(B);
  const correct = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const n = b * T + t;
      const l = labels[n];
      if (l !== IGNORE_LABEL_ID) {
        counts[b]++;
        if (preds[n] === l) correct[b]++;
      }
    }
  }
  const seqCorrect = new Uint8Array(B);
  for (let b = 0; b < B; b++) seqCorrect[b] = correct[b] === counts[b] ? 1 : 0;
  return { counts, correct, seqCorrect };
}

export function actLossHead(inp: LossHeadInput): LossHeadResult {
  const [B, T, V] = inp.logits.shape;
  const logitsHost = inp.keepLogits === false ? null : inp.logits.toFloat32Array();
  // first maximum, a NaN the largest, as torch.argmax
  const preds = tidy(() => argmax(inp.logits.detach()).toInt32Array());
  const { counts, correct, seqCorrect } = rowStatistics(preds, inp.labels, B, T);
  const qHalt = inp.qHaltHost ?? inp.qHaltLogits.toFloat32Array();

  const metrics: Record<string, number> = { count: 0, accuracy: 0, exact_accuracy: 0, q_halt_accuracy: 0, steps: 0 };
  for (let b = 0; b < B; b++) {
    if (!(inp.halted[b] && counts[b] > 0)) continue;
    metrics.count += 1;
    metrics.accuracy += correct[b] / Math.max(counts[b], 1);
    metrics.exact_accuracy += seqCorrect[b];
    metrics.q_halt_accuracy += (qHalt[b] >= 0 ? 1 : 0) === seqCorrect[b] ? 1 : 0;
    metrics.steps += inp.steps[b];
  }

  // Per-position weight 1/divisor of its row: lm_loss = sum(CE * w).
  const w = new Float32Array(B * T);
  for (let b = 0; b < B; b++) w.fill(1 / Math.max(counts[b], 1), b * T, (b + 1) * T);
  const labelsT = tensor(inp.labels, [B * T], 'int32');
  const wT = tensor(w, [B * T]);
  const flat = reshape(inp.logits, [B * T, V]);
  const ce =
    inp.lossType === 'stablemax_cross_entropy'
      ? stablemaxCrossEntropy(flat, labelsT, IGNORE_LABEL_ID)
      : softmaxCrossEntropy(flat, labelsT, IGNORE_LABEL_ID);
  const lmLoss = sum(mul(ce, wT));
  const seqT = tensor(seqCorrect, [B]);
  const qHaltLoss = sum(bceWithLogits(inp.qHaltLogits, seqT));
  let qLosses = qHaltLoss;
  metrics.lm_loss = lmLoss.item();
  metrics.q_halt_loss = qHaltLoss.item();
  if (inp.targetQContinue) {
    const qContLoss = sum(bceWithLogits(inp.qContinueLogits, inp.targetQContinue));
    metrics.q_continue_loss = qContLoss.item();
    qLosses = add(qHaltLoss, qContLoss);
  }
  const lossSum = add(lmLoss, scale(qLosses, 0.5));
  return { lossSum, metrics, preds, logitsHost };
}

export interface ACTOutputs {
  /** [B * seq_len * vocab]; null when the step was asked not to keep them */
  logits: Float32Array | null;
  /** argmax of the logits, [B * seq_len] */
  preds: Int32Array;
  q_halt_logits: Float32Array;
  q_continue_logits: Float32Array;
  /** training only (null with no_ACT_continue); copied to the host only when the logits are */
  target_q_continue: Float32Array | null;
}

export interface ACTForwardResult {
  carry: ACTCarry;
  /** summed loss (scalar) with its graph when training */
  lossSum: Tensor;
  metrics: Record<string, number>;
  outputs: ACTOutputs;
  allHalted: boolean;
  /** training with a puzzle embedding: the [B, ndim] leaf that gets the rows' gradient */
  puzzleLocal: Tensor | null;
}

export interface ACTStepResult {
  carry: ACTCarry;
  /** the summed loss, before dividing by the global batch size */
  loss: number;
  metrics: Record<string, number>;
  outputs: ACTOutputs;
  allHalted: boolean;
  /**
   * gradient of loss/globalBatchSize w.r.t. the batch's puzzle rows, [B, ndim] on the device (null
   * without puzzle embedding); it outlives the step: SparseSignSGD.step disposes it, or the caller does
   */
  puzzleEmbGrad: Tensor | null;
  /** the puzzle ids of those rows (the carry's current data) */
  puzzleEmbIds: Int32Array;
}

/** A recursive model (any ACTModel) with its loss: what training and evaluation run. */
export class ACTLossHead {
  readonly model: ACTModel<ACTConfig, RecurrentInner>;
  readonly lossType: LossType;

  /** `lossType` defaults to the model's `arch.loss.loss_type`. */
  constructor(model: ACTModel<ACTConfig, RecurrentInner>, lossType: LossType = model.config.loss_type) {
    this.model = model;
    this.lossType = lossType;
  }

  /**
   * One ACT segment and its loss on the rows' own labels. Call inside tidy(); with training the
   * returned lossSum carries the graph. The input carry's tensors are disposed.
   */
  forward(carry: ACTCarry, batch: Batch, opts: { training: boolean; logits?: boolean }): ACTForwardResult {
    const seg = this.model.forward(carry, batch, opts);
    const head = actLossHead({
      logits: seg.logits,
      qHaltLogits: seg.qHalt,
      qContinueLogits: seg.qContinue,
      targetQContinue: seg.targetQContinue,
      labels: seg.carry.data.labels,
      halted: seg.carry.halted,
      steps: seg.carry.steps,
      lossType: this.lossType,
      qHaltHost: seg.qHaltHost,
      keepLogits: opts.logits !== false,
    });
    return {
      carry: seg.carry,
      lossSum: head.lossSum,
      metrics: head.metrics,
      outputs: {
        logits: head.logitsHost,
        preds: head.preds,
        q_halt_logits: seg.qHaltHost,
        q_continue_logits: seg.qContinueHost,
        target_q_continue: opts.logits !== false && seg.targetQContinue ? seg.targetQContinue.toFloat32Array() : null,
      },
      allHalted: seg.allHalted,
      puzzleLocal: seg.puzzleLocal,
    };
  }

  /**
   * A training step's forward and backward: gradients of lossSum / globalBatchSize accumulate into
   * the parameters' .grad; the puzzle rows' gradient is returned for SparseSignSGD. `logits: false`
   * leaves the logits on the device (the trainer does not read them).
   */
  trainStep(carry: ACTCarry, batch: Batch, opts: { globalBatchSize: number; logits?: boolean }): ACTStepResult {
    return tidy(() => {
      const r = this.forward(carry, batch, { training: true, logits: opts.logits });
      const loss = r.lossSum.item();
      backward(scale(r.lossSum, 1 / opts.globalBatchSize));
      // No gradient reached the rows: zeros, so that SignSGD still decays them (sign 0), as before.
      const local = r.puzzleLocal;
      const puzzleEmbGrad = local ? (local.grad ? local.grad.detach() : zeros(local.shape, 'float32', local.backend)).keep() : null;
      return {
        carry: r.carry,
        loss,
        metrics: r.metrics,
        outputs: r.outputs,
        allHalted: r.allHalted,
        puzzleEmbGrad,
        puzzleEmbIds: r.carry.data.puzzle_identifiers,
      };
    });
  }

  /** One evaluation segment (no gradient, no early halting); `logits: false` leaves the logits on the device. */
  evalStep(carry: ACTCarry, batch: Batch, opts: { logits?: boolean } = {}): ACTStepResult {
    return noGrad(() =>
      tidy(() => {
        const r = this.forward(carry, batch, { training: false, logits: opts.logits });
        return {
          carry: r.carry,
          loss: r.lossSum.item(),
          metrics: r.metrics,
          outputs: r.outputs,
          allHalted: r.allHalted,
          puzzleEmbGrad: null,
          puzzleEmbIds: r.carry.data.puzzle_identifiers,
        };
      }),
    );
  }
}
