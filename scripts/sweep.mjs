#!/usr/bin/env node
// The bad-input sweep of issue 25, run as a user would (the CLI as a child process), outside the
// default test run:  node scripts/sweep.mjs [--quick] [--keep]
// Three categories, counted:
//  data loss   every command that writes, pointed at a user's files, links (dangling too), folders
//              of other outputs, read-only folders (run as nobody): every entry that existed before
//              must be there after, byte for byte (a run moved aside to <dir>.old-<time> counts as kept)
//  stack traces bad or damaged inputs to every reader and bad flags: the outcome must be exit 0, or
//              exit 1 with a first stderr line 'hrm: ...'; never 'internal error', a stack, another status
//  blowups     every run above under /usr/bin/time -v, a wall-clock timeout and ulimit -v; plus hostile
//              files (cycles 1e9, shapes 1e9, YAML aliases, deep JSON, /dev/zero): max RSS over the
//              limit, killed or 'out of memory' is a blowup
// The library and the in-process readers are covered by scripts/fuzz.mjs, which the sweep runs too.
// Needs root for the read-only cases (setpriv to nobody); without it they are skipped and said so.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'dist', 'src', 'cli', 'main.js');
const QUICK = process.argv.includes('--quick');
const KEEP = process.argv.includes('--keep');
const MUTANTS = QUICK ? 3 : 10; // CLI runs per reader and command
const FUZZ_ITER = QUICK ? 50 : 300; // in-process iterations per reader (scripts/fuzz.mjs)
const VMEM_KB = 4 * 1024 * 1024; // ulimit -v
const RSS_LIMIT_MB = 1024; // a bad file makes no command grow past this
const TIMEOUT_S = 90;
const ENV = { ...process.env, HRM_THREADS: '1', NO_COLOR: '1' };
const ROOT_USER = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

const W = mkdtempSync('/tmp/hrm-sweep-');
chmodSync(W, 0o755);
const counts = { 'data loss': { cases: 0, found: 0 }, 'stack traces': { cases: 0, found: 0 }, blowups: { cases: 0, found: 0 }, 'accepted where a refusal was due': { cases: 0, found: 0 } };
const findings = [];
let maxRss = { mb: 0, what: '' };
let caseNo = 0;

function finding(cat, what, detail) {
  counts[cat].found++;
  findings.push(`${cat}: ${what}\n    ${detail.replace(/\n/g, '\n    ')}`);
  console.log(`FOUND ${cat}: ${what}\n    ${detail.split('\n').slice(0, 8).join('\n    ')}`);
}

/** Runs `hrm args` under time -v, timeout and ulimit -v; returns status, output, max RSS (MB), wall s. */
function hrm(args, o = {}) {
  const timeFile = join(W, '.time');
  rmSync(timeFile, { force: true });
  const asUser = o.nobody ? 'setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all' : '';
  const script = `ulimit -v ${o.vmemKb ?? VMEM_KB}; exec /usr/bin/time -v -o ${timeFile} timeout -s KILL ${o.timeout ?? TIMEOUT_S} ${asUser} "${process.execPath}" "${CLI}" "$@"`;
  const r = spawnSync('bash', ['-c', script, 'bash', ...args], { cwd: o.cwd ?? W, env: { ...ENV, ...(o.env ?? {}) }, encoding: 'utf8', input: o.input ?? '', maxBuffer: 256 << 20 });
  const t = existsSync(timeFile) ? readFileSync(timeFile, 'utf8') : '';
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(t)?.[1] ?? 0) / 1024;
  const exit = /Exit status: (\d+)/.exec(t);
  const sig = /Command terminated by signal (\d+)/.exec(t);
  const status = sig ? 128 + Number(sig[1]) : exit ? Number(exit[1]) : r.status;
  return { status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', rss, args };
}

function show(args) {
  return 'hrm ' + args.map((a) => (/^[\w./=:,@+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ').replaceAll(W, '$W');
}

/**
 * The outcome checks every run gets: no stack trace (exit 0, or 1 with 'hrm: ' first), no blowup.
 * `expect` 'fail' also wants a refusal (exit 1). Returns the result.
 */
function check(r, what, expect = 'any') {
  counts['stack traces'].cases++;
  counts.blowups.cases++;
  const cmd = show(r.args);
  if (r.rss > maxRss.mb) maxRss = { mb: r.rss, what: cmd };
  const err = r.stderr.trim();
  // a warning of the backend's ('hrm-ts: the native backend did not load ...') or progress may come
  // first; a command given no arguments prints its usage
  const first = err.split('\n').find((l) => l.trim() !== '' && !l.startsWith('hrm-ts: ')) ?? '';
  if (r.status === 137 || r.status === 124) finding('blowups', `${what}: killed after ${TIMEOUT_S} s (time)`, cmd);
  else if (r.rss > RSS_LIMIT_MB || /out of memory|Array buffer allocation failed|Cannot allocate memory|ENOMEM/i.test(err)) finding('blowups', `${what}: ${r.rss.toFixed(0)} MB max RSS`, `${cmd}\n${err.slice(0, 500)}`);
  else if (/internal error|\n\s+at |^\s*at /m.test(err) || ![0, 1].includes(r.status) || (r.status === 1 && !first.startsWith('usage: ') && !err.split('\n').some((l) => l.startsWith('hrm: ')))) {
    finding('stack traces', `${what}: exit ${r.status}`, `${cmd}\n${err.slice(0, 1200)}`);
  }
  if (expect === 'fail') counts['accepted where a refusal was due'].cases++;
  if (expect === 'fail' && r.status === 0) finding('accepted where a refusal was due', `${what}: exit 0`, `${cmd}\n${(r.stdout + err).slice(0, 400)}`);
  return r;
}

/** Every entry under dir: relative path -> type, mode, content hash or link target. */
function snapshot(dir) {
  const out = new Map();
  const walk = (d, rel) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const r = rel ? `${rel}/${n}` : n;
      const s = lstatSync(p);
      if (s.isSymbolicLink()) out.set(r, `link ${readlinkSync(p)}`);
      else if (s.isDirectory()) {
        out.set(r, `dir ${(s.mode & 0o7777).toString(8)}`);
        walk(p, r);
      } else out.set(r, `file ${(s.mode & 0o7777).toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`);
    }
  };
  walk(dir, '');
  return out;
}

/** Entries of `before` changed or gone in `after`; a tree moved to a sibling '<x>.old-*' is kept. */
function lost(before, after, mayChange) {
  const gone = [];
  for (const [p, v] of before) {
    if (mayChange && mayChange.test(p)) continue;
    if (after.get(p) === v) continue;
    // moved aside: <top>.old-<time>/<rest>
    const [top, ...rest] = p.split('/');
    const moved = [...after.keys()].some((q) => q.startsWith(`${top}.old-`) && !q.includes('/') && after.get([q, ...rest].join('/')) === v);
    if (!moved) gone.push(`${p}: ${v} -> ${after.get(p) ?? 'gone'}`);
  }
  return gone;
}

/**
 * One data-loss case: a fresh folder C, `prepare(C)` puts the user's things there and returns the
 * command; everything that was in C must still be there after it.
 */
function dataLossCase(what, prepare, expect = 'any') {
  const C = join(W, `case-${++caseNo}`);
  mkdirSync(C);
  chmodSync(C, 0o755);
  const spec = prepare(C);
  if (!spec) return;
  const before = snapshot(C);
  const r = hrm(spec.args.map((a) => a.replaceAll('$C', C)), { cwd: spec.cwd ?? C, nobody: spec.nobody });
  counts['data loss'].cases++;
  const gone = lost(before, snapshot(C), spec.mayChange);
  if (gone.length) finding('data loss', what, `${show(r.args)}\n${gone.slice(0, 6).join('\n')}`);
  check(r, what, expect);
  if (!KEEP) rmSync(C, { recursive: true, force: true });
}

function mustOk(args, what, o = {}) {
  const r = hrm(args, o);
  if (r.status !== 0) {
    console.error(`sweep setup failed: ${what}: ${show(args)}\n${r.stdout}\n${r.stderr}`);
    process.exit(2);
  }
  return r;
}

// ---------------------------------------------------------------- setup: what a user would have
const FX = join(W, 'fx');
mkdirSync(FX);
const TINY = ['arch.hidden_size=32', 'arch.num_heads=2', 'arch.expansion=2', 'arch.H_layers=1', 'arch.L_layers=1', 'arch.H_cycles=1', 'arch.L_cycles=1', 'arch.halt_max_steps=2', 'global_batch_size=8', 'epochs=4', 'eval_interval=2', 'lr=1e-3', 'puzzle_emb_lr=1e-2', 'lr_warmup_steps=2', 'lr_min_ratio=0.1', 'checkpoint_every_eval=true', '--quiet'];
const t0 = Date.now();
console.log(`sweep${QUICK ? ' (quick)' : ''} in ${W}; setting up a dataset of each kind, two tiny runs, a model file and a reference checkpoint`);
mustOk(['data', 'sudoku', '--generate', '24', '--clues', '50-60', '--test-fraction', '0.34', '--output-dir', join(FX, 'sdata'), '--save-csv', join(FX, 'puzzles.csv'), '--quiet'], 'sudoku data');
mustOk(['data', 'maze', '--generate', '12', '--size', '6', '--min-path', '3', '--test-fraction', '0.34', '--output-dir', join(FX, 'mdata'), '--save-csv', join(FX, 'mazes.csv'), '--quiet'], 'maze data');
const arcTask = (k) => {
  const g = (s) => [[s % 9, (s + 1) % 9], [(s + 2) % 9, (s + k) % 9]];
  const pair = (s) => ({ input: g(s), output: g(s).map((row) => row.map((v) => v + 1)) });
  return { train: [pair(k), pair(k + 3)], test: [pair(k + 5)] };
};
for (const subset of ['training', 'evaluation']) {
  mkdirSync(join(FX, 'arcsrc', subset), { recursive: true });
  for (let k = 0; k < 3; k++) writeFileSync(join(FX, 'arcsrc', subset, `${subset[0]}${k}aaaaaaa.json`), JSON.stringify(arcTask(k)));
}
mustOk(['data', 'arc', '--dataset-dirs', join(FX, 'arcsrc'), '--num-aug', '2', '--max-grid', '4', '--output-dir', join(FX, 'adata'), '--quiet'], 'arc data');
mustOk(['train', `data_path=${join(FX, 'sdata')}`, `checkpoint_path=${join(FX, 'srun')}`, ...TINY], 'sudoku run');
mustOk(['train', `data_path=${join(FX, 'adata')}`, `checkpoint_path=${join(FX, 'arun')}`, ...TINY], 'arc run');
mustOk(['export', join(FX, 'srun'), join(FX, 'model.safetensors')], 'export');
mustOk(['convert', join(FX, 'srun'), join(FX, 'ref')], 'convert to the reference format');
const lastStep = (run) => Math.max(...readdirSync(run).map((n) => /^step_(\d+)\.safetensors$/.exec(n)).filter(Boolean).map((m) => Number(m[1])));
const SSTEP = lastStep(join(FX, 'srun'));
const ASTEP = lastStep(join(FX, 'arun'));
// the ARC run's evaluation outputs (submission.json, arc_votes.json, arc_report.html, step_N_all_preds)
mustOk(['eval', `checkpoint=${join(FX, 'arun', `step_${ASTEP}.safetensors`)}`], 'arc eval');
const PUZZLE = readFileSync(join(FX, 'puzzles.csv'), 'utf8').split('\n')[1].split(',')[0];
spawnSync('chmod', ['-R', 'a+rX', W]);
const FX_BEFORE = snapshot(FX);
console.log(`setup: ${((Date.now() - t0) / 1000).toFixed(0)} s`);

// ---------------------------------------------------------------- data loss
/** The things a user may have where a command writes: each puts one at `p` (inside C). */
const OBSTACLES = {
  file: (C, p) => writeFileSync(p, 'my notes\n'),
  'link to a file': (C, p) => (writeFileSync(join(C, 'target.txt'), 'linked\n'), symlinkSync(join(C, 'target.txt'), p)),
  'dangling link': (C, p) => symlinkSync(join(C, 'nowhere'), p),
  'link to a folder': (C, p) => (mkdirSync(join(C, 'mine')), writeFileSync(join(C, 'mine', 'a.txt'), 'a\n'), symlinkSync(join(C, 'mine'), p)),
  'folder of the user': (C, p) => (mkdirSync(p), writeFileSync(join(p, 'notes.txt'), 'n\n')),
};
const o = (C) => join(C, 'out');
const gens = {
  'data sudoku --generate': ['data', 'sudoku', '--generate', '8', '--clues', '50-60', '--quiet'],
  'data maze --generate': ['data', 'maze', '--generate', '8', '--size', '6', '--min-path', '3', '--quiet'],
  'data arc': ['data', 'arc', '--dataset-dirs', join(FX, 'arcsrc'), '--num-aug', '1', '--max-grid', '4', '--quiet'],
  'data sudoku --source': ['data', 'sudoku', '--source', join(FX, 'puzzles.csv'), '--quiet'],
};
for (const [name, base] of Object.entries(gens)) {
  for (const force of [[], ['--force']]) {
    for (const [ob, make] of Object.entries(OBSTACLES)) dataLossCase(`${name} ${force.join('')} --output-dir at a ${ob}`, (C) => (make(C, o(C)), { args: [...base, ...force, '--output-dir', o(C)] }), 'fail');
    dataLossCase(`${name} ${force.join('')} --output-dir at another kind of dataset with a user file`, (C) => {
      cpSync(join(FX, 'mdata'), o(C), { recursive: true });
      writeFileSync(join(o(C), 'train', 'mydata__inputs.npy'), 'mine');
      return { args: [...base, ...force, '--output-dir', o(C)] };
    }, 'fail');
    dataLossCase(`${name} ${force.join('')} --output-dir .`, (C) => (writeFileSync(join(C, 'mine.txt'), 'x'), { args: [...base, ...force, '--output-dir', '.'] }), 'fail');
    dataLossCase(`${name} ${force.join('')} next to staging-like folders of others`, (C) => {
      mkdirSync(join(C, '.photos.building-999999-1'));
      writeFileSync(join(C, '.photos.building-999999-1', 'img.jpg'), 'jpg');
      mkdirSync(join(C, '.out.building-999999-1.old'));
      writeFileSync(join(C, '.out.building-999999-1.old', 'x'), 'x');
      mkdirSync(join(C, '.out.building-999999-2'));
      writeFileSync(join(C, '.out.building-999999-2', 'y'), 'y');
      return { args: [...base, ...force, '--output-dir', o(C)] };
    });
  }
  if (ROOT_USER) dataLossCase(`${name} --output-dir in a read-only folder (as nobody)`, (C) => (writeFileSync(join(C, 'mine.txt'), 'x'), { args: [...base, '--output-dir', o(C)], nobody: true }), 'fail');
}
dataLossCase('data arc --output-dir at its own source folder (--force)', (C) => (cpSync(join(FX, 'arcsrc'), join(C, 'src'), { recursive: true }), { args: ['data', 'arc', '--dataset-dirs', join(C, 'src'), '--output-dir', join(C, 'src'), '--force', '--quiet'] }), 'fail');
dataLossCase('data sudoku --source with --output-dir its folder (--force)', (C) => (cpSync(join(FX, 'puzzles.csv'), join(C, 'p.csv')), { args: ['data', 'sudoku', '--source', join(C, 'p.csv'), '--output-dir', C, '--force', '--quiet'] }), 'fail');
for (const [name, base] of [['sudoku', gens['data sudoku --generate']], ['maze', gens['data maze --generate']]]) {
  for (const [ob, make] of Object.entries(OBSTACLES)) {
    dataLossCase(`data ${name} --save-csv at a ${ob}`, (C) => (make(C, join(C, 'p.csv')), { args: [...base, '--output-dir', o(C), '--save-csv', join(C, 'p.csv')] }), 'fail');
  }
  dataLossCase(`data ${name} --save-csv at the --output-dir`, (C) => ({ args: [...base, '--output-dir', o(C), '--save-csv', o(C)] }), 'fail');
}
// training
const trainNew = (C, at, extra = []) => ['train', `data_path=${join(FX, 'sdata')}`, `checkpoint_path=${at}`, ...TINY, ...extra];
for (const ow of [[], ['overwrite=true']]) {
  for (const [ob, make] of Object.entries(OBSTACLES)) dataLossCase(`train ${ow.join('')} checkpoint_path at a ${ob}`, (C) => (make(C, o(C)), { args: trainNew(C, o(C), ow) }), 'fail');
  for (const [label, name] of [['.lock', '.lock'], ['step_99_notes.txt', 'step_99_notes.txt'], ['step_7.safetensors.backup', 'step_7.safetensors.backup']]) {
    dataLossCase(`train ${ow.join('')} checkpoint_path holding a user's ${label}`, (C) => (mkdirSync(o(C)), writeFileSync(join(o(C), name), 'mine'), { args: trainNew(C, o(C), ow) }), 'fail');
  }
  dataLossCase(`train ${ow.join('')} checkpoint_path=run/ holding a run`, (C) => (cpSync(join(FX, 'srun'), o(C), { recursive: true }), { args: trainNew(C, `${o(C)}/`, ow) }), ow.length ? 'any' : 'fail');
  dataLossCase(`train ${ow.join('')} checkpoint_path holding a run and a user file`, (C) => {
    cpSync(join(FX, 'srun'), o(C), { recursive: true });
    writeFileSync(join(o(C), 'my-analysis.ipynb'), '{}');
    return { args: trainNew(C, o(C), ow) };
  }, 'fail');
}
if (ROOT_USER) dataLossCase('train in a read-only folder (as nobody)', (C) => (writeFileSync(join(C, 'mine.txt'), 'x'), { args: trainNew(C, o(C)), nobody: true }), 'fail');
const RUN_OWN = /^run\/(metrics\.jsonl|curves\.svg|summary\.json|step_\d+(\.ema|\.resume|_all_preds)?\.safetensors|\.lock)$/;
dataLossCase('train resume=RUN with user files named like its own', (C) => {
  cpSync(join(FX, 'srun'), join(C, 'run'), { recursive: true });
  for (const n of ['step_99_notes.txt', '.bashrc.tmp-1-2', 'step_7.safetensors.backup', `step_${SSTEP + 2}.safetensors.txt`, '.step_1.safetensors.tmp-x']) writeFileSync(join(C, 'run', n), 'mine');
  symlinkSync(join(C, 'nowhere'), join(C, 'run', 'my-link'));
  mkdirSync(join(C, 'run', `step_${SSTEP + 4}`));
  writeFileSync(join(C, 'run', `step_${SSTEP + 4}`, 'x'), 'mine');
  return { args: ['train', `resume=${join(C, 'run')}`, '--quiet'], mayChange: RUN_OWN };
});
dataLossCase('train resume=RUN whose newer step file is a link to a user file', (C) => {
  cpSync(join(FX, 'srun'), join(C, 'run'), { recursive: true });
  writeFileSync(join(C, 'mine.safetensors'), 'mine');
  symlinkSync(join(C, 'mine.safetensors'), join(C, 'run', `step_${SSTEP + 10}.safetensors.link`));
  return { args: ['train', `resume=${join(C, 'run')}`, '--quiet'], mayChange: RUN_OWN };
});
// evaluation and ARC outputs
const predsName = (s) => `step_${s}_all_preds.safetensors`;
for (const [ob, make] of Object.entries(OBSTACLES)) {
  dataLossCase(`eval output_dir at a ${ob}`, (C) => (make(C, o(C)), { args: ['eval', `checkpoint=${join(FX, 'srun', `step_${SSTEP}.safetensors`)}`, `output_dir=${o(C)}`] }), ob.includes('folder') ? 'any' : 'fail');
  for (const f of [predsName(ASTEP), 'submission.json', 'arc_votes.json', 'arc_report.html']) {
    if (ob === 'folder of the user' || ob === 'link to a folder') continue;
    dataLossCase(`eval output_dir (ARC) with ${f} a ${ob}`, (C) => (mkdirSync(o(C)), make(C, join(o(C), f)), { args: ['eval', `checkpoint=${join(FX, 'arun', `step_${ASTEP}.safetensors`)}`, `output_dir=${o(C)}`] }), 'fail');
    dataLossCase(`arc vote with ${f} beside it a ${ob}`, (C) => {
      mkdirSync(o(C));
      cpSync(join(FX, 'arun', predsName(ASTEP)), join(o(C), predsName(ASTEP)));
      if (f !== predsName(ASTEP)) make(C, join(o(C), f));
      else return null;
      return { args: ['arc', 'vote', join(o(C), predsName(ASTEP)), '--data-path', join(FX, 'adata')] };
    }, 'fail');
  }
}
dataLossCase('eval into the run folder itself with a user file named like its outputs', (C) => {
  cpSync(join(FX, 'arun'), join(C, 'run'), { recursive: true });
  writeFileSync(join(C, 'run', 'submission.json'), '{"mine": 1}');
  return { args: ['eval', `checkpoint=${join(C, 'run', `step_${ASTEP}.safetensors`)}`] };
}, 'fail');
if (ROOT_USER) dataLossCase('eval in a read-only run folder (as nobody)', (C) => (cpSync(join(FX, 'srun'), join(C, 'run'), { recursive: true }), spawnSync('chmod', ['-R', 'a+rX', C]), { args: ['eval', `checkpoint=${join(C, 'run', `step_${SSTEP}.safetensors`)}`], nobody: true }));
dataLossCase('arc report of a run (reads only)', (C) => (cpSync(join(FX, 'arun'), join(C, 'run'), { recursive: true }), { args: ['arc', 'report', join(C, 'run')] }));
// export and convert
for (const force of [[], ['--force']]) {
  for (const [ob, make] of Object.entries(OBSTACLES)) dataLossCase(`export ${force.join('')} at a ${ob}`, (C) => (make(C, join(C, 'm.safetensors')), { args: ['export', join(FX, 'srun'), join(C, 'm.safetensors'), ...force] }), 'fail');
  dataLossCase(`export ${force.join('')} onto the run's own step file`, (C) => (cpSync(join(FX, 'srun'), join(C, 'run'), { recursive: true }), { args: ['export', join(C, 'run'), join(C, 'run', `step_${SSTEP}.safetensors`), ...force] }), 'fail');
  dataLossCase(`export ${force.join('')} onto a user's safetensors file`, (C) => (cpSync(join(FX, 'srun', `step_${SSTEP}.safetensors`), join(C, 'mine.safetensors')), { args: ['export', join(FX, 'srun'), join(C, 'mine.safetensors'), ...force] }), 'fail');
}
for (const [ob, make] of Object.entries(OBSTACLES)) {
  dataLossCase(`convert OUTPUT_DIR at a ${ob}`, (C) => (make(C, o(C)), { args: ['convert', join(FX, 'srun'), o(C)] }), ob === 'folder of the user' || ob === 'link to a folder' ? 'any' : 'fail');
  for (const f of ['checkpoint', 'all_config.yaml', 'step_0.safetensors']) {
    if (ob === 'folder of the user' || ob === 'link to a folder') continue;
    const input = f === 'step_0.safetensors' ? join(FX, 'ref') : join(FX, 'srun');
    dataLossCase(`convert with OUTPUT_DIR/${f} a ${ob}`, (C) => (mkdirSync(o(C)), make(C, join(o(C), f)), { args: ['convert', input, o(C)] }), 'fail');
  }
}
dataLossCase('convert a run into itself', (C) => (cpSync(join(FX, 'srun'), join(C, 'run'), { recursive: true }), { args: ['convert', join(C, 'run'), join(C, 'run')] }));
dataLossCase('convert a reference folder into itself', (C) => (cpSync(join(FX, 'ref'), join(C, 'ref'), { recursive: true }), { args: ['convert', join(C, 'ref'), join(C, 'ref')] }), 'fail');
if (ROOT_USER) dataLossCase('convert into a read-only folder (as nobody)', (C) => (writeFileSync(join(C, 'mine.txt'), 'x'), { args: ['convert', join(FX, 'srun'), o(C)], nobody: true }), 'fail');
const fxGone = lost(FX_BEFORE, snapshot(FX));
counts['data loss'].cases++;
if (fxGone.length) finding('data loss', 'the inputs the commands read were changed', fxGone.slice(0, 8).join('\n'));
console.log(`data loss: ${counts['data loss'].cases} cases, ${counts['data loss'].found} found (${((Date.now() - t0) / 1000).toFixed(0)} s)`);

// ---------------------------------------------------------------- stack traces: bad inputs to every reader
/** A seeded mutant: bytes flipped, cut, spliced, a number made huge or negative, a u32 set large. */
let rs = 12345;
const rnd = (n) => ((rs = (rs * 1103515245 + 12345) >>> 0), rs % n);
function mutate(src, region = src.length) {
  let b = Buffer.from(src.subarray(0, region));
  const tail = src.subarray(region);
  for (let e = 0, n = 1 + rnd(3); e < n; e++) {
    const at = rnd(b.length + 1);
    const k = rnd(6);
    if (k === 0 && b.length) b[Math.min(at, b.length - 1)] = rnd(256);
    else if (k === 1) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rnd(32))]);
    else if (k === 2) b = Buffer.concat([b.subarray(0, at), Buffer.from(['9999999999', '-1', 'null', '[', '}', '"', '\n', '\x00', '1e309', '\x1b[2J', ':'][rnd(11)]), b.subarray(at)]);
    else if (k === 3) b = b.subarray(0, Math.max(1, at));
    else if (k === 4) {
      const s = b.toString('latin1');
      const nums = [...s.matchAll(/\d+/g)];
      if (nums.length) {
        const m = nums[rnd(nums.length)];
        b = Buffer.from(s.slice(0, m.index) + ['99999999999', '-7', '0', '1.5', '4294967297', '1000000000'][rnd(6)] + s.slice(m.index + m[0].length), 'latin1');
      }
    } else if (b.length >= 4) b.writeUInt32LE([0xffffffff, 0x7fffffff, 1 << 20][rnd(3)], Math.min(at, b.length - 4));
  }
  return Buffer.concat([b, tail]);
}

/** Copies fixture `src` to a fresh folder, damages `file` in it with `bytes`, runs `args(C)`. */
function badFile(what, src, file, bytesOf, args, expect = 'any', runOpts = {}) {
  const C = join(W, `bad-${++caseNo}`);
  if (src) cpSync(join(FX, src), C, { recursive: true });
  else mkdirSync(C);
  const p = join(C, file);
  const bytes = bytesOf(existsSync(p) && lstatSync(p).isFile() ? readFileSync(p) : Buffer.alloc(0));
  if (bytes !== null) {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, bytes);
  }
  check(hrm(args(C), runOpts), what, expect);
  if (!KEEP) rmSync(C, { recursive: true, force: true });
}

const readers = [
  // [what, fixture folder, file in it, command, region of the file to mutate]
  ['model file (hrm export)', null, 'm.safetensors', (C) => ['solve', 'sudoku', PUZZLE, '--checkpoint', join(C, 'm.safetensors'), '--segments', '1'], 'model.safetensors'],
  ['step_N.safetensors (eval)', 'srun', `step_${SSTEP}.safetensors`, (C) => ['eval', `checkpoint=${join(C, `step_${SSTEP}.safetensors`)}`, `output_dir=${join(C, 'o')}`]],
  ['step_N.safetensors (export)', 'srun', `step_${SSTEP}.safetensors`, (C) => ['export', C, join(C, 'm.safetensors')]],
  ['resume metadata', 'srun', `step_${SSTEP}.resume.safetensors`, (C) => ['train', `resume=${C}`, '--quiet']],
  ['all_config.yaml (solve)', 'srun', 'all_config.yaml', (C) => ['solve', 'sudoku', PUZZLE, '--checkpoint', C, '--segments', '1']],
  ['all_config.yaml (export)', 'srun', 'all_config.yaml', (C) => ['export', C, join(C, 'm.safetensors')]],
  ['torch checkpoint (convert)', 'ref', 'checkpoint', (C) => ['convert', C, join(C, 'o')]],
  ['torch checkpoint (solve)', 'ref', 'checkpoint', (C) => ['solve', 'sudoku', PUZZLE, '--checkpoint', C, '--segments', '1']],
  ['reference all_config.yaml (convert)', 'ref', 'all_config.yaml', (C) => ['convert', C, join(C, 'o')]],
  ['dataset.json (data show)', 'sdata', 'train/dataset.json', (C) => ['data', 'show', C]],
  ['dataset.json (eval)', 'sdata', 'test/dataset.json', (C) => ['eval', `checkpoint=${join(FX, 'srun', `step_${SSTEP}.safetensors`)}`, `data_path=${C}`, `output_dir=${join(C, 'o')}`]],
  ['identifiers.json (data show)', 'adata', 'identifiers.json', (C) => ['data', 'show', C]],
  ['identifiers.json (arc vote)', 'adata', 'identifiers.json', (C) => ['arc', 'vote', join(FX, 'arun', predsName(ASTEP)), '--data-path', C]],
  ['inputs .npy (data show)', 'sdata', 'train/all__inputs.npy', (C) => ['data', 'show', C]],
  ['puzzle_indices .npy (eval)', 'sdata', 'test/all__puzzle_indices.npy', (C) => ['eval', `checkpoint=${join(FX, 'srun', `step_${SSTEP}.safetensors`)}`, `data_path=${C}`, `output_dir=${join(C, 'o')}`]],
  ['labels .npy (train)', 'sdata', 'train/all__labels.npy', (C) => ['train', `data_path=${C}`, `checkpoint_path=${join(C, 'r')}`, ...TINY, 'epochs=2']],
  ['ARC task JSON (data arc)', 'arcsrc', 'training/t0aaaaaaa.json', (C) => ['data', 'arc', '--dataset-dirs', C, '--output-dir', join(C, 'o'), '--num-aug', '1', '--quiet']],
  ['ARC task JSON (solve arc)', 'arcsrc', 'evaluation/e0aaaaaaa.json', (C) => ['solve', 'arc', join(C, 'evaluation', 'e0aaaaaaa.json'), '--checkpoint', join(FX, 'arun'), '--data', join(FX, 'adata')]],
  ['arc_votes.json (arc report)', 'arun', 'arc_votes.json', (C) => ['arc', 'report', C]],
  ['submission.json (arc score)', 'arun', 'submission.json', (C) => ['arc', 'score', join(C, 'submission.json'), join(FX, 'arcsrc', 'evaluation')]],
  ['Sudoku CSV (solve --file)', null, 'p.csv', (C) => ['solve', 'sudoku', '--file', join(C, 'p.csv'), '--segments', '1'], 'puzzles.csv'],
  ['Sudoku CSV (data sudoku --source)', null, 'p.csv', (C) => ['data', 'sudoku', '--source', join(C, 'p.csv'), '--output-dir', join(C, 'o'), '--quiet'], 'puzzles.csv'],
  ['Maze CSV (solve --file)', null, 'm.csv', (C) => ['solve', 'maze', '--file', join(C, 'm.csv'), '--checkpoint', join(FX, 'model.safetensors')], 'mazes.csv'],
  ['Maze CSV (data maze --source)', null, 'm.csv', (C) => ['data', 'maze', '--source', join(C, 'm.csv'), '--output-dir', join(C, 'o'), '--quiet'], 'mazes.csv'],
  ['training config (--config)', null, 'c.yaml', (C) => ['train', '--config', join(C, 'c.yaml'), `data_path=${join(FX, 'sdata')}`, `checkpoint_path=${join(C, 'r')}`, ...TINY, 'epochs=1'], null, readFileSync(join(root, 'configs', 'quickstart.yaml'))],
];
for (const [what, src, file, args, seedFile, seedBytes] of readers) {
  const seedOf = (b) => (seedBytes ?? (seedFile ? readFileSync(join(FX, seedFile)) : b));
  const region = (b) => (b.length > 65536 ? 4096 : b.length); // binary files: the header, where the structure is
  for (let i = 0; i < MUTANTS; i++) badFile(`${what}: mutant ${i}`, src, file, (b) => { const s = seedOf(b); return mutate(s, region(s)); }, args);
  // the same file empty, a folder, a dangling link
  badFile(`${what}: empty`, src, file, () => Buffer.alloc(0), args);
  badFile(`${what}: a folder in its place`, src, file, () => null, (C) => (rmSync(join(C, file), { force: true }), mkdirSync(join(C, file), { recursive: true }), args(C)));
  if (ROOT_USER) badFile(`${what}: unreadable (as nobody)`, src, file, (b) => seedOf(b), (C) => (spawnSync('chmod', ['-R', 'a+rwX', C]), chmodSync(join(C, file), 0), args(C)), 'any', { nobody: true });
}
// CLI flags: each command with wrong, missing, repeated and strange values
const FLAG_CASES = [
  ['solve', 'sudoku', '--segments', '-1', PUZZLE], ['solve', 'sudoku', '--segments', '1e9', PUZZLE], ['solve', 'sudoku', '--batch', '0', PUZZLE], ['solve', 'sudoku', '--retries', 'x', PUZZLE],
  ['solve', 'sudoku', '--budget', '-5ms', PUZZLE], ['solve', 'sudoku', '--model', 'nope', PUZZLE], ['solve', 'sudoku', '--model'], ['solve', 'sudoku', '--file'], ['solve', 'sudoku', 'x'.repeat(81)],
  ['solve', 'sudoku', PUZZLE.slice(0, 80)], ['solve', 'maze', PUZZLE], ['solve', 'chess', PUZZLE], ['solve'], ['solve', 'arc'], ['solve', 'arc', '/nonexistent.json'], ['solve', 'sudoku', '--checkpoint', '/dev/null', PUZZLE],
  ['solve', 'sudoku', '--file', '/dev/zero'], ['solve', 'sudoku', '--file', '/dev/urandom'], ['solve', 'sudoku', '--file', '-'], ['solve', 'sudoku', '--unknown', PUZZLE], ['solve', 'sudoku', '--backend', 'cuda', PUZZLE],
  ['data', 'sudoku', '--generate', '-3', '--output-dir', '$T'], ['data', 'sudoku', '--generate', '1e12', '--output-dir', '$T'], ['data', 'sudoku', '--generate', '5', '--clues', '90-99', '--output-dir', '$T'],
  ['data', 'sudoku', '--generate', '5', '--clues', '0-3', '--output-dir', '$T'], ['data', 'sudoku', '--generate', '5', '--num-aug', '1e12', '--output-dir', '$T'], ['data', 'sudoku', '--generate', '5', '--test-fraction', '2', '--output-dir', '$T'],
  ['data', 'maze', '--generate', '5', '--size', '1', '--output-dir', '$T'], ['data', 'maze', '--generate', '5', '--size', '100000', '--output-dir', '$T'], ['data', 'maze', '--generate', '5', '--size', '6', '--min-path', '1000', '--output-dir', '$T'],
  ['data', 'arc', '--dataset-dirs', '/nonexistent', '--output-dir', '$T'], ['data', 'arc', '--max-grid', '100000', '--dataset-dirs', join(FX, 'arcsrc'), '--output-dir', '$T'], ['data', 'show', '/nonexistent'], ['data', 'show', '/dev/null'], ['data'], ['data', 'nope'],
  ['train'], ['train', 'data_path='], ['train', `data_path=${join(FX, 'sdata')}`, 'epochs=-1'], ['train', `data_path=${join(FX, 'sdata')}`, 'global_batch_size=0'], ['train', `data_path=${join(FX, 'sdata')}`, 'arch.H_cycles=1000000000'],
  ['train', `data_path=${join(FX, 'sdata')}`, 'arch.hidden_size=1000000000'], ['train', `data_path=${join(FX, 'sdata')}`, 'arch.num_heads=3'], ['train', `data_path=${join(FX, 'sdata')}`, 'lr=abc'], ['train', 'resume=/nonexistent'], ['train', 'resume='],
  ['train', `data_path=${join(FX, 'sdata')}`, 'nokey=1'], ['train', '--config', '/dev/zero'], ['train', `data_path=${join(FX, 'sdata')}`, 'arch.halt_max_steps=1000000000'],
  ['eval'], ['eval', 'checkpoint=/nonexistent'], ['eval', `checkpoint=${join(FX, 'srun')}`, 'global_batch_size=-1'], ['eval', `checkpoint=${join(FX, 'srun', `step_${SSTEP}.safetensors`)}`, 'save_outputs=[nope]', 'output_dir=$T'],
  ['export'], ['export', join(FX, 'srun')], ['export', join(FX, 'srun'), '$T.safetensors', '--seq-len', '-1'], ['export', join(FX, 'srun'), '$T.safetensors', '--sides', '9-2'], ['export', '/nonexistent', '$T.safetensors'],
  ['convert'], ['convert', '/nonexistent', '$T'], ['convert', join(FX, 'model.safetensors'), '$T'], ['arc'], ['arc', 'vote'], ['arc', 'vote', join(FX, 'srun')], ['arc', 'report', join(FX, 'srun')], ['arc', 'score', '/nonexistent', '/nonexistent'],
  ['arc', 'report', join(FX, 'arun'), '--top', '-1'], ['arc', 'report', join(FX, 'arun'), '--task', '\x1b[31m'], ['serve', '--port', '-1'], ['serve', '--port', 'abc'], ['serve', '--model', '/nonexistent'], ['nope'], ['--version'], ['--backend'],
];
for (const a of FLAG_CASES) {
  const T = join(W, `flag-${++caseNo}`);
  check(hrm(a.map((x) => x.replaceAll('$T', T)), { timeout: 60 }), `flags: ${show(a)}`);
  rmSync(T, { recursive: true, force: true });
  rmSync(`${T}.safetensors`, { force: true });
}
console.log(`stack traces: ${counts['stack traces'].cases} runs so far, ${counts['stack traces'].found} found (${((Date.now() - t0) / 1000).toFixed(0)} s)`);

// ---------------------------------------------------------------- blowups: hostile files
const yamlSet = (text, key, value) => text.replace(new RegExp(`^(\\s*${key}:).*$`, 'm'), `$1 ${value}`);
const hostile = [
  ['all_config.yaml with H_cycles 1e9', 'srun', 'all_config.yaml', (b) => yamlSet(b.toString(), 'H_cycles', '1000000000'), (C) => ['solve', 'sudoku', PUZZLE, '--checkpoint', C]],
  ['all_config.yaml with halt_max_steps 1e9', 'srun', 'all_config.yaml', (b) => yamlSet(b.toString(), 'halt_max_steps', '1000000000'), (C) => ['solve', 'sudoku', PUZZLE, '--checkpoint', C]],
  ['all_config.yaml with hidden_size 1e9', 'srun', 'all_config.yaml', (b) => yamlSet(b.toString(), 'hidden_size', '1000000000'), (C) => ['export', C, join(C, 'm.safetensors')]],
  ['all_config.yaml with 1e6 aliases (billion laughs)', 'srun', 'all_config.yaml', (b) => `a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n${b}`, (C) => ['solve', 'sudoku', PUZZLE, '--checkpoint', C]],
  ['--config YAML billion laughs', null, 'c.yaml', () => `a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ndata_path: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`, (C) => ['train', '--config', join(C, 'c.yaml')]],
  ['dataset.json with seq_len, vocab and totals 1e12', 'sdata', 'train/dataset.json', (b) => b.toString().replace(/("(seq_len|vocab_size|total_groups|num_puzzle_identifiers)":\s*)\d+/g, '$11000000000000'), (C) => ['data', 'show', C]],
  ['.npy header claiming shape (1e9, 81)', 'sdata', 'test/all__inputs.npy', (b) => b.toString('latin1').replace(/'shape': \(\d+, 81\)/, "'shape': (1000000000, 81)"), (C) => ['eval', `checkpoint=${join(FX, 'srun', `step_${SSTEP}.safetensors`)}`, `data_path=${C}`, `output_dir=${join(C, 'o')}`]],
  ['.npy header claiming shape (1e12,)', 'sdata', 'train/all__puzzle_indices.npy', (b) => b.toString('latin1').replace(/'shape': \(\d+,\)/, "'shape': (1000000000000,)"), (C) => ['data', 'show', C]],
  ['safetensors header claiming a [1e9, 1e9] tensor', null, 'm.safetensors', () => {
    const h = Buffer.from(JSON.stringify({ 'model.inner.embed_tokens.embedding_weight': { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 4e18] } }));
    const n = Buffer.alloc(8);
    n.writeBigUInt64LE(BigInt(h.length));
    return Buffer.concat([n, h, Buffer.alloc(16)]);
  }, (C) => ['solve', 'sudoku', PUZZLE, '--checkpoint', join(C, 'm.safetensors')]],
  ['safetensors header length 2^63', null, 'm.safetensors', () => Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80, 0x7b]), (C) => ['solve', 'sudoku', PUZZLE, '--checkpoint', join(C, 'm.safetensors')]],
  ['ARC task with a 1000x1000 grid (data arc)', 'arcsrc', 'training/t0aaaaaaa.json', () => JSON.stringify({ train: [{ input: Array.from({ length: 1000 }, () => new Array(1000).fill(1)), output: [[1]] }], test: [{ input: [[1]], output: [[1]] }] }), (C) => ['data', 'arc', '--dataset-dirs', C, '--output-dir', join(C, 'o'), '--quiet']],
  ['ARC task with a 1000x1000 test grid (solve arc)', 'arcsrc', 'evaluation/e0aaaaaaa.json', () => JSON.stringify({ train: [{ input: [[1]], output: [[1]] }], test: [{ input: Array.from({ length: 1000 }, () => new Array(1000).fill(1)) }] }), (C) => ['solve', 'arc', join(C, 'evaluation', 'e0aaaaaaa.json'), '--checkpoint', join(FX, 'arun'), '--data', join(FX, 'adata')]],
  ['ARC task JSON nested 100,000 deep', 'arcsrc', 'training/t0aaaaaaa.json', () => `{"train": ${'['.repeat(100000)}${']'.repeat(100000)}, "test": []}`, (C) => ['data', 'arc', '--dataset-dirs', C, '--output-dir', join(C, 'o'), '--quiet']],
  ['arc_votes.json nested 100,000 deep', 'arun', 'arc_votes.json', () => `{"format": "hrm-ts-arc-votes/1", "tasks": ${'['.repeat(100000)}${']'.repeat(100000)}}`, (C) => ['arc', 'report', C]],
  ['resume metadata with iteration 1e9 and total_steps 1e12', 'srun', `step_${SSTEP}.resume.safetensors`, (b) => b.toString('latin1').replace(/\\?"total_steps\\?":\s*\d+/, (m) => m.replace(/\d+$/, '1000000000000')).replace(/\\?"iteration\\?":\s*\d+/, (m) => m.replace(/\d+$/, '1000000000')), (C) => ['train', `resume=${C}`, '--quiet']],
  ['Sudoku file of one 20 MB line', null, 'p.txt', () => '1'.repeat(20 << 20), (C) => ['solve', 'sudoku', '--file', join(C, 'p.txt')]],
  ['maze file of a 3000x3000 grid', null, 'm.txt', () => Array.from({ length: 3000 }, () => ' '.repeat(3000)).join('\n'), (C) => ['solve', 'maze', join(C, 'm.txt'), '--checkpoint', join(FX, 'model.safetensors')]],
];
for (const [what, src, file, bytesOf, args] of hostile) badFile(`hostile: ${what}`, src, file, bytesOf, args, 'fail');
for (const [what, dev, args] of [['--file /dev/zero', '/dev/zero', (d) => ['solve', 'sudoku', '--file', d]], ['--source /dev/zero', '/dev/zero', (d) => ['data', 'sudoku', '--source', d, '--output-dir', join(W, 'zero-out')]], ['--config /dev/urandom', '/dev/urandom', (d) => ['train', '--config', d]]]) {
  check(hrm(args(dev), { timeout: 60 }), `hostile: ${what}`, 'fail');
}

// ---------------------------------------------------------------- in-process fuzzers (every reader, the library)
const fz = spawnSync('nice', ['-n', '5', process.execPath, join(root, 'scripts', 'fuzz.mjs'), 'all', String(FUZZ_ITER), '--seed', '25'], { encoding: 'utf8', env: ENV, maxBuffer: 64 << 20 });
const fzLines = (fz.stdout + fz.stderr).trim().split('\n');
const fzTotal = /fuzz: (\d+) readers, (\d+) iterations, (\d+) bad/.exec(fzLines[fzLines.length - 1] ?? '');
console.log(fzLines.filter((l) => l.startsWith('FAIL') || l.startsWith('fuzz:')).slice(0, 20).join('\n'));
if (!fzTotal) finding('stack traces', 'scripts/fuzz.mjs did not finish', fzLines.slice(-10).join('\n'));
else if (Number(fzTotal[3])) finding('stack traces', `scripts/fuzz.mjs: ${fzTotal[3]} bad outcomes`, fzLines.filter((l) => l.startsWith('FAIL')).slice(0, 6).join('\n'));

// ---------------------------------------------------------------- report
console.log(`\n==== sweep${QUICK ? ' --quick' : ''}: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${ROOT_USER ? 'read-only cases as nobody' : 'read-only cases skipped (not root)'}`);
for (const [cat, c] of Object.entries(counts)) console.log(`${cat}: ${c.cases} cases, ${c.found} found`);
if (fzTotal) console.log(`fuzzing (scripts/fuzz.mjs): ${fzTotal[1]} readers, ${fzTotal[2]} iterations, ${fzTotal[3]} bad outcomes`);
console.log(`largest max RSS of any run: ${maxRss.mb.toFixed(0)} MB (${maxRss.what})`);
if (findings.length) console.log(`\nfindings:\n${findings.join('\n')}`);
if (!KEEP) rmSync(W, { recursive: true, force: true });
else console.log(`kept ${W}`);
process.exit(findings.length ? 1 : 0);
