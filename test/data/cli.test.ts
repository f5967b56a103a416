import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/cli/data.js';
import { UserError } from '../../src/util/errors.js';
import { withTempDir } from './helpers.js';

/** Runs `hrm data ...` capturing stdout. */
async function capture(args: string[]): Promise<{ code: number; out: string }> {
  const orig = console.log;
  let out = '';
  console.log = (...a: unknown[]) => { out += a.join(' ') + '\n'; };
  try {
    return { code: await run(args), out };
  } finally {
    console.log = orig;
  }
}

test('--help for every command', async () => {
  for (const cmd of ['sudoku', 'maze', 'arc', 'show']) {
    const r = await capture([cmd, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, new RegExp(`usage: hrm data ${cmd}`));
  }
  assert.match((await capture(['--help'])).out, /commands:/);
});

test('bad flags are UserErrors with a clear message', async () => {
  const bad: [string[], RegExp][] = [
    [['sudoku', '--source', 'x.csv'], /--output-dir is required/],
    [['sudoku', '--output-dir', 'o', '--generate', 'ten'], /--generate: 'ten' is not an integer/],
    [['sudoku', '--output-dir', 'o', '--generate', '5', '--clues', '50-40'], /--clues: need 17 <= MIN <= MAX <= 80/],
    [['sudoku', '--output-dir', 'o', '--generate', '5', '--difficulty', 'insane'], /--difficulty must be easy, medium or hard/],
    [['sudoku', '--output-dir', 'o', '--sauce', 'x'], /unknown option --sauce/],
    [['maze', '--output-dir', 'o', '--source', '/nonexistent/train.csv'], /source not found/],
    [['arc', '--output-dir', 'o'], /--dataset-dirs is required/],
    [['show'], /give one dataset folder/],
    [['show', '/nonexistent-dataset'], /dataset folder not found/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [args, re] of bad) await assert.rejects(run(args), (e: unknown) => e instanceof UserError && re.test(e.message), args.join(' '));
});

test('generate, then show (reference snake_case flag spellings accepted)', async () => {
  await withTempDir(async (d) => {
    const out = join(d, 'sud');
    const r = await capture(['sudoku', '--generate', '50', '--clues=40-50', '--output_dir', out, '--test-fraction', '0.2', '--quiet']);
    assert.equal(r.code, 0);
    assert.ok(existsSync(join(out, 'test', 'dataset.json')));
    assert.match(readFileSync(join(out, 'train', 'dataset.json'), 'utf8'), /"total_groups": 40/);
    const s = await capture(['show', out, '--split', 'test', '--index', '2', '--count', '2']);
    assert.match(s.out, /example 2 .*\n[\s\S]*example 3 /);
    assert.match(s.out, /------\+-------\+------/);
  });
});
