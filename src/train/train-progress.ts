/**
 * The training progress line: the shared Progress bar (steps/total, steps/s, ETA; a redrawn line on a
 * terminal, plain periodic lines otherwise) with the latest loss and accuracy appended.
 */
import { Progress, type ProgressOptions } from '../util/progress.js';

export class TrainProgress extends Progress {
  private suffix = '';
  private readonly onTerminal: boolean;

  /**
   * `start`: the step a resumed run starts from. The bar, rate and ETA then count this session's
   * steps (total - start of them), and the absolute step is shown after the bar.
   */
  constructor(label: string, private readonly totalSteps: number, private readonly startStep: number, opts: ProgressOptions = {}) {
    super(label, totalSteps - startStep, { unit: 'steps', ...opts });
    this.onTerminal = !opts.silent && Boolean((opts.stream ?? process.stderr).isTTY);
  }

  /** Shows step `step` (absolute) with its reduced train/* metrics. */
  show(step: number, m: Record<string, number>): void {
    const f = (k: string, d = 4) => (m[k] === undefined ? '?' : m[k].toFixed(d));
    const at = this.startStep > 0 ? `step ${step}/${this.totalSteps} ` : '';
    this.suffix = `${at}loss ${f('train/lm_loss')} acc ${f('train/accuracy')} exact ${f('train/exact_accuracy')} act-steps ${f('train/steps', 1)}`;
    this.update(step - this.startStep);
  }

  /** Ends the redrawn terminal line so other output starts on a fresh one. */
  pause(): void {
    if (this.onTerminal) process.stderr.write('\n');
  }

  override format(now = Date.now()): string {
    return this.suffix ? `${super.format(now)} | ${this.suffix}` : super.format(now);
  }
}
