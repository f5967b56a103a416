/**
 * End to end, as a user runs it: build a dataset with the data CLI, train a few steps with `hrm train`,
 * evaluate the checkpoint with `hrm eval`, and check the run folder: reference state-dict names,
 * metrics, curves, saved outputs, and that a checkpoint loads back into an identical model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { readDatasetMetadata } from '../../src/data/dataset-format.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { loadStateDictFile, stateDict } from '../../src/io/state-dict.js';
import { lrAt } from '../../src/optim/schedule.js';
import { readRunConfig } from '../../src/train/config.js';
import { evaluateCheckpoint } from '../../src/model-files/eval-checkpoint.js';
import { readMetrics } from '../../src/train/metrics-log.js';
import { buildModel } from '../../src/train/model-bridge.js';
import { Rng } from '../../src/util/random.js';
import { fixturesDir } from '../fixtures.js';
import { CLI, hrm, TINY, tinySudoku } from './tiny-data.js';

const FIXTURES = fixturesDir();
const OUTPUTS = ['inputs', 'labels', 'puzzle_identifiers', 'logits', 'preds', 'q_halt_logits', 'q_continue_logits'];

test('data CLI -> hrm train -> hrm eval -> checkpoint round trip', async (t) => {
  const { root, data } = tinySudoku(32, 12);
  try {
    const run = join(root, 'run');
    const tr = hrm(['train', ...TINY, `data_path=${data}`, `checkpoint_path=${run}`, `eval_save_outputs=[${OUTPUTS.join(',')}]`]);
    assert.equal(tr.status, 0, tr.stderr);
    assert.match(tr.stdout, /held-out 'all': exact accuracy [\d.]+%, token accuracy [\d.]+%/);
    assert.match(tr.stderr, /train 16\/16 100\.0%.*\| loss [\d.]+ acc [\d.]+/, 'plain progress lines when not a terminal');

    // The run folder.
    const files = readdirSync(run).sort();
    for (const f of ['all_config.yaml', 'curves.svg', 'metrics.jsonl', 'summary.json', 'step_8.safetensors', 'step_16.safetensors', 'step_16.resume.safetensors', 'step_16_all_preds.safetensors']) {
      assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
    }
    const cfg = readRunConfig(join(run, 'all_config.yaml'));
    assert.equal(cfg.arch.hidden_size, 32);
    assert.equal(cfg.checkpoint_path, run);
    assert.equal(YAML.parse(readFileSync(join(run, 'all_config.yaml'), 'utf8')).arch.loss.loss_type, 'stablemax_cross_entropy');

    // Metrics: one train line per step with the reference's reduction, evaluations at steps 8 and 16.
    const recs = readMetrics(join(run, 'metrics.jsonl'));
    const trainRecs = recs.filter((r) => r.kind === 'train');
    assert.deepEqual(trainRecs.map((r) => r.step), Array.from({ length: 16 }, (_, i) => i + 1));
    for (const r of trainRecs) {
      assert.equal(r['train/lr'], lrAt(r.step, 1e-3, 2, 16, 0.1));
      assert.ok((r['train/accuracy'] as number) >= 0 && (r['train/accuracy'] as number) <= 1);
      assert.equal(r['train/count'], (r['train/count'] as number) > 0 ? 1 : 0, 'count / max(count, 1)');
    }
    const evals = recs.filter((r) => r.kind === 'eval');
    assert.deepEqual(evals.map((r) => [r.step, r.epoch]), [[8, 2], [16, 4]]);
    const last = evals[1];
    assert.equal(last['all/steps'], 2, 'evaluation runs halt_max_steps segments');
    assert.ok((last['all/accuracy'] as number) > 0.3, `token accuracy after 16 steps: ${last['all/accuracy']}`);
    const lossFirst = trainRecs.slice(0, 4).reduce((s, r) => s + (r['train/lm_loss'] as number), 0);
    const lossLast = trainRecs.slice(-4).reduce((s, r) => s + (r['train/lm_loss'] as number), 0);
    assert.ok(lossLast < lossFirst, `lm_loss falls: ${lossFirst / 4} -> ${lossLast / 4}`);
    const svg = readFileSync(join(run, 'curves.svg'), 'utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /evaluation accuracy/);
    assert.match(svg, /<path d="M/);

    // Weights carry the reference's state-dict names; with a fixture at hand, the same name pattern.
    const weights = readSafetensors(join(run, 'step_16.safetensors'));
    const names = [...weights.tensors.keys()];
    for (const n of ['model.inner.H_init', 'model.inner.L_init', 'model.inner.puzzle_emb.weights', 'model.inner.q_head.bias', 'model.inner.lm_head.weight', 'model.inner.embed_tokens.embedding_weight', 'model.inner.L_level.layers.0.mlp.gate_up_proj.weight']) {
      assert.ok(names.includes(n), n);
    }
    const fixtureJson = join(FIXTURES, 'hrm_small.json');
    if (existsSync(fixtureJson)) {
      const norm = (xs: string[]) => [...new Set(xs.map((n) => n.replace(/layers\.\d+/, 'layers.N')))].sort();
      const ref = (JSON.parse(readFileSync(fixtureJson, 'utf8')).tensors as string[]).filter((n) => n.startsWith('init/')).map((n) => n.slice(5));
      assert.deepEqual(norm(names), norm(ref));
    } else t.diagnostic(`no fixture at ${fixtureJson}: reference name comparison skipped`);

    // Checkpoint round trip: a fresh model loads the file and exports exactly the same tensors.
    const meta = readDatasetMetadata(data, 'train');
    const model = buildModel(cfg, meta, new Rng(123), 'test');
    loadStateDictFile(model, join(run, 'step_16.safetensors'));
    for (const [name, tIn] of stateDict(model)) {
      assert.deepEqual(tIn.data, weights.tensors.get(name)!.data, name);
    }

    // hrm eval reproduces the training run's last evaluation and saves the outputs.
    rmSync(join(run, 'step_16_all_preds.safetensors'));
    const ev = hrm(['eval', `checkpoint=${join(run, 'step_16.safetensors')}`, `save_outputs=[${OUTPUTS.join(',')}]`]);
    assert.equal(ev.status, 0, ev.stderr);
    assert.match(ev.stdout, new RegExp(`all: exact_accuracy ${(last['all/exact_accuracy'] as number).toFixed(4)} accuracy ${(last['all/accuracy'] as number).toFixed(4)}`));
    const inProcess = evaluateCheckpoint({ checkpoint: join(run, 'step_16.safetensors'), saveOutputs: [] });
    for (const [k, v] of Object.entries(inProcess.sets.all)) assert.equal(v, last[`all/${k}`], k);
    assert.equal(inProcess.predictionsFile, null);

    const preds = readSafetensors(join(run, 'step_16_all_preds.safetensors')).tensors;
    assert.deepEqual([...preds.keys()].sort(), [...OUTPUTS].sort());
    // 12 test puzzles in batches of 8: two batches, the second padded.
    assert.deepEqual(preds.get('logits')!.shape, [16, 81, 11]);
    assert.deepEqual(preds.get('inputs')!.shape, [16, 81]);
    assert.deepEqual(preds.get('q_halt_logits')!.shape, [16]);
    const logits = preds.get('logits')!.data as Float32Array;
    const p = preds.get('preds')!.data as Int32Array;
    for (let i = 0; i < 16 * 81; i += 37) {
      const row = logits.subarray(i * 11, i * 11 + 11);
      assert.equal(p[i], row.indexOf(Math.max(...row)), `preds = argmax(logits) at ${i}`);
    }
    const labels = preds.get('labels')!.data as Int32Array;
    assert.ok(labels.subarray(12 * 81).every((x) => x === -100), 'padding rows are labelled -100');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('bad input fails before any work, with a clear message and no stack trace', () => {
  const { root, data } = tinySudoku(8, 4);
  try {
    const cases: [string[], RegExp][] = [
      [[`data_path=${join(root, 'nope')}`], /data_path=.*nope.*dataset\.json|data_path=.*nope.*(not found|no such|missing)/i],
      [[`data_path=${data}`, 'epochs=10', 'eval_interval=3'], /eval_interval \(3\) must divide epochs \(10\)/],
      [[`data_path=${data}`, 'learning_rate=1'], /unknown config key 'learning_rate'/],
      [[`data_path=${data}`, 'global_batch_size=64', 'epochs=1', 'eval_interval=1'], /0 training steps/],
      [['resume=' + join(root, 'nothing')], /no such run folder or checkpoint/],
      [['--config', join(root, 'missing.yaml')], /cannot read config file/],
    ];
    for (const [args, re] of cases) {
      const r = hrm(['train', ...args, `checkpoint_path=${join(root, 'run')}`], { cwd: root });
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(join(root, 'run')), 'no run folder was created');
    }
    const e = hrm(['eval', `checkpoint=${join(root, 'step_1.safetensors')}`]);
    assert.equal(e.status, 1);
    assert.match(e.stderr, /no such file/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a non-finite loss stops the run with a clear message and keeps the last good checkpoint', () => {
  const { root, data } = tinySudoku(32, 12);
  try {
    const run = join(root, 'run');
    // A huge weight decay flips and blows up the weights (p *= 1 - lr*wd) until the loss overflows.
    const r = hrm(['train', ...TINY, 'lr_warmup_steps=0', 'weight_decay=1e6', 'checkpoint_every_steps=2', `data_path=${data}`, `checkpoint_path=${run}`, '--quiet']);
    assert.equal(r.status, 1, r.stderr);
    const m = /non-finite loss at step (\d+) \(lm_loss=NaN.*the last good checkpoint is (\S+step_(\d+)\.safetensors) \(resume=/.exec(r.stderr);
    assert.ok(m, r.stderr);
    const [bad, good] = [Number(m[1]), Number(m[3])];
    assert.ok(good < bad, `checkpoint ${good} before the bad step ${bad}`);
    readSafetensors(m[2]);
    const steps = readMetrics(join(run, 'metrics.jsonl')).map((x) => x.step);
    assert.equal(Math.max(...steps), bad - 1, 'the non-finite step is not logged');
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const SUDOKU_1K = join(process.cwd(), '..', 'shared', 'data', 'sudoku', 'sudoku-extreme-train-1k', 'train.csv');

test(
  "the reference README's Sudoku command line runs as written (full-size model: HRM_SLOW_TESTS=1)",
  { skip: !process.env.HRM_SLOW_TESTS ? 'set HRM_SLOW_TESTS=1 (one full-size step takes minutes on 2 cores)' : !existsSync(SUDOKU_1K) && `no ${SUDOKU_1K}` },
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'hrm-readme-'));
    try {
      const b = hrm(['data', 'sudoku', '--source', SUDOKU_1K, '--test-fraction', '0.1', '--num-aug', '2', '--output-dir', join(root, 'data', 'sudoku-extreme-1k-aug-1000'), '--quiet']);
      assert.equal(b.status, 0, b.stderr);
      const line = 'train data_path=data/sudoku-extreme-1k-aug-1000 epochs=20000 eval_interval=2000 lr=1e-4 puzzle_emb_lr=1e-4 weight_decay=1.0 puzzle_emb_weight_decay=1.0';
      // Run until the first optimizer step is reported, then stop it.
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...line.split(' ')], { cwd: root, env: { ...process.env } });
        let text = '';
        const onData = (d: Buffer) => {
          text += d;
          if (/train 1\/23437/.test(text)) child.kill('SIGKILL');
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(text) : reject(new Error(`exited ${code}: ${text}`))));
      });
      assert.match(out, /training: 23437 steps, 20000 epochs in 10 iteration\(s\) of 2000, global batch 768/);
      const cfg = readRunConfig(join(root, 'checkpoints', 'Sudoku-extreme-1k-aug-1000 ACT-ts', readdirSync(join(root, 'checkpoints', 'Sudoku-extreme-1k-aug-1000 ACT-ts'))[0], 'all_config.yaml'));
      assert.deepEqual([cfg.arch.hidden_size, cfg.lr, cfg.weight_decay, cfg.puzzle_emb_lr], [512, 1e-4, 1.0, 1e-4]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);
