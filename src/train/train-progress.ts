/**
 * The training progress line: the shared Progress bar (steps/total, steps/s, ETA; a redrawn line on a
 * terminal, plain periodic lines otherwise) with the latest loss and accuracy appended.
 */
import { Progress, type ProgressOptions } from '../util/progress.js';

export class TrainProgress extends Progress {
  private suffix = '';
  private halted: Record<string, number> = {};
  private readonly onTerminal: boolean;

  /**
   * `start`: the step a resumed run starts from. The bar, rate and ETA then count this session's
   * steps (total - start of them), and the absolute step is shown after the bar.
   */
  constructor(label: string, private readonly totalSteps: number, private readonly startStep: number, opts: ProgressOptions = {}) {
    super(label, totalSteps - startStep, { unit: 'steps', ...opts });
    this.onTerminal = !opts.silent && Boolean((opts.stream ?? process.stderr).isTTY);
  }

  /**
   * Shows step `step` (absolute) with its reduced train/* metrics. Accuracies and ACT steps are
   * those of the latest step in which some rows halted (count > 0): other steps have none.
   */
  show(step: number, m: Record<string, number>): void {
    if ((m['train/count'] ?? 0) > 0) this.halted = m;
    const f = (src: Record<string, number>, k: string, d = 4) => (src[k] === undefined ? '?' : src[k].toFixed(d));
    const at = this.startStep > 0 ? `step ${step}/${this.totalSteps} ` : '';
    const h = this.halted;
    this.suffix = `${at}loss ${f(m, 'train/lm_loss')} acc ${f(h, 'train/accuracy')} exact ${f(h, 'train/exact_accuracy')} act-steps ${f(h, 'train/steps', 1)}`;
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
