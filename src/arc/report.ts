/**
 * What an ARC evaluation leaves in the run folder, and the per-task report a person reads:
 * `submission.json` (Kaggle format), `arc_votes.json` (per task and test input: the input, the right
 * answer, the top candidates with their votes and mean halting confidence) and `arc_report.html`
 * (self-contained, ARC's 10-colour palette). `hrm arc report` prints the same from arc_votes.json.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UserError } from '../util/errors.js';
import { pathKind } from '../util/io-errors.js';
import { readJsonFile } from '../util/json-file.js';
import { checkVotesFile, type VotesFile } from './votes-check.js';
import { writeSubmission } from './submission.js';
import { arcOutputPaths, assertArcOutputsWritable } from './output-files.js';
import { PASS_KS, gridKey, gridToRows, passAtK, type ArcScores, type TaskVotes } from './voting.js';

export type { VotesFile };
type Rows = number[][];

export const VOTES_FORMAT = 'hrm-ts-arc-votes/1';
/** Candidates kept per test input in arc_votes.json (pass@K beyond this is in the scores). */
const KEEP = 10;

/** ARC's colours 0-9 (the ARC Prize's viewer). */
export const ARC_PALETTE = ['#000000', '#0074D9', '#FF4136', '#2ECC40', '#FFDC00', '#AAAAAA', '#F012BE', '#FF851B', '#7FDBFF', '#870C25'];

export function votesFile(tasks: TaskVotes[], step: number): VotesFile {
  return {
    format: VOTES_FORMAT,
    step,
    scores: passAtK(tasks),
    tasks: tasks.map((tv) => ({
      task: tv.task,
      tests: tv.tests.map((t) => {
        const lk = t.label ? gridKey(t.label) : null;
        const rank = lk === null ? -1 : t.candidates.findIndex((c) => c.key === lk);
        return {
          input: gridToRows(t.input),
          label: t.label ? gridToRows(t.label) : null,
          copies: t.copies,
          candidates_total: t.candidates.length,
          votes_total: t.candidates.reduce((s, c) => s + c.votes, 0),
          right_rank: rank >= 0 ? rank + 1 : null,
          candidates: t.candidates.slice(0, KEEP).map((c) => ({ grid: gridToRows(c.grid), votes: c.votes, mean_q: c.meanQ })),
        };
      }),
    })),
  };
}

export interface ArcOutputFiles {
  submission: string;
  votes: string;
  report: string;
}

/**
 * Writes submission.json, arc_votes.json and arc_report.html into `dir`, replacing only files of
 * those names that hrm wrote (src/arc/output-files.ts).
 */
export function writeArcOutputs(dir: string, step: number, tasks: TaskVotes[]): ArcOutputFiles {
  const files = arcOutputPaths(dir);
  assertArcOutputsWritable(files);
  writeSubmission(files.submission, tasks);
  const v = votesFile(tasks, step);
  writeFileAtomic(files.votes, JSON.stringify(v) + '\n');
  writeFileAtomic(files.report, renderHtml(v));
  return files;
}

export function readVotesFile(path: string): VotesFile {
  const p = pathKind(path) === 'dir' ? join(path, 'arc_votes.json') : path;
  if (pathKind(p) === null) throw new UserError(`${path}: no arc_votes.json here (run hrm eval or hrm arc vote on an ARC run first)`);
  return checkVotesFile(readJsonFile(p), p, VOTES_FORMAT);
}

export function formatScores(s: ArcScores): string {
  const ks = PASS_KS.filter((k) => k in s.official);
  const row = (r: Record<number, number>) => ks.map((k) => `${(100 * r[k]).toFixed(1)}%`.padStart(10)).join('');
  return [
    `ARC, ${s.tasks} tasks`.padEnd(34) + ks.map((k) => `pass@${k}`.padStart(10)).join(''),
    `${'  fraction of test inputs (ARC Prize)'.padEnd(34)}${row(s.official)}`,
    `${'  all test inputs (notebook)'.padEnd(34)}${row(s.allTests)}`,
  ].join('\n');
}

function solvedAt2(t: VotesFile['tasks'][number]['tests'][number]): boolean {
  return t.right_rank !== null && t.right_rank <= 2;
}

/** Cells as digits, or as coloured blocks on a terminal. */
function gridLines(g: Rows | null, colour: boolean): string[] {
  if (!g) return ['(unknown)'];
  return g.map((row) => row.map((v) => (colour ? `\x1b[48;5;${ANSI[v]}m  \x1b[0m` : String(v))).join(''));
}
// xterm-256 colours nearest to ARC_PALETTE
const ANSI = [16, 33, 203, 41, 220, 248, 201, 208, 117, 88];

/** The terminal view: per task, each test input with the answer and the top candidates side by side. */
export function renderTerminal(v: VotesFile, opts: { colour?: boolean; top?: number; task?: string } = {}): string {
  const top = opts.top ?? 3;
  const colour = opts.colour ?? false;
  const out: string[] = [`step ${v.step}`, formatScores(v.scores), ''];
  const tasks = opts.task ? v.tasks.filter((t) => t.task === opts.task) : v.tasks;
  if (opts.task && tasks.length === 0) throw new UserError(`task '${opts.task}' is not in this evaluation`);
  for (const t of tasks) {
    const right = t.tests.filter(solvedAt2).length;
    out.push(`== ${t.task}: ${right}/${t.tests.length} test inputs right at pass@2${right === t.tests.length ? ' (solved)' : ''}`);
    t.tests.forEach((x, i) => {
      out.push(`  test ${i}: ${x.copies ?? '?'} copies, ${x.votes_total} votes over ${x.candidates_total} distinct grids; right answer ${x.right_rank ? `ranked ${x.right_rank}` : 'not among them'}`);
      const cols: { title: string; lines: string[] }[] = [
        { title: 'input', lines: gridLines(x.input, colour) },
        { title: 'answer', lines: gridLines(x.label, colour) },
        ...x.candidates.slice(0, top).map((c, r) => ({
          title: `#${r + 1} ${c.votes}v q${c.mean_q.toFixed(2)}${x.right_rank === r + 1 ? ' ok' : ''}`,
          lines: gridLines(c.grid, colour),
        })),
      ];
      const width = (c: { title: string; lines: string[] }) => Math.max(c.title.length, ...c.lines.map((l) => visible(l)));
      const widths = cols.map(width);
      const height = Math.max(...cols.map((c) => c.lines.length));
      out.push('    ' + cols.map((c, j) => c.title.padEnd(widths[j])).join('   '));
      for (let r = 0; r < height; r++) out.push('    ' + cols.map((c, j) => pad(c.lines[r] ?? '', widths[j])).join('   '));
    });
    out.push('');
  }
  return out.join('\n');
}

const visible = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;
const pad = (s: string, w: number): string => s + ' '.repeat(Math.max(0, w - visible(s)));

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function htmlGrid(g: Rows | null): string {
  if (!g) return '<div class="none">unknown</div>';
  return `<table class="g">${g.map((row) => `<tr>${row.map((v) => `<td class="c${v}"></td>`).join('')}</tr>`).join('')}</table>`;
}

/** A self-contained page (inline CSS, no scripts, no external resources). */
export function renderHtml(v: VotesFile): string {
  const ks = PASS_KS.filter((k) => k in v.scores.official);
  const css = [
    'body{font:14px system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222}',
    'table.s{border-collapse:collapse}table.s td,table.s th{border:1px solid #ccc;padding:2px 8px;text-align:right}',
    'table.g{border-collapse:collapse;display:inline-table}table.g td{width:10px;height:10px;border:1px solid #555;padding:0}',
    '.task{border-top:2px solid #999;margin-top:1.2em;padding-top:.4em}.ok{color:#18794e}.bad{color:#b42318}',
    '.row{display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start;margin:.4em 0 .8em}.cell{font-size:12px}',
    '.right{outline:3px solid #2ECC40}.none{color:#888}',
    ...ARC_PALETTE.map((c, i) => `.c${i}{background:${c}}`),
  ].join('\n');
  const solved = v.tasks.filter((t) => t.tests.every(solvedAt2)).length;
  const parts: string[] = [
    `<!doctype html><html><head><meta charset="utf-8"><title>ARC report, step ${v.step}</title><style>${css}</style></head><body>`,
    `<h1>ARC evaluation, step ${v.step}</h1>`,
    `<p>${v.scores.tasks} tasks; ${solved} fully solved at pass@2.</p>`,
    '<table class="s"><tr><th>rule</th>' + ks.map((k) => `<th>pass@${k}</th>`).join('') + '</tr>',
    '<tr><td>fraction of test inputs (ARC Prize, TRM)</td>' + ks.map((k) => `<td>${(100 * v.scores.official[k]).toFixed(1)}%</td>`).join('') + '</tr>',
    '<tr><td>all test inputs (reference notebook)</td>' + ks.map((k) => `<td>${(100 * v.scores.allTests[k]).toFixed(1)}%</td>`).join('') + '</tr></table>',
    '<h2>Tasks</h2><p>' + v.tasks.map((t) => `<a href="#${esc(t.task)}" class="${t.tests.every(solvedAt2) ? 'ok' : 'bad'}">${esc(t.task)}</a>`).join(' ') + '</p>',
  ];
  for (const t of v.tasks) {
    const right = t.tests.filter(solvedAt2).length;
    parts.push(`<div class="task" id="${esc(t.task)}"><h3 class="${right === t.tests.length ? 'ok' : 'bad'}">${esc(t.task)}: ${right}/${t.tests.length} right at pass@2</h3>`);
    t.tests.forEach((x, i) => {
      parts.push(`<div>test ${i}: ${x.copies ?? '?'} copies, ${x.votes_total} votes over ${x.candidates_total} distinct grids; right answer ${x.right_rank ? `ranked ${x.right_rank}` : 'not among them'}</div><div class="row">`);
      parts.push(`<div class="cell">input<br>${htmlGrid(x.input)}</div><div class="cell">answer<br>${htmlGrid(x.label)}</div>`);
      x.candidates.slice(0, 5).forEach((c, r) => {
        parts.push(`<div class="cell${x.right_rank === r + 1 ? ' right' : ''}">#${r + 1}: ${c.votes} votes, q ${c.mean_q.toFixed(3)}<br>${htmlGrid(c.grid)}</div>`);
      });
      parts.push('</div>');
    });
    parts.push('</div>');
  }
  parts.push('</body></html>\n');
  return parts.join('\n');
}
