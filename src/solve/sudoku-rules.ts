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
/**
 * The 54 (box, line through it) pairs for locked candidates, 15 cells each: the 3 cells they share, then
 * the box's other 6, then the line's other 6.
 */
const LOCKS = new Uint8Array(54 * 15);
for (let b = 0, at = 0; b < 9; b++) {
  for (let line = 0; line < 6; line++, at += 15) {
    const onLine = (k: number): boolean => (line < 3 ? ROW[k] === ((b / 3) | 0) * 3 + line : COL[k] === (b % 3) * 3 + line - 3);
    const lineUnit = line < 3 ? ((b / 3) | 0) * 3 + line : 9 + (b % 3) * 3 + line - 3;
    const box = Array.from(UNITS.subarray((18 + b) * 9, (19 + b) * 9));
    const rest = Array.from(UNITS.subarray(lineUnit * 9, lineUnit * 9 + 9)).filter((k) => BOX[k] !== b);
    LOCKS.set([...box.filter(onLine), ...box.filter((k) => !onLine(k)), ...rest], at);
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
    for (let at = 0; at < LOCKS.length; at += 15) {
      let inter = 0, boxRest = 0, lineRest = 0;
      for (let i = 0; i < 3; i++) inter |= this.candidates(LOCKS[at + i]);
      for (let i = 3; i < 9; i++) boxRest |= this.candidates(LOCKS[at + i]);
      for (let i = 9; i < 15; i++) lineRest |= this.candidates(LOCKS[at + i]);
      // a digit of the intersection missing from the box's rest must be there: not in the line's rest
      // (and the other way round)
      const fromLine = inter & ~boxRest & lineRest;
      const fromBox = inter & ~lineRest & boxRest;
      if (!(fromLine | fromBox)) continue;
      for (let i = 3; i < 9; i++) if (this.grid[LOCKS[at + i]] === 0) this.ban[LOCKS[at + i]] |= fromBox;
      for (let i = 9; i < 15; i++) if (this.grid[LOCKS[at + i]] === 0) this.ban[LOCKS[at + i]] |= fromLine;
      changed = true;
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
