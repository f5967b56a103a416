/**
 * What a run prints at the end (and writes as summary.json), and the one-line form of evaluation
 * metrics used in logs.
 */
import { formatDuration } from '../util/progress.js';

export interface RunSummary {
  run_dir: string;
  steps: number;
  total_steps: number;
  /** training wall time over all sessions of the run (resumes included) */
  seconds: number;
  /** this session's training throughput */
  steps_per_second: number;
  final_checkpoint: string;
  /** the last evaluation: "<set>/<metric>" -> value */
  eval: Record<string, number>;
}

const ORDER = ['exact_accuracy', 'accuracy', 'q_halt_accuracy', 'steps', 'lm_loss', 'q_halt_loss', 'q_continue_loss',
  ...[1, 2, 10, 100, 1000].flatMap((k) => [`pass@${k}`]), ...[1, 2, 10, 100, 1000].map((k) => `all_tests_pass@${k}`)];

function sortedKeys(m: Record<string, number>): string[] {
  const rank = (k: string) => (ORDER.indexOf(k) < 0 ? ORDER.length : ORDER.indexOf(k));
  return Object.keys(m).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** "all: exact_accuracy 0.4100 accuracy 0.8123 ..." for each set. */
export function formatEval(sets: Record<string, Record<string, number>>): string {
  return Object.entries(sets)
    .map(([set, m]) => `${set}: ${sortedKeys(m).map((k) => `${k} ${m[k].toFixed(4)}`).join(' ')}`)
    .join('; ');
}

export function formatSummary(s: RunSummary): string {
  const sets: Record<string, Record<string, number>> = {};
  for (const [k, v] of Object.entries(s.eval)) {
    const i = k.lastIndexOf('/');
    (sets[k.slice(0, i)] ??= {})[k.slice(i + 1)] = v;
  }
  const lines = [
    `done: ${s.steps}/${s.total_steps} steps in ${formatDuration(s.seconds)} (${s.steps_per_second.toFixed(2)} steps/s this session)`,
    `checkpoint: ${s.final_checkpoint}`,
  ];
  for (const [set, m] of Object.entries(sets)) {
    if (set === 'ARC') {
      // The ARC set holds voted pass@K (src/arc), not token metrics.
      const pct = (k: string) => `${(100 * (m[k] ?? NaN)).toFixed(1)}%`;
      lines.push(`ARC (voted): pass@1 ${pct('pass@1')}, pass@2 ${pct('pass@2')} of test inputs (all test inputs of a task: ${pct('all_tests_pass@1')}, ${pct('all_tests_pass@2')}); submission ${s.run_dir}/submission.json, report ${s.run_dir}/arc_report.html`);
      continue;
    }
    lines.push(`held-out '${set}': exact accuracy ${(100 * (m.exact_accuracy ?? NaN)).toFixed(2)}%, token accuracy ${(100 * (m.accuracy ?? NaN)).toFixed(2)}%, ACT steps ${(m.steps ?? NaN).toFixed(1)}`);
  }
  lines.push(`curves: ${s.run_dir}/curves.svg, metrics: ${s.run_dir}/metrics.jsonl`);
  return lines.join('\n');
}
