/**
 * What the training-step benchmarks share: a random batch and one training step as the trainer runs it
 * (src/train/loop.ts): the loss head's step with the logits left on the device, AdamATan2, SignSGD on
 * the puzzle rows, optionally the EMA.
 */
import type { Batch } from '../src/models/shared/act.js';
import type { ReasoningModel } from '../src/models/registry.js';
import { ACTLossHead } from '../src/losses/act-loss-head.js';
import { AdamATan2 } from '../src/optim/adam-atan2.js';
import { EMA } from '../src/optim/ema.js';
import { SparseSignSGD } from '../src/optim/sign-sgd.js';
import type { Rng } from '../src/util/random.js';

export interface BatchShape {
  batch_size: number;
  seq_len: number;
  vocab_size: number;
  num_puzzle_identifiers: number;
}

/** Random tokens, labels (30% ignored) and, with more than one identifier, random puzzle ids. */
export function randomBatch(c: BatchShape, rng: Rng): Batch {
  const n = c.batch_size * c.seq_len;
  const inputs = new Int32Array(n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    inputs[i] = rng.int(c.vocab_size);
    labels[i] = rng.random() < 0.3 ? -100 : 1 + rng.int(c.vocab_size - 1);
  }
  const puzzle_identifiers = new Int32Array(c.batch_size);
  if (c.num_puzzle_identifiers > 1) for (let b = 0; b < c.batch_size; b++) puzzle_identifiers[b] = rng.int(c.num_puzzle_identifiers);
  return { inputs, labels, puzzle_identifiers };
}

/** One training step of `model` on a fresh random batch per call; `dispose` frees the carry and optimizer state. */
export function trainingStep(
  model: ReasoningModel,
  shape: BatchShape,
  rng: Rng,
  opts: { lr: number; puzzleLr: number; ema?: boolean },
): { step: () => void; dispose: () => void } {
  const adam = new AdamATan2(model.parameters(), { betas: [0.9, 0.95], weightDecay: 0.1 });
  const sgd = model.puzzleEmb ? new SparseSignSGD(model.puzzleEmb, 0.1) : null;
  const ema = opts.ema ? new EMA(model.parameters(), 0.999) : null;
  const head = new ACTLossHead(model);
  let carry = model.initialCarry(shape.batch_size);
  return {
    step: () => {
      const r = head.trainStep(carry, randomBatch(shape, rng), { globalBatchSize: shape.batch_size, logits: false });
      carry = r.carry;
      adam.step(opts.lr);
      sgd?.step(opts.puzzleLr, r.puzzleEmbGrad, r.puzzleEmbIds);
      adam.zeroGrad();
      ema?.update();
    },
    dispose: () => {
      model.disposeCarry(carry);
      ema?.dispose();
      adam.dispose();
    },
  };
}
