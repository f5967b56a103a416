#!/usr/bin/env node
// Issue #12's comparison: HRM, TRM (attention and mlp_t) and the transformer baseline at the quick
// start's size (hidden 64) on the same data and the same CPU time, scored by held-out exact accuracy.
//
//   node scripts/compare-archs.mjs [--only sudoku|maze] [--dry-run]
//
// Equal CPU time is given as a step count: each architecture's training rate on 2 idle cores of the
// Zen 3 machine (steps/s, measured as configs/README.md says) times the task's budget (12 minutes for
// Sudoku, 8 for mazes). Steps, not a clock, so the result does not depend on what else the machine is
// doing, nor on the thread count; the script runs each job with one thread. Data: the quick start's
// 20,000 + 1,000 Sudoku puzzles with 30-36 clues (seed 0), and 20,000 + 1,000 generated 12x12 mazes with
// shortest paths of at least 24 steps (seed 0; a 30x30 maze costs 6x the tokens, too many for minutes).
// Each run trains on the first epochs x K training puzzles (K = steps x 64 / epochs, fresh data as far
// as 20,000 allow) and is evaluated on all 1,000 held-out ones. Results: compare/results.json and a table.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const dryRun = args.includes('--dry-run');
const OUT = 'compare';
const BATCH = 64;

const DATA = {
  sudoku: { dir: 'data/sudoku-quickstart', build: ['data', 'sudoku', '--generate', '21000', '--clues', '30-36', '--test-fraction', String(1000 / 21000), '--seed', '0'] },
  maze: { dir: 'data/maze-12x12', build: ['data', 'maze', '--generate', '21000', '--size', '12', '--min-path', '24', '--test-fraction', String(1000 / 21000), '--seed', '0'] },
};

const ARCH = {
  'trm-mlpt': ['arch.name=trm', 'arch.mlp_t=true', 'arch.pos_encodings=none', 'arch.L_layers=2', 'arch.H_cycles=3', 'arch.L_cycles=4'],
  'trm-attn': ['arch.name=trm', 'arch.mlp_t=false', 'arch.pos_encodings=rope', 'arch.L_layers=2', 'arch.H_cycles=3', 'arch.L_cycles=4'],
  hrm: ['arch.name=hrm_v1', 'arch.pos_encodings=rope', 'arch.H_layers=2', 'arch.L_layers=2', 'arch.H_cycles=2', 'arch.L_cycles=2'],
  baseline: ['arch.name=transformers_baseline', 'arch.pos_encodings=rope', 'arch.H_layers=4'],
};

// steps = idle steps/s (2 threads, Zen 3) x budget seconds; the rates are configs/README.md's
const JOBS = [
  { task: 'sudoku', arch: 'trm-mlpt', steps: 828 },
  { task: 'sudoku', arch: 'trm-attn', steps: 749 },
  { task: 'sudoku', arch: 'hrm', steps: 1627 },
  { task: 'sudoku', arch: 'baseline', steps: 1937 },
  { task: 'maze', arch: 'trm-mlpt', steps: 274 },
  { task: 'maze', arch: 'trm-attn', steps: 268 },
  { task: 'maze', arch: 'hrm', steps: 445 },
  { task: 'maze', arch: 'baseline', steps: 513 },
].filter((j) => !only || j.task === only);

function hrm(a, env = {}) {
  console.log(`$ hrm ${a.join(' ')}`);
  if (dryRun) return;
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', ...a], { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`compare-archs: 'hrm ${a[0]}' failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

if (!existsSync('dist/src/cli/main.js')) {
  console.error('compare-archs: build first (npx tsc -p .)');
  process.exit(1);
}
const { readNpy, writeNpy } = await import(pathToFileURL(join(root, 'dist', 'src', 'io', 'npy.js')).href);
const { metadataJson, readDatasetMetadata } = await import(pathToFileURL(join(root, 'dist', 'src', 'data', 'dataset-format.js')).href);

/** A copy of `src` keeping the first n training puzzles (one example per puzzle and group) and every test one. */
function trainPrefix(src, dst, n) {
  if (existsSync(join(dst, 'train', 'dataset.json'))) return;
  const tmp = `${dst}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  for (const split of ['train', 'test']) {
    mkdirSync(join(tmp, split), { recursive: true });
    const meta = readDatasetMetadata(src, split);
    if (meta.mean_puzzle_examples !== 1) throw new Error(`${src}: expected one example per puzzle`);
    const keep = split === 'train' ? n : meta.total_groups;
    if (keep > meta.total_groups) throw new Error(`${src}: ${keep} puzzles wanted, ${meta.total_groups} there`);
    for (const a of ['inputs', 'labels']) {
      const x = readNpy(join(src, split, `all__${a}.npy`));
      writeNpy(join(tmp, split, `all__${a}.npy`), x.data.subarray(0, keep * meta.seq_len), [keep, meta.seq_len]);
    }
    const ids = readNpy(join(src, split, 'all__puzzle_identifiers.npy'));
    writeNpy(join(tmp, split, 'all__puzzle_identifiers.npy'), ids.data.subarray(0, keep), [keep]);
    const range = Int32Array.from({ length: keep + 1 }, (_, i) => i);
    writeNpy(join(tmp, split, 'all__puzzle_indices.npy'), range, [keep + 1]);
    writeNpy(join(tmp, split, 'all__group_indices.npy'), range, [keep + 1]);
    writeFileSync(join(tmp, split, 'dataset.json'), metadataJson({ ...meta, total_groups: keep }));
  }
  copyFileSync(join(src, 'identifiers.json'), join(tmp, 'identifiers.json'));
  renameSync(tmp, dst);
}

mkdirSync(OUT, { recursive: true });
const results = [];
for (const task of new Set(JOBS.map((j) => j.task))) {
  if (!existsSync(join(DATA[task].dir, 'test', 'dataset.json'))) hrm([...DATA[task].build, '--output-dir', DATA[task].dir]);
}
for (const j of JOBS) {
  const epochs = Math.ceil((j.steps * BATCH) / 20000);
  const K = Math.ceil((j.steps * BATCH) / epochs);
  const name = `${j.task}-${j.arch}-s${j.steps}`;
  const data = join(OUT, 'data', name);
  if (!dryRun) trainPrefix(DATA[j.task].dir, data, K);
  const run = join(OUT, 'runs', name);
  if (!existsSync(join(run, 'summary.json'))) {
    hrm(['train', '--config', 'configs/compare.yaml', `data_path=${data}`, ...ARCH[j.arch], `epochs=${epochs}`, `eval_interval=${epochs}`,
      `lr_warmup_steps=${Math.round(j.steps / 10)}`, `+run_name=${name}`, `checkpoint_path=${run}`], { HRM_THREADS: '1' });
  }
  if (dryRun) continue;
  const evals = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.kind === 'eval');
  const last = evals.at(-1);
  results.push({ ...j, exact: last['all/exact_accuracy'], token: last['all/accuracy'] });
}
if (!dryRun) {
  writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 1) + '\n');
  console.log('\n| task | architecture | steps | held-out exact | token accuracy |\n|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.task} | ${r.arch} | ${r.steps} | ${(100 * r.exact).toFixed(1)}% | ${(100 * r.token).toFixed(1)}% |`);
}
