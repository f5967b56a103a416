#!/usr/bin/env node
// The quick start (npm run quickstart): generate everyday Sudoku puzzles (30-36 clues), train a small
// Tiny Recursive Model (TRM, mlp_t) on the CPU
// with configs/quickstart.yaml, evaluate the final checkpoint on held-out puzzles and print the
// exact accuracy. Extra arguments are passed to `hrm train` as overrides (e.g. `npm run quickstart --
// epochs=2` for a shorter run). On a machine busy with other work, HRM_THREADS=1 can be faster than
// the default (all cores); it gives the same numbers. The numbers depend on the commit, the kernel
// table (native avx512/avx2/generic or wasm) and the seed (configs/README.md), so the script prints
// those with the result.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const DATA = 'data/sudoku-quickstart';
const TRAIN_PUZZLES = 20000;
const TEST_PUZZLES = 1000;
const CLUES = '30-36';
const t0 = Date.now();
const minutes = () => ((Date.now() - t0) / 60000).toFixed(1);

function step(title) {
  console.log(`\n=== ${title} (${minutes()} min) ===`);
}

function hrm(args) {
  console.log(`$ hrm ${args.join(' ')}`);
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`quickstart: 'hrm ${args[0]}' failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

if (!existsSync('dist/src/cli/main.js')) {
  step('building (npx tsc -p .)');
  const r = spawnSync('npx', ['tsc', '-p', '.'], { stdio: 'inherit', shell: process.platform === 'win32' });
  if (!existsSync('dist/src/cli/main.js')) process.exit(r.status || 1);
}

// What the result depends on (configs/README.md): printed first and again with the result.
const { getBackend } = await import(pathToFileURL(join(root, 'dist', 'src', 'engine', 'index.js')).href);
const backend = getBackend();
const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout?.trim();
const commit = git.status === 0 ? `${git.stdout.trim()}${dirty ? ' with local changes' : ''}` : 'unknown (not a git checkout)';
const seedArg = process.argv.slice(2).findLast((a) => /^\+?seed=/.test(a));
const seed = seedArg ? seedArg.split('=')[1] : (readFileSync('configs/quickstart.yaml', 'utf8').match(/^seed:\s*(\S+)/m)?.[1] ?? '0');
const provenance = `commit ${commit}, ${backend.name} backend with ${backend.isa} kernels (${backend.threads} thread(s): no effect on the numbers), seed ${seed}, Node ${process.version}`;
console.log(`quickstart: ${provenance}`);

step(`1. ${TRAIN_PUZZLES} + ${TEST_PUZZLES} generated Sudoku puzzles with ${CLUES} clues -> ${DATA}`);
if (existsSync(join(DATA, 'test', 'dataset.json'))) {
  console.log(`${DATA} exists; reusing it (delete it to generate again)`);
} else {
  const n = TRAIN_PUZZLES + TEST_PUZZLES;
  hrm(['data', 'sudoku', '--generate', String(n), '--clues', CLUES, '--test-fraction', String(TEST_PUZZLES / n), '--output-dir', DATA, '--seed', '0']);
}

step('2. training (configs/quickstart.yaml)');
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const run = join('checkpoints', 'quickstart', `run-${stamp}`);
hrm(['train', '--config', 'configs/quickstart.yaml', `checkpoint_path=${run}`, ...process.argv.slice(2)]);

step('3. evaluating the final checkpoint on the held-out puzzles');
const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
hrm(['eval', `checkpoint=${summary.final_checkpoint}`, 'save_outputs=[]']);

// The same held-out puzzles through hrm solve, which can ask again on symmetric copies of a puzzle whose
// answer breaks the rules (--retries): the test split as a question,answer CSV first.
step('4. the same puzzles through hrm solve, with --retries 8');
const { readNpy } = await import(pathToFileURL(join(root, 'dist', 'src', 'io', 'npy.js')).href);
const TEST_CSV = `${DATA}-test.csv`;
if (!existsSync(TEST_CSV)) {
  const digits = (row) => Array.from(row, (t) => (t >= 2 ? String(t - 1) : '.')).join('');
  const q = readNpy(join(DATA, 'test', 'all__inputs.npy')).data;
  const a = readNpy(join(DATA, 'test', 'all__labels.npy')).data;
  const lines = ['question,answer'];
  for (let i = 0; i * 81 < q.length; i++) lines.push(`${digits(q.subarray(i * 81, i * 81 + 81))},${digits(a.subarray(i * 81, i * 81 + 81))}`);
  writeFileSync(`${TEST_CSV}.tmp`, lines.join('\n') + '\n');
  renameSync(`${TEST_CSV}.tmp`, TEST_CSV);
}
console.log(`$ hrm solve sudoku --file ${TEST_CSV} --checkpoint ${run} --json --retries 8 | tail -1`);
const solved = spawnSync(process.execPath, ['dist/src/cli/main.js', 'solve', 'sudoku', '--file', TEST_CSV, '--checkpoint', run, '--json', '--retries', '8'], {
  encoding: 'utf8',
  maxBuffer: 1 << 28,
});
if (solved.status !== 0) {
  process.stderr.write(solved.stderr);
  console.error(`quickstart: 'hrm solve' failed (exit ${solved.status ?? solved.signal})`);
  process.exit(solved.status || 1);
}
const results = solved.stdout.trim().split('\n').map((l) => JSON.parse(l));
const retried = results.at(-1).summary;
const first = results.filter((r) => 'index' in r && r.attempts === 1 && r.solved).length;
console.log(JSON.stringify({ summary: retried }));

const evals = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.includes('"kind":"eval"'))
  .map((l) => JSON.parse(l));
console.log(`\n=== done in ${minutes()} min ===`);
console.log('evaluation curve (held-out puzzles):');
console.log('  step  epoch  token acc  exact acc');
for (const e of evals) {
  console.log(`${String(e.step).padStart(6)} ${String(e.epoch).padStart(6)} ${(100 * e['all/accuracy']).toFixed(2).padStart(9)}% ${(100 * e['all/exact_accuracy']).toFixed(2).padStart(9)}%`);
}
const last = evals[evals.length - 1];
console.log(`\nheld-out exact accuracy: ${(100 * last['all/exact_accuracy']).toFixed(2)}% of ${TEST_PUZZLES} puzzles solved completely`);
console.log(
  `with hrm solve --retries 8: ${retried.solved_pct}% solved (${((100 * first) / retried.puzzles).toFixed(1)}% at the first attempt; a wrong answer is tried again on up to 8 symmetric copies, judged by Sudoku's rules alone)`,
);
console.log(`run folder: ${run} (curves.svg, metrics.jsonl, step_N.safetensors)`);
console.log(`measured with: ${provenance}`);
