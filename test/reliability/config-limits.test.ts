/**
 * Sizes and counts read from files have upper bounds (src/util/limits.ts): a model whose metadata asks
 * for a billion cycles or segments, or a dataset.json with a trillion-token vocabulary, is refused with
 * one line naming the file and the key, before any model is built or any step is run; so is a TRM or
 * baseline configuration whose sizes (hidden, layers, SwiGLU width) its weights contradict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { BUNDLE_KEYS } from '../../src/model-files/load.js';
import { parseHRMConfig } from '../../src/models/hrm/config.js';
import { parseTRMConfig } from '../../src/models/trm/config.js';
import { validateMetadata } from '../../src/data/dataset-format.js';
import { LIMITS } from '../../src/util/limits.js';
import { UserError } from '../../src/util/errors.js';
import { repoRoot } from '../fixtures.js';
import { CLI, ENV, oneLineError, tempDir } from './helpers.js';
import { spawnSync } from 'node:child_process';

const DATA = { batch_size: 1, seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1 };
const SUDOKU = '..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..';

const refused = (fn: () => unknown, re: RegExp): void => {
  assert.throws(fn, (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'), String(re));
};

test('model keys above their limits are refused by every model parser, naming the key and the limit', () => {
  for (const [key, v] of [['H_cycles', 1e9], ['L_cycles', 1025], ['halt_max_steps', 1e9], ['H_layers', 1e6], ['hidden_size', 1 << 20], ['expansion', 1e6], ['seq_len', 1e9], ['vocab_size', 1e12], ['num_puzzle_identifiers', 1e12], ['batch_size', 1e9]] as const) {
    const re = new RegExp(`^cfg: model key '${key}' is ${v}, above its limit of ${LIMITS[key]}`);
    const hidden = key === 'hidden_size' ? {} : { hidden_size: 64, num_heads: 4 };
    refused(() => parseHRMConfig({ ...DATA, ...hidden, [key]: v }, 'cfg'), re);
    if (key !== 'H_layers') refused(() => parseTRMConfig({ ...DATA, ...hidden, [key]: v }, 'cfg'), re);
  }
  refused(() => parseHRMConfig({ ...DATA, halt_max_steps: 64, H_cycles: 8, L_cycles: 16 }, 'cfg'), /halt_max_steps x H_cycles x L_cycles is 64 x 8 x 16 = 8192 steps per answer, above the limit of 4096/);
  refused(() => parseTRMConfig({ ...DATA, halt_max_steps: 1024, H_cycles: 1024, L_cycles: 1024 }, 'cfg'), /steps per answer/);
  // the real configurations stay valid
  parseHRMConfig({ ...DATA, H_cycles: 2, L_cycles: 2, halt_max_steps: 16 }, 'cfg');
  parseTRMConfig({ ...DATA, H_cycles: 3, L_cycles: 6, halt_max_steps: 16 }, 'cfg');
});

test('dataset.json sizes above their limits are refused', () => {
  const meta = { pad_id: 0, ignore_label_id: 0, blank_identifier_id: 0, vocab_size: 11, seq_len: 81, num_puzzle_identifiers: 1, total_groups: 1, mean_puzzle_examples: 1.0, sets: ['all'] };
  validateMetadata(meta, 'dataset.json');
  refused(() => validateMetadata({ ...meta, vocab_size: 1e12 }, 'dataset.json'), /^dataset\.json: field 'vocab_size' is 1000000000000, above its limit/);
  refused(() => validateMetadata({ ...meta, seq_len: 1e9 }, 'dataset.json'), /field 'seq_len'/);
});

test('hrm solve refuses a model whose metadata asks for a billion cycles or segments, at once', () => {
  const dir = tempDir();
  try {
    const src = readSafetensors(join(repoRoot(), 'models', 'sudoku.safetensors'));
    const cfg = YAML.parse(src.metadata[BUNDLE_KEYS.config]) as { arch: Record<string, unknown> };
    for (const [key, v] of [['H_cycles', 1000000000], ['halt_max_steps', 1000000000]] as const) {
      const file = join(dir, `${key}.safetensors`);
      const arch = { ...cfg.arch, [key]: v };
      writeSafetensors(file, src.tensors as never, { ...src.metadata, [BUNDLE_KEYS.config]: YAML.stringify({ ...cfg, arch }) });
      // before the limits this ran past 6 GB (cycles) or without end (segments): the timeout turns that into a failure
      const r = spawnSync(process.execPath, [CLI, 'solve', 'sudoku', '--checkpoint', file, SUDOKU], { encoding: 'utf8', env: ENV, timeout: 60_000 });
      assert.match(oneLineError(r), new RegExp(`${key}' is 1000000000, above its limit of 1024`));
    }
    // sizes under their limits that the weights contradict: refused before a model of them is built
    // (hidden 4096 x expansion 64 took more than 3 GB and 2 minutes before)
    for (const [key, v, re] of [
      ['hidden_size', 4096, /arch\.hidden_size is 4096 but the weights in .* have 64/],
      ['expansion', 64, /arch\.expansion is 64 \(a SwiGLU width of \d+\) but the weights in .* have 256/],
      ['L_layers', 200, /arch\.L_layers is 200 but the weights in .* have 2/],
    ] as const) {
      const file = join(dir, `${key}-contradicted.safetensors`);
      const arch = { ...cfg.arch, [key]: v };
      writeSafetensors(file, src.tensors as never, { ...src.metadata, [BUNDLE_KEYS.config]: YAML.stringify({ ...cfg, arch }) });
      const r = spawnSync(process.execPath, [CLI, 'solve', 'sudoku', '--checkpoint', file, SUDOKU], { encoding: 'utf8', env: ENV, timeout: 60_000 });
      assert.match(oneLineError(r), re);
    }
    // a seq_len the weights contradict (mlp_t's sequence SwiGLU: 65536 tokens would be 23e9 weights)
    const longer = join(dir, 'seq-len.safetensors');
    writeSafetensors(longer, src.tensors as never, { ...src.metadata, [BUNDLE_KEYS.seqLen]: '65536' });
    const q = spawnSync(process.execPath, [CLI, 'solve', 'sudoku', '--checkpoint', longer, SUDOKU], { encoding: 'utf8', env: ENV, timeout: 60_000 });
    assert.match(oneLineError(q), /the weights are for sequences of 81 tokens, but its metadata hrm_ts\.seq_len says 65536/);
    // a run folder's all_config.yaml too
    const run = join(dir, 'run');
    spawnSync('mkdir', [run]);
    writeSafetensors(join(run, 'step_1.safetensors'), src.tensors as never);
    writeFileSync(join(run, 'all_config.yaml'), YAML.stringify({ ...cfg, arch: { ...cfg.arch, L_cycles: 5000 } }));
    const r = spawnSync(process.execPath, [CLI, 'solve', 'sudoku', '--checkpoint', run, SUDOKU], { encoding: 'utf8', env: ENV, timeout: 60_000 });
    assert.match(oneLineError(r), /all_config\.yaml.*L_cycles' is 5000, above its limit of 1024/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
