/**
 * Standard output whose reader has gone: `hrm solve ... --json | head -1` closes the pipe after one line.
 * Like other command-line tools, hrm then stops quietly with status 0 (the reader chose to read no more):
 * no EPIPE stack trace, and no minutes spent on answers nobody reads.
 */

/** Thrown by a long loop that finds standard output closed; the CLI exits 0 without a message. */
export class OutputClosed extends Error {
  constructor() {
    super('standard output was closed by its reader');
    this.name = 'OutputClosed';
  }
}

/**
 * Whether standard output can no longer be written (a write to a closed pipe failed with EPIPE). A pipe's
 * write fails synchronously and marks the stream's state errored at once, but its 'error' event and
 * `destroyed` wait for the next tick, which a synchronous solve loop would reach only at its end; Node 20
 * has no public getter for that state on a socket (`writableErrored` is undefined, `errored` is the
 * readable side's), hence `_writableState`.
 */
export function stdoutClosed(): boolean {
  const state = (process.stdout as unknown as { _writableState?: { errored?: unknown } })._writableState;
  return (state?.errored ?? null) !== null || process.stdout.destroyed || process.stdout.writableEnded;
}

/** Writes `text` to standard output; throws OutputClosed once its reader has gone. */
export function writeOut(text: string): void {
  if (stdoutClosed()) throw new OutputClosed();
  process.stdout.write(text);
  if (stdoutClosed()) throw new OutputClosed();
}

/**
 * Makes a closed pipe on standard output or standard error end the process quietly with status 0, and
 * any other failure to write standard output end it with one line (a full disk under `> file`).
 */
export function exitQuietlyOnClosedOutput(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    process.stderr.write(`hrm: cannot write the output: ${e.code ?? ''} ${e.message.split('\n')[0]}\n`);
    process.exit(1);
  });
  process.stderr.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
}
