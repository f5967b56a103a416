/**
 * metrics.jsonl: one JSON object per line, appended as the run goes:
 *   {"step": 12, "kind": "train", "train/lm_loss": ..., "train/accuracy": ..., "train/lr": ...}
 *   {"step": 120, "kind": "eval", "epoch": 10, "all/accuracy": ..., "all/exact_accuracy": ...}
 * Lines are buffered and appended whole (one write per flush). A resume point remembers the file's
 * length, and resuming cuts the file back to it, so a line half-written by `kill -9` or lines of work
 * that is redone after resume never stay in the log.
 */
import { UserError } from '../util/errors.js';
import { describeSyntaxError } from '../util/json-file.js';
import { withPath } from '../util/io-errors.js';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';

export type MetricRecord = { step: number; kind: 'train' | 'eval' } & Record<string, number | string>;

export class MetricsLog {
  private pending: string[] = [];

  constructor(readonly path: string) {}

  append(rec: MetricRecord): void {
    this.pending.push(JSON.stringify(rec, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) + '\n');
  }

  /** Writes buffered lines; with `sync`, also fsyncs (before a resume point records the length). */
  flush(sync = false): void {
    if (this.pending.length === 0 && !sync) return;
    withPath(this.path, () => this.write(sync));
  }

  private write(sync: boolean): void {
    const fd = openSync(this.path, 'a');
    try {
      if (this.pending.length) {
        const buf = Buffer.from(this.pending.join(''));
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
        this.pending = [];
      }
      if (sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** The committed length in bytes (after a flush). */
  size(): number {
    return existsSync(this.path) ? statSync(this.path).size : 0;
  }

  /** Cuts the file back to `bytes` (the length recorded with a resume point). */
  truncateTo(bytes: number): void {
    this.pending = [];
    if (!existsSync(this.path)) {
      if (bytes > 0) throw new UserError(`${this.path}: missing (the resume point expects ${bytes} bytes of metrics)`);
      return;
    }
    if (statSync(this.path).size > bytes) truncateSync(this.path, bytes);
  }
}

/** Reads metrics.jsonl; an incomplete last line (a crash while appending) is skipped. */
export function readMetrics(path: string): MetricRecord[] {
  if (!existsSync(path)) return [];
  const out: MetricRecord[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricRecord);
    } catch {
      if (i < lines.length - 1) throw new UserError(`${path}:${i + 1}: not a JSON line (${describeSyntaxError(line).replace(/^line 1, /, '')})`);
    }
  }
  return out;
}
