/**
 * The training configuration: the reference's keys and defaults (its `cfg_pretrain.yaml` plus the
 * `arch/hrm_v1.yaml` model keys), read from an optional YAML/JSON file and Hydra-style `key=value`
 * overrides, then validated before any work starts.
 *
 * Keys the reference does not have are ours and marked below; they are ignored by the reference when
 * it reads our `all_config.yaml` (its pydantic models drop unknown keys).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import YAML from 'yaml';
import { UserError, oneLine, quote } from '../util/errors.js';
import { pathKind } from '../util/io-errors.js';
import { readTextFile } from '../util/json-file.js';
import { refuseSpecialFile } from '../util/regular-file.js';
import { OPTION_LIMITS } from '../util/limits.js';
import { COMPUTE_DTYPES } from '../engine/dtype.js';
import { lookupModel, MODELS } from '../models/registry.js';

import { LOSS_TYPES, type LossType } from '../models/shared/act.js';
export type { LossType };

export interface ArchConfig {
  name: string;
  loss: { name: string; loss_type: LossType };
  halt_exploration_prob: number;
  halt_max_steps: number;
  H_cycles: number;
  L_cycles: number;
  H_layers: number;
  L_layers: number;
  hidden_size: number;
  num_heads: number;
  expansion: number;
  /** null in a config means "= hidden_size" (the reference's `${.hidden_size}`); resolved by validation. */
  puzzle_emb_ndim: number;
  pos_encodings: 'rope' | 'rope_2d' | 'learned' | 'none';
  rms_norm_eps: number;
  rope_theta: number;
  forward_dtype: string;
  /** TRM's keys (src/models/registry.ts; absent for HRM) */
  mlp_t?: boolean;
  puzzle_emb_len?: number;
  no_ACT_continue?: boolean;
}

export interface TrainConfig {
  arch: ArchConfig;
  data_path: string;
  global_batch_size: number;
  epochs: number;
  eval_interval: number | null;
  checkpoint_every_eval: boolean;
  lr: number;
  lr_min_ratio: number;
  lr_warmup_steps: number;
  weight_decay: number;
  beta1: number;
  beta2: number;
  puzzle_emb_lr: number;
  puzzle_emb_weight_decay: number;
  seed: number;
  project_name: string | null;
  run_name: string | null;
  checkpoint_path: string | null;
  eval_save_outputs: string[];
  /** Ours: also write a resume point every this many steps inside an iteration (0 = only at evaluations). */
  checkpoint_every_steps: number;
  /** Ours: keep only the newest this many `step_N.safetensors` (0 = keep all, like the reference). */
  keep_checkpoints: number;
  /** Ours: rows per micro-batch (gradient accumulation; 0 = the whole batch when it fits in memory, else the most rows that do). */
  micro_batch_size: number;
  // TRM's pretrain.py keys
  /** training data folders (TRM); when given, the first one is data_path (several are not merged yet) */
  data_paths: string[];
  data_paths_test: string[];
  /** evaluator names (accepted; the ARC evaluator comes with the ARC evaluation work) */
  evaluators: unknown[];
  /** no evaluation before this many epochs (TRM) */
  min_eval_interval: number;
  /** start from these weights (a step_N.safetensors) */
  load_checkpoint: string | null;
  /** TRM: no optimizer steps for the parameters (only the puzzle embedding trains) */
  freeze_weights: boolean;
  /** exponential moving average of the weights, used for evaluation and saved with the checkpoints */
  ema: boolean;
  ema_rate: number;
}

export const HRM_V1_NAME = 'hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1';
/** The values arch.forward_dtype accepts (the one list: validation and the model read it). */
export const FORWARD_DTYPES = COMPUTE_DTYPES;
/** The loss heads arch.loss.name accepts (the reference's ACT loss head). */
export const LOSS_NAMES = ['losses@ACTLossHead'];
export const SAVE_OUTPUT_KEYS = ['inputs', 'labels', 'puzzle_identifiers', 'logits', 'preds', 'q_halt_logits', 'q_continue_logits'];

export function defaultConfig(): TrainConfig {
  return {
    // the reference's cfg_pretrain.yaml selects arch/hrm_v1.yaml: HRM's own defaults (src/models/hrm/config.ts)
    arch: { name: HRM_V1_NAME, ...structuredClone(lookupModel(HRM_V1_NAME).archDefaults) } as TrainConfig['arch'],
    data_path: 'data/arc-aug-1000',
    global_batch_size: 768,
    epochs: 100000,
    eval_interval: 10000,
    checkpoint_every_eval: true,
    lr: 1e-4,
    lr_min_ratio: 1.0,
    lr_warmup_steps: 2000,
    weight_decay: 0.1,
    beta1: 0.9,
    beta2: 0.95,
    puzzle_emb_lr: 1e-2,
    puzzle_emb_weight_decay: 0.1,
    seed: 0,
    project_name: null,
    run_name: null,
    checkpoint_path: null,
    eval_save_outputs: [],
    checkpoint_every_steps: 0,
    keep_checkpoints: 0,
    micro_batch_size: 0,
    data_paths: [],
    data_paths_test: [],
    evaluators: [],
    min_eval_interval: 0,
    load_checkpoint: null,
    freeze_weights: false,
    ema: false,
    ema_rate: 0.999,
  };
}

// ---------------------------------------------------------------------------------------------
// The schema: every key with its kind and range. Used for did-you-mean, coercion and validation.

type Kind =
  | { t: 'int'; min?: number; max?: number; nullable?: boolean }
  | { t: 'float'; min?: number; max?: number; minExclusive?: boolean }
  | { t: 'bool' }
  | { t: 'string'; nullable?: boolean; oneOf?: readonly string[] }
  | { t: 'list' }
  | { t: 'any-list' };

const SCHEMA: Record<string, Kind> = {
  data_path: { t: 'string' },
  global_batch_size: { t: 'int', min: 1 },
  epochs: { t: 'int', min: 1, max: OPTION_LIMITS.epochs },
  eval_interval: { t: 'int', min: 1, nullable: true },
  checkpoint_every_eval: { t: 'bool' },
  lr: { t: 'float', min: 0 },
  lr_min_ratio: { t: 'float', min: 0, max: 1 },
  lr_warmup_steps: { t: 'int', min: 0 },
  weight_decay: { t: 'float', min: 0 },
  beta1: { t: 'float', min: 0, max: 1 },
  beta2: { t: 'float', min: 0, max: 1 },
  puzzle_emb_lr: { t: 'float', min: 0 },
  puzzle_emb_weight_decay: { t: 'float', min: 0 },
  seed: { t: 'int', min: -OPTION_LIMITS.seed },
  project_name: { t: 'string', nullable: true },
  run_name: { t: 'string', nullable: true },
  checkpoint_path: { t: 'string', nullable: true },
  eval_save_outputs: { t: 'list' },
  checkpoint_every_steps: { t: 'int', min: 0 },
  keep_checkpoints: { t: 'int', min: 0 },
  micro_batch_size: { t: 'int', min: 0 },
  data_paths: { t: 'list' },
  data_paths_test: { t: 'list' },
  evaluators: { t: 'any-list' },
  min_eval_interval: { t: 'int', min: 0, nullable: true },
  load_checkpoint: { t: 'string', nullable: true },
  freeze_weights: { t: 'bool' },
  ema: { t: 'bool' },
  ema_rate: { t: 'float', min: 0, max: 1 },
  'arch.name': { t: 'string' },
  'arch.loss.name': { t: 'string', oneOf: LOSS_NAMES },
  'arch.loss.loss_type': { t: 'string', oneOf: LOSS_TYPES },
  'arch.halt_exploration_prob': { t: 'float', min: 0, max: 1 },
  'arch.halt_max_steps': { t: 'int', min: 1 },
  'arch.H_cycles': { t: 'int', min: 1 },
  'arch.L_cycles': { t: 'int', min: 1 },
  'arch.H_layers': { t: 'int', min: 0 },
  'arch.L_layers': { t: 'int', min: 0 },
  'arch.hidden_size': { t: 'int', min: 1 },
  'arch.num_heads': { t: 'int', min: 1 },
  'arch.expansion': { t: 'float', min: 0, minExclusive: true },
  'arch.puzzle_emb_ndim': { t: 'int', min: 0, nullable: true },
  'arch.pos_encodings': { t: 'string', oneOf: ['rope', 'rope_2d', 'learned', 'none'] },
  'arch.rms_norm_eps': { t: 'float', min: 0, minExclusive: true },
  'arch.rope_theta': { t: 'float', min: 0, minExclusive: true },
  'arch.forward_dtype': { t: 'string', oneOf: [...FORWARD_DTYPES] },
  'arch.mlp_t': { t: 'bool' },
  'arch.puzzle_emb_len': { t: 'int', min: 0 },
  'arch.no_ACT_continue': { t: 'bool' },
};

/** Hydra/OmegaConf bookkeeping keys a reference config file may carry; they mean nothing here. */
const IGNORED_KEYS = new Set(['defaults', 'hydra']);

/** The model keys of the config plus the data sizes, as the model's parseConfig takes them. */
export function modelKeys(cfg: TrainConfig, data: { seq_len: number; vocab_size: number; num_puzzle_identifiers: number }): Record<string, unknown> {
  const { name: _name, loss, ...arch } = cfg.arch;
  return { ...arch, loss_type: loss.loss_type, batch_size: cfg.global_batch_size, ...data };
}

/** The folder evaluation reads its test split from: data_paths_test's one folder, else data_path. */
export function testDataPath(cfg: TrainConfig): string {
  return cfg.data_paths_test[0] ?? cfg.data_path;
}

/** Every accepted arch.name spelling (for help texts). */
export function modelNames(): string[] {
  return MODELS.flatMap((m) => m.names);
}

export function knownKeys(): string[] {
  return Object.keys(SCHEMA);
}

// ---------------------------------------------------------------------------------------------
// Parsing values the way Hydra's override grammar does (the parts that matter for these keys).

/** Parses one override value: null, booleans, numbers (1e-4 is a float), [lists], quoted or bare strings. */
export function parseOverrideValue(raw: string): unknown {
  const s = raw.trim();
  if (s === '' ) return '';
  if (/^(null|~)$/i.test(s)) return null;
  if (/^true$/i.test(s)) return true; // also Python's True (TRM's README writes ema=True)
  if (/^false$/i.test(s)) return false;
  if (/^[+-]?\d+$/.test(s)) return Number(s);
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  if (/^[+-]?(inf|nan)$/i.test(s)) return s.toLowerCase().includes('nan') ? NaN : s.startsWith('-') ? -Infinity : Infinity;
  if ((s.startsWith("'") && s.endsWith("'") && s.length >= 2) || (s.startsWith('"') && s.endsWith('"') && s.length >= 2)) {
    return s.slice(1, -1);
  }
  if (s.startsWith('[') && s.endsWith(']')) {
    const inner = s.slice(1, -1).trim();
    if (inner === '') return [];
    return splitTopLevel(inner).map((x) => parseOverrideValue(x));
  }
  return s;
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = '';
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = null;
      cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (ch === '[') {
      depth++;
      cur += ch;
    } else if (ch === ']') {
      depth--;
      cur += ch;
    } else if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Did-you-mean.

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

export function didYouMean(key: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  const lower = key.toLowerCase();
  for (const c of candidates) {
    // Also compare without the `arch.` prefix, so `hidden_size=` suggests `arch.hidden_size`.
    const tail = c.startsWith('arch.') ? c.slice(5) : c;
    let dd = Math.min(editDistance(lower, c.toLowerCase()), editDistance(lower, tail.toLowerCase()));
    // A truncated name (lr_warmup for lr_warmup_steps) is a close match too.
    if (lower.length >= 4 && tail.toLowerCase().startsWith(lower)) dd = Math.min(dd, 1);
    if (dd < bestD) {
      bestD = dd;
      best = c;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

function unknownKeyError(key: string, where: string): UserError {
  const hint = didYouMean(key, knownKeys());
  // a key from a file may hold anything: quoted safely unless it looks like a key
  const shown = /^[\w.@+~-]{1,80}$/.test(key) ? `'${key}'` : quote(key, 60);
  return new UserError(`${where}: unknown config key ${shown}${hint ? ` (did you mean '${hint}'?)` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// Setting values.

function coerce(key: string, value: unknown, where: string): unknown {
  const kind = SCHEMA[key];
  const bad = (what: string) => new UserError(`${where}: ${key} must be ${what}, got ${JSON.stringify(value) ?? String(value)}`);
  if (value === null) {
    if ((kind.t === 'int' || kind.t === 'string') && kind.nullable) return null;
    throw bad(kind.t === 'list' ? 'a list' : `a${kind.t === 'int' ? 'n integer' : kind.t === 'float' ? ' number' : kind.t === 'bool' ? ' boolean' : ' string'} (not null)`);
  }
  switch (kind.t) {
    case 'int': {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw bad('an integer');
      if (kind.min !== undefined && value < kind.min) throw bad(`>= ${kind.min}`);
      // every count and step number: an integer a double holds exactly (1e300 is an integer to JavaScript)
      const max = kind.max ?? Number.MAX_SAFE_INTEGER;
      if (value > max) throw bad(`<= ${max}`);
      return value;
    }
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('a finite number');
      if (kind.min !== undefined && (kind.minExclusive ? value <= kind.min : value < kind.min)) throw bad(`${kind.minExclusive ? '>' : '>='} ${kind.min}`);
      if (kind.max !== undefined && value > kind.max) throw bad(`<= ${kind.max}`);
      return value;
    }
    case 'bool':
      if (typeof value !== 'boolean') throw bad('true or false');
      return value;
    case 'string': {
      // A bare number given where a name is expected (run_name=1) is still a fine name.
      const s = typeof value === 'number' ? String(value) : value;
      if (typeof s !== 'string') throw bad('a string');
      // An empty path or name (an unset shell variable) would silently mean the default.
      if (s.trim() === '') throw bad(kind.nullable ? 'a non-empty string or null (empty: an unset shell variable?)' : 'a non-empty string (an unset shell variable?)');
      if (kind.oneOf && !kind.oneOf.includes(s)) throw bad(`one of ${kind.oneOf.join(', ')}`);
      return s;
    }
    case 'list': {
      const list = typeof value === 'string' ? (value === '' ? [] : [value]) : value;
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw bad('a list of names like [inputs,logits]');
      return list;
    }
    case 'any-list':
      if (!Array.isArray(value)) throw bad('a list');
      return value;
  }
}

function setPath(cfg: TrainConfig, key: string, value: unknown): void {
  const parts = key.split('.');
  let obj = cfg as unknown as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) obj = obj[p] as Record<string, unknown>;
  obj[parts[parts.length - 1]] = value;
}

/** Sets one dotted key after checking its name and value; `where` names the source in errors. */
export function setKey(cfg: TrainConfig, key: string, value: unknown, where: string): void {
  if (key === 'arch' && typeof value === 'string') {
    selectArch(cfg, value, where);
    return;
  }
  if (!(key in SCHEMA)) throw unknownKeyError(key, where);
  // The reference writes `${.hidden_size}` for the puzzle embedding width.
  if (key === 'arch.puzzle_emb_ndim' && typeof value === 'string' && /^\$\{\.?hidden_size\}$/.test(value.trim())) value = null;
  setPath(cfg, key, coerce(key, value, where));
}

/**
 * `arch=<model>` (Hydra's config-group choice, as `arch=trm` in TRM's README): the whole arch section
 * becomes that model's defaults (src/models/registry.ts).
 */
export function selectArch(cfg: TrainConfig, name: string, where: string): void {
  const e = lookupModel(name, where);
  cfg.arch = structuredClone({ name: e.canonical, ...e.archDefaults }) as unknown as ArchConfig;
}

/** Applies a nested object (from a YAML/JSON file) key by key. */
export function applyObject(cfg: TrainConfig, obj: unknown, where: string, prefix = ''): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new UserError(`${where}: expected a mapping of config keys${prefix ? ` under '${prefix.slice(0, -1)}'` : ''}`);
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = prefix + k;
    if (!prefix && IGNORED_KEYS.has(k)) continue;
    if ((key === 'arch' || key === 'arch.loss') && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      applyObject(cfg, v, where, key + '.');
    } else {
      setKey(cfg, key, v, where);
    }
  }
}

/** Reads a YAML (or JSON, which is YAML) config file into `cfg`. */
export function applyConfigFile(cfg: TrainConfig, path: string): void {
  let text: string;
  try {
    refuseSpecialFile(path);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read config file ${path}: ${oneLine((e as Error).message)}`);
  }
  let obj: unknown;
  try {
    obj = YAML.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (obj === null || obj === undefined) return;
  applyObject(cfg, obj, path);
}

/** Applies one Hydra-style override `key=value`, `arch.key=value`, `+key=value` or `++key=value`. */
export function applyOverride(cfg: TrainConfig, arg: string): void {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UserError(`bad argument '${arg}': expected key=value (e.g. lr=1e-4 or arch.hidden_size=128)`);
  const key = arg.slice(0, eq).replace(/^\+\+?/, '').replace(/^~/, '');
  setKey(cfg, key, parseOverrideValue(arg.slice(eq + 1)), `argument '${arg}'`);
}

// ---------------------------------------------------------------------------------------------
// Whole-config checks (relations between keys) and derived names.

/** Checks relations between keys and fills derived values; throws UserError naming `where`. */
export function finalizeConfig(cfg: TrainConfig, where = 'config'): TrainConfig {
  const a = cfg.arch;
  const model = lookupModel(a.name, where);
  if (a.puzzle_emb_ndim === null || a.puzzle_emb_ndim === undefined) a.puzzle_emb_ndim = a.hidden_size;
  // The model's own schema checks the arch keys now (the data sizes are placeholders until the data is read).
  model.parseConfig(modelKeys(cfg, { seq_len: 1, vocab_size: 1, num_puzzle_identifiers: 1 }), `${where}: arch`);
  if (cfg.data_paths.length > 1) {
    throw new UserError(`${where}: data_paths has ${cfg.data_paths.length} folders; training on several datasets at once is not supported yet (give one)`);
  }
  if (cfg.data_paths.length === 1) cfg.data_path = cfg.data_paths[0];
  if (cfg.data_paths_test.length > 1) throw new UserError(`${where}: data_paths_test: only one test folder is supported`);
  const perIter = cfg.eval_interval ?? cfg.epochs;
  if (cfg.epochs % perIter !== 0) {
    throw new UserError(`${where}: eval_interval (${perIter}) must divide epochs (${cfg.epochs}); e.g. eval_interval=${largestDivisorAtMost(cfg.epochs, perIter)}`);
  }
  for (const k of cfg.eval_save_outputs) {
    if (!SAVE_OUTPUT_KEYS.includes(k)) {
      const hint = didYouMean(k, SAVE_OUTPUT_KEYS);
      throw new UserError(`${where}: eval_save_outputs: unknown output '${k}'${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${SAVE_OUTPUT_KEYS.join(', ')}`);
    }
  }
  if (cfg.project_name === null) cfg.project_name = defaultProjectName(cfg.data_path);
  return cfg;
}

function largestDivisorAtMost(n: number, m: number): number {
  for (let d = Math.min(n, m); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/** Like the reference: "<Data folder name, capitalized> ACT-ts". */
export function defaultProjectName(dataPath: string): string {
  const b = basename(dataPath.replace(/[\\/]+$/, '')) || 'data';
  return `${b.charAt(0).toUpperCase()}${b.slice(1)} ACT-ts`;
}

const ADJECTIVES = ['amber', 'brisk', 'calm', 'daring', 'eager', 'fuzzy', 'gentle', 'happy', 'ivory', 'jolly', 'keen', 'lucky', 'mellow', 'nimble', 'olive', 'proud', 'quiet', 'rapid', 'silver', 'tidy', 'upbeat', 'vivid', 'witty', 'young', 'zesty'];
const NOUNS = ['badger', 'condor', 'dingo', 'egret', 'ferret', 'gecko', 'heron', 'ibis', 'jackal', 'koala', 'lemur', 'marten', 'newt', 'ocelot', 'puffin', 'quokka', 'raven', 'stoat', 'tapir', 'urchin', 'vole', 'walrus', 'yak', 'zebu'];

/** Like the reference's "<model class> <two-word slug>" (not seeded: names are not part of the run's randomness). */
export function defaultRunName(cfg: TrainConfig): string {
  const cls = cfg.arch.name.split('@').pop() ?? 'HRM';
  const pick = (a: string[]) => a[Math.floor(Math.random() * a.length)];
  return `${cls} ${pick(ADJECTIVES)}-${pick(NOUNS)}`;
}

/** Builds a config from defaults, an optional file, and overrides, in that order; then validates it. */
export function loadTrainConfig(opts: { file?: string; overrides: string[] }): TrainConfig {
  const cfg = defaultConfig();
  if (opts.file) applyConfigFile(cfg, opts.file);
  // Hydra applies a group choice (arch=trm) before the keys, wherever it stands on the line.
  const isGroup = (o: string) => /^\+{0,2}arch=/.test(o);
  for (const o of opts.overrides.filter(isGroup)) applyOverride(cfg, o);
  for (const o of opts.overrides.filter((o) => !isGroup(o))) applyOverride(cfg, o);
  return finalizeConfig(cfg, opts.file ?? 'config');
}

/** The config as the plain object written to all_config.yaml (reference layout). */
export function configToYaml(cfg: TrainConfig): string {
  return YAML.stringify(cfg);
}

/** Reads a run's all_config.yaml back (tolerating keys of the reference's own all_config.yaml). */
export function readRunConfig(path: string): TrainConfig {
  if (pathKind(path) === null) throw new UserError(`${path}: not found (a run folder holds all_config.yaml next to its step_N files)`);
  const cfg = parseRunConfig(readTextFile(path), path);
  const runDir = dirname(path);
  cfg.data_path = resolveRunDataPath(cfg.data_path, runDir);
  cfg.data_paths = cfg.data_paths.map((p) => resolveRunDataPath(p, runDir));
  cfg.data_paths_test = cfg.data_paths_test.map((p) => resolveRunDataPath(p, runDir));
  return cfg;
}

/**
 * A run's relative data_path is relative to the folder `hrm train` ran in. Used from another folder
 * (`hrm eval`, `export`, `arc vote`), it is looked for from the current folder first, then from the run
 * folder and each folder above it (a run in <project>/checkpoints/<name>/<run> trained on
 * <project>/data/x finds it); found nowhere, it stays as written and the command that needs it says so.
 */
export function resolveRunDataPath(dataPath: string, runDir: string): string {
  if (!dataPath || isAbsolute(dataPath) || existsSync(dataPath)) return dataPath;
  for (let d = resolve(runDir); ; d = dirname(d)) {
    if (existsSync(join(d, dataPath))) return join(d, dataPath);
    if (dirname(d) === d) return dataPath;
  }
}

/** A run's configuration from all_config.yaml's text (a bundled model carries it in its metadata). */
export function parseRunConfig(text: string, source: string): TrainConfig {
  const cfg = defaultConfig();
  let obj: unknown;
  try {
    obj = YAML.parse(text);
  } catch (e) {
    throw new UserError(`${source}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  applyObject(cfg, obj, source);
  return finalizeConfig(cfg, source);
}

/**
 * The number of optimizer steps of a run (the reference's formula):
 * floor(epochs * total_groups * mean_puzzle_examples / global_batch_size).
 */
export function totalSteps(cfg: Pick<TrainConfig, 'epochs' | 'global_batch_size'>, meta: { total_groups: number; mean_puzzle_examples: number }): number {
  return Math.floor((cfg.epochs * meta.total_groups * meta.mean_puzzle_examples) / cfg.global_batch_size);
}
