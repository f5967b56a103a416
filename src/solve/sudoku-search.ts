/**
 * Test-time search for Sudoku (`hrm solve sudoku --search`, `solve(..., { search: true })`): a guess
 * tree guided by the model's per-cell confidence and judged by the rules alone (never by a known
 * answer).
 *
 * A node is a board: the clues plus what the search assumed on the way to it, completed by naked and
 * hidden singles (src/solve/sudoku-rules.ts). The model is asked about the board as if it were the
 * puzzle; its final-segment logits, normalised as it was trained (stablemax for the bundled model,
 * whose softmax would call nearly every cell certain), give each blank cell a probability per digit.
 * The children of a board, by the answer about it or (see `reuse`) the answer its parent went on from:
 *   trust    the cells the model is sure of (probability >= `trust`, 0.95 unless given), each kept only
 *            while the rules and singles accept it: the big step, tried first;
 *   guess    the blank cell with the fewest candidates (of those, the one the model is surest of), one
 *            child per candidate digit, so the guesses together cover every solution of the board and
 *            nothing is lost when trust or a guess was wrong.
 * A child the singles prove impossible is dropped at once (backing off); a child they complete is the
 * answer when it breaks no rule and keeps every clue. Open boards wait in a best-first queue ordered
 * by how unlikely their guesses are under the model (sum of -log p; a trusted board costs nothing more
 * than its parent, so it is tried before its siblings) plus `step_cost` per move of depth, so after a
 * wrong turn the search returns to the most probable alternative.
 *
 * A board more than `reuse` moves (trusted sets and guesses) past the last asked board on its way is
 * asked about; a nearer one is expanded at once on that board's answer, for no call: a
 * call costs tens of milliseconds, a move microseconds, and the model's answer about a board a few
 * moves back still orders the guesses. Boards of many puzzles (and up to `width` boards of one puzzle)
 * go through the model as one batch.
 * The puzzle itself is always the first call: its raw answer is the model's own answer, reported
 * beside the search's, and it ends the search when it is already valid.
 */
import { Board, solvesPuzzle } from './sudoku-rules.js';

/**
 * Model calls per puzzle when no budget is given. 1,024: on the first 200 Sudoku-Extreme puzzles the
 * search (3-segment calls) solved 89.5% within 256 calls, 95.0% within 512 and 99.0% within 1,024; the
 * budget costs time only on the puzzles still unsolved, so the median does not move.
 */
export const DEFAULT_SEARCH_CALLS = 1024;

export interface SearchOptions {
  /** the most model calls per puzzle (default DEFAULT_SEARCH_CALLS unless `ms` is given) */
  calls?: number;
  /** the most milliseconds per puzzle: its share of the model's batches plus its own rule work */
  ms?: number;
  /** boards of one puzzle asked in the same batch (default 1) */
  width?: number;
  /** the most boards in one model call (default 32) */
  batch?: number;
  /** a cell's digit is trusted at this probability or above (default 0.95) */
  trust?: number;
  /**
   * what one more move deeper costs in the queue's order, beside -log p of the guesses (default 0.3):
   * a model stays sure of itself on a board that went wrong a few guesses back, so without it the
   * search digs on there (on Sudoku-Extreme rows 1, 5 and 6: 27, 39 and 9 calls at 0; 8, 15 and 6 at 0.3)
   */
  step_cost?: number;
  /**
   * moves (a trusted set of cells or a guess) made on one model answer before the model is asked
   * again (default DEFAULT_SEARCH_REUSE): a child board is expanded on the answer its parent was
   * expanded on (its own trusted cells and its own guess, by that answer's probabilities), without a
   * call of its own, until `reuse` moves separate it from the asked board; 0 asks about every board
   */
  reuse?: number;
}

/** The model's answer about one board. */
export interface ModelView {
  /** [81 * 9] probability of digits 1-9 per cell (normalised over the whole vocabulary) */
  probs: Float32Array;
  /** [81] the digit of the most probable token per cell, 0 where that token is not a digit */
  digits: Uint8Array;
  q_halt?: number;
  q_continue?: number;
}

/**
 * Runs the model once on a batch of boards (81 digits each, 0 blank); `ms` is the batch's wall time.
 * `puzzles`: the boards are the puzzles themselves (each search's first call, the model's own answer),
 * so a caller may spend more on them (all segments) than on the search's later boards.
 */
export type AskModel = (boards: Uint8Array[], puzzles: boolean) => { views: ModelView[]; ms: number };

export type SearchMove = 'puzzle' | 'trust' | 'guess';

/**
 * See SearchOptions.reuse. 8: on tdoku's first 50 hardest puzzles (budget 1,024, one thread beside a
 * training run), with guesses only going on from an earlier answer, reuse 0, 1, 2, 4, 8 gave medians
 * of 76, 43, 17, 10 and 3.5 model calls and 2,940, 2,031, 1,056, 535 and 213 ms per puzzle (98% solved
 * at 0, 100% from 1 on); trusted boards going on too: 3 calls, 216 ms, mean 267 ms against 358 (one
 * Sudoku-Extreme puzzle, row 39, 41 calls against 345). A model call costs ~40 ms there, a move on an
 * earlier answer microseconds.
 */
export const DEFAULT_SEARCH_REUSE = 8;

export interface SearchStep {
  /** the model call whose answer this board came from (0: the puzzle itself) */
  from_call: number;
  /** the call that asked the model about this board (0: never asked; an 'expanded' board went on from from_call's answer) */
  call: number;
  /** the step this board came from (-1 for the puzzle) */
  parent: number;
  move: SearchMove;
  /** what the move assumed: [cell, digit] placed */
  assumed: [number, number][];
  /** what naked and hidden singles then forced */
  forced: [number, number][];
  outcome: 'open' | 'asked' | 'expanded' | 'contradiction' | 'solved';
}

/** How a cell of the answer was fixed. */
export interface FixedCell {
  cell: number;
  digit: number;
  by: 'clue' | 'rules' | 'model';
  /** the model call after which it was fixed (0: before the first answer) */
  call: number;
}

export interface SearchOutcome {
  /** the search found a complete grid that breaks no rule and keeps every clue */
  solved: boolean;
  /** that grid; unsolved: the model's own answer to the puzzle (81 digits, 0 where not a digit) */
  grid: Uint8Array;
  /** the model's own answer to the puzzle (call 1) and whether it was valid */
  model_grid: Uint8Array;
  model_valid: boolean;
  /** the halting head's values at the model's own answer */
  q_halt: number;
  q_continue: number;
  calls: number;
  ms: number;
  /** every board visited, in order */
  steps: SearchStep[];
  /** solved: how each cell of the grid was fixed, in the order it was */
  fixed: FixedCell[];
  /** why an unsolved search stopped */
  stopped?: 'calls' | 'ms' | 'exhausted' | 'clues clash';
}

interface Node {
  board: Board;
  score: number;
  step: number;
  blanks: number;
  /** the answer this board is expanded on without a call of its own (see SearchOptions.reuse) */
  view?: ModelView;
  /** the call that gave `view` */
  viewCall: number;
  /** moves since the board the model was last asked about */
  reused: number;
}

const LOG_FLOOR = 1e-6;

/** One puzzle's search: hands out boards to ask about, takes the model's answers. */
class PuzzleSearch {
  readonly question: Uint8Array;
  readonly steps: SearchStep[] = [];
  private open: Node[] = [];
  /** boards handed out and not yet answered */
  private asking: Node[] = [];
  calls = 0;
  ms = 0;
  done = false;
  solved: Uint8Array | null = null;
  solvedStep = -1;
  modelGrid: Uint8Array = new Uint8Array(81);
  modelValid = false;
  modelQ: [number, number] = [NaN, NaN];
  stopped: SearchOutcome['stopped'];
  private rootBoard: Board | null;

  constructor(question: Uint8Array, private readonly o: Required<Omit<SearchOptions, 'ms'>> & { ms: number }) {
    this.question = question;
    const board = new Board(question);
    this.steps.push({ from_call: 0, call: 0, parent: -1, move: 'puzzle', assumed: [], forced: [], outcome: 'open' });
    this.rootBoard = board.consistent ? board : null;
    if (!board.consistent) {
      this.finish(null, -1, 'clues clash');
    }
  }

  /** The next take() hands out the puzzle itself (the search's first call). */
  get atPuzzle(): boolean {
    return this.rootBoard !== null && !this.done;
  }

  /** The boards to ask about in the next batch (the puzzle itself first). */
  take(): Uint8Array[] {
    if (this.done) return [];
    if (this.calls >= this.o.calls) return this.stop('calls');
    if (this.ms >= this.o.ms) return this.stop('ms');
    if (this.rootBoard) {
      const node: Node = { board: this.rootBoard, score: 0, step: 0, blanks: 0, viewCall: 0, reused: 0 };
      this.rootBoard = null;
      this.asking = [node];
      return [Uint8Array.from(this.question)];
    }
    const order = (a: Node, b: Node): number => a.score - b.score || a.blanks - b.blanks;
    this.open.sort(order);
    // the best boards that can go on from their parent's answer do so first, for no call; a long
    // chain of them (an unsolvable puzzle) is still held to the time budget
    const t0 = performance.now();
    while (this.open.length > 0 && this.open[0].view) {
      if (this.ms + (performance.now() - t0) >= this.o.ms) return this.stop('ms');
      const node = this.open.shift()!;
      this.steps[node.step].outcome = 'expanded';
      this.expand(node, node.view!, node.viewCall);
      if (this.done) return [];
      this.open.sort(order);
    }
    const n = Math.min(this.o.width, this.o.calls - this.calls, this.open.length);
    if (n === 0) return this.stop('exhausted');
    const ask: Node[] = [];
    const keep: Node[] = [];
    for (const node of this.open) (ask.length < n && !node.view ? ask : keep).push(node);
    this.open = keep;
    this.asking = ask;
    return this.asking.map((x) => Uint8Array.from(x.board.grid));
  }

  private stop(why: NonNullable<SearchOutcome['stopped']>): [] {
    this.finish(null, -1, why);
    return [];
  }

  /** The model's answers to the boards of the last take(), in order. */
  feed(views: ModelView[]): void {
    const asked = this.asking;
    this.asking = [];
    for (let i = 0; i < asked.length && !this.done; i++) {
      this.calls++;
      const node = asked[i];
      const step = this.steps[node.step];
      step.call = this.calls;
      step.outcome = 'asked';
      const v = views[i];
      if (node.step === 0) {
        this.modelGrid = Uint8Array.from(v.digits);
        this.modelValid = solvesPuzzle(v.digits, this.question);
        this.modelQ = [v.q_halt ?? NaN, v.q_continue ?? NaN];
        if (this.modelValid) return this.finish(v.digits, 0);
        // the rules' part of the root: singles on the clues (as the other boards had at birth)
        const forced: number[] = [];
        if (!node.board.propagate(forced)) {
          step.outcome = 'contradiction';
          return this.finish(null, -1, 'exhausted');
        }
        step.forced = pairs(forced);
        if (node.board.blanks() === 0) return this.finish(node.board.grid, 0);
      } else if (solvesPuzzle(v.digits, this.question)) {
        return this.finish(v.digits, node.step);
      }
      this.expand(node, v, this.calls);
    }
  }

  /** Queues the children of `node` by `v`, the answer of call `from` (about this board or an ancestor). */
  private expand(node: Node, v: ModelView, from: number): void {
    const board = node.board;
    // the children go on from `v` while fewer than `reuse` moves separate them from the asked board
    const onward = node.reused < this.o.reuse ? v : null;
    // trust: the cells the model is sure of, each kept while the rules and singles accept it
    const sure: { k: number; d: number; p: number }[] = [];
    for (let k = 0; k < 81; k++) {
      const c = board.candidates(k);
      for (let d = 1; d <= 9; d++) if (c & (1 << (d - 1)) && v.probs[k * 9 + d - 1] >= this.o.trust) sure.push({ k, d, p: v.probs[k * 9 + d - 1] });
    }
    if (sure.length >= 2) {
      sure.sort((a, b) => b.p - a.p || a.k - b.k);
      let b = board.clone();
      const assumed: [number, number][] = [];
      for (const s of sure) {
        if (!b.allows(s.k, s.d)) continue;
        const t = b.clone();
        t.place(s.k, s.d);
        if (!t.propagate()) continue;
        b = t;
        assumed.push([s.k, s.d]);
      }
      // no cost: a trusted board is tried before its siblings, and they stay queued behind it
      if (assumed.length >= 2 && this.child(node, b, 'trust', assumed, node.score + this.o.step_cost, from, true, onward)) return;
    }
    // guess: the cell with the fewest candidates (of those, the one the model is surest of), one
    // child per candidate, so the children cover every solution of this board
    let cell = -1;
    let fewest = 10;
    let surest = -1;
    for (let k = 0; k < 81; k++) {
      const c = board.candidates(k);
      if (c === 0) continue;
      const n = popcount(c);
      if (n > fewest) continue;
      let total = 0;
      let top = 0;
      for (let d = 1; d <= 9; d++) {
        if (!(c & (1 << (d - 1)))) continue;
        const p = v.probs[k * 9 + d - 1];
        total += p;
        top = Math.max(top, p);
      }
      const sureness = total > 0 ? top / total : 0;
      if (n < fewest || sureness > surest) {
        cell = k;
        fewest = n;
        surest = sureness;
      }
    }
    const c = board.candidates(cell);
    const options: { d: number; p: number }[] = [];
    let total = 0;
    for (let d = 1; d <= 9; d++) {
      if (!(c & (1 << (d - 1)))) continue;
      const p = Math.max(LOG_FLOOR, v.probs[cell * 9 + d - 1]);
      options.push({ d, p });
      total += p;
    }
    options.sort((a, b) => b.p - a.p || a.d - b.d);
    for (const o of options) {
      const g = board.clone();
      g.place(cell, o.d);
      if (this.child(node, g, 'guess', [[cell, o.d]], node.score + this.o.step_cost - Math.log(o.p / total), from, false, onward)) return;
    }
  }

  /**
   * Adds a child board (singles applied unless done already), to be expanded on `view` when given and
   * asked about otherwise; true when it solved the puzzle.
   */
  private child(parent: Node, b: Board, move: SearchMove, assumed: [number, number][], score: number, from: number, propagated: boolean, view: ModelView | null): boolean {
    const before = parent.board.grid;
    const ok = propagated || b.propagate();
    const forced: [number, number][] = [];
    if (ok) {
      const mine = new Set(assumed.map(([k]) => k));
      for (let k = 0; k < 81; k++) if (before[k] === 0 && b.grid[k] !== 0 && !mine.has(k)) forced.push([k, b.grid[k]]);
    }
    const step = this.steps.length;
    this.steps.push({ from_call: from, call: 0, parent: parent.step, move, assumed, forced, outcome: ok ? 'open' : 'contradiction' });
    if (!ok) return false;
    const blanks = b.blanks();
    if (blanks === 0) {
      if (solvesPuzzle(b.grid, this.question)) {
        this.finish(b.grid, step);
        return true;
      }
      this.steps[step].outcome = 'contradiction';
      return false;
    }
    this.open.push(view ? { board: b, score, step, blanks, view, viewCall: from, reused: parent.reused + 1 } : { board: b, score, step, blanks, viewCall: 0, reused: 0 });
    return false;
  }

  private finish(grid: ArrayLike<number> | null, step: number, why?: SearchOutcome['stopped']): void {
    this.done = true;
    this.open = [];
    if (grid) {
      this.solved = Uint8Array.from(grid);
      this.solvedStep = step;
      this.steps[step].outcome = 'solved';
    } else this.stopped = why;
  }

  outcome(): SearchOutcome {
    return {
      solved: this.solved !== null,
      grid: this.solved ?? this.modelGrid,
      model_grid: this.modelGrid,
      model_valid: this.modelValid,
      q_halt: this.modelQ[0],
      q_continue: this.modelQ[1],
      calls: this.calls,
      ms: this.ms,
      steps: this.steps,
      fixed: this.solved ? this.fixedCells() : [],
      ...(this.solved ? {} : { stopped: this.stopped }),
    };
  }

  /** How each cell of the solution came to be fixed, following the solved board's ancestry. */
  private fixedCells(): FixedCell[] {
    const out: FixedCell[] = [];
    const seen = new Uint8Array(81);
    const add = (cell: number, digit: number, by: FixedCell['by'], call: number): void => {
      if (seen[cell]) return;
      seen[cell] = 1;
      out.push({ cell, digit, by, call });
    };
    for (let k = 0; k < 81; k++) if (this.question[k] !== 0) add(k, this.question[k], 'clue', 0);
    const chain: SearchStep[] = [];
    for (let s = this.solvedStep; s >= 0; s = this.steps[s].parent) chain.unshift(this.steps[s]);
    for (const s of chain) {
      for (const [k, d] of s.assumed) add(k, d, 'model', s.from_call);
      for (const [k, d] of s.forced) add(k, d, 'rules', s.move === 'puzzle' ? 1 : s.from_call);
    }
    // the rest came from the model's full answer at the last call
    const last = this.steps[this.solvedStep].call || this.calls;
    for (let k = 0; k < 81; k++) add(k, this.solved![k], 'model', last);
    return out;
  }
}

function popcount(m: number): number {
  let n = 0;
  for (; m; m &= m - 1) n++;
  return n;
}

function pairs(placed: number[]): [number, number][] {
  return placed.map((x) => [x >> 4, x & 15]);
}

/**
 * Searches every puzzle (81 digits each, 0 blank). Puzzles are admitted as others finish, so a batch
 * stays full; `onDone` sees each outcome in input order as soon as it and all before it are done.
 */
export function searchSudoku(questions: Uint8Array[], ask: AskModel, opts: SearchOptions = {}, onDone?: (i: number, o: SearchOutcome) => void): SearchOutcome[] {
  const width = opts.width ?? 1;
  const batch = opts.batch ?? 32;
  const o = {
    calls: opts.calls ?? (opts.ms !== undefined ? Infinity : DEFAULT_SEARCH_CALLS),
    ms: opts.ms ?? Infinity,
    width,
    batch,
    trust: opts.trust ?? 0.95,
    step_cost: opts.step_cost ?? 0.3,
    reuse: opts.reuse ?? DEFAULT_SEARCH_REUSE,
  };
  if (!(o.calls >= 1)) throw new RangeError(`search: calls must be >= 1, got ${o.calls}`);
  if (!(o.ms > 0)) throw new RangeError(`search: ms must be > 0, got ${o.ms}`);
  if (!(Number.isInteger(width) && width >= 1)) throw new RangeError(`search: width must be an integer >= 1, got ${width}`);
  if (!(Number.isInteger(batch) && batch >= 1)) throw new RangeError(`search: batch must be an integer >= 1, got ${batch}`);
  if (!(Number.isInteger(o.reuse) && o.reuse >= 0)) throw new RangeError(`search: reuse must be an integer >= 0, got ${o.reuse}`);
  const perRound = Math.max(1, Math.floor(batch / width));
  const outcomes: (SearchOutcome | null)[] = questions.map(() => null);
  let admitted = 0;
  let emitted = 0;
  const active: { i: number; s: PuzzleSearch }[] = [];
  const settle = (): void => {
    for (let a = active.length - 1; a >= 0; a--) {
      if (!active[a].s.done) continue;
      outcomes[active[a].i] = active[a].s.outcome();
      active.splice(a, 1);
    }
    while (emitted < questions.length && outcomes[emitted] !== null) {
      onDone?.(emitted, outcomes[emitted]!);
      emitted++;
    }
  };
  for (;;) {
    while (active.length < perRound && admitted < questions.length) {
      active.push({ i: admitted, s: new PuzzleSearch(questions[admitted], o) });
      admitted++;
    }
    // the puzzles' own first calls and the search's later boards go to the model as two batches
    const rounds = [true, false].map((puzzles) => ({ puzzles, rows: [] as { s: PuzzleSearch; n: number }[], boards: [] as Uint8Array[] }));
    for (const { s } of active) {
      const round = rounds[s.atPuzzle ? 0 : 1];
      const t0 = performance.now();
      const b = s.take();
      s.ms += performance.now() - t0;
      if (b.length > 0) {
        round.rows.push({ s, n: b.length });
        round.boards.push(...b);
      }
    }
    if (rounds.every((x) => x.boards.length === 0)) {
      settle();
      if (active.length === 0 && admitted >= questions.length) break;
      continue;
    }
    for (const { puzzles, rows, boards } of rounds) {
      if (boards.length === 0) continue;
      const r = ask(boards, puzzles);
      const share = r.ms / boards.length;
      let at = 0;
      for (const { s, n } of rows) {
        s.ms += share * n;
        const t0 = performance.now();
        s.feed(r.views.slice(at, at + n));
        s.ms += performance.now() - t0;
        at += n;
      }
    }
    settle();
  }
  return outcomes as SearchOutcome[];
}

/**
 * Each cell's probabilities over the vocabulary, kept for the digit tokens (2..10): the model's own
 * normalisation, softmax or (a model trained with the stablemax loss) stablemax, s(x) = x + 1 for
 * x >= 0 and 1 / (1 - x) below. A stablemax model's logits are far apart, so their softmax calls
 * nearly every cell certain; stablemax gives the confidences it was trained to.
 */
export function viewsFromLogits(logits: Float32Array, rows: number, vocab: number, stablemax = false): ModelView[] {
  const views: ModelView[] = [];
  const digitToken = 2;
  const e = new Float64Array(vocab);
  for (let b = 0; b < rows; b++) {
    const probs = new Float32Array(81 * 9);
    const digits = new Uint8Array(81);
    for (let k = 0; k < 81; k++) {
      const base = (b * 81 + k) * vocab;
      let max = -Infinity;
      let arg = 0;
      for (let t = 0; t < vocab; t++) {
        if (logits[base + t] > max) {
          max = logits[base + t];
          arg = t;
        }
      }
      let sum = 0;
      for (let t = 0; t < vocab; t++) {
        const x = logits[base + t];
        e[t] = stablemax ? (x >= 0 ? x + 1 : 1 / (1 - x)) : Math.exp(x - max);
        sum += e[t];
      }
      for (let d = 0; d < 9; d++) probs[k * 9 + d] = e[digitToken + d] / sum;
      digits[k] = arg >= digitToken && arg < digitToken + 9 ? arg - digitToken + 1 : 0;
    }
    views.push({ probs, digits });
  }
  return views;
}
