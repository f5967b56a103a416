/**
 * Evaluation over the test split, as the reference's `evaluate`: every batch starts from a fresh carry
 * and runs segments until all rows have halted (halt_max_steps segments: no early halting outside
 * training); the metrics of that final segment are summed per set and divided by the set's count.
 * Optionally collects the outputs named in eval_save_outputs (from that final segment) for later
 * voting (ARC). On ARC datasets it also votes over the augmented copies (src/arc/voting.ts) and adds
 * the `ARC` set (pass@K under both rules) to the metrics.
 */
import type { PuzzleDataset } from '../data/loader.js';
import type { ReasoningModel } from '../models/registry.js';
import { ACTLossHead, type ACTOutputs as HRMOutputs } from '../losses/act-loss-head.js';
import type { Tensors } from './checkpoint.js';
import { ArcVoter, passAtK, scoreMetrics, type TaskVotes } from '../arc/voting.js';
import { arcIdentifiersFor } from '../arc/detect.js';

export interface EvalResult {
  /** per set: metric -> value (X / count) */
  sets: Record<string, Record<string, number>>;
  /** concatenated outputs (only when asked for), e.g. logits [examples, seq_len, vocab] */
  outputs: Tensors | null;
  seconds: number;
  /** ARC datasets: the voted candidates per task and test input */
  arc?: TaskVotes[];
}

export interface EvaluateOptions {
  /** ARC voting: the dataset's identifiers, null for none; by default detected from the dataset */
  arcIdentifiers?: string[] | null;
}

export function evaluate(model: ReasoningModel, loader: PuzzleDataset, saveOutputs: string[], onBatch?: (done: number) => void, options: EvaluateOptions = {}): EvalResult {
  const run = evaluation(model, loader, saveOutputs, onBatch, options);
  for (;;) {
    const r = run.next();
    if (r.done) return r.value;
  }
}

/** evaluate, awaiting `between()` after each batch (the trainer lets a Ctrl-C in there). */
export async function evaluateAsync(
  model: ReasoningModel, loader: PuzzleDataset, saveOutputs: string[], between: () => Promise<void>, options: EvaluateOptions = {},
): Promise<EvalResult> {
  const run = evaluation(model, loader, saveOutputs, undefined, options);
  try {
    for (;;) {
      const r = run.next();
      if (r.done) return r.value;
      await between();
    }
  } finally {
    run.return(undefined as never);
  }
}

/** The evaluation, pausing after each batch. */
function* evaluation(model: ReasoningModel, loader: PuzzleDataset, saveOutputs: string[], onBatch?: (done: number) => void, options: EvaluateOptions = {}): Generator<void, EvalResult> {
  const t0 = Date.now();
  const arcIds = options.arcIdentifiers === undefined ? arcIdentifiersFor(loader.opts.dataPath) : options.arcIdentifiers;
  const voter = arcIds ? new ArcVoter(arcIds, model.config.seq_len) : null;
  const { seq_len: T, vocab_size: V } = model.config;
  const B = loader.opts.globalBatchSize;
  const sums: Record<string, Record<string, number>> = {};
  const chunks = new Map<string, (Float32Array | Int32Array)[]>();
  let batches = 0;
  const head = new ACTLossHead(model);
  for (const { setName, batch } of loader.iterate()) {
    let carry = model.initialCarry(B);
    for (;;) {
      const r = head.evalStep(carry, batch, { logits: saveOutputs.includes('logits') });
      carry = r.carry;
      if (!r.allHalted) continue;
      const s = (sums[setName] ??= {});
      for (const [k, v] of Object.entries(r.metrics)) s[k] = (s[k] ?? 0) + v;
      voter?.add(batch.puzzle_identifiers, batch.inputs, r.outputs.preds, r.outputs.q_halt_logits, batch.labels);
      for (const key of saveOutputs) {
        const src = key in batch ? batch[key as keyof typeof batch] : r.outputs[key as keyof HRMOutputs];
        if (src) (chunks.get(key) ?? chunks.set(key, []).get(key)!).push(src.slice());
      }
      break;
    }
    model.disposeCarry(carry);
    batches++;
    onBatch?.(batches);
    yield;
  }
  const sets: Record<string, Record<string, number>> = {};
  for (const [name, m] of Object.entries(sums)) {
    const count = m.count ?? 0;
    sets[name] = {};
    // As the reference: everything, losses included, divided by the number of valid rows.
    for (const [k, v] of Object.entries(m)) if (k !== 'count') sets[name][k] = v / count;
  }
  const arc = voter?.result();
  if (arc) sets.ARC = scoreMetrics(passAtK(arc));
  let outputs: Tensors | null = null;
  if (chunks.size) {
    outputs = new Map();
    const rows = batches * B;
    const trailing: Record<string, number[]> = { inputs: [T], labels: [T], preds: [T], logits: [T, V] };
    for (const [k, parts] of chunks) {
      const n = parts.reduce((s, c) => s + c.length, 0);
      const out = parts[0] instanceof Int32Array ? new Int32Array(n) : new Float32Array(n);
      let off = 0;
      for (const c of parts) {
        out.set(c, off);
        off += c.length;
      }
      outputs.set(k, { data: out, shape: [rows, ...(trailing[k] ?? [])] });
    }
  }
  return { sets, outputs, seconds: (Date.now() - t0) / 1000, ...(arc ? { arc } : {}) };
}
