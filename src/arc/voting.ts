/**
 * ARC voting (REFERENCE.md 6, the reference's arc_eval notebook and TRM's ARC evaluator): every row of
 * the test split is one augmented copy of a task's test input, answered by the model. Each row's input
 * and prediction are cropped at the EOS border, mapped back to the task's frame (inverse dihedral, then
 * inverse colour permutation, read from the identifier's name) and hashed; candidates are grouped by
 * task and by (un-augmented) test input and ranked by vote count, then by mean sigmoid(q_halt).
 *
 * The voter is fed batch by batch, so a full evaluation (a million rows) never has to be held at once:
 * per test input it keeps one entry per distinct predicted grid.
 */
import { cropPrediction, parseArcPuzzleName, undoAugmentation } from '../data/arc-grid.js';
import type { Grid } from '../data/builders/arc.js';

/** The K values both rules are reported at. */
export const PASS_KS = [1, 2, 10, 100, 1000] as const;

/** A grid's identity for voting: its shape and cells. */
export function gridKey(g: Grid): string {
  return `${g.h}x${g.w}:${Buffer.from(g.data.buffer, g.data.byteOffset, g.data.length).toString('latin1')}`;
}

export function gridToRows(g: Grid): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < g.h; r++) rows.push(Array.from(g.data.subarray(r * g.w, (r + 1) * g.w)));
  return rows;
}

export function rowsToGrid(rows: number[][]): Grid {
  const h = rows.length;
  const w = h ? rows[0].length : 0;
  const data = new Uint8Array(h * w);
  rows.forEach((row, r) => data.set(row, r * w));
  return { h, w, data };
}

export interface Candidate {
  grid: Grid;
  key: string;
  votes: number;
  /** mean sigmoid(q_halt_logits) over the rows that voted for it */
  meanQ: number;
}

export interface TestInputVotes {
  input: Grid;
  /** the true output in the task's frame (from the rows' labels), when the rows carry labels */
  label: Grid | null;
  /** augmented copies (rows) of this test input; those with an empty crop cast no vote */
  copies: number;
  /** ranked: most votes first, then highest mean halting confidence */
  candidates: Candidate[];
}

export interface TaskVotes {
  task: string;
  /** in the task's order (each test input's position inside its puzzle) */
  tests: TestInputVotes[];
}

interface Pending {
  input: Grid;
  label: Grid | null;
  order: number;
  first: number;
  copies: number;
  cands: Map<string, { grid: Grid; votes: number; qSum: number }>;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Accumulates votes from evaluation rows. */
export class ArcVoter {
  private tasks = new Map<string, Map<string, Pending>>();
  private lastId = -1;
  private posInPuzzle = 0;
  private seen = 0;
  rows = 0;

  /**
   * @param identifiers the dataset's identifiers.json (index = puzzle identifier)
   * @param seqLen tokens per row (900 for ARC)
   * @param blankId the padding rows' identifier (dropped)
   */
  constructor(readonly identifiers: readonly string[], readonly seqLen = 900, readonly blankId = 0) {}

  /**
   * Adds a batch: ids [B], inputs/preds (and labels) [B, seqLen], qHalt [B] (logits). `preds` may
   * instead be logits [B, seqLen, V] (argmax taken) when `vocab` is given.
   */
  add(ids: ArrayLike<number>, inputs: ArrayLike<number>, preds: ArrayLike<number>, qHalt: ArrayLike<number>, labels?: ArrayLike<number> | null, vocab = 0): void {
    const T = this.seqLen;
    const row = new Int32Array(T);
    const view = (a: ArrayLike<number>, b: number): ArrayLike<number> =>
      ArrayBuffer.isView(a) ? (a as unknown as Int32Array).subarray(b * T, (b + 1) * T) : Array.prototype.slice.call(a, b * T, (b + 1) * T);
    for (let b = 0; b < ids.length; b++) {
      const id = ids[b];
      // Rows of one puzzle come one after another, in the task's order of test inputs.
      if (id === this.lastId) this.posInPuzzle++;
      else this.posInPuzzle = 0;
      this.lastId = id;
      if (id === this.blankId) continue;
      const name = this.identifiers[id];
      if (name === undefined) throw new RangeError(`puzzle identifier ${id} is not in identifiers.json (${this.identifiers.length} names)`);
      let predRow: ArrayLike<number>;
      if (vocab > 0) {
        const off = b * T * vocab;
        for (let t = 0; t < T; t++) {
          let best = 0;
          let bv = -Infinity;
          for (let v = 0; v < vocab; v++) {
            const x = preds[off + t * vocab + v];
            if (x > bv) {
              bv = x;
              best = v;
            }
          }
          row[t] = best;
        }
        predRow = row;
      } else predRow = view(preds, b);
      this.addRow(name, view(inputs, b), predRow, qHalt[b], labels ? view(labels, b) : null, this.posInPuzzle);
    }
  }

  /** One row: its puzzle name, 900 input tokens, 900 predicted tokens, q_halt logit. */
  addRow(name: string, input: ArrayLike<number>, pred: ArrayLike<number>, qHaltLogit: number, label: ArrayLike<number> | null, order = 0): void {
    this.rows++;
    const { task, aug } = parseArcPuzzleName(name);
    const inp = undoAugmentation(cropPrediction(input), aug);
    const ik = gridKey(inp);
    let byInput = this.tasks.get(task);
    if (!byInput) this.tasks.set(task, (byInput = new Map()));
    let p = byInput.get(ik);
    if (!p) {
      p = { input: inp, label: null, order, first: this.seen++, copies: 0, cands: new Map() };
      byInput.set(ik, p);
    }
    p.copies++;
    if (label && !p.label) {
      const l = undoAugmentation(cropPrediction(label), aug);
      if (l.h > 0) p.label = l;
    }
    const pred0 = cropPrediction(pred);
    // An empty crop (EOS or PAD in the top-left cell) is no ARC grid; it cannot be right, and a
    // submission needs a grid, so it is not a candidate (the reference's crop fails on it).
    if (pred0.h === 0 || pred0.w === 0) return;
    const g = undoAugmentation(pred0, aug);
    const k = gridKey(g);
    const c = p.cands.get(k);
    const q = sigmoid(qHaltLogit);
    if (c) {
      c.votes++;
      c.qSum += q;
    } else p.cands.set(k, { grid: g, votes: 1, qSum: q });
  }

  /** The ranked candidates of every task (tasks in order of first appearance). */
  result(): TaskVotes[] {
    const out: TaskVotes[] = [];
    for (const [task, byInput] of this.tasks) {
      const tests = [...byInput.values()]
        .sort((a, b) => a.order - b.order || a.first - b.first)
        .map((p) => ({ input: p.input, label: p.label, copies: p.copies, candidates: rankCandidates(p.cands) }));
      out.push({ task, tests });
    }
    return out;
  }
}

/** Most votes first, then the highest mean sigmoid(q_halt) (the reference sorts (count, mean q) descending). */
export function rankCandidates(cands: Map<string, { grid: Grid; votes: number; qSum: number }>): Candidate[] {
  return [...cands.entries()]
    .map(([key, c]) => ({ grid: c.grid, key, votes: c.votes, meanQ: c.qSum / c.votes }))
    .sort((a, b) => b.votes - a.votes || b.meanQ - a.meanQ);
}

export interface ArcScores {
  /** TRM's / the ARC Prize's rule: a task scores the fraction of its test inputs right */
  official: Record<number, number>;
  /** the reference notebook's rule: a task counts only when all of its test inputs are right */
  allTests: Record<number, number>;
  tasks: number;
}

/** Whether test input `t` is right within the top K; `solution` overrides the rows' label. */
export function rightAtK(t: TestInputVotes, k: number, solution: Grid | null = t.label): boolean {
  if (!solution) return false;
  const key = gridKey(solution);
  return t.candidates.slice(0, k).some((c) => c.key === key);
}

/** pass@K under both rules, over the voted tasks (labels from the rows). */
export function passAtK(tasks: TaskVotes[], ks: readonly number[] = PASS_KS): ArcScores {
  const official: Record<number, number> = {};
  const allTests: Record<number, number> = {};
  for (const k of ks) {
    let frac = 0;
    let all = 0;
    for (const tv of tasks) {
      const right = tv.tests.filter((t) => rightAtK(t, k)).length;
      frac += right / tv.tests.length;
      if (right === tv.tests.length) all++;
    }
    official[k] = tasks.length ? frac / tasks.length : 0;
    allTests[k] = tasks.length ? all / tasks.length : 0;
  }
  return { official, allTests, tasks: tasks.length };
}

/** The metrics logged as ARC/<key> at an evaluation. */
export function scoreMetrics(s: ArcScores): Record<string, number> {
  const m: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.official)) m[`pass@${k}`] = v;
  for (const [k, v] of Object.entries(s.allTests)) m[`all_tests_pass@${k}`] = v;
  return m;
}
