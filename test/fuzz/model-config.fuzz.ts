/**
 * Fuzzes what reads a model's configuration from a file: a run's all_config.yaml (readRunConfig and the
 * model's own parser, with the limits of src/util/limits.ts), and a bundled model file end to end as
 * `hrm solve` reads it (metadata YAML and seq_len, tensor shapes and dtypes in the header, the weights
 * check of load.ts, then one Sudoku answered). Mutations: bytes, numbers in the YAML, a config key set
 * to a large value, tensor shapes transposed or dtypes relabelled. Run: node scripts/fuzz-readers.mjs model-config
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { parseSafetensors, serializeSafetensors, type SafeTensor } from '../../src/io/safetensors.js';
import { BUNDLE_KEYS, locateModel, readModelSpec, readWeights } from '../../src/model-files/load.js';
import { lookupModel } from '../../src/models/registry.js';
import { Solver } from '../../src/solve/solver.js';
import { configToYaml, defaultConfig, finalizeConfig, modelKeys, readRunConfig } from '../../src/train/config.js';
import type { Rng } from '../../src/util/random.js';
import { repoRoot } from '../fixtures.js';
import { main, mutateBytes, mutateNumber, type Mutator } from './harness.js';

const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : 'test-output/fuzz';
const work = join(out, 'model-config-work');
mkdirSync(work, { recursive: true });
const SUDOKU = '..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..';
const KEYS = ['H_cycles', 'L_cycles', 'halt_max_steps', 'H_layers', 'L_layers', 'hidden_size', 'num_heads', 'expansion', 'puzzle_emb_ndim', 'puzzle_emb_len', 'rope_theta', 'rms_norm_eps'];
const VALUES = [0, 1, 2, 3, 64, 1023, 1024, 1025, 4096, 65536, 1e9, 1e12, -1, 0.5, 1e-9, 'many', null, true];

/** A YAML text whose `arch` has one key set to a chosen value, or one number changed. */
const yamlValue = (text: string, rng: Rng): string => {
  if (rng.int(3) === 0) return mutateNumber(text, rng);
  try {
    const cfg = YAML.parse(text) as { arch?: Record<string, unknown> };
    if (!cfg || typeof cfg !== 'object' || !cfg.arch || typeof cfg.arch !== 'object') return mutateNumber(text, rng);
    cfg.arch[KEYS[rng.int(KEYS.length)]] = VALUES[rng.int(VALUES.length)];
    return YAML.stringify(cfg);
  } catch {
    return mutateNumber(text, rng);
  }
};

const hrmRun = (() => {
  const c = defaultConfig();
  Object.assign(c.arch, { hidden_size: 32, num_heads: 2, H_layers: 1, L_layers: 1 });
  c.data_path = 'data/none';
  return configToYaml(finalizeConfig(c, 'seed'));
})();
const bundled = readFileSync(join(repoRoot(), 'models', 'sudoku.safetensors'));
const bundledConfig = parseSafetensors(bundled, 'seed').metadata[BUNDLE_KEYS.config];

/** The bundle rebuilt with its metadata's YAML mutated, or a tensor transposed or relabelled. */
const bundleEdit: Mutator = (b, rng) => {
  let f;
  try {
    f = parseSafetensors(b, 'seed');
  } catch {
    return mutateBytes(b, rng);
  }
  const meta = { ...f.metadata };
  const tensors = new Map<string, SafeTensor>(f.tensors);
  switch (rng.int(4)) {
    case 0: {
      const names = [...tensors.keys()];
      const k = names[rng.int(names.length)];
      const t = tensors.get(k)!;
      tensors.set(k, { ...t, shape: [...t.shape].reverse() });
      break;
    }
    case 1: {
      const names = [...tensors.keys()].filter((n) => tensors.get(n)!.dtype === 'F32');
      const k = names[rng.int(names.length)];
      const t = tensors.get(k)!;
      if (t) tensors.set(k, { ...t, dtype: 'I32', data: new Int32Array(t.data.buffer, t.data.byteOffset, t.data.length) });
      break;
    }
    case 2:
      meta[BUNDLE_KEYS.seqLen] = String(VALUES[rng.int(VALUES.length)]);
      break;
    default:
      meta[BUNDLE_KEYS.config] = yamlValue(meta[BUNDLE_KEYS.config] ?? bundledConfig, rng);
  }
  return Buffer.concat(serializeSafetensors(tensors as never, meta));
};

main([
  {
    name: 'model-config-yaml',
    seeds: [Buffer.from(bundledConfig), Buffer.from(hrmRun)],
    mutators: [(b, rng) => Buffer.from(yamlValue(b.toString('utf8'), rng)), (b, rng) => Buffer.from(yamlValue(b.toString('utf8'), rng))],
    run(bytes) {
      const p = join(work, 'all_config.yaml');
      writeFileSync(p, bytes);
      const cfg = readRunConfig(p);
      lookupModel(cfg.arch.name, p).parseConfig(modelKeys(cfg, { seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1 }), p);
    },
  },
  {
    name: 'model-config-bundle',
    seeds: [bundled],
    mutators: [bundleEdit, bundleEdit, bundleEdit],
    run(bytes) {
      const p = join(work, 'model.safetensors');
      writeFileSync(p, bytes);
      // as serve, convert and export read it (the weights checked against the model), then as solve does
      const files = locateModel(p);
      readModelSpec(files, readWeights(files));
      const s = Solver.load(p);
      try {
        s.solve('sudoku', s.parse('sudoku', SUDOKU, 'fuzz', false), { batchSize: 1 });
      } finally {
        s.dispose();
      }
    },
  },
]);
