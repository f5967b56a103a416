/**
 * What `hrm solve` and the library share about a puzzle kind: how a question becomes the model's
 * tokens, how the model's output tokens become an answer in the input's own notation, the check a
 * person can trust, and how a grid is drawn (with the cells changed since the previous segment marked).
 */

export interface Puzzle {
  /** where it came from, for messages: 'file:line' or 'argument' */
  source: string;
  /** the question in its own notation (81 chars for Sudoku; rows joined for a maze) */
  question: string;
  /** the known answer in the same notation, if any */
  label: string | null;
  /** model input tokens, [seq_len] */
  tokens: Int32Array;
  /** grid width for drawing (9 for Sudoku, n for an n x n maze) */
  width: number;
}

export interface Verdict {
  /** the answer in the input's notation */
  answer: string;
  /** Sudoku: a complete valid grid that keeps every clue; maze: S connected to G through path cells, maze kept */
  valid: boolean;
  /** mazes: the path is a shortest one (BFS) */
  shortest?: boolean;
  /** one line on what is wrong, when not valid */
  problem?: string;
}

export interface PuzzleKind {
  name: 'sudoku' | 'maze';
  /** the vocabulary size the reference's builder gives this kind */
  vocab: number;
  /** parses an argument or a file into puzzles (UserError with file, line, column on bad input) */
  parse(text: string, source: string, isFile: boolean): Puzzle[];
  /** output tokens -> answer string (no checks) */
  decode(preds: ArrayLike<number>, puzzle: Puzzle): string;
  judge(answer: string, puzzle: Puzzle): Verdict;
  /**
   * The k-th (k >= 1) copy of the puzzle under a symmetry of its rules, for `--retries`: a wrong answer
   * is tried again on a copy the model sees differently, and a valid answer there is one here. Null when
   * the kind has no k-th symmetry (a maze has 7 besides itself).
   */
  symmetry(puzzle: Puzzle, k: number): SymmetricCopy | null;
}

/** A puzzle's tokens under a symmetry, and the map of the model's output tokens back to the puzzle. */
export interface SymmetricCopy {
  tokens: Int32Array;
  back(preds: ArrayLike<number>): Int32Array;
}

/** Draws `cells` (one character each) as rows of `width`, marking cells that differ from `prev`. */
export function drawGrid(cells: string, width: number, prev: string | null, color: boolean): string {
  const lines: string[] = [];
  for (let r = 0; r * width < cells.length; r++) {
    let line = '';
    for (let c = 0; c < width; c++) {
      const k = r * width + c;
      const ch = cells[k];
      const changed = prev !== null && prev[k] !== ch;
      if (color) line += changed ? `\x1b[7m${ch}\x1b[0m ` : `${ch} `;
      else line += changed ? `${ch}*` : `${ch} `;
    }
    lines.push(line.trimEnd());
  }
  return lines.join('\n');
}

/** A character as a person reads it in a message. */
export function showChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === ' ') return "' ' (space)";
  if (ch === '\t') return "'\\t' (tab)";
  if (code < 32 || code === 127) return `\\x${code.toString(16).padStart(2, '0')}`;
  return `'${ch}'`;
}
