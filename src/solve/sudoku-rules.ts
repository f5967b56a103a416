/**
 * Sudoku's rules for the test-time search (src/solve/sudoku-search.ts): a board of 81 digits (0 blank)
 * with per-cell banned digits (the search's "not this digit here" branches), the candidates the rules
 * allow, and naked/hidden singles and locked candidates to a fixed point. The search never guesses here: everything placed
 * is forced by the rules, and a contradiction is reported instead of repaired.
 */

const ROW = new Uint8Array(81);
const COL = new Uint8Array(81);
const BOX = new Uint8Array(81);
/** 27 units (9 rows, 9 columns, 9 boxes) of 9 cells each. */
const UNITS = new Uint8Array(27 * 9);
const POP = new Uint8Array(512);

for (let k = 0; k < 81; k++) {
  ROW[k] = (k / 9) | 0;
  COL[k] = k % 9;
  BOX[k] = ((ROW[k] / 3) | 0) * 3 + ((COL[k] / 3) | 0);
}
for (let u = 0; u < 9; u++) {
  for (let i = 0; i < 9; i++) {
    UNITS[u * 9 + i] = u * 9 + i;
    UNITS[(9 + u) * 9 + i] = i * 9 + u;
    UNITS[(18 + u) * 9 + i] = (((u / 3) | 0) * 3 + ((i / 3) | 0)) * 9 + (u % 3) * 3 + (i % 3);
  }
}
for (let m = 0; m < 512; m++) {
  let c = 0;
  for (let b = 0; b < 9; b++) if (m & (1 << b)) c++;
  POP[m] = c;
}

/** The digit (1-9) of a one-bit mask. */
function digitOf(bit: number): number {
  return 32 - Math.clz32(bit);
}

/** A board under the search: digits placed so far and the digits banned per blank cell. */
export class Board {
  readonly grid: Uint8Array;
  /** 9-bit masks of digits the search ruled out per cell (bit d-1 = digit d) */
  readonly ban: Uint16Array;
  private readonly rowM = new Uint16Array(9);
  private readonly colM = new Uint16Array(9);
  private readonly boxM = new Uint16Array(9);
  /** false when two placed digits already clash (a clue set that breaks the rules) */
  readonly consistent: boolean;

  constructor(grid: ArrayLike<number>, ban?: Uint16Array) {
    this.grid = new Uint8Array(81);
    this.ban = ban ? Uint16Array.from(ban) : new Uint16Array(81);
    let ok = true;
    for (let k = 0; k < 81; k++) {
      const d = grid[k];
      if (d === 0) continue;
      const bit = 1 << (d - 1);
      if ((this.rowM[ROW[k]] | this.colM[COL[k]] | this.boxM[BOX[k]]) & bit) ok = false;
      this.setCell(k, d);
    }
    this.consistent = ok;
  }

  clone(): Board {
    return new Board(this.grid, this.ban);
  }

  /** Digits the rules and the bans still allow in cell k (0 for a filled cell). */
  candidates(k: number): number {
    if (this.grid[k] !== 0) return 0;
    return ~(this.rowM[ROW[k]] | this.colM[COL[k]] | this.boxM[BOX[k]] | this.ban[k]) & 511;
  }

  allows(k: number, d: number): boolean {
    return (this.candidates(k) & (1 << (d - 1))) !== 0;
  }

  blanks(): number {
    let n = 0;
    for (let k = 0; k < 81; k++) if (this.grid[k] === 0) n++;
    return n;
  }

  private setCell(k: number, d: number): void {
    const bit = 1 << (d - 1);
    this.grid[k] = d;
    this.rowM[ROW[k]] |= bit;
    this.colM[COL[k]] |= bit;
    this.boxM[BOX[k]] |= bit;
  }

  /** Places d in blank cell k if the rules allow it; false (and nothing changed) otherwise. */
  place(k: number, d: number): boolean {
    if (!this.allows(k, d)) return false;
    this.setCell(k, d);
    return true;
  }

  /**
   * Naked and hidden singles to a fixed point. Every forced placement is appended to `placed` as
   * cell * 16 + digit. Returns false on a contradiction (a cell with no candidate, or a digit with no
   * place left in a unit); the board is then partly filled and should be dropped.
   */
  propagate(placed?: number[]): boolean {
    const grid = this.grid;
    for (;;) {
      let changed = false;
      for (let k = 0; k < 81; k++) {
        if (grid[k] !== 0) continue;
        const c = this.candidates(k);
        if (c === 0) return false;
        if (POP[c] === 1) {
          const d = digitOf(c);
          this.setCell(k, d);
          placed?.push(k * 16 + d);
          changed = true;
        }
      }
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
          const c = this.candidates(k);
          twice |= once & c;
          once |= c;
        }
        if ((once | used) !== 511) return false;
        let hidden = once & ~twice & ~used;
        while (hidden) {
          const bit = hidden & -hidden;
          hidden ^= bit;
          for (let i = 0; i < 9; i++) {
            const k = UNITS[base + i];
            if (grid[k] === 0 && this.candidates(k) & bit) {
              this.setCell(k, digitOf(bit));
              placed?.push(k * 16 + digitOf(bit));
              changed = true;
              break;
            }
          }
        }
      }
      if (!changed && !this.lockedCandidates()) return true;
    }
  }

  /**
   * Locked candidates, where singles stall: a digit whose places in a box all lie in one row (column)
   * cannot go elsewhere in that row (column), and one whose places in a row or column all lie in one
   * box cannot go elsewhere in that box. Each elimination becomes a ban. True when any was made.
   */
  private lockedCandidates(): boolean {
    let changed = false;
    // pairs (a box, a line through it): the box's cells on the line against the rest of each
    for (let b = 0; b < 9; b++) {
      for (let line = 0; line < 6; line++) {
        const isRow = line < 3;
        const r0 = ((b / 3) | 0) * 3, c0 = (b % 3) * 3;
        let inter = 0, boxRest = 0, lineRest = 0;
        for (let i = 0; i < 9; i++) {
          const kb = UNITS[(18 + b) * 9 + i];
          const on = isRow ? ROW[kb] === r0 + line : COL[kb] === c0 + line - 3;
          if (on) inter |= this.candidates(kb);
          else boxRest |= this.candidates(kb);
          const kl = isRow ? (r0 + line) * 9 + i : i * 9 + c0 + line - 3;
          if (BOX[kl] !== b) lineRest |= this.candidates(kl);
        }
        // digits of the intersection missing from the box's rest must be there: remove from the line's rest
        const fromLine = inter & ~boxRest & lineRest;
        // digits of the intersection missing from the line's rest must be there: remove from the box's rest
        const fromBox = inter & ~lineRest & boxRest;
        if (fromLine) {
          for (let i = 0; i < 9; i++) {
            const kl = isRow ? (r0 + line) * 9 + i : i * 9 + c0 + line - 3;
            if (BOX[kl] !== b && this.grid[kl] === 0) this.ban[kl] |= fromLine;
          }
          changed = true;
        }
        if (fromBox) {
          for (let i = 0; i < 9; i++) {
            const kb = UNITS[(18 + b) * 9 + i];
            const on = isRow ? ROW[kb] === r0 + line : COL[kb] === c0 + line - 3;
            if (!on && this.grid[kb] === 0) this.ban[kb] |= fromBox;
          }
          changed = true;
        }
      }
    }
    return changed;
  }
}

/** True when 81 digits form a complete grid that breaks no rule and keeps every clue of `question`. */
export function solvesPuzzle(grid: ArrayLike<number>, question: ArrayLike<number>): boolean {
  for (let k = 0; k < 81; k++) {
    const d = grid[k];
    if (!(d >= 1 && d <= 9)) return false;
    if (question[k] !== 0 && question[k] !== d) return false;
  }
  for (let u = 0; u < 27; u++) {
    let seen = 0;
    for (let i = 0; i < 9; i++) seen |= 1 << (grid[UNITS[u * 9 + i]] - 1);
    if (seen !== 511) return false;
  }
  return true;
}
