/**
 * Issue 25, data loss: nothing a user made is replaced or deleted. Each test puts a user's file (or
 * link, or folder) where an hrm command writes or cleans up, runs the command as a user would, and
 * checks the user's thing is still there, byte for byte, and that the command said why it stopped
 * in one line. The same commands still replace what hrm itself wrote (a re-evaluation, a re-vote).
 * Also here: what an interrupted or failed command leaves (convert, training stopped by a signal),
 * and resume points whose metadata is damaged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type SafeTensorInput } from '../../src/io/safetensors.js';
import { readNpy } from '../../src/io/npy.js';
import { RESUME_FORMAT } from '../../src/train/checkpoint.js';
import { STAGING_MARKER, cleanUpDeadStaging, makeStagingFolder } from '../../src/util/staging.js';
import { CLI, ENV, hrm, mountTmpfs, oneLineError, snapshot, tempDir } from './helpers.js';
import { TINY, tinySudoku } from '../train/tiny-data.js';

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** A finished tiny Sudoku run (4 epochs, an evaluation and a resume point every 2). */
function trainedRun(): { root: string; data: string; run: string; step: number } {
  const { root, data } = tinySudoku(16, 8);
  const run = join(root, 'run');
  const r = hrm(['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, 'checkpoint_every_eval=true', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const step = Math.max(...readdirSync(run).map((n) => /^step_(\d+)\.safetensors$/.exec(n)).filter((m) => m).map((m) => Number(m![1])));
  return { root, data, run, step };
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

test('#25 data loss 1: --save-csv never replaces a file or a link, and --save-csv "" is an error', () => {
  const root = tempDir();
  try {
    const source = join(root, 'my-puzzles.csv');
    writeFileSync(source, 'question,answer\nmine,mine\n');
    const target = join(root, 'target.csv');
    writeFileSync(target, 'the link points here\n');
    const link = join(root, 'link.csv');
    symlinkSync(target, link);
    const dangling = join(root, 'dangling.csv');
    symlinkSync(join(root, 'nowhere.csv'), dangling);
    const gens = [
      ['data', 'sudoku', '--generate', '12', '--clues', '50-60', '--quiet'],
      ['data', 'maze', '--generate', '12', '--size', '6', '--min-path', '3', '--quiet'],
    ];
    for (const gen of gens) {
      for (const csv of [source, link, dangling]) {
        const out = join(root, 'ds');
        const line = oneLineError(hrm([...gen, '--output-dir', out, '--save-csv', csv]));
        assert.match(line, new RegExp(`${csv.replace(/[.]/g, '\\.')}: (already )?exists`), `${gen[1]} ${csv}: ${line}`);
        assert.ok(!existsSync(out), 'the refused build wrote its dataset');
      }
      assert.equal(readFileSync(source, 'utf8'), 'question,answer\nmine,mine\n');
      assert.ok(isLink(link) && readlinkSync(link) === target, 'the link was replaced');
      assert.equal(readFileSync(target, 'utf8'), 'the link points here\n');
      assert.ok(isLink(dangling) && !existsSync(join(root, 'nowhere.csv')), 'the dangling link was replaced or followed');
      assert.match(oneLineError(hrm([...gen, '--output-dir', join(root, 'ds'), '--save-csv', ''])), /--save-csv is empty/);
      // A new file is written, as before.
      const fresh = join(root, `${gen[1]}.csv`);
      const ok = hrm([...gen, '--output-dir', join(root, `${gen[1]}-ds`), '--save-csv', fresh]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(readFileSync(fresh, 'utf8'), /^question,answer\n/);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("#25 data loss 2: hrm eval output_dir= keeps a user's step_N_all_preds.safetensors; its own it replaces", () => {
  const t = trainedRun();
  try {
    const ckpt = join(t.run, `step_${t.step}.safetensors`);
    const out = join(t.root, 'mine');
    mkdirSync(out);
    const preds = join(out, `step_${t.step}_all_preds.safetensors`);
    writeFileSync(preds, 'my own predictions');
    const r = hrm(['eval', `checkpoint=${ckpt}`, `output_dir=${out}`]);
    assert.match(oneLineError(r), new RegExp(`step_${t.step}_all_preds\\.safetensors: exists and was not written by hrm`));
    assert.doesNotMatch(r.stdout, /exact_accuracy/, 'refused only after the whole evaluation');
    assert.equal(readFileSync(preds, 'utf8'), 'my own predictions');
    // A link to someone's file is not replaced either, even one to an hrm output.
    const elsewhere = join(t.root, 'elsewhere');
    mkdirSync(elsewhere);
    const first = hrm(['eval', `checkpoint=${ckpt}`, `output_dir=${elsewhere}`]);
    assert.equal(first.status, 0, first.stderr);
    rmSync(preds);
    symlinkSync(join(elsewhere, `step_${t.step}_all_preds.safetensors`), preds);
    assert.match(oneLineError(hrm(['eval', `checkpoint=${ckpt}`, `output_dir=${out}`])), /is a symbolic link/);
    assert.ok(isLink(preds));
    // Evaluating again into the same folder refreshes what hrm wrote there.
    const again = hrm(['eval', `checkpoint=${ckpt}`, `output_dir=${elsewhere}`]);
    assert.equal(again.status, 0, again.stderr);
    assert.ok(readSafetensors(join(elsewhere, `step_${t.step}_all_preds.safetensors`)).tensors.has('logits'));
  } finally {
    rmSync(t.root, { recursive: true, force: true });
  }
});

/** A tiny ARC dataset of synthetic tasks (no ../shared needed): each output is its input's colours + 1. */
function tinyArc(root: string): string {
  const src = join(root, 'arc-src');
  for (const subset of ['training', 'evaluation']) {
    mkdirSync(join(src, subset), { recursive: true });
    for (let k = 0; k < 3; k++) {
      const g = (s: number) => [[s % 9, (s + 1) % 9], [(s + 2) % 9, (s + k) % 9]];
      const pair = (s: number) => ({ input: g(s), output: g(s).map((r) => r.map((v) => v + 1)) });
      writeFileSync(join(src, subset, `${subset[0]}${k}aaaaaaa.json`), JSON.stringify({ train: [pair(k), pair(k + 3)], test: [pair(k + 5)] }));
    }
  }
  const data = join(root, 'arc-data');
  const r = hrm(['data', 'arc', '--dataset-dirs', src, '--num-aug', '2', '--max-grid', '4', '--output-dir', data, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  return data;
}

/** step_0_all_preds.safetensors of an oracle (the labels as predictions) over the ARC test split. */
function oraclePreds(data: string, path: string): void {
  const rd = (n: string) => readNpy(join(data, 'test', `all__${n}.npy`));
  const pid = rd('puzzle_identifiers').data as Int32Array;
  const pix = rd('puzzle_indices').data as Int32Array;
  const inputs = rd('inputs');
  const labels = rd('labels');
  const rows = pix[pix.length - 1];
  const rowIds = new Int32Array(rows);
  for (let p = 0; p < pid.length; p++) rowIds.fill(pid[p], pix[p], pix[p + 1]);
  const i32 = (a: ArrayLike<number>) => Int32Array.from(a);
  const tensors = new Map<string, SafeTensorInput>([
    ['puzzle_identifiers', { shape: [rows], data: rowIds }],
    ['inputs', { shape: inputs.shape, data: i32(inputs.data as Uint8Array) }],
    ['labels', { shape: labels.shape, data: i32(labels.data as Uint8Array) }],
    ['preds', { shape: labels.shape, data: i32(labels.data as Uint8Array) }],
    ['q_halt_logits', { shape: [rows], data: new Float32Array(rows) }],
  ]);
  writeSafetensors(path, tensors, { format: 'pt' });
}

test("#25 data loss 3: hrm arc vote never replaces a user's submission.json, arc_report.html or arc_votes.json; its own it replaces", () => {
  const root = tempDir();
  try {
    const data = tinyArc(root);
    const dir = join(root, 'votes');
    mkdirSync(dir);
    const preds = join(dir, 'step_0_all_preds.safetensors');
    oraclePreds(data, preds);
    const ok = hrm(['arc', 'vote', preds, '--data-path', data]);
    assert.equal(ok.status, 0, ok.stderr);
    const again = hrm(['arc', 'vote', preds, '--data-path', data]);
    assert.equal(again.status, 0, `a re-vote must replace hrm's own files: ${again.stderr}`);
    const own = snapshot(dir);
    for (const f of ['submission.json', 'arc_report.html', 'arc_votes.json']) {
      const user = join(root, `user-${f}`);
      mkdirSync(user);
      cpSync(preds, join(user, 'step_0_all_preds.safetensors'));
      writeFileSync(join(user, f), f.endsWith('.json') ? '{"mine": [1, 2, 3]}\n' : '<p>my page</p>\n');
      const before = snapshot(user);
      const line = oneLineError(hrm(['arc', 'vote', join(user, 'step_0_all_preds.safetensors'), '--data-path', data]));
      assert.match(line, new RegExp(`${f.replace('.', '\\.')}: exists and was not written by hrm`));
      assert.deepEqual(snapshot(user), before, `${f}: the refused vote changed the folder`);
    }
    // A Kaggle submission another tool wrote (valid, but not hrm's layout) is a user's file too.
    const kaggle = join(root, 'kaggle');
    mkdirSync(kaggle);
    cpSync(preds, join(kaggle, 'step_0_all_preds.safetensors'));
    const sub = JSON.parse(readFileSync(join(dir, 'submission.json'), 'utf8'));
    writeFileSync(join(kaggle, 'submission.json'), JSON.stringify(sub));
    assert.match(oneLineError(hrm(['arc', 'vote', join(kaggle, 'step_0_all_preds.safetensors'), '--data-path', data])), /submission\.json: exists and was not written by hrm/);
    assert.deepEqual(snapshot(dir), own);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("#25 data loss 2: hrm eval on ARC keeps a user's submission.json and arc_report.html in output_dir", () => {
  const root = tempDir();
  try {
    const data = tinyArc(root);
    const run = join(root, 'run');
    const tr = hrm(['train', ...TINY, 'global_batch_size=4', 'epochs=2', 'eval_interval=2', `data_path=${data}`, `checkpoint_path=${run}`, '--quiet']);
    assert.equal(tr.status, 0, tr.stderr);
    const ckpt = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')).final_checkpoint as string;
    for (const f of ['submission.json', 'arc_report.html']) {
      const out = join(root, `out-${f}`);
      mkdirSync(out);
      writeFileSync(join(out, f), 'mine\n');
      const before = snapshot(out);
      const r = hrm(['eval', `checkpoint=${ckpt}`, `output_dir=${out}`]);
      assert.match(oneLineError(r), new RegExp(`${f.replace('.', '\\.')}: exists and was not written by hrm`));
      assert.deepEqual(snapshot(out), before);
    }
    const fresh = join(root, 'fresh');
    for (let i = 0; i < 2; i++) {
      const r = hrm(['eval', `checkpoint=${ckpt}`, `output_dir=${fresh}`]);
      assert.equal(r.status, 0, r.stderr);
    }
    for (const f of ['submission.json', 'arc_report.html', 'arc_votes.json']) assert.ok(existsSync(join(fresh, f)), f);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('#25 data loss 4: resume deletes only files named exactly as hrm writes them', () => {
  const t = trainedRun();
  try {
    const dead = deadPid();
    const user = ['step_99_notes.txt', '.bashrc.tmp-1-2', `step_7.safetensors.backup`, 'step_1000.safetensors.md', `.notes.txt.tmp-${dead}-0`];
    for (const n of user) writeFileSync(join(t.run, n), `user ${n}`);
    // What a killed session leaves: a step beyond the resume point and a temporary of its own file.
    const leftovers = [`step_${t.step + 50}.safetensors`, `step_${t.step + 50}_all_preds.safetensors`, `.metrics.jsonl.tmp-${dead}-3`];
    for (const n of leftovers) writeFileSync(join(t.run, n), 'left over');
    const r = hrm(['train', `resume=${t.run}`, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    for (const n of user) assert.equal(readFileSync(join(t.run, n), 'utf8'), `user ${n}`, `${n} was deleted or changed`);
    for (const n of leftovers) assert.ok(!existsSync(join(t.run, n)), `${n} (a killed session's) was kept`);
    // A new run in a folder holding such a file is refused: it is not a run's file.
    const other = join(t.root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'step_99_notes.txt'), 'mine');
    assert.match(oneLineError(hrm(['train', `data_path=${t.data}`, `checkpoint_path=${other}`, ...TINY, 'overwrite=true'])), /holds files that are not a run's.*step_99_notes\.txt/);
    assert.deepEqual(readdirSync(other), ['step_99_notes.txt']);
  } finally {
    rmSync(t.root, { recursive: true, force: true });
  }
});

/** Starts a build of a large dataset at `out` and kills it (-9) once its temporary folder exists. */
async function killedBuild(out: string, parent: string): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'data', 'sudoku', '--generate', '100', '--clues', '50-60', '--num-aug', '20000', '--quiet', '--output-dir', out], { stdio: 'ignore', env: ENV });
  const exited = new Promise((r) => child.on('exit', r));
  let tmp: string | undefined;
  for (let i = 0; i < 6000 && !tmp; i++) {
    await new Promise((r) => setTimeout(r, 10));
    tmp = readdirSync(parent).find((n) => n.includes('.building-'));
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(tmp, 'the build made no temporary folder');
  return tmp;
}

test("#25 data loss 5: a build removes only its own output's dead temporary folders", async () => {
  const root = tempDir();
  try {
    const dead = deadPid();
    const killed = await killedBuild(join(root, 'ds'), root);
    assert.ok(killed.startsWith(`.ds.building-`), killed);
    // Folders that look like leftovers but are a user's (another output's name, or any name without hrm's marker).
    const photos = join(root, `.photos.building-${dead}-1`);
    mkdirSync(photos);
    writeFileSync(join(photos, 'img.jpg'), 'jpeg');
    const old = join(root, `.o.building-${dead}-1.old`);
    mkdirSync(old);
    writeFileSync(join(old, 'keep.txt'), 'mine');
    const unmarked = join(root, `.ds.building-${dead}-7`);
    mkdirSync(unmarked);
    writeFileSync(join(unmarked, 'notes.txt'), 'mine');
    const users = { photos: snapshot(photos), old: snapshot(old), unmarked: snapshot(unmarked) };
    const gen = ['data', 'sudoku', '--generate', '12', '--clues', '50-60', '--quiet', '--output-dir'];
    for (const out of ['other', 'o']) assert.equal(hrm([...gen, join(root, out)]).status, 0);
    assert.ok(existsSync(join(root, killed)), "a build into another output removed the killed build's folder of ds");
    assert.equal(readFileSync(join(root, 'o', 'train', 'dataset.json'), 'utf8').length > 0, true);
    assert.ok(!existsSync(join(root, 'o', 'keep.txt')), '.o.building-*.old (a user folder) was moved to o');
    // The next build of ds removes the folder its killed build left, and nothing else.
    assert.equal(hrm([...gen, join(root, 'ds')]).status, 0);
    assert.ok(!existsSync(join(root, killed)), "the killed build's folder of ds was kept");
    assert.deepEqual({ photos: snapshot(photos), old: snapshot(old), unmarked: snapshot(unmarked) }, users);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('#25 data loss 5: a commit killed at any point is finished by the next build of the same output', () => {
  const root = tempDir();
  try {
    const dead = deadPid();
    const out = join(root, 'ds');
    const name = `.ds.building-${dead}-5`;
    const mark = (dir: string) => writeFileSync(join(dir, STAGING_MARKER), JSON.stringify({ output: out, staging: name }));
    const dataset = (dir: string, tag: string) => {
      mkdirSync(join(dir, 'train'), { recursive: true });
      writeFileSync(join(dir, 'train', 'tag.txt'), tag);
    };
    const reset = () => {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root);
    };
    // Killed between moving the old output aside and moving the new one in: the old one goes back.
    reset();
    dataset(join(root, `${name}.old`), 'old');
    dataset(join(root, name), 'new');
    mark(join(root, name));
    cleanUpDeadStaging(out, 'building');
    assert.deepEqual(readdirSync(root), ['ds']);
    assert.equal(readFileSync(join(out, 'train', 'tag.txt'), 'utf8'), 'old');
    // Killed after the new output arrived, before the old one and the marker were removed.
    reset();
    dataset(join(root, `${name}.old`), 'old');
    dataset(out, 'new');
    mark(out);
    cleanUpDeadStaging(out, 'building');
    assert.deepEqual(readdirSync(root), ['ds']);
    assert.deepEqual(readdirSync(out), ['train']);
    assert.equal(readFileSync(join(out, 'train', 'tag.txt'), 'utf8'), 'new');
    // An old output whose staging folder and marker are gone cannot be told from a user's folder: kept.
    reset();
    dataset(join(root, `${name}.old`), 'old');
    cleanUpDeadStaging(out, 'building');
    assert.deepEqual(readdirSync(root), [`${name}.old`]);
    // A live build's folders are never touched.
    reset();
    const live = makeStagingFolder(out, 'building');
    dataset(live, 'live');
    cleanUpDeadStaging(out, 'building');
    assert.ok(existsSync(join(live, 'train', 'tag.txt')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("#25 data loss 6: a user's .lock in an empty checkpoint_path folder is kept", () => {
  const { root, data } = tinySudoku(16, 8);
  try {
    const run = join(root, 'run');
    mkdirSync(run);
    writeFileSync(join(run, '.lock'), 'my lock notes\n');
    const line = oneLineError(hrm(['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, '--quiet']));
    assert.match(line, /\.lock: not a lock file hrm wrote/);
    assert.equal(readFileSync(join(run, '.lock'), 'utf8'), 'my lock notes\n');
    // A stale lock of hrm's own (its trainer was killed) is still taken over.
    writeFileSync(join(run, '.lock'), JSON.stringify({ pid: deadPid(), host: hostname(), started: '' }) + '\n');
    const ok = hrm(['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, '--quiet']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(!existsSync(join(run, '.lock')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('#25 data loss 7: hrm convert and hrm export never replace a dangling symbolic link', () => {
  const t = trainedRun();
  try {
    const mine = join(t.root, 'mine');
    mkdirSync(mine);
    const ck = join(mine, 'checkpoint');
    symlinkSync(join(t.root, 'not-yet'), ck);
    assert.match(oneLineError(hrm(['convert', t.run, mine])), /checkpoint.*(already exists|symbolic link)/);
    assert.ok(isLink(ck) && !existsSync(join(t.root, 'not-yet')));
    assert.deepEqual(readdirSync(mine), ['checkpoint']);
    const dl = join(mine, 'dl.safetensors');
    symlinkSync(join(t.root, 'later.safetensors'), dl);
    for (const force of [[], ['--force']]) {
      assert.match(oneLineError(hrm(['export', t.run, dl, ...force])), /dl\.safetensors: .*symbolic link/);
      assert.ok(isLink(dl) && !existsSync(join(t.root, 'later.safetensors')));
    }
  } finally {
    rmSync(t.root, { recursive: true, force: true });
  }
});

test('#25 data loss 8: --force never deletes an array file that dataset.json does not list', () => {
  const root = tempDir();
  try {
    const ds = join(root, 'ds');
    const gen = ['data', 'sudoku', '--generate', '12', '--clues', '50-60', '--quiet', '--output-dir', ds];
    assert.equal(hrm(gen).status, 0);
    cpSync(join(ds, 'train', 'all__inputs.npy'), join(ds, 'train', 'mydata__inputs.npy'));
    const before = snapshot(ds);
    assert.match(oneLineError(hrm([...gen, '--force'])), /ds exists and is not an hrm dataset.*train\/mydata__inputs\.npy/);
    assert.deepEqual(snapshot(ds), before);
    rmSync(join(ds, 'train', 'mydata__inputs.npy'));
    assert.equal(hrm([...gen, '--force']).status, 0, 'a dataset hrm wrote is still replaced with --force');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('#25 convert: a convert that fails midway leaves no partial output, and a retry succeeds', (ctx) => {
  const t = trainedRun();
  const m = mountTmpfs('4m', ctx);
  if (!m) return rmSync(t.root, { recursive: true, force: true });
  try {
    // Measure the output, then give the file system room for the weights but not for all_config.yaml.
    const probe = join(t.root, 'probe');
    assert.equal(hrm(['convert', t.run, probe]).status, 0);
    const bytes = lstatSync(join(probe, 'checkpoint')).size;
    const pages = Math.ceil(bytes / 4096);
    assert.equal(spawnSync('mount', ['-o', `remount,size=${pages * 4096}`, m.dir]).status, 0);
    const out = join(m.dir, 'ref');
    const r = hrm(['convert', t.run, out]);
    assert.notEqual(r.status, 0);
    oneLineError(r);
    assert.deepEqual(readdirSync(m.dir), [], `a failed convert left ${readdirSync(m.dir).join(', ')}`);
    assert.equal(spawnSync('mount', ['-o', 'remount,size=4m', m.dir]).status, 0);
    const again = hrm(['convert', t.run, out]);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['all_config.yaml', 'checkpoint']);
    assert.deepEqual(snapshot(out), snapshot(probe));
  } finally {
    m.unmount();
    rmSync(t.root, { recursive: true, force: true });
  }
});

test('#25 convert: a convert killed at any moment leaves the output complete or absent, and a retry succeeds', async () => {
  const t = trainedRun();
  try {
    for (let i = 0; i < 12; i++) {
      const out = join(t.root, `ref${i}`);
      const child = spawn(process.execPath, [CLI, 'convert', t.run, out], { stdio: 'ignore', env: ENV });
      const exited = new Promise((r) => child.on('exit', r));
      await new Promise((r) => setTimeout(r, 60 + i * 15));
      child.kill('SIGKILL');
      await exited;
      if (existsSync(out)) assert.deepEqual(readdirSync(out).sort(), ['all_config.yaml', 'checkpoint'], `kill ${i} left a partial ${out}`);
      const again = hrm(['convert', t.run, join(t.root, `retry${i}`)]);
      assert.equal(again.status, 0, again.stderr);
      if (!existsSync(out)) assert.equal(hrm(['convert', t.run, out]).status, 0, 'a retry into the same folder is refused');
    }
    const stray = readdirSync(t.root).filter((n) => n.startsWith('.'));
    assert.deepEqual(stray, [], 'temporary folders of killed converts stay once a retry succeeded');
  } finally {
    rmSync(t.root, { recursive: true, force: true });
  }
});

test('#25 train: checkpoint_path with a trailing slash and overwrite=true moves the old run aside', () => {
  const { root, data } = tinySudoku(16, 8);
  try {
    const args = ['train', `data_path=${data}`, `checkpoint_path=${join(root, 'r')}/`, ...TINY, '--quiet'];
    assert.equal(hrm(args).status, 0);
    const r = hrm([...args, 'overwrite=true']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readdirSync(root).filter((n) => /^r\.old-/.test(n)).length, 1, readdirSync(root).join(' '));
    assert.ok(existsSync(join(root, 'r', 'summary.json')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('#25 resume: damaged resume metadata is one line naming the file, never "complete"', () => {
  const { root, data } = tinySudoku(16, 8);
  try {
    const run = join(root, 'run');
    // A resume point inside the run (epochs=4 but stopped after the first evaluation's checkpoint).
    const tr = hrm(['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, 'epochs=8', 'eval_interval=2', 'checkpoint_every_eval=true', '--quiet']);
    assert.equal(tr.status, 0, tr.stderr);
    const side = readdirSync(run).find((n) => n.endsWith('.resume.safetensors'))!;
    const path = join(run, side);
    const orig = readSafetensors(path);
    const meta = JSON.parse(orig.metadata![RESUME_FORMAT]) as Record<string, unknown>;
    const damage: [string, (m: Record<string, unknown>) => void, RegExp][] = [
      ['no rng', (m) => delete m.rng, /'rng'/],
      ['no data position', (m) => { delete m.iteration; delete m.batches_done; }, /'iteration'/],
      ['total_steps "many"', (m) => (m.total_steps = 'many'), /'total_steps'/],
      ['total_steps -5', (m) => (m.total_steps = -5), /'total_steps'/],
      ['iteration 1e9', (m) => (m.iteration = 1e9), /'iteration'/],
      ['rng of floats', (m) => (m.rng = [0.5, 1, 2, 3]), /'rng'/],
    ];
    for (const [what, f, re] of damage) {
      const m = structuredClone(meta);
      f(m);
      writeSafetensors(path, orig.tensors, { ...orig.metadata, [RESUME_FORMAT]: JSON.stringify(m) });
      const r = hrm(['train', `resume=${run}`]);
      const line = oneLineError(r);
      assert.match(line, new RegExp(`${side.replace(/\./g, '\\.')}: .*`), `${what}: ${line}`);
      assert.match(line, re, what);
      assert.doesNotMatch(r.stdout, /complete|nothing to resume/, what);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test(`#25 train: ${sig} stops training with one line naming the last good checkpoint; resume= continues`, async () => {
    const { root, data } = tinySudoku(16, 8);
    try {
      const run = join(root, 'run');
      const child = spawn(process.execPath, [CLI, 'train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, 'epochs=200', 'eval_interval=100', 'checkpoint_every_steps=2', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      for (let i = 0; i < 6000 && !(existsSync(run) && readdirSync(run).some((n) => n.endsWith('.resume.safetensors'))); i++) await new Promise((r) => setTimeout(r, 10));
      child.kill(sig);
      const code = await exited;
      assert.equal(code, sig === 'SIGINT' ? 130 : 143, stderr);
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0], new RegExp(`^hrm: interrupted \\(${sig}\\) at step \\d+; training stopped; the last good checkpoint is .*step_\\d+\\.safetensors \\(resume=.* continues from it\\)$`));
      assert.ok(!existsSync(join(run, '.lock')), 'the lock stayed');
      const resumed = hrm(['train', `resume=${run}`, '--quiet']);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stdout, /resuming .* at step \d+/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}
