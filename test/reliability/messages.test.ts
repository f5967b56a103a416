/**
 * #25, what an error says: the real cause with the path (permission denied is not "has no 'train'
 * split", "no all_config.yaml" or "not valid JSON"; a read-only file system is not ENOENT); one
 * complete line first, details after it; a file's bytes quoted safely (no terminal escape sequence
 * reaches the terminal, no raw text spread over lines); a run's relative data_path found when hrm
 * runs from another folder.
 * Permission tests run the CLI as an unprivileged user (setpriv), since root ignores file modes; they
 * skip where that is impossible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ENV, hrm, mountTmpfs, oneLineError, tempDir } from './helpers.js';
import { TINY } from '../train/tiny-data.js';
import { UserError, quote } from '../../src/util/errors.js';
import { describeSyntaxError, parseJson } from '../../src/util/json-file.js';
import { pathKind } from '../../src/util/io-errors.js';
import { loadStateDict, type HasState } from '../../src/io/state-dict.js';

const SAVE = 'eval_save_outputs=[inputs,labels,puzzle_identifiers,preds,q_halt_logits]';

/** A tiny trained Sudoku run, its data_path relative: <root>/data and <root>/checkpoints/p/run. */
function tinyRun(): { root: string; run: string; step: string } {
  const root = tempDir();
  chmodSync(root, 0o755); // readable by the unprivileged user of the permission tests
  const ok = (args: string[]) => {
    const r = hrm(args, { cwd: root });
    assert.equal(r.status, 0, `hrm ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  };
  ok(['data', 'sudoku', '--generate', '24', '--clues', '50-60', '--test-fraction', '0.34', '--output-dir', 'data', '--quiet']);
  ok(['train', 'data_path=data', 'checkpoint_path=checkpoints/p/run', SAVE, ...TINY, 'epochs=2', 'eval_interval=2']);
  const run = join(root, 'checkpoints', 'p', 'run');
  const step = readdirSync(run).find((n) => /^step_\d+\.safetensors$/.test(n))!;
  return { root, run, step: join(run, step) };
}

/** `hrm <args>` as the unprivileged user nobody, or null where that is impossible. */
function asNobody(args: string[], cwd: string): ReturnType<typeof hrm> | null {
  if (process.getuid?.() !== 0) return null;
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args], { encoding: 'utf8', env: ENV, cwd });
  return r.error ? null : r;
}

test('#25: permission denied is reported as such, with the path', (t) => {
  const { root, run, step } = tinyRun();
  try {
    const probe = asNobody(['--help'], root);
    if (!probe || probe.status !== 0) return t.skip(`cannot run as an unprivileged user (${probe ? probe.stderr.trim() : 'not root or no setpriv'})`);
    cpSync(join(root, 'data'), join(root, 'd000'), { recursive: true });
    chmodSync(join(root, 'd000'), 0);
    cpSync(run, join(root, 'r000'), { recursive: true });
    chmodSync(join(root, 'r000'), 0);
    cpSync(join(root, 'data'), join(root, 'j000'), { recursive: true });
    chmodSync(join(root, 'j000', 'test', 'dataset.json'), 0);
    mkdirSync(join(root, 'votes'));
    writeFileSync(join(root, 'votes', 'arc_votes.json'), '{}');
    chmodSync(join(root, 'votes', 'arc_votes.json'), 0);
    const cases: [string[], RegExp][] = [
      [['data', 'show', 'd000'], /^hrm: d000\/train: cannot inspect: permission denied \(EACCES\)$/], // was "has no 'train' split"
      [['train', 'data_path=d000', ...TINY], /d000\/train: cannot inspect: permission denied \(EACCES\)$/],
      [['eval', 'checkpoint=r000'], /^hrm: r000\/all_config\.yaml: cannot inspect: permission denied \(EACCES\)$/], // was "no all_config.yaml in it"
      [['solve', 'sudoku', '--checkpoint', 'r000', '1'.repeat(81)], /r000\/all_config\.yaml: cannot inspect: permission denied/],
      [['eval', `checkpoint=${step}`, 'data_path=j000'], /^hrm: j000\/test\/dataset\.json: cannot open: permission denied \(EACCES\)$/], // was "not valid JSON (EACCES ...)"
      [['arc', 'report', 'votes'], /^hrm: votes\/arc_votes\.json: cannot open: permission denied \(EACCES\)$/],
      [['arc', 'report', 'r000'], /^hrm: r000\/arc_votes\.json: cannot inspect: permission denied \(EACCES\)$/], // was "no arc_votes.json here"
    ];
    for (const [args, re] of cases) assert.match(oneLineError(asNobody(args, root)!), re, args.join(' '));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('#25: a relative data_path in all_config.yaml is found from another folder; missing, it is one line', () => {
  const { root, run, step } = tinyRun();
  const elsewhere = tempDir();
  try {
    const ev = hrm(['eval', `checkpoint=${step}`, 'save_outputs=[]'], { cwd: elsewhere });
    assert.equal(ev.status, 0, ev.stderr); // was "data_path=data: data: dataset folder not found"
    assert.match(ev.stdout, /all: exact_accuracy/);
    const ex = hrm(['export', run, join(elsewhere, 'm.safetensors')], { cwd: elsewhere });
    assert.equal(ex.status, 0, ex.stderr); // was "the run's dataset (data) is not there to give the sequence length"
    assert.match(ex.stdout, /seq_len 81/);
    rmSync(join(root, 'data'), { recursive: true });
    assert.match(oneLineError(hrm(['eval', `checkpoint=${step}`], { cwd: elsewhere })),
      /all_config\.yaml: data_path 'data' is not there \(relative: looked for from the current folder, the run folder and the folders above it\); give data_path=DIR$/);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('#25: hrm convert onto a read-only file system says so (was ENOENT)', (t) => {
  const m = mountTmpfs('1m', t);
  if (!m) return;
  const { root, run } = tinyRun();
  try {
    m.remountReadOnly();
    assert.match(oneLineError(hrm(['convert', run, join(m.dir, 'out')])), /read-only file system \(EROFS\)$/);
    assert.match(oneLineError(hrm(['convert', run, join(m.dir, 'a', 'b', 'out')])), new RegExp(`${m.dir}/a: cannot create folder: read-only file system \\(EROFS\\)$`));
  } finally {
    m.unmount();
    rmSync(root, { recursive: true, force: true });
  }
});

test('#25: file text in messages: JSON errors give line and column, escape sequences are escaped, the first line is complete', () => {
  // The helpers
  assert.equal(quote('a"b\\c\n\x1b[31m\u202e'), '"a\\"b\\\\c\\n\\x1b[31m\\u202e"');
  assert.equal(quote('x'.repeat(50), 10), `"${'x'.repeat(10)}"... (40 more characters)`);
  assert.equal(new UserError('f: bad \x1b]0;title\x07 \x9b2J\nsecond line').message, 'f: bad \\x1b]0;title\\x07 \\x9b2J\nsecond line');
  assert.equal(describeSyntaxError('{"a": 1,\n "b": tru}'), 'line 2, column 7: unexpected "t"');
  assert.equal(describeSyntaxError('[1, 2'), 'line 1, column 6: the text ends too early');
  assert.equal(describeSyntaxError(''), 'line 1, column 1: the file is empty');
  assert.equal(describeSyntaxError('{"a": "x\ty"}'), 'line 1, column 9: unexpected "\\t"');
  assert.equal(describeSyntaxError('{"a": 01}'), 'line 1, column 8: unexpected "1"');
  assert.equal(describeSyntaxError('{} {}'), 'line 1, column 4: unexpected "{"');
  assert.equal(describeSyntaxError('['.repeat(100000)), 'line 1, column 100001: the text ends too early');
  assert.throws(() => pathKind('data\0x'), (e: unknown) => e instanceof UserError && e.message === '"data\\x00x": not a usable path (it holds a NUL character)');
  for (const ok of ['{"a": [1, -2.5e3, "\\u00e9\\n", true, false, null, {}], "b": {"c": []}}', ' 0 ', '"x"']) assert.doesNotThrow(() => parseJson(ok, 'f'));

  const { root, step } = tinyRun();
  try {
    const ds = join(root, 'data');
    // dataset.json whose text holds newlines and a terminal escape: one line, the escape escaped
    writeFileSync(join(ds, 'test', 'dataset.json'), '{"seq_len": 81,\n"vocab_size": \x1b[2J\x1b[31m11}\n');
    const line = oneLineError(hrm(['eval', `checkpoint=${step}`], { cwd: root }));
    assert.equal(line, `hrm: ${join('data', 'test', 'dataset.json')}: not valid JSON (line 2, column 15: unexpected "\\x1b")`);
    const all = hrm(['eval', `checkpoint=${step}`], { cwd: root }).stderr;
    assert.ok(!all.includes('\x1b'), 'an escape sequence reached the terminal');
    // a state dict that does not fit: the first line says it all, the names follow
    const model = { namedState: () => [{ name: 'a', tensor: { shape: [2] } }, { name: 'b', tensor: { shape: [3] } }] } as unknown as HasState;
    const f32 = (n: number) => ({ dtype: 'F32' as const, shape: [n], data: new Float32Array(n) });
    assert.throws(() => loadStateDict(model, new Map([['a', f32(3)], ['c', f32(1)]]), 'w.safetensors'), (e: unknown) => {
      assert.ok(e instanceof UserError);
      const [first, ...rest] = e.message.split('\n');
      assert.equal(first, 'w.safetensors: the state dict does not fit this model (missing 1, unexpected 1, mismatched 1; check the model configuration)');
      assert.deepEqual(rest, ['  missing 1: b', '  unexpected 1: c', "  mismatched 1: 'a': shape [3], expected [2]"]);
      return true;
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
