/**
 * Issue 25, the commands' own options: every numeric option has an upper bound (src/util/limits.ts,
 * OPTION_LIMITS) and a value above it is refused with one line naming the option and the limit before any
 * work (`--num-aug 1e12` generated its puzzles and then failed for memory; `--retries 1e9` or
 * `--budget 1000000000000` could run without end; `seed=1e300` passed as an integer). And standard
 * output closed by its reader (`hrm solve ... --json | head -1`) ends hrm quietly: no EPIPE stack trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTrainConfig } from '../../src/train/config.js';
import { parseBudget } from '../../src/solve/search-solve.js';
import { UserError } from '../../src/util/errors.js';
import { OPTION_LIMITS } from '../../src/util/limits.js';
import { CLI, ENV, oneLineError, tempDir } from './helpers.js';

const SUDOKU = '..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..';
const hrm = (args: string[], ms = 60_000) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: ENV, timeout: ms });

test('hrm solve ... --json | head -1: one line, exit 0 (pipefail), nothing on stderr (an EPIPE stack trace before), and no more puzzles solved', () => {
  const dir = tempDir();
  const file = (n: number): string => {
    const f = join(dir, `${n}.txt`);
    writeFileSync(f, `${SUDOKU}\n`.repeat(n));
    return f;
  };
  const many = file(120), few = file(12);
  const cmd = `set -o pipefail; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} solve sudoku --file ${JSON.stringify(many)} --json --batch 1 | head -1`;
  let t0 = Date.now();
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', env: ENV, timeout: 300_000 });
  const headMs = Date.now() - t0;
  assert.equal(r.stderr, '', 'stderr');
  assert.equal(r.status, 0, `exit ${r.status}`);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.equal(JSON.parse(lines[0]).index, 0);
  // hrm stopped at the closed pipe: the 120 puzzles (the first read) took less than 12 solved to the end
  // (before the fix it solved all 120, writing into the closed pipe)
  t0 = Date.now();
  const full = spawnSync(process.execPath, [CLI, 'solve', 'sudoku', '--file', few, '--json', '--batch', '1'], { encoding: 'utf8', env: ENV, timeout: 300_000 });
  const fewMs = Date.now() - t0;
  assert.equal(full.status, 0, full.stderr);
  assert.equal(full.stdout.trim().split('\n').length, 13);
  assert.ok(headMs < fewMs, `120 puzzles | head -1 took ${headMs} ms, 12 puzzles to the end ${fewMs} ms`);
});

test('hrm solve --json | head -1 of the text report and of a stderr closed too: still quiet', () => {
  const dir = tempDir();
  const file = join(dir, 'many.txt');
  writeFileSync(file, `${SUDOKU}\n`.repeat(60));
  const cmd = `set -o pipefail; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} solve sudoku --file ${JSON.stringify(file)} --batch 1 2>&1 | head -2`;
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', env: ENV, timeout: 300_000 });
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stdout}`);
  assert.equal(r.stdout.split('\n').length, 3);
  assert.doesNotMatch(r.stdout, /EPIPE|Error|\bat /);
});

test('numeric options above their limits are refused in one line naming the option and the limit, before any work', () => {
  const dir = tempDir();
  const out = join(dir, 'never');
  const GEN = ['data', 'sudoku', '--generate', '10', '--output-dir', out];
  const cases: [string[], RegExp][] = [
    // before: generated the puzzles, then "not enough memory (Invalid typed array length: 729000000000729)"
    [[...GEN, '--num-aug', '1e12'], /^hrm: --num-aug must be <= 100000, got 1000000000000$/],
    [[...GEN, '--seed', '1e300'], /^hrm: --seed must be <= 9007199254740991, got 1e\+300$/],
    [[...GEN, '--seed', '-1e300'], /^hrm: --seed must be >= -9007199254740991, got -1e\+300$/],
    [['data', 'sudoku', '--source', join(dir, 'x.csv'), '--output-dir', out, '--subsample-size', '1e12'], /^hrm: --subsample-size must be <= 1000000000, got 1000000000000$/],
    // before: 10,000 tries at mazes, then "could not generate"
    [['data', 'maze', '--generate', '10', '--size', '8', '--min-path', '65', '--output-dir', out], /^hrm: --min-path must be <= 64, got 65$/],
    [['data', 'arc', '--dataset-dirs', dir, '--output-dir', out, '--num-aug', '100001'], /^hrm: --num-aug must be <= 100000, got 100001$/],
    [['data', 'arc', '--dataset-dirs', dir, '--output-dir', out, '--max-grid', '31'], /^hrm: --max-grid must be <= 30, got 31$/],
    [['data', 'arc', '--dataset-dirs', dir, '--output-dir', out, '--max-tasks', '1e10'], /^hrm: --max-tasks must be <= 1000000000, got 10000000000$/],
    [['data', 'show', dir, '--count', '1e12'], /^hrm: --count must be <= 1000000, got 1000000000000$/],
    [['solve', 'sudoku', SUDOKU, '--retries', '1e9'], /^hrm: --retries 1e9 is above its limit of 1024 \(docs\/RELIABILITY.md\)$/],
    [['solve', 'sudoku', SUDOKU, '--search-reuse', '82'], /^hrm: --search-reuse 82 is above its limit of 81 \(docs\/RELIABILITY.md\)$/],
    [['solve', 'sudoku', SUDOKU, '--batch', '1e12'], /^hrm: --batch 1e12 is above its limit of 1048576 /],
    [['solve', 'sudoku', SUDOKU, '--budget', '1000000000000'], /^hrm: --budget of 1000000000000 model calls is above its limit of 1000000 per puzzle /],
    [['solve', 'sudoku', SUDOKU, '--budget', '99999999s'], /^hrm: --budget of '99999999s' is above its limit of 3600 s per puzzle /],
    [['solve', 'arc', '--checkpoint', join(dir, 'run'), '--batch', '1e12'], /^hrm: --batch 1e12 is above its limit of 1048576 /],
    [['export', join(dir, 'run'), join(dir, 'm.safetensors'), '--seq-len', '1e12'], /^hrm: --seq-len 1e12 is above its limit of 65536 /],
    [['arc', 'report', join(dir, 'votes.json'), '--top', '1e12'], /^hrm: --top 1000000000000 is above its limit of 1000 /],
    [['train', `data_path=${dir}`, 'epochs=1e12'], /^hrm: .*epochs must be <= 1000000000, got 1000000000000$/],
    [['train', `data_path=${dir}`, 'seed=1e300'], /^hrm: .*seed must be <= 9007199254740991, got 1e\+300$/],
    [['train', `data_path=${dir}`, 'keep_checkpoints=1e300'], /^hrm: .*keep_checkpoints must be <= 9007199254740991, got 1e\+300$/],
  ];
  if (!existsSync(join(dir, 'votes.json'))) writeFileSync(join(dir, 'votes.json'), '{}');
  for (const [args, re] of cases) {
    const r = hrm(args);
    const line = oneLineError(r);
    assert.match(line, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: work before the refusal: ${r.stderr}`);
    assert.ok(!existsSync(out), `${args.join(' ')} wrote ${out}`);
  }
});

test('the limits themselves are allowed', () => {
  const r = hrm(['solve', 'sudoku', SUDOKU, '--retries', String(OPTION_LIMITS.retries), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).index, 0);
  const dir = tempDir();
  const m = hrm(['data', 'maze', '--generate', '2', '--size', '4', '--min-path', '16', '--output-dir', join(dir, 'm'), '--seed', String(Number.MAX_SAFE_INTEGER), '--quiet']);
  // a 4x4 maze's path may hold all 16 cells; whether one is found is the generator's matter, the option is accepted
  assert.doesNotMatch(m.stderr, /--min-path must be|--seed must be/);
  assert.deepEqual(parseBudget(OPTION_LIMITS.search_calls), { calls: OPTION_LIMITS.search_calls });
  assert.deepEqual(parseBudget('3600s'), { ms: 3_600_000 });
  assert.throws(() => parseBudget(OPTION_LIMITS.search_calls + 1), UserError);
  assert.throws(() => parseBudget('3601s'), UserError);
});

test('training config integers: above Number.MAX_SAFE_INTEGER (or epochs above 1e9) refused by the library with a UserError', () => {
  for (const [kv, re] of [
    ['epochs=1000000001', /epochs must be <= 1000000000/],
    ['seed=1e300', /seed must be <= 9007199254740991/],
    ['lr_warmup_steps=1e300', /lr_warmup_steps must be <= 9007199254740991/],
    ['checkpoint_every_steps=1e17', /checkpoint_every_steps must be <= 9007199254740991/],
  ] as const) {
    assert.throws(() => loadTrainConfig({ overrides: [kv] }), (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'), kv);
  }
  assert.equal(loadTrainConfig({ overrides: ['epochs=1000000000', `seed=${Number.MAX_SAFE_INTEGER}`] }).epochs, 1_000_000_000);
});

test('a command given no arguments prints its usage on stderr with status 1 (the sweep: stdout, so a script saw exit 1 and no message); --help on stdout with 0', () => {
  for (const args of [[], ['solve'], ['data'], ['export'], ['convert'], ['arc']]) {
    const r = hrm(args);
    assert.equal(r.status, 1, args.join(' '));
    assert.equal(r.stdout, '', `${args.join(' ')}: usage on stdout`);
    assert.match(r.stderr, /^usage: hrm/, args.join(' '));
    const h = hrm([...args, '--help']);
    assert.equal(h.status, 0, `${args.join(' ')} --help`);
    assert.match(h.stdout, /^usage: hrm/, `${args.join(' ')} --help`);
  }
});
