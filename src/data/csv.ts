/**
 * Line-oriented reading of large text sources (the full Sudoku-Extreme train.csv is ~700 MB, more than
 * one JS string can hold) and a small CSV field splitter. Fields are never trimmed: Maze-Hard rows start
 * with spaces that are part of the grid.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from '../util/errors.js';

/**
 * Calls `onLine(line, lineNumber)` (1-based, without the line ending) for every line of a file; stops
 * early when it returns false.
 */
export function forEachLine(path: string, onLine: (line: string, lineNo: number) => void | boolean): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot open (${code === 'ENOENT' ? 'no such file' : code ?? String(e)})`);
  }
  try {
    // At most 16 MiB at a time, and no more than the file holds (small files are read often).
    const buf = Buffer.alloc(Math.max(1, Math.min(1 << 24, fstatSync(fd).size)));
    let carry = '';
    let lineNo = 0;
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      pos += n;
      // Cut at the last newline so multi-byte characters are never split.
      let end = n;
      const lastNl = buf.lastIndexOf(10, n - 1);
      if (lastNl < 0) {
        carry += buf.toString('utf8', 0, n);
        continue;
      }
      end = lastNl + 1;
      const text = carry + buf.toString('utf8', 0, end);
      carry = buf.toString('utf8', end, n);
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        let line = text.slice(start, nl);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (onLine(line, ++lineNo) === false) return;
        start = nl + 1;
      }
    }
    if (carry.length > 0) {
      if (carry.endsWith('\r')) carry = carry.slice(0, -1);
      onLine(carry, ++lineNo);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Splits one CSV line into fields (RFC 4180 quoting with "" escapes; no trimming).
 * Returns null for an unterminated quote.
 */
export function splitCsvLine(line: string): string[] | null {
  if (line.indexOf('"') < 0) return line.split(',');
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
      if (i >= line.length) return out;
      if (line[i] !== ',') return null;
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

/** A question/answer CSV row with its origin, as the Sudoku and Maze builders read them. */
export interface CsvRecord {
  question: string;
  answer: string;
  /** `rating` column when present (the reference's CSVs), else null. */
  rating: number | null;
  line: number;
}

/**
 * Reads a CSV with a header naming `question` and `answer` (and optionally `source`, `rating`), as
 * written by the reference's datasets (`source,question,answer,rating`) or `question,answer`.
 */
export function readQuestionAnswerCsv(path: string, onRecord: (r: CsvRecord) => void): void {
  let qi = -1;
  let ai = -1;
  let ri = -1;
  let ncols = 0;
  forEachLine(path, (line, lineNo) => {
    if (lineNo === 1) {
      const header = splitCsvLine(line.replace(/^\uFEFF/, ''));
      if (!header) throw new UserError(`${path}:1: malformed CSV header`);
      const names = header.map((h) => h.trim().toLowerCase());
      qi = names.indexOf('question');
      ai = names.indexOf('answer');
      ri = names.indexOf('rating');
      ncols = names.length;
      if (qi < 0 || ai < 0) {
        throw new UserError(`${path}:1: expected a CSV header with 'question' and 'answer' columns (e.g. source,question,answer,rating), got '${line.slice(0, 80)}'`);
      }
      return;
    }
    if (line.length === 0) return;
    const f = splitCsvLine(line);
    if (!f) throw new UserError(`${path}:${lineNo}: malformed CSV (unterminated quote)`);
    if (f.length !== ncols) throw new UserError(`${path}:${lineNo}: expected ${ncols} fields, got ${f.length}`);
    let rating: number | null = null;
    if (ri >= 0) {
      rating = Number(f[ri]);
      if (f[ri].trim() === '' || !Number.isFinite(rating)) throw new UserError(`${path}:${lineNo}: rating '${f[ri]}' is not a number`);
    }
    onRecord({ question: f[qi], answer: f[ai], rating, line: lineNo });
  });
  if (qi < 0) throw new UserError(`${path}: empty file (expected a CSV header with question and answer columns)`);
}
