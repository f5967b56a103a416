/**
 * A small progress reporter for long loops (dataset builds, training). On a TTY it redraws one line with
 * `\r` (bar, count/total, rate, ETA); otherwise (logs, CI) it prints a plain line every few seconds so
 * log files stay short. Cheap to call every iteration: it looks at the clock only every `checkEvery` ticks.
 */
export interface ProgressOptions {
  /** Unit printed after the rate, e.g. 'puzzles' -> '1234 puzzles/s'. */
  unit?: string;
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Seconds between plain lines when not a TTY (default 5). */
  plainIntervalS?: number;
  /** Print nothing at all (tests, --quiet). */
  silent?: boolean;
}

export class Progress {
  private count = 0;
  private readonly start = Date.now();
  private lastDraw = Date.now(); // the first line comes after one interval, so quick jobs print only the final line
  private sinceCheck = 0;
  private readonly checkEvery: number;
  private readonly tty: boolean;
  private readonly unit: string;
  private readonly plainIntervalMs: number;
  private readonly stream: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  private readonly silent: boolean;
  private done = false;

  /** total: expected count, or 0 when unknown (then no bar or ETA is shown). */
  constructor(readonly label: string, private total: number, opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.unit = opts.unit ?? 'it';
    this.plainIntervalMs = (opts.plainIntervalS ?? 5) * 1000;
    this.silent = Boolean(opts.silent);
    this.checkEvery = total > 0 ? Math.max(1, Math.floor(total / 2000)) : 64;
  }

  /** Advance by n (default 1). */
  tick(n = 1): void {
    this.count += n;
    this.sinceCheck += n;
    if (this.silent || this.sinceCheck < this.checkEvery) return;
    this.sinceCheck = 0;
    const now = Date.now();
    const interval = this.tty ? 100 : this.plainIntervalMs;
    if (now - this.lastDraw >= interval) {
      this.lastDraw = now;
      this.draw(now, false);
    }
  }

  /** Set the absolute count (for loops that know where they are). */
  update(count: number): void {
    this.tick(count - this.count);
  }

  setTotal(total: number): void {
    this.total = total;
  }

  /** Print the final line (always, unless silent). */
  finish(): void {
    if (this.done) return;
    this.done = true;
    if (!this.silent) this.draw(Date.now(), true);
  }

  /** The line that would be printed now (exposed for tests). */
  format(now = Date.now()): string {
    const elapsed = Math.max(1e-3, (now - this.start) / 1000);
    const rate = this.count / elapsed;
    const parts = [this.label];
    if (this.total > 0) {
      const frac = Math.min(1, this.count / this.total);
      if (this.tty) {
        const width = 24;
        const filled = Math.round(frac * width);
        parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`);
      }
      parts.push(`${this.count}/${this.total}`, `${(frac * 100).toFixed(1)}%`);
    } else {
      parts.push(`${this.count}`);
    }
    parts.push(`${formatRate(rate)} ${this.unit}/s`);
    if (this.total > 0 && this.count < this.total && rate > 0) parts.push(`ETA ${formatDuration((this.total - this.count) / rate)}`);
    else parts.push(`elapsed ${formatDuration(elapsed)}`);
    return parts.join(' ');
  }

  private draw(now: number, final: boolean): void {
    const line = this.format(now);
    if (this.tty) {
      const cols = this.stream.columns ?? 100;
      this.stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length + 8))}${final ? '\n' : ''}`);
    } else {
      this.stream.write(line + '\n');
    }
  }
}

export function formatRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M`;
  if (r >= 1e4) return `${(r / 1e3).toFixed(1)}k`;
  if (r >= 100) return r.toFixed(0);
  return r.toFixed(2);
}

export function formatDuration(s: number): string {
  if (!isFinite(s)) return '?';
  s = Math.round(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}
