/**
 * The ACT wrapper shared by every recursive model (HRM, TRM, the transformer baseline): the carry
 * (latent state, step counts, halting flags, the rows' own data), the reset of halted rows from the
 * model's initial states, halting by the Q values with exploration in training, all halt_max_steps
 * segments in evaluation and the Q target from a second forward pass (unless no_ACT_continue)
 * (REFERENCE.md section 2; TRM's ACT wrapper is the same with no_ACT_continue). It returns outputs, not
 * a loss: the loss head wraps the model, as the reference's ACTLossHead(model) does
 * (src/losses/act-loss-head.ts), and inference is the same segment without the head.
 *
 * A model is an inner network (`RecurrentInner`: one segment from a carry) wrapped by `ACTModel`.
 * Usage (the trainer, evaluator and tests):
 *   const head = new ACTLossHead(model);                   // loss type: the model's arch.loss.loss_type
 *   let carry = model.initialCarry(batchSize);            // all rows halted: the first batch fills every row
 *   const r = head.trainStep(carry, batch, { globalBatchSize });   // forward + backward, grads in p.grad
 *   carry = r.carry;  adam.step(lr);  sgd.step(pzLr, r.puzzleEmbGrad, r.puzzleEmbIds);  adam.zeroGrad();
 *   const e = head.evalStep(carry, batch);                 // one segment, no gradient
 * A carry is consumed by the step that takes it (its tensors are disposed); use the returned one.
 */
import { maximum, noGrad, repeatRows, reshape, sigmoid64, tensor, tidy, toDType, where, zeros, type ComputeDType, type Tensor } from '../../engine/index.js';
import type { Batch } from '../../data/loader.js';
import type { Rng } from '../../util/random.js';

/** One batch as the loader yields it (src/data/loader.ts) */
export type { Batch };

export interface ACTCarry {
  /** [B, S, hidden], no gradient */
  zH: Tensor;
  /** [B, S, hidden] ([B, 0] for a model with one latent) */
  zL: Tensor;
  steps: Int32Array;
  /** 1 = halted */
  halted: Uint8Array;
  /** the rows each carry row is working on */
  data: Batch;
}

/** One ACT segment's result: the new carry and the outputs (the loss head turns them into a loss). */
export interface ACTSegment {
  carry: ACTCarry;
  /** [B, seq_len, vocab], with its graph when training */
  logits: Tensor;
  /** [B] each, with their graph when training */
  qHalt: Tensor;
  qContinue: Tensor;
  /** host copies of the Q values (halting needs them) */
  qHaltHost: Float32Array;
  qContinueHost: Float32Array;
  /** training only (null with no_ACT_continue or in evaluation): sigmoid of the next segment's Q, [B] */
  targetQContinue: Tensor | null;
  allHalted: boolean;
  /** training with a puzzle embedding: the [B, ndim] leaf that gets the rows' gradient */
  puzzleLocal: Tensor | null;
}

export type StateKind = 'parameter' | 'buffer';

/** What one segment of an inner network returns. */
export interface InnerOutput {
  /** the new carry, detached */
  zH: Tensor;
  zL: Tensor;
  /** [B, T, vocab] ([B, T, 0] when not wanted) */
  logits: Tensor;
  /** [B] */
  qHalt: Tensor;
  qContinue: Tensor;
  puzzleLocal: Tensor | null;
}

export interface SegmentData {
  inputs: Int32Array; // [B * T]
  puzzle_identifiers: Int32Array; // [B]
}

/** An inner network: one segment from (zH, zL), and its state. */
export interface RecurrentInner {
  /** sequence length inside the model (seq_len + puzzle-embedding positions) */
  readonly S: number;
  readonly HInit: Tensor;
  /** the compute dtype (absent: float32) */
  readonly dtype?: ComputeDType;
  /** null: the model carries one latent (zL is [B, 0]) */
  readonly LInit: Tensor | null;
  readonly puzzleEmb: Tensor | null;
  readonly entries: { name: string; tensor: Tensor; kind: StateKind }[];
  parameters(): [string, Tensor][];
  dispose(): void;
  /** One segment; with `grad` false nothing records. Returns the detached new carry, logits and Q values. */
  forward(zH0: Tensor, zL0: Tensor, data: SegmentData, training: boolean, grad: boolean, wantLogits?: boolean): InnerOutput;
}

/** The language-model losses the reference offers: `arch.loss.loss_type`, an architecture key there too. */
export const LOSS_TYPES = ['stablemax_cross_entropy', 'softmax_cross_entropy'] as const;
export type LossType = (typeof LOSS_TYPES)[number];

/** The ACT keys every model has. */
export interface ACTConfig {
  batch_size: number;
  seq_len: number;
  vocab_size: number;
  num_puzzle_identifiers: number;
  hidden_size: number;
  halt_max_steps: number;
  halt_exploration_prob: number;
  loss_type: LossType;
  /** TRM: halt when q_halt > 0, no Q-continue target (HRM: q_halt > q_continue) */
  no_ACT_continue?: boolean;
}

/**
 * Halting after a segment (REFERENCE.md section 2, step 3), given the rows' new step counts: a row halts
 * at halt_max_steps; in training (halt_max_steps > 1) also when q_halt > q_continue, unless exploration
 * (probability `explorationProb` per row, drawn afresh every segment) set a minimum step count uniform in
 * [2, halt_max_steps] that the row has not reached. Returns the flags and the drawn minimums (0 = none).
 * (no_ACT_continue passes zeros as qContinue: q_halt > 0.)
 */
export function decideHalting(
  steps: Int32Array,
  qHalt: Float32Array,
  qContinue: Float32Array,
  opts: { training: boolean; maxSteps: number; explorationProb: number; rng: Rng },
): { halted: Uint8Array; minSteps: Int32Array } {
  const B = steps.length;
  const halted = new Uint8Array(B);
  const minSteps = new Int32Array(B);
  for (let b = 0; b < B; b++) halted[b] = steps[b] >= opts.maxSteps ? 1 : 0;
  if (opts.training && opts.maxSteps > 1) {
    for (let b = 0; b < B; b++) {
      if (qHalt[b] > qContinue[b]) halted[b] = 1;
      if (opts.explorationProb > 0 && opts.rng.random() < opts.explorationProb) minSteps[b] = opts.rng.intRange(2, opts.maxSteps);
      if (steps[b] < minSteps[b]) halted[b] = 0;
    }
  }
  return { halted, minSteps };
}

/**
 * H_init or L_init ([hidden]) on every position of B rows, [B, S, hidden], made on the device: at the
 * reference's size a host-side tile would be two fresh 129 MB arrays a step. They are bf16 in a bf16
 * model (also when loaded from a float32 checkpoint).
 */
export function tileInit(inner: RecurrentInner, v: Tensor, B: number): Tensor {
  const [S, D] = [inner.S, v.size];
  // tidy: the un-reshaped (and, for bf16, un-rounded) handles are let go; the view keeps the storage
  return tidy(() => reshape(toDType(repeatRows(v, B * S), inner.dtype ?? 'float32'), [B, S, D]));
}

export class ACTModel<C extends ACTConfig, I extends RecurrentInner> {
  /** for error messages ('HRM', 'TRM', ...) */
  readonly modelName: string;
  readonly config: C;
  readonly inner: I;
  private rng: Rng;

  constructor(modelName: string, config: C, inner: I, rng: Rng) {
    this.modelName = modelName;
    this.config = config;
    this.rng = rng;
    this.inner = inner;
  }

  parameters(): [string, Tensor][] {
    return this.inner.parameters();
  }

  /** Every persistent tensor (parameters and buffers) with its reference state-dict name. */
  namedState(): { name: string; tensor: Tensor; kind: StateKind }[] {
    return this.inner.entries;
  }

  get puzzleEmb(): Tensor | null {
    return this.inner.puzzleEmb;
  }

  /** The random stream used for halting exploration (its state belongs in a checkpoint). */
  get random(): Rng {
    return this.rng;
  }

  private latentL(batchSize: number): Tensor {
    return this.inner.LInit ? zeros([batchSize, this.inner.S, this.config.hidden_size]) : zeros([batchSize, 0]);
  }

  initialCarry(batchSize: number): ACTCarry {
    const { S } = this.inner;
    const D = this.config.hidden_size;
    const T = this.config.seq_len;
    return {
      zH: zeros([batchSize, S, D]).keep(),
      zL: this.latentL(batchSize).keep(),
      steps: new Int32Array(batchSize),
      halted: new Uint8Array(batchSize).fill(1),
      data: {
        inputs: new Int32Array(batchSize * T),
        labels: new Int32Array(batchSize * T),
        puzzle_identifiers: new Int32Array(batchSize),
      },
    };
  }

  /** Frees the model's tensors (parameters, buffers, RoPE tables). */
  dispose(): void {
    this.inner.dispose();
  }

  /** Frees a carry's tensors (when a run ends). */
  disposeCarry(carry: ACTCarry): void {
    carry.zH.dispose();
    carry.zL.dispose();
  }

  private checkBatch(carry: ACTCarry, batch: Batch): void {
    const B = carry.steps.length;
    const T = this.config.seq_len;
    const who = this.modelName;
    if (batch.inputs.length !== B * T || batch.labels.length !== B * T || batch.puzzle_identifiers.length !== B) {
      throw new Error(
        `${who}: batch has ${batch.inputs.length} inputs, ${batch.labels.length} labels, ${batch.puzzle_identifiers.length} ids; ` +
          `the carry expects batch ${B} x seq_len ${T}`,
      );
    }
    const nIds = this.config.num_puzzle_identifiers;
    for (const id of batch.puzzle_identifiers) {
      if (id < 0 || id >= nIds) throw new Error(`${who}: puzzle identifier ${id} outside [0, ${nIds})`);
    }
  }

  /**
   * One ACT segment on `batch`. Call inside tidy(); with training the returned outputs carry the graph.
   * The input carry's tensors are disposed.
   */
  forward(carry: ACTCarry, batch: Batch, opts: { training: boolean }): ACTSegment {
    this.checkBatch(carry, batch);
    const c = this.config;
    const B = carry.steps.length;
    const T = c.seq_len;

    // 1. Reset halted rows: fresh state from H_init/L_init, step 0, the new batch's data.
    let nHalted = 0;
    for (let b = 0; b < B; b++) nHalted += carry.halted[b] ? 1 : 0;
    const tile = (v: Tensor): Tensor => tileInit(this.inner, v, B);
    const LInit = this.inner.LInit;
    let zH0: Tensor;
    let zL0: Tensor;
    if (nHalted === 0) {
      [zH0, zL0] = [carry.zH.detach(), carry.zL.detach()];
    } else if (nHalted === B) {
      [zH0, zL0] = [tile(this.inner.HInit), LInit ? tile(LInit) : zeros([B, 0])];
    } else {
      const haltedT = tensor(carry.halted, [B], 'int32');
      [zH0, zL0] = noGrad(() => [
        where(haltedT, tile(this.inner.HInit), carry.zH),
        LInit ? where(haltedT, tile(LInit), carry.zL) : zeros([B, 0]),
      ]);
    }
    this.disposeCarry(carry);
    const steps = new Int32Array(B);
    const data: Batch = {
      inputs: new Int32Array(B * T),
      labels: new Int32Array(B * T),
      puzzle_identifiers: new Int32Array(B),
    };
    for (let b = 0; b < B; b++) {
      const src = carry.halted[b] ? batch : carry.data;
      steps[b] = carry.halted[b] ? 0 : carry.steps[b];
      data.inputs.set(src.inputs.subarray(b * T, (b + 1) * T), b * T);
      data.labels.set(src.labels.subarray(b * T, (b + 1) * T), b * T);
      data.puzzle_identifiers[b] = src.puzzle_identifiers[b];
    }

    // 2. One segment.
    const out = this.inner.forward(zH0, zL0, data, opts.training, opts.training);
    const qHalt = out.qHalt.toFloat32Array();
    const qCont = out.qContinue.toFloat32Array();

    // 3. Steps and halting.
    const maxSteps = c.halt_max_steps;
    const noContinue = c.no_ACT_continue === true;
    for (let b = 0; b < B; b++) steps[b] += 1;
    const { halted } = decideHalting(steps, qHalt, noContinue ? new Float32Array(B) : qCont, {
      training: opts.training,
      maxSteps,
      explorationProb: c.halt_exploration_prob,
      rng: this.rng,
    });
    let target: Tensor | null = null;
    if (opts.training && maxSteps > 1 && !noContinue) {
      // The Q target: sigmoid of the next segment's Q values from the new carry (no gradient), Q-halt
      // alone on a row's last step. On the device: only the rows' last-step flags go up.
      target = noGrad(() =>
        tidy(() => {
          const next = this.inner.forward(out.zH, out.zL, data, false, false, false);
          const last = Int32Array.from(steps, (s) => (s >= maxSteps ? 1 : 0));
          return sigmoid64(where(tensor(last, [B], 'int32'), next.qHalt, maximum(next.qHalt, next.qContinue)));
        }),
      );
    }

    let allHalted = true;
    for (let b = 0; b < B; b++) if (!halted[b]) allHalted = false;
    return {
      carry: { zH: out.zH.keep(), zL: out.zL.keep(), steps, halted, data },
      logits: out.logits,
      qHalt: out.qHalt,
      qContinue: out.qContinue,
      qHaltHost: qHalt,
      qContinueHost: qCont,
      targetQContinue: target,
      allHalted,
      puzzleLocal: out.puzzleLocal,
    };
  }
}
