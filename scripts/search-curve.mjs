#!/usr/bin/env node
/**
 * Solved % against model calls for the Sudoku search (issue 24), with the model's own answers beside it.
 *
 *   node scripts/search-curve.mjs --file ../shared/data/sudoku/sudoku-extreme-train-1k/train.csv \
 *     [--count 1000] [--start 0] [--budget 1024] [--model sudoku] [--batch 32] [--chunk 25] [--search-segments N] [--reuse N] [--out results.jsonl]
 *     [--uniform]   the control: the same search with a model that knows nothing (every digit 1/9
 *                   at every cell, no call costs time), to show what the trained model's guidance adds
 *   (--start N continues a stopped run: its lines are appended to --out)
 *   node scripts/search-curve.mjs --from results.jsonl       # the table again from a (partial) run
 *
 * One run with the largest budget gives the whole curve: a puzzle's search does not depend on its
 * budget or on the other puzzles in its batches, so a smaller budget would have stopped it at the same
 * place. Each puzzle's line goes to --out as soon as it is done, so a stopped run still has a table.
 * Prints a Markdown table: calls -> solved %, and the medians of calls and of ms per puzzle (the puzzle's
 * share of its batches' wall time) and of boards the search visited (asked or not), plus the process CPU time per puzzle (the figure to compare on a
 * loaded machine). Only the rules judge; the file's answers, when it has any, are not used.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const STEPS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

function table(rows, budget, extra) {
  const n = rows.length;
  const pct = (k) => ((100 * k) / n).toFixed(1);
  const solvedBy = (c) => rows.filter((r) => r.valid && r.calls <= c).length;
  const sorted = (xs) => [...xs].sort((a, b) => a - b);
  const median = (xs) => {
    const s = sorted(xs);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const steps = STEPS.filter((c) => c <= budget);
  const lines = [];
  lines.push(`${n} puzzles; the model's own answer valid: ${pct(rows.filter((r) => r.model_valid).length)}%; with the search (budget ${budget} calls): ${pct(rows.filter((r) => r.valid).length)}%`);
  lines.push(`median model calls ${median(rows.map((r) => r.calls))}, boards visited ${median(rows.map((r) => r.boards ?? NaN))}, median ms per puzzle ${median(rows.map((r) => r.ms)).toFixed(0)}, mean ${(rows.reduce((s, r) => s + r.ms, 0) / n).toFixed(0)}${extra ? `; ${extra}` : ''}`);
  lines.push('');
  lines.push(`| model calls <= | ${steps.join(' | ')} |`);
  lines.push(`|---|${steps.map(() => '---').join('|')}|`);
  lines.push(`| solved % | ${steps.map((c) => pct(solvedBy(c))).join(' | ')} |`);
  return lines.join('\n');
}

if (opt('--from')) {
  const rows = readFileSync(opt('--from'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  console.log(table(rows, Math.max(...rows.map((r) => r.budget ?? r.calls))));
  process.exit(0);
}

const file = opt('--file');
if (!file) {
  console.error('usage: node scripts/search-curve.mjs --file PUZZLES [--count N] [--budget CALLS] [--model NAME|PATH] [--batch N] [--out results.jsonl] | --from results.jsonl');
  process.exit(1);
}
const count = Number(opt('--count', '1000'));
const budget = Number(opt('--budget', '1024'));
const out = opt('--out');
const { loadModel } = await import('../dist/src/index.js');
const { searchSudoku } = await import('../dist/src/solve/sudoku-search.js');
const { sudokuDigits } = await import('../dist/src/solve/search-solve.js');
const model = loadModel(opt('--model', 'sudoku'));
const uniform = args.includes('--uniform');
const start = Number(opt('--start', '0'));
const puzzles = model.parse('sudoku', readFileSync(file, 'utf8'), file).slice(start, start + count);
if (out && start === 0) writeFileSync(out, '');
const cpu0 = process.cpuUsage();
const t0 = Date.now();
const rows = [];
// in chunks, so a stopped run has written every chunk it finished
const chunk = Number(opt('--chunk', '25'));
for (let at = 0; at < puzzles.length && uniform; at += chunk) {
  const questions = puzzles.slice(at, at + chunk).map(sudokuDigits);
  const ask = (boards) => ({ views: boards.map(() => ({ probs: new Float32Array(81 * 9).fill(1 / 9), digits: new Uint8Array(81) })), ms: 0 });
  const reuse = opt('--reuse') ? { reuse: Number(opt('--reuse')) } : {};
  searchSudoku(questions, ask, { calls: budget, batch: Number(opt('--batch', '32')), ...reuse }, (i, o) => {
    const row = { index: start + at + i, valid: o.solved, model_valid: false, calls: o.calls, boards: o.steps.length, ms: Math.round(o.ms * 10) / 10, budget };
    rows.push(row);
    if (out) appendFileSync(out, JSON.stringify(row) + '\n');
  });
}
for (let at = 0; at < puzzles.length && !uniform; at += chunk) {
  model.solve('sudoku', puzzles.slice(at, at + chunk), { search: true, budget, batchSize: Number(opt('--batch', '32')), ...(opt('--search-segments') ? { searchSegments: Number(opt('--search-segments')) } : {}), ...(opt('--reuse') ? { searchReuse: Number(opt('--reuse')) } : {}) }, (r) => {
    const row = { index: start + at + r.index, valid: r.valid, model_valid: r.search.model_valid, calls: r.calls, boards: r.search.steps.length, ms: Math.round(r.ms * 10) / 10, budget };
    rows.push(row);
    if (out) appendFileSync(out, JSON.stringify(row) + '\n');
  });
}
const cpu = process.cpuUsage(cpu0);
const threads = process.env.HRM_THREADS ?? '2';
console.log(`${file}, ${start > 0 ? `${puzzles.length} from ${start}` : `first ${puzzles.length}`}, ${cpus().length} CPUs, HRM_THREADS=${threads}`);
console.log(table(rows, budget, `CPU ${((cpu.user + cpu.system) / 1000 / rows.length).toFixed(0)} ms per puzzle, wall ${((Date.now() - t0) / 1000).toFixed(0)} s`));
model.dispose();
