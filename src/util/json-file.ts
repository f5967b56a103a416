/**
 * Reading a user's JSON file: an I/O failure says its real cause (permission denied, a folder, no such
 * file), and a syntax error says where it is (line and column) and what was found there, on one line,
 * instead of JSON.parse's message, which repeats the raw text around the error (newlines and terminal
 * escape sequences included).
 */
import { readFileSync } from 'node:fs';
import { UserError, quote } from './errors.js';
import { ioErrorMessage } from './io-errors.js';

/** The text of `path`; an I/O failure is a UserError naming the path and the cause. */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const io = ioErrorMessage(e);
    if (io !== null) throw new UserError(io);
    // a file larger than a string can hold
    if ((e as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG') throw new UserError(`${path}: too large to read as text`);
    throw e;
  }
}

/** `text` parsed as JSON; a syntax error is one line naming `file`, the line and column. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UserError(`${file}: not valid JSON (${describeSyntaxError(text)})`);
  }
}

/** `path` read and parsed as JSON (see readTextFile, parseJson). */
export function readJsonFile(path: string): unknown {
  return parseJson(readTextFile(path), path);
}

/** Where the JSON syntax error in `text` is, for a person: "line 3, column 7: unexpected "x"". */
export function describeSyntaxError(text: string): string {
  const at = syntaxErrorAt(text);
  if (at < 0) return 'rejected by the JSON parser';
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  const what = at >= text.length ? (text.trim() === '' ? 'the file is empty' : 'the text ends too early') : `unexpected ${quote(String.fromCodePoint(text.codePointAt(at)!))}`;
  return `line ${line}, column ${at - lineStart + 1}: ${what}`;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = '"\\/bfnrt';

/**
 * The offset of the first character that JSON's grammar does not allow (text.length when the text
 * ends too early), or -1 when there is none. Iterative, so a deeply nested file cannot overflow the stack.
 */
export function syntaxErrorAt(t: string): number {
  let i = 0;
  const open: string[] = [];
  const ws = (): void => {
    while (i < t.length && (t[i] === ' ' || t[i] === '\t' || t[i] === '\n' || t[i] === '\r')) i++;
  };
  const str = (): boolean => {
    i++; // the opening quote
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 32) return false;
      if (c === 92) {
        const e = t[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) {
            i += 2;
            return false;
          }
          i += 6;
        } else if (e !== undefined && ESCAPES.includes(e)) i += 2;
        else {
          i++;
          return false;
        }
      } else i++;
    }
    return false;
  };
  let state: 'value' | 'key' | 'after' = 'value';
  for (;;) {
    ws();
    if (state === 'value') {
      const c = t[i];
      if (c === '{' || c === '[') {
        open.push(c);
        i++;
        ws();
        if (t[i] === (c === '{' ? '}' : ']')) {
          open.pop();
          i++;
          state = 'after';
        } else state = c === '{' ? 'key' : 'value';
        continue;
      }
      if (c === '"') {
        if (!str()) return i;
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        if (!NUMBER.test(t)) return c === '-' ? i + 1 : i;
        i = NUMBER.lastIndex;
      } else {
        const word = ['true', 'false', 'null'].find((w) => t.startsWith(w, i));
        if (!word) return i;
        i += word.length;
      }
      state = 'after';
    } else if (state === 'key') {
      if (t[i] !== '"' || !str()) return i;
      ws();
      if (t[i] !== ':') return i;
      i++;
      state = 'value';
    } else {
      const top = open[open.length - 1];
      if (top === undefined) return i < t.length ? i : -1;
      if (t[i] === ',') {
        i++;
        state = top === '{' ? 'key' : 'value';
      } else if (t[i] === (top === '{' ? '}' : ']')) {
        i++;
        open.pop();
      } else return i;
    }
  }
}
