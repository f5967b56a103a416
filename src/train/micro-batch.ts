/**
 * Gradient accumulation: one optimizer step over a global batch run as micro-batches of rows.
 *
 * The ACT loss is a sum over rows divided by global_batch_size, and every row's carry evolves on its
 * own, so running rows [s, e) at a time and letting the gradients add up in `.grad` gives the whole
 * batch's gradients up to float32 summation order. The carry stays one object of the global batch's
 * rows (resume points do not change): each micro-batch runs on its rows (views), and the new rows are
 * joined again. The puzzle-embedding rows' gradients and ids are concatenated in row order, so
 * SignSGD sums equal ids in the same order as the whole batch. Caveats: with
 * halt_exploration_prob > 0, exploration draws its random numbers per micro-batch, so the same
 * distribution but not the same draws as the whole batch; with forward_dtype bfloat16 the partial
 * sums are rounded to bf16 at other places, so the agreement is bf16's (test/train/micro-batch.test.ts).
 */
import { totalmem } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { concat, getBackend, narrow, noGrad, tidy, type Tensor } from '../engine/index.js';
import type { Batch } from '../data/loader.js';
import type { ACTLossHead } from '../losses/act-loss-head.js';
import type { ACTCarry } from '../models/shared/act.js';

export interface AccumulatedStep {
  carry: ACTCarry;
  loss: number;
  metrics: Record<string, number>;
  puzzleEmbGrad: Tensor | null;
  puzzleEmbIds: Int32Array;
}

/** Row ranges [start, end) of at most `micro` rows covering `rows`. */
export function microRanges(rows: number, micro: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < rows; s += micro) out.push([s, Math.min(rows, s + micro)]);
  return out;
}

function batchRows(b: Batch, s: number, e: number): Batch {
  const S = b.inputs.length / b.puzzle_identifiers.length;
  return {
    inputs: b.inputs.subarray(s * S, e * S),
    labels: b.labels.subarray(s * S, e * S),
    puzzle_identifiers: b.puzzle_identifiers.subarray(s, e),
  };
}

function carryRows(c: ACTCarry, s: number, e: number): ACTCarry {
  return {
    zH: narrow(c.zH, 0, s, e - s),
    zL: narrow(c.zL, 0, s, e - s),
    steps: c.steps.slice(s, e),
    halted: c.halted.slice(s, e),
    data: batchRows(c.data, s, e),
  };
}

function joinInt<T extends Int32Array | Uint8Array>(parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function joinCarries(parts: ACTCarry[]): ACTCarry {
  return noGrad(() => ({
    zH: concat(parts.map((p) => p.zH), 0).keep(),
    zL: concat(parts.map((p) => p.zL), 0).keep(),
    steps: joinInt(parts.map((p) => p.steps), (n) => new Int32Array(n)),
    halted: joinInt(parts.map((p) => p.halted), (n) => new Uint8Array(n)),
    data: {
      inputs: joinInt(parts.map((p) => p.data.inputs), (n) => new Int32Array(n)),
      labels: joinInt(parts.map((p) => p.data.labels), (n) => new Int32Array(n)),
      puzzle_identifiers: joinInt(parts.map((p) => p.data.puzzle_identifiers), (n) => new Int32Array(n)),
    },
  }));
}

/**
 * One training step's forward and backward over `batch` in micro-batches of at most `micro` rows
 * (micro >= the batch's rows: exactly head.trainStep). Gradients accumulate into `.grad`; the caller
 * steps the optimizers once. The old carry is consumed.
 */
export function accumulatedStep(head: ACTLossHead, carry: ACTCarry, batch: Batch, globalBatchSize: number, micro: number): AccumulatedStep {
  const rows = batch.puzzle_identifiers.length;
  if (micro >= rows) {
    const r = head.trainStep(carry, batch, { globalBatchSize, logits: false });
    return { carry: r.carry, loss: r.loss, metrics: r.metrics, puzzleEmbGrad: r.puzzleEmbGrad, puzzleEmbIds: r.puzzleEmbIds };
  }
  const carries: ACTCarry[] = [];
  const grads: Tensor[] = [];
  const ids: Int32Array[] = [];
  const metrics: Record<string, number> = {};
  let loss = 0;
  const ranges = microRanges(rows, micro);
  // The pool keeps freed blocks by exact size: a last micro-batch of other rows would allocate a second
  // set of every activation beside the cached first (measured: 21 GB held where 16.5 GB was planned, TRM's
  // README line at 161 rows a micro-batch). Give the cached blocks back before it and after it.
  const uneven = ranges.length > 1 && ranges[ranges.length - 1][1] - ranges[ranges.length - 1][0] !== ranges[0][1] - ranges[0][0];
  try {
    for (const [i, [s, e]] of ranges.entries()) {
      if (uneven && i === ranges.length - 1) getBackend().trim();
      const r = head.trainStep(carryRows(carry, s, e), batchRows(batch, s, e), { globalBatchSize, logits: false });
      carries.push(r.carry);
      if (r.puzzleEmbGrad) grads.push(r.puzzleEmbGrad);
      ids.push(r.puzzleEmbIds);
      loss += r.loss;
      for (const [k, v] of Object.entries(r.metrics)) metrics[k] = (metrics[k] ?? 0) + v;
    }
    const joined = joinCarries(carries);
    const puzzleEmbGrad = grads.length > 0 ? tidy(() => concat(grads, 0).keep()) : null;
    return { carry: joined, loss, metrics, puzzleEmbGrad, puzzleEmbIds: joinInt(ids, (n) => new Int32Array(n)) };
  } finally {
    for (const c of carries) {
      c.zH.dispose();
      c.zL.dispose();
    }
    for (const g of grads) g.dispose();
    carry.zH.dispose();
    carry.zL.dispose();
    if (uneven) getBackend().trim();
  }
}

/** The memory a run may use: the machine's (or its cgroup's, when smaller) total, less a margin. */
export function memoryBudgetBytes(): number {
  let limit = totalmem();
  for (const f of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      if (!existsSync(f)) continue;
      const v = Number(readFileSync(f, 'utf8').trim());
      if (Number.isFinite(v) && v > 0 && v < limit) limit = v;
    } catch {
      // unreadable: keep the machine's total
    }
  }
  return 0.7 * limit;
}

/**
 * The automatic micro-batch size: the whole batch when its step fits the memory budget, else the fewest
 * micro-batches of rows that do, split as evenly as they go, from the measured memory of a probe step (`probe(rows)` returns the bytes that step
 * held at its peak beyond what was in use before it).
 */
export function chooseMicroBatch(globalRows: number, probe: (rows: number) => number, budget: number, inUse: number): { micro: number; perRow: number } {
  const rows = Math.min(globalRows, 2);
  const perRow = probe(rows) / rows;
  if (!(perRow > 0)) return { micro: globalRows, perRow: 0 };
  const fit = Math.max(1, Math.min(globalRows, Math.floor((budget - inUse) / perRow)));
  // as even as the fit allows (768 rows at most 161 a time: 154 x 4 + 152, not 161 x 4 + 124), so that
  // the last micro-batch is not a small one
  const parts = Math.ceil(globalRows / fit);
  return { micro: Math.ceil(globalRows / parts), perRow };
}

/** Peak pool bytes of fn beyond what was held before it. */
export function peakBytesOf(fn: () => void): number {
  const be = getBackend();
  be.resetPeak();
  const base = be.stats().peakBytes;
  fn();
  return Math.max(0, be.stats().peakBytes - base);
}
