/**
 * Inference with a trained model (HRM, TRM, the baseline: any registry model): a batch of puzzles run
 * segment after segment from H_init/L_init with the carry kept across segments, no tape, no Q-target
 * pass, no loss. Every segment is the same inner `forward` call the evaluation path makes (act.ts,
 * evaluation mode), so the logits are the
 * evaluation path's bit for bit; after the first segment every tensor comes from the memory pool
 * (the shapes repeat), so a segment allocates nothing new from the kernels' allocator.
 *
 * Halting (REFERENCE.md section 2):
 *   'all'   (default) every row runs `segments` segments (halt_max_steps unless given), as the
 *           reference's evaluation does;
 *   'q'     a row stops at the first segment where q_halt > q_continue (q_halt > 0 for a model with no
 *           continue head: TRM's no_ACT_continue), at the latest after `segments`; the batch stops when every row has stopped.
 *           A stopped row's answer is its prediction at that segment.
 */
import { argmax, noGrad, tidy, zeros, type Tensor } from '../../engine/index.js';
import { tileInit, type ACTConfig, type ACTModel, type RecurrentInner } from './act.js';
import { UserError } from '../../util/errors.js';

export type HaltMode = 'all' | 'q';

export interface InferenceOptions {
  /** segments to run (with halt 'q': the most); default halt_max_steps */
  segments?: number;
  halt?: HaltMode;
  /** keep each segment's predictions and Q values (the reasoning trace) */
  trace?: boolean;
  /** keep each segment's logits too (tests, evaluation outputs); implies trace */
  logits?: boolean;
  /** halt on q_halt > 0 (no continue head); default: the model's no_ACT_continue */
  noContinueHead?: boolean;
}

export interface SegmentTrace {
  /** [B * seq_len] argmax token ids after this segment */
  preds: Int32Array;
  q_halt: Float32Array;
  q_continue: Float32Array;
  /** [B * seq_len * vocab] when asked for */
  logits: Float32Array | null;
}

export interface InferenceResult {
  /** [B * seq_len] each row's answer (its prediction at the segment it stopped) */
  preds: Int32Array;
  /** segments each row ran before stopping */
  segments: Int32Array;
  /** each row's Q values at the segment it stopped */
  q_halt: Float32Array;
  q_continue: Float32Array;
  /** per segment run, for the whole batch (rows that stopped keep being computed but are not used) */
  trace: SegmentTrace[];
}

export interface InferenceInput {
  /** [B * seq_len] token ids */
  inputs: Int32Array;
  /** [B] puzzle identifiers */
  puzzle_identifiers: Int32Array;
}

/** Runs `model` on a batch; see the file comment for the halting modes. */
export function infer(model: ACTModel<ACTConfig, RecurrentInner>, input: InferenceInput, opts: InferenceOptions = {}): InferenceResult {
  const c = model.config;
  const inner = model.inner;
  const B = input.puzzle_identifiers.length;
  const T = c.seq_len;
  if (B < 1 || input.inputs.length !== B * T) {
    throw new UserError(`infer: ${input.inputs.length} input tokens for ${B} puzzles of seq_len ${T}`);
  }
  for (const id of input.puzzle_identifiers) {
    if (!(id >= 0 && id < c.num_puzzle_identifiers)) throw new UserError(`infer: puzzle identifier ${id} outside [0, ${c.num_puzzle_identifiers})`);
  }
  const V = c.vocab_size;
  for (const t of input.inputs) if (!(t >= 0 && t < V)) throw new UserError(`infer: token ${t} outside the vocabulary [0, ${V})`);
  const maxSegments = opts.segments ?? c.halt_max_steps;
  if (!Number.isInteger(maxSegments) || maxSegments < 1) throw new UserError(`infer: segments must be an integer >= 1, got ${maxSegments}`);
  const halt = opts.halt ?? 'all';
  const keepTrace = opts.trace === true || opts.logits === true;

  // The first segment starts from H_init/L_init on every position, as act.ts builds it.
  const tile = (v: Tensor): Tensor => tileInit(inner, v, B).keep();
  let zH = tile(inner.HInit);
  let zL = inner.LInit ? tile(inner.LInit) : zeros([B, 0]).keep();
  const noContinueHead = opts.noContinueHead ?? c.no_ACT_continue === true;
  const data = { inputs: input.inputs, puzzle_identifiers: input.puzzle_identifiers };
  const preds = new Int32Array(B * T);
  const segments = new Int32Array(B);
  const qHaltOut = new Float32Array(B);
  const qContOut = new Float32Array(B);
  const trace: SegmentTrace[] = [];
  const stopped = new Uint8Array(B);
  let running = B;
  try {
    for (let s = 1; s <= maxSegments && running > 0; s++) {
      const r = noGrad(() =>
        tidy(() => {
          const out = inner.forward(zH, zL, data, false, false, true);
          return {
            zH: out.zH.keep(),
            zL: out.zL.keep(),
            preds: argmax(out.logits).toInt32Array(),
            qh: out.qHalt.toFloat32Array(),
            qc: out.qContinue.toFloat32Array(),
            logits: opts.logits ? out.logits.toFloat32Array() : null,
          };
        }),
      );
      zH.dispose();
      zL.dispose();
      zH = r.zH;
      zL = r.zL;
      if (keepTrace) trace.push({ preds: r.preds, q_halt: r.qh, q_continue: r.qc, logits: r.logits });
      for (let b = 0; b < B; b++) {
        if (stopped[b]) continue;
        segments[b] = s;
        preds.set(r.preds.subarray(b * T, (b + 1) * T), b * T);
        qHaltOut[b] = r.qh[b];
        qContOut[b] = r.qc[b];
        if (s === maxSegments || (halt === 'q' && (noContinueHead ? r.qh[b] > 0 : r.qh[b] > r.qc[b]))) {
          stopped[b] = 1;
          running--;
        }
      }
    }
  } finally {
    zH.dispose();
    zL.dispose();
  }
  return { preds, segments, q_halt: qHaltOut, q_continue: qContOut, trace };
}
