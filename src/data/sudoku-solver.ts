/**
 * An exact Sudoku solver on 9-bit candidate masks: naked and hidden singles to a fixed point, then
 * branching on the cell with the fewest candidates. It counts solutions up to a limit (2 proves
 * uniqueness) and reports how many branch points the search needed, our difficulty measure (0 means the
 * puzzle falls to singles alone). Boards are 81 digits, row-major, 0 = blank. One instance reuses its
 * buffers; it is not re-entrant.
 */
import { Rng } from '../util/random.js';

const ROW = new Uint8Array(81);
const COL = new Uint8Array(81);
const BOX = new Uint8Array(81);
/** 27 units (9 rows, 9 columns, 9 boxes) of 9 cells each. */
const UNITS = new Uint8Array(27 * 9);
const POP = new Uint8Array(512);
/** Lowest set bit index (digit - 1) of a 9-bit mask. */
const LOW = new Int8Array(512);

for (let k = 0; k < 81; k++) {
  ROW[k] = (k / 9) | 0;
  COL[k] = k % 9;
  BOX[k] = ((ROW[k] / 3) | 0) * 3 + ((COL[k] / 3) | 0);
}
for (let u = 0; u < 9; u++) {
  for (let i = 0; i < 9; i++) {
    UNITS[u * 9 + i] = u * 9 + i; // row u
    UNITS[(9 + u) * 9 + i] = i * 9 + u; // column u
    UNITS[(18 + u) * 9 + i] = (((u / 3) | 0) * 3 + ((i / 3) | 0)) * 9 + (u % 3) * 3 + (i % 3); // box u
  }
}
for (let m = 0; m < 512; m++) {
  let c = 0;
  for (let b = 0; b < 9; b++) if (m & (1 << b)) c++;
  POP[m] = c;
  LOW[m] = m === 0 ? -1 : Math.log2(m & -m);
}

export interface SolveResult {
  /** Solutions found, capped at the limit. */
  count: number;
  /** The first solution found (81 digits), or null. */
  solution: Uint8Array | null;
  /** Branch points visited in the whole search (our difficulty rating). */
  guesses: number;
  /** True when the node budget ran out before the search finished (count is then a lower bound). */
  aborted: boolean;
}

export class SudokuSolver {
  private readonly grid = new Uint8Array(81);
  private readonly rowM = new Uint16Array(9);
  private readonly colM = new Uint16Array(9);
  private readonly boxM = new Uint16Array(9);
  private readonly undo = new Uint8Array(81);
  private sp = 0;
  private count = 0;
  private limit = 2;
  private guesses = 0;
  private nodeBudget = Infinity;
  private readonly first = new Uint8Array(81);
  private rng: Rng | null = null;
  /** Candidate digits to try, 9 slots per search depth. */
  private readonly order = new Uint8Array(82 * 9);
  private depth = 0;

  /**
   * Counts solutions of `puzzle` (81 digits 0-9) up to `limit`. Returns count 0 for contradictory
   * clues. With `rng`, candidates are tried in random order (used to make random full grids).
   */
  solve(puzzle: ArrayLike<number>, limit = 2, rng: Rng | null = null, nodeBudget = Infinity): SolveResult {
    this.grid.fill(0);
    this.rowM.fill(0);
    this.colM.fill(0);
    this.boxM.fill(0);
    this.sp = 0;
    this.count = 0;
    this.guesses = 0;
    this.limit = limit;
    this.rng = rng;
    this.nodeBudget = nodeBudget;
    this.depth = 0;
    for (let k = 0; k < 81; k++) {
      const d = puzzle[k];
      if (d === 0) continue;
      const bit = 1 << (d - 1);
      if ((this.rowM[ROW[k]] | this.colM[COL[k]] | this.boxM[BOX[k]]) & bit) return { count: 0, solution: null, guesses: 0, aborted: false };
      this.place(k, d);
    }
    this.sp = 0; // clues are never undone
    this.search();
    return { count: this.count, solution: this.count > 0 ? Uint8Array.from(this.first) : null, guesses: this.guesses, aborted: this.nodeBudget < 0 };
  }

  /** True when the puzzle has exactly one solution. */
  isUnique(puzzle: ArrayLike<number>): boolean {
    return this.solve(puzzle, 2).count === 1;
  }

  private place(k: number, d: number): void {
    const bit = 1 << (d - 1);
    this.grid[k] = d;
    this.rowM[ROW[k]] |= bit;
    this.colM[COL[k]] |= bit;
    this.boxM[BOX[k]] |= bit;
    this.undo[this.sp++] = k;
  }

  private unplaceTo(sp: number): void {
    while (this.sp > sp) {
      const k = this.undo[--this.sp];
      const bit = ~(1 << (this.grid[k] - 1));
      this.grid[k] = 0;
      this.rowM[ROW[k]] &= bit;
      this.colM[COL[k]] &= bit;
      this.boxM[BOX[k]] &= bit;
    }
  }

  private cand(k: number): number {
    return ~(this.rowM[ROW[k]] | this.colM[COL[k]] | this.boxM[BOX[k]]) & 511;
  }

  /** Applies naked and hidden singles to a fixed point. Returns the best branch cell, -1 if solved, -2 on contradiction. */
  private propagate(): number {
    const grid = this.grid;
    for (;;) {
      let best = -1;
      let bestN = 10;
      let placed = false;
      for (let k = 0; k < 81; k++) {
        if (grid[k] !== 0) continue;
        const c = this.cand(k);
        const n = POP[c];
        if (n === 0) return -2;
        if (n === 1) {
          this.place(k, LOW[c] + 1);
          placed = true;
        } else if (n < bestN) {
          bestN = n;
          best = k;
        }
      }
      if (placed) continue;
      if (best < 0) return -1;
      // Hidden singles: a digit with one possible cell in a unit.
      for (let u = 0; u < 27; u++) {
        let once = 0;
        let twice = 0;
        let used = 0;
        const base = u * 9;
        for (let i = 0; i < 9; i++) {
          const k = UNITS[base + i];
          if (grid[k] !== 0) {
            used |= 1 << (grid[k] - 1);
            continue;
          }
          const c = this.cand(k);
          twice |= once & c;
          once |= c;
        }
        if ((once | used) !== 511) return -2; // some digit has nowhere to go
        let hidden = once & ~twice & ~used;
        while (hidden) {
          const bit = hidden & -hidden;
          hidden ^= bit;
          for (let i = 0; i < 9; i++) {
            const k = UNITS[base + i];
            if (grid[k] === 0 && this.cand(k) & bit) {
              this.place(k, LOW[bit] + 1);
              placed = true;
              break;
            }
          }
        }
      }
      if (!placed) return best;
    }
  }

  private search(): void {
    if (this.nodeBudget-- <= 0) return;
    const sp0 = this.sp;
    const best = this.propagate();
    if (best === -1) {
      if (this.count === 0) this.first.set(this.grid);
      this.count++;
    } else if (best >= 0) {
      this.guesses++;
      const o = this.order;
      const base = this.depth * 9;
      let c = this.cand(best);
      let n = 0;
      while (c) {
        const bit = c & -c;
        c ^= bit;
        o[base + n++] = LOW[bit] + 1;
      }
      if (this.rng) for (let i = n - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        const t = o[base + i];
        o[base + i] = o[base + j];
        o[base + j] = t;
      }
      this.depth++;
      for (let i = 0; i < n && this.count < this.limit; i++) {
        const sp1 = this.sp;
        this.place(best, o[base + i]);
        this.search();
        this.unplaceTo(sp1);
      }
      this.depth--;
    }
    this.unplaceTo(sp0);
  }
}

/** True when 81 digits form a complete valid Sudoku grid. */
export function isValidSolution(g: ArrayLike<number>): boolean {
  for (let u = 0; u < 27; u++) {
    let seen = 0;
    for (let i = 0; i < 9; i++) {
      const d = g[UNITS[u * 9 + i]];
      if (d < 1 || d > 9) return false;
      seen |= 1 << (d - 1);
    }
    if (seen !== 511) return false;
  }
  return true;
}

/** True when every clue of `puzzle` (non-zero) equals the solution's digit there. */
export function agreesWithClues(puzzle: ArrayLike<number>, solution: ArrayLike<number>): boolean {
  for (let k = 0; k < 81; k++) if (puzzle[k] !== 0 && puzzle[k] !== solution[k]) return false;
  return true;
}

/** Parses 81 characters ('.' or '0' blank, '1'-'9'); returns null when malformed. */
export function parseSudoku(s: string): Uint8Array | null {
  if (s.length !== 81) return null;
  const out = new Uint8Array(81);
  for (let k = 0; k < 81; k++) {
    const c = s.charCodeAt(k);
    if (c === 46 /* . */ || c === 48 /* 0 */) out[k] = 0;
    else if (c >= 49 && c <= 57) out[k] = c - 48;
    else return null;
  }
  return out;
}

export function formatSudoku(g: ArrayLike<number>): string {
  let s = '';
  for (let k = 0; k < 81; k++) s += g[k] === 0 ? '.' : String(g[k]);
  return s;
}
