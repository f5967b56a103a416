/**
 * Ctrl-C (SIGINT) and SIGTERM during training. Training runs synchronously from one step to the next,
 * and a JS signal handler runs only when the event loop gets a turn; so the loop yields once per
 * training step and per evaluation batch (a setImmediate: microseconds against a step's milliseconds)
 * and, after a signal, stops there with one line saying which checkpoint is the last good one. Resume
 * points are written atomically, so stopping between steps loses only the work since the last one,
 * as a kill -9 would, but the user is told where to continue from.
 */
import { UserError } from '../util/errors.js';

/** The exit status a shell reports for a process stopped by `sig` (128 + its number). */
export function signalExitCode(sig: NodeJS.Signals): number {
  return sig === 'SIGINT' ? 130 : 143;
}

/** Training stopped by a signal: the CLI prints the message and exits with `exitCode`. */
export class TrainingInterrupted extends UserError {
  readonly exitCode: number;
  constructor(readonly signal: NodeJS.Signals, message: string) {
    super(message);
    this.exitCode = signalExitCode(signal);
  }
}

/** Thrown inside the loop at the first yield after a signal; the loop turns it into TrainingInterrupted. */
export class StopRequested extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped by ${signal}`);
  }
}

export class StopSignals {
  private received: NodeJS.Signals | null = null;
  private readonly onSignal = (sig: NodeJS.Signals) => {
    this.received ??= sig;
  };

  constructor() {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** Lets a pending signal's handler run; throws StopRequested if one came. */
  async check(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.received) throw new StopRequested(this.received);
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
