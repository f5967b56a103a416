/**
 * UserError: a problem with what the user gave us (a flag, a file, a config value).
 * The CLI prints its message alone, without a stack trace, and exits with status 1.
 * Always name the file (and line, key or task) and say what is wrong, on the first line; details, if
 * any, go on the lines after it. Text from a file goes through `quote`; the constructor escapes any
 * control character that still gets in (except the newlines between lines), so a message never moves
 * a terminal's cursor, changes its colours or reverses the text direction.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(safeText(message));
    this.name = 'UserError';
  }
}

/** `s` on one line: messages quoted from parsers (JSON.parse shows the text around an error) may hold newlines. */
export function oneLine(s: string): string {
  return safeText(s.replace(/\s*[\r\n]+\s*/g, ' '));
}

// C0 controls but '\n', DEL, C1 controls, the line/paragraph separators and the bidirectional overrides
// (and the invisible zero-width characters, which would hide what differs).
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
const UNSAFE_OR_NEWLINE = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `s` with the characters a terminal acts on written as escapes (\x1b, \u202e); newlines are kept. */
export function safeText(s: string): string {
  return s.replace(UNSAFE, escapeChar);
}

/**
 * Text from a user's file or argument as a message quotes it: in double quotes, every control
 * character (newlines included) escaped, cut to `max` characters with the length left said.
 */
export function quote(s: string, max = 40): string {
  const chars = Array.from(s);
  const cut = chars.length > max ? chars.slice(0, max).join('') : s;
  const more = chars.length > max ? `... (${chars.length - max} more characters)` : '';
  return `"${cut.replace(/["\\]/g, (c) => '\\' + c).replace(UNSAFE_OR_NEWLINE, escapeChar)}"${more}`;
}

/** A JSON value read from a file, described for a message: its type and a short quoted form. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${quote(v, 20)}`;
  return String(v);
}
