/**
 * Sudoku for `hrm solve`: an 81-character string ('.' or '0' blank, '1'-'9'), a text file with one per
 * line (blank lines and lines starting with '#' skipped), or a CSV with a header naming `question` (and
 * optionally `answer`, e.g. the reference's source,question,answer,rating). Tokens as the reference's
 * builder: digit + 1 (blank 1, digits 2..10), vocabulary 11. The check: the answer is a complete valid
 * grid (src/data/sudoku-solver.ts) and keeps every clue.
 */
import { splitCsvLine } from '../data/csv.js';
import { randomSudokuShuffle } from '../data/augment.js';
import { agreesWithClues, isValidSolution } from '../data/sudoku-solver.js';
import { Rng } from '../util/random.js';
import { UserError } from '../util/errors.js';
import { showChar, type Puzzle, type PuzzleKind, type SymmetricCopy, type Verdict } from './puzzle.js';

const BLANK_TOKEN = 1;

/** Digits of an 81-cell string, or a UserError at the first bad character. */
function cells(s: string, where: (i: number) => string, what: 'question' | 'answer'): Uint8Array {
  const out = new Uint8Array(81);
  const chars = [...s];
  for (let i = 0; i < chars.length && i < 81; i++) {
    const ch = chars[i];
    if (ch >= '1' && ch <= '9') out[i] = ch.charCodeAt(0) - 48;
    else if (what === 'question' && (ch === '.' || ch === '0')) out[i] = 0;
    else {
      throw new UserError(`${where(i)}: bad character ${showChar(ch)} in a Sudoku ${what} (expected ${what === 'question' ? "1-9, '.' or '0'" : '1-9'})`);
    }
  }
  if (chars.length !== 81) throw new UserError(`${where(-1)}: a Sudoku has 81 cells, got ${chars.length} characters`);
  return out;
}

function puzzleOf(question: Uint8Array, label: Uint8Array | null, source: string, blank: string): Puzzle {
  const tokens = new Int32Array(81);
  let q = '';
  for (let i = 0; i < 81; i++) {
    tokens[i] = question[i] + BLANK_TOKEN;
    q += question[i] === 0 ? blank : String(question[i]);
  }
  return { source, question: q, label: label ? Array.from(label).join('') : null, tokens, width: 9 };
}

function parse(text: string, source: string, isFile: boolean): Puzzle[] {
  if (!isFile) {
    const s = text.trim();
    const q = cells(s, (i) => (i < 0 ? `${source}` : `${source}: column ${i + 1}`), 'question');
    return [puzzleOf(q, null, source, s.includes('.') ? '.' : '0')];
  }
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const first = lines.findIndex((l) => l.trim() !== '');
  const out: Puzzle[] = [];
  if (first >= 0 && /(^|,)\s*"?question"?\s*(,|$)/i.test(lines[first])) {
    const header = splitCsvLine(lines[first]);
    const names = (header ?? []).map((h) => h.trim().toLowerCase());
    const qi = names.indexOf('question');
    const ai = names.indexOf('answer');
    for (let n = first + 1; n < lines.length; n++) {
      const line = lines[n];
      if (line.trim() === '') continue;
      const f = splitCsvLine(line);
      if (!f || f.length !== names.length) throw new UserError(`${source}:${n + 1}: expected ${names.length} CSV fields (${names.join(',')}), got ${f ? f.length : 'an unterminated quote'}`);
      const colOf = (field: number): number => {
        // the field's first character in the line (unquoted fields: the commas before it)
        let col = 0;
        for (let k = 0; k < field; k++) col += f[k].length + 1;
        return col;
      };
      const at = (field: number) => (i: number) => (i < 0 ? `${source}:${n + 1}` : `${source}:${n + 1}:${colOf(field) + i + 1}`);
      const q = cells(f[qi], at(qi), 'question');
      const a = ai >= 0 && f[ai].trim() !== '' ? cells(f[ai], at(ai), 'answer') : null;
      out.push(puzzleOf(q, a, `${source}:${n + 1}`, f[qi].includes('.') ? '.' : '0'));
    }
  } else {
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n].trimEnd();
      if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
      const lead = line.length - line.trimStart().length;
      const body = line.trimStart();
      const q = cells(body, (i) => (i < 0 ? `${source}:${n + 1}` : `${source}:${n + 1}:${lead + i + 1}`), 'question');
      out.push(puzzleOf(q, null, `${source}:${n + 1}`, body.includes('.') ? '.' : '0'));
    }
  }
  if (out.length === 0) throw new UserError(`${source}: no Sudoku puzzles in this file (one 81-character line per puzzle, or a CSV with a question column)`);
  return out;
}

function decode(preds: ArrayLike<number>, puzzle: Puzzle): string {
  let s = '';
  const blank = puzzle.question.includes('.') ? '.' : '0';
  for (let i = 0; i < 81; i++) {
    const t = preds[i];
    s += t >= 2 && t <= 10 ? String(t - 1) : blank;
  }
  return s;
}

function judge(answer: string, puzzle: Puzzle): Verdict {
  const g = new Uint8Array(81);
  const q = new Uint8Array(81);
  for (let i = 0; i < 81; i++) {
    const a = answer.charCodeAt(i) - 48;
    g[i] = a >= 1 && a <= 9 ? a : 0;
    const c = puzzle.question.charCodeAt(i) - 48;
    q[i] = c >= 1 && c <= 9 ? c : 0;
  }
  const complete = g.every((d) => d !== 0);
  const validGrid = complete && isValidSolution(g);
  const keeps = agreesWithClues(q, g);
  const valid = validGrid && keeps;
  let problem: string | undefined;
  if (!complete) problem = `${g.filter((d) => d === 0).length} cells left blank`;
  else if (!validGrid) problem = 'a row, column or box repeats a digit';
  else if (!keeps) problem = 'the answer changes a clue';
  return { answer, valid, ...(problem ? { problem } : {}) };
}

/**
 * The k-th of the builders' validity-preserving shuffles (digits relabelled, bands, stacks, rows and
 * columns permuted, transposed), seeded by k alone so a retry is the same whatever the batch.
 */
function symmetry(puzzle: Puzzle, k: number): SymmetricCopy {
  const { cells, digits } = randomSudokuShuffle(new Rng(k));
  const inverse = new Uint8Array(10);
  for (let d = 0; d <= 9; d++) inverse[digits[d]] = d;
  const digitToken = (t: number, map: Uint8Array): number => (t >= BLANK_TOKEN + 1 && t <= BLANK_TOKEN + 9 ? map[t - BLANK_TOKEN] + BLANK_TOKEN : t);
  const tokens = new Int32Array(81);
  for (let i = 0; i < 81; i++) tokens[i] = digitToken(puzzle.tokens[cells[i]], digits);
  return {
    tokens,
    back(preds) {
      const out = new Int32Array(81);
      for (let i = 0; i < 81; i++) out[cells[i]] = digitToken(preds[i], inverse);
      return out;
    },
  };
}

export const SUDOKU: PuzzleKind = { name: 'sudoku', vocab: 11, parse, decode, judge, symmetry };
