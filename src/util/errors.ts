/**
 * UserError: a problem with what the user gave us (a flag, a file, a config value).
 * The CLI prints its message alone, without a stack trace, and exits with status 1.
 * Always name the file (and line, key or task) and say what is wrong.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** `s` on one line: messages quoted from parsers (JSON.parse shows the text around an error) may hold newlines. */
export function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}
