import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyOverride,
  configToYaml,
  defaultConfig,
  didYouMean,
  loadTrainConfig,
  parseOverrideValue,
  readRunConfig,
  totalSteps,
} from '../../src/train/config.js';
import { UserError } from '../../src/util/errors.js';

test('defaults are the reference cfg_pretrain.yaml + arch/hrm_v1.yaml', () => {
  const c = loadTrainConfig({ overrides: [] });
  assert.equal(c.global_batch_size, 768);
  assert.equal(c.epochs, 100000);
  assert.equal(c.eval_interval, 10000);
  assert.equal(c.lr, 1e-4);
  assert.equal(c.lr_min_ratio, 1.0);
  assert.equal(c.lr_warmup_steps, 2000);
  assert.equal(c.weight_decay, 0.1);
  assert.equal(c.puzzle_emb_lr, 1e-2);
  assert.equal(c.puzzle_emb_weight_decay, 0.1);
  assert.deepEqual([c.beta1, c.beta2], [0.9, 0.95]);
  assert.equal(c.seed, 0);
  const a = c.arch;
  assert.deepEqual(
    [a.hidden_size, a.num_heads, a.expansion, a.H_layers, a.L_layers, a.H_cycles, a.L_cycles, a.halt_max_steps],
    [512, 8, 4, 4, 4, 2, 2, 16],
  );
  assert.equal(a.halt_exploration_prob, 0.1);
  assert.equal(a.pos_encodings, 'rope');
  assert.equal(a.puzzle_emb_ndim, 512, 'puzzle_emb_ndim defaults to hidden_size');
  assert.equal(a.loss.loss_type, 'stablemax_cross_entropy');
});

test("the reference README's Sudoku command line parses as written", () => {
  const argv = 'data_path=data/sudoku-extreme-1k-aug-1000 epochs=20000 eval_interval=2000 lr=1e-4 puzzle_emb_lr=1e-4 weight_decay=1.0 puzzle_emb_weight_decay=1.0'.split(' ');
  const c = loadTrainConfig({ overrides: argv });
  assert.equal(c.data_path, 'data/sudoku-extreme-1k-aug-1000');
  assert.equal(c.epochs, 20000);
  assert.equal(c.eval_interval, 2000);
  assert.equal(c.lr, 1e-4);
  assert.equal(c.puzzle_emb_lr, 1e-4);
  assert.equal(c.weight_decay, 1.0);
  assert.equal(c.puzzle_emb_weight_decay, 1.0);
  assert.equal(c.project_name, 'Sudoku-extreme-1k-aug-1000 ACT-ts');
});

test('arch.* and arch.loss.* overrides, +key tolerated, puzzle_emb_ndim follows hidden_size', () => {
  const c = loadTrainConfig({
    overrides: ['arch.hidden_size=128', 'arch.num_heads=4', '+arch.loss.loss_type=softmax_cross_entropy', '++seed=3', 'eval_save_outputs=[inputs,logits]', 'arch.pos_encodings=learned'],
  });
  assert.equal(c.arch.hidden_size, 128);
  assert.equal(c.arch.puzzle_emb_ndim, 128);
  assert.equal(c.arch.loss.loss_type, 'softmax_cross_entropy');
  assert.equal(c.seed, 3);
  assert.deepEqual(c.eval_save_outputs, ['inputs', 'logits']);
  assert.equal(c.arch.pos_encodings, 'learned');
});

test('override values parse like Hydra', () => {
  assert.equal(parseOverrideValue('1e-4'), 1e-4);
  assert.equal(parseOverrideValue('7'), 7);
  assert.equal(parseOverrideValue('True'), true);
  assert.equal(parseOverrideValue('null'), null);
  assert.equal(parseOverrideValue("'a b'"), 'a b');
  assert.deepEqual(parseOverrideValue('[a, "b", 3]'), ['a', 'b', 3]);
  assert.deepEqual(parseOverrideValue('[]'), []);
  assert.equal(parseOverrideValue('data/x'), 'data/x');
});

function throwsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof UserError && re.test(e.message));
}

test('unknown keys fail with a did-you-mean', () => {
  throwsUser(() => loadTrainConfig({ overrides: ['global_bach_size=8'] }), /unknown config key 'global_bach_size'.*did you mean 'global_batch_size'/);
  throwsUser(() => loadTrainConfig({ overrides: ['hidden_size=8'] }), /did you mean 'arch.hidden_size'/);
  throwsUser(() => loadTrainConfig({ overrides: ['arch.H_cycle=1'] }), /did you mean 'arch.H_cycles'/);
  throwsUser(() => loadTrainConfig({ overrides: ['zzzzzzzzzz=1'] }), /unknown config key 'zzzzzzzzzz'$/);
  assert.equal(didYouMean('lr_warmup', ['lr_warmup_steps', 'lr']), 'lr_warmup_steps');
});

test('bad values fail clearly', () => {
  throwsUser(() => loadTrainConfig({ overrides: ['lr=fast'] }), /lr must be a finite number, got "fast"/);
  throwsUser(() => loadTrainConfig({ overrides: ['global_batch_size=0'] }), /global_batch_size must be >= 1/);
  throwsUser(() => loadTrainConfig({ overrides: ['epochs=2.5'] }), /epochs must be an integer/);
  throwsUser(() => loadTrainConfig({ overrides: ['arch.loss.loss_type=mse'] }), /one of stablemax_cross_entropy, softmax_cross_entropy/);
  throwsUser(() => loadTrainConfig({ overrides: ['checkpoint_every_eval=maybe'] }), /true or false/);
  throwsUser(() => loadTrainConfig({ overrides: ['lr'] }), /expected key=value/);
  throwsUser(() => loadTrainConfig({ overrides: ['arch.hidden_size=100', 'arch.num_heads=4'] }), /rope needs an even head dimension, hidden_size \/\/ num_heads = 25/);
  throwsUser(() => loadTrainConfig({ overrides: ['eval_save_outputs=[logit]'] }), /unknown output 'logit' \(did you mean 'logits'\?\)/);
});

test('eval_interval must divide epochs', () => {
  throwsUser(() => loadTrainConfig({ overrides: ['epochs=100', 'eval_interval=30'] }), /eval_interval \(30\) must divide epochs \(100\); e.g. eval_interval=25/);
  assert.equal(loadTrainConfig({ overrides: ['epochs=100', 'eval_interval=null'] }).eval_interval, null);
});

test('YAML config files: reference layout, nested arch, ${.hidden_size}, Hydra keys ignored; errors name the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'c.yaml');
  writeFileSync(
    f,
    ['defaults:', '  - arch: hrm_v1', '  - _self_', 'hydra:', '  output_subdir: null', 'global_batch_size: 64', 'arch:', '  hidden_size: 96', '  num_heads: 2', '  puzzle_emb_ndim: ${.hidden_size}', '  loss:', '    loss_type: softmax_cross_entropy', ''].join('\n'),
  );
  const c = loadTrainConfig({ file: f, overrides: ['global_batch_size=32'] });
  assert.equal(c.global_batch_size, 32, 'overrides win over the file');
  assert.equal(c.arch.hidden_size, 96);
  assert.equal(c.arch.puzzle_emb_ndim, 96);
  assert.equal(c.arch.loss.loss_type, 'softmax_cross_entropy');

  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'arch:\n  hiden_size: 3\n');
  throwsUser(() => loadTrainConfig({ file: bad, overrides: [] }), new RegExp(`${bad.replace(/[.]/g, '\\.')}: unknown config key 'arch.hiden_size'.*arch.hidden_size`));
  const json = join(dir, 'c.json');
  writeFileSync(json, JSON.stringify({ epochs: 10, eval_interval: 5 }));
  assert.equal(loadTrainConfig({ file: json, overrides: [] }).epochs, 10);
  throwsUser(() => loadTrainConfig({ file: join(dir, 'missing.yaml'), overrides: [] }), /cannot read config file/);
  writeFileSync(bad, 'epochs: [1\n');
  throwsUser(() => loadTrainConfig({ file: bad, overrides: [] }), /not valid YAML/);
});

test('all_config.yaml round trip', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const c = loadTrainConfig({ overrides: ['arch.hidden_size=64', 'arch.num_heads=2', 'run_name=r1', 'eval_save_outputs=[logits]'] });
  writeFileSync(join(dir, 'all_config.yaml'), configToYaml(c));
  assert.deepEqual(readRunConfig(join(dir, 'all_config.yaml')), c);
});

test('total steps: floor(epochs * total_groups * mean_puzzle_examples / global_batch_size)', () => {
  // Sudoku-Extreme 1k with 1000 augmentations: 1000 groups of 1001 puzzles with one example each.
  assert.equal(totalSteps({ epochs: 20000, global_batch_size: 768 }, { total_groups: 1000, mean_puzzle_examples: 1 }), 26041);
  assert.equal(totalSteps({ epochs: 3, global_batch_size: 4 }, { total_groups: 10, mean_puzzle_examples: 1.5 }), 11);
});

test('applyOverride rejects keys outside the schema even with +', () => {
  const c = defaultConfig();
  throwsUser(() => applyOverride(c, '+foo=1'), /unknown config key 'foo'/);
});
