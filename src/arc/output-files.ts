/**
 * The files an ARC evaluation writes (submission.json, arc_votes.json, arc_report.html) go beside the
 * outputs or into output_dir=, where a user may keep files of the same names (their own Kaggle
 * submission, say). hrm replaces only files it wrote itself, recognised by their content: a
 * re-evaluation or a re-vote refreshes them; anything else there stops the command, before any
 * of the three is written, with one line naming the file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertReplaceableFile } from '../util/no-clobber.js';

export interface ArcOutputPaths {
  submission: string;
  votes: string;
  report: string;
}

export function arcOutputPaths(dir: string): ArcOutputPaths {
  return { submission: join(dir, 'submission.json'), votes: join(dir, 'arc_votes.json'), report: join(dir, 'arc_report.html') };
}

/**
 * submission.json as submissionJson (src/arc/submission.ts) lays it out: one line per test input,
 * `{"attempt_1":...,"attempt_2":...}`. Another tool's file, valid or not, is laid out otherwise.
 */
function isOwnSubmission(path: string): boolean {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines[0] !== '{' || lines.at(-1) !== '' || lines.at(-2) !== '}') return false;
  const ok = lines.slice(1, -2).every((l) => l === '' || /^ {2}"(?:[^"\\]|\\.)*": \[$/.test(l) || /^ {4}\{"attempt_1":\[.*\],"attempt_2":\[.*\]\},?$/.test(l) || /^ {2}\],?$/.test(l));
  if (!ok) return false;
  JSON.parse(text);
  return true;
}

function isOwnVotes(path: string): boolean {
  const v = JSON.parse(readFileSync(path, 'utf8')) as { format?: unknown };
  return typeof v.format === 'string' && v.format.startsWith('hrm-ts-arc-votes/');
}

function isOwnReport(path: string): boolean {
  const text = readFileSync(path, 'utf8');
  return text.startsWith('<!doctype html><html><head><meta charset="utf-8"><title>ARC report, step ') && text.endsWith('</body></html>\n');
}

/** Throws a UserError naming the first of the three that hrm may not replace. */
export function assertArcOutputsWritable(p: ArcOutputPaths, hint = 'move it away first'): void {
  assertReplaceableFile(p.submission, isOwnSubmission, hint);
  assertReplaceableFile(p.votes, isOwnVotes, hint);
  assertReplaceableFile(p.report, isOwnReport, hint);
}
