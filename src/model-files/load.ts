/**
 * Loading a trained model from what a user has: a run folder of ours (all_config.yaml + step_N.safetensors,
 * the newest step taken), one step_N.safetensors (all_config.yaml beside it), a bundled model (one
 * .safetensors whose metadata carries its all_config.yaml and seq_len: the package's models/, written by
 * `hrm export`), or a reference HRM checkpoint folder as published (`checkpoint`, a torch.save zip, +
 * all_config.yaml; src/io/torch-checkpoint.ts). `arch.name` picks the model from the registry (HRM, TRM,
 * the transformer baseline).
 *
 * The reference's all_config.yaml has no vocab_size, seq_len or num_puzzle_identifiers, and a hand-made
 * one may lack more: every size that the weights determine is read from their shapes (vocabulary from the
 * token embedding, identifiers from the puzzle-embedding table; for HRM also the hidden size, layer
 * counts, puzzle-embedding width, learned positions and the SwiGLU width); a size the yaml gives and the
 * weights contradict is an error naming both. seq_len comes from a bundled model's metadata, learned
 * positions, the run's dataset when present, or else from the caller (the puzzle's size).
 *
 * A model with 2D rotary positions (pos_encodings rope_2d) does not fix seq_len: it serves square grids of
 * a range of sides, from a bundled model's metadata (hrm_ts.grid_sides 'MIN-MAX'), else up to its run's
 * dataset's side; the model is built for each puzzle's size.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import YAML from 'yaml';
import { readDatasetMetadata } from '../data/dataset-format.js';
import { readSafetensors, readSafetensorsMetadata, type SafeTensor } from '../io/safetensors.js';
import { readTorchCheckpoint } from '../io/torch-checkpoint.js';
import { modelKeys, parseRunConfig, readRunConfig, type TrainConfig } from '../train/config.js';
import { UserError } from '../util/errors.js';
import { pathKind } from '../util/io-errors.js';
import { Rng } from '../util/random.js';
import { intermediateSize, parseHRMConfig, puzzleEmbLen } from '../models/hrm/config.js';
import { canonicalName, checkStateDict, loadStateDict } from '../io/state-dict.js';
import { lookupModel, type ModelEntry, type ReasoningModel } from '../models/registry.js';
import type { ACTConfig } from '../models/shared/act.js';
import { puzzleEmbPositions } from '../models/shared/config-schema.js';
import { swigluInter } from '../nn/swiglu.js';

/** The metadata keys of a bundled model's safetensors file. */
export const BUNDLE_KEYS = { config: 'hrm_ts.all_config.yaml', seqLen: 'hrm_ts.seq_len', task: 'hrm_ts.task', gridSides: 'hrm_ts.grid_sides' } as const;

/** The square grid sides a rope_2d model serves, both ends included. */
export interface GridSides {
  min: number;
  max: number;
}

/** 'MIN-MAX' (or one side 'N') as GridSides; null when malformed. */
export function parseGridSides(raw: string): GridSides | null {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(raw);
  if (!m) return null;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  return min >= 2 && max >= min && max <= 256 ? { min, max } : null;
}

export type ModelFormat = 'run-folder' | 'safetensors' | 'reference' | 'bundled';

export interface ModelFiles {
  format: ModelFormat;
  /** the weights file: step_N.safetensors or the reference's `checkpoint` */
  weights: string;
  /** all_config.yaml (a bundled model: the weights file itself, which carries it) */
  config: string;
  step: number;
  /** a bundled model's metadata: its all_config.yaml text, seq_len, puzzle kind and (rope_2d) grid sides */
  bundle?: { config: string; seqLen: number | null; task: string | null; sides: GridSides | null };
}

const TORCH_ZIP = [0x50, 0x4b, 0x03, 0x04];

function isTorchFile(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    const head = Buffer.alloc(4);
    try {
      readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
    return TORCH_ZIP.every((b, i) => head[i] === b);
  } catch {
    return false;
  }
}

/** Finds the weights and configuration from a run folder, a step_N.safetensors or a reference folder. */
export function locateModel(path: string): ModelFiles {
  const kind = pathKind(path);
  if (kind === null) throw new UserError(`${path}: no such run folder, checkpoint folder or file`);
  if (kind === 'dir') {
    const config = join(path, 'all_config.yaml');
    if (pathKind(config) === null) throw new UserError(`${path}: no all_config.yaml (expected a run folder or a reference checkpoint folder)`);
    const ref = join(path, 'checkpoint');
    if (existsSync(ref) && statSync(ref).isFile()) return { format: 'reference', weights: ref, config, step: 0 };
    const steps = readdirSync(path)
      .map((n) => /^step_(\d+)\.safetensors$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    if (steps.length === 0) throw new UserError(`${path}: no step_N.safetensors and no reference 'checkpoint' file in this folder`);
    const step = steps[steps.length - 1];
    return { format: 'run-folder', weights: join(path, `step_${step}.safetensors`), config, step };
  }
  const config = join(dirname(path), 'all_config.yaml');
  const m = /^step_(\d+)/.exec(basename(path));
  if (path.endsWith('.safetensors')) {
    const bundle = bundleOf(path);
    if (bundle) return { format: 'bundled', weights: path, config: path, step: m ? Number(m[1]) : 0, bundle };
    if (!existsSync(config)) throw new UserError(`${path}: no all_config.yaml next to it (${config}) and none in its metadata; the model's configuration is needed`);
    return { format: 'safetensors', weights: path, config, step: m ? Number(m[1]) : 0 };
  }
  if (!existsSync(config)) throw new UserError(`${path}: no all_config.yaml next to it (${config}); the model's configuration is needed`);
  if (isTorchFile(path)) return { format: 'reference', weights: path, config, step: 0 };
  throw new UserError(`${path}: expected a step_N.safetensors, a reference 'checkpoint' (torch.save zip) or a folder holding one`);
}

/** A bundled model's metadata (null for a plain safetensors file). */
function bundleOf(path: string): ModelFiles['bundle'] | null {
  const meta = readSafetensorsMetadata(path);
  const config = meta[BUNDLE_KEYS.config];
  if (config === undefined) return null;
  const raw = meta[BUNDLE_KEYS.seqLen];
  const seqLen = raw === undefined ? null : Number(raw);
  if (seqLen !== null && !(Number.isInteger(seqLen) && seqLen >= 1)) throw new UserError(`${path}: metadata ${BUNDLE_KEYS.seqLen} is '${raw}', expected a positive integer`);
  const rawSides = meta[BUNDLE_KEYS.gridSides];
  const sides = rawSides === undefined ? null : parseGridSides(rawSides);
  if (rawSides !== undefined && sides === null) throw new UserError(`${path}: metadata ${BUNDLE_KEYS.gridSides} is '${rawSides}', expected MIN-MAX grid sides (2-256)`);
  return { config, seqLen, task: meta[BUNDLE_KEYS.task] ?? null, sides };
}

/** The run configuration the model files carry. */
export function readFilesConfig(files: ModelFiles): TrainConfig {
  return files.bundle ? parseRunConfig(files.bundle.config, `${files.weights} (its all_config.yaml)`) : readRunConfig(files.config);
}

/** The weights as named host tensors (torch checkpoints: bfloat16/float16 widened). */
export function readWeights(files: ModelFiles): Map<string, SafeTensor> {
  return files.format === 'reference' ? readTorchCheckpoint(files.weights).tensors : readSafetensors(files.weights).tensors;
}

/**
 * The weights to answer or evaluate with: a run trained with `ema` keeps its EMA weights beside the raw
 * ones (step_N.ema.safetensors, what TRM evaluates with); those are preferred unless `raw` is set.
 */
export function readInferenceWeights(files: ModelFiles, raw = false): { weights: Map<string, SafeTensor>; file: string } {
  if (files.format !== 'reference' && !raw) {
    const ema = join(dirname(files.weights), `step_${files.step}.ema.safetensors`);
    if (existsSync(ema)) return { weights: readSafetensors(ema).tensors, file: ema };
  }
  return { weights: readWeights(files), file: files.weights };
}

/** The arch keys all_config.yaml really sets (readRunConfig fills the rest with defaults). */
function archKeysInYaml(files: ModelFiles): Set<string> {
  try {
    const text = files.bundle ? files.bundle.config : readFileSync(files.config, 'utf8');
    const obj = YAML.parse(text) as { arch?: Record<string, unknown> } | null;
    const arch = obj && typeof obj === 'object' && obj.arch && typeof obj.arch === 'object' ? obj.arch : {};
    return new Set(Object.entries(arch).filter(([, v]) => v !== null && v !== undefined).map(([k]) => k));
  } catch {
    return new Set(); // readRunConfig reports the YAML error
  }
}

/** A model configuration without seq_len/batch_size (fixed when the model is built). */
export type ModelArch = Omit<ACTConfig, 'seq_len' | 'batch_size'> & { puzzle_emb_ndim: number; [key: string]: unknown };

export interface ModelSpec {
  train: TrainConfig;
  /** the registry entry `arch.name` names */
  entry: ModelEntry;
  arch: ModelArch;
  /** seq_len when the weights, the bundle or the run's dataset fix it, else null */
  seqLen: number | null;
  /** rope_2d models: the square grid sides served (null: any, or not a grid model) */
  sides: GridSides | null;
  files: ModelFiles;
}

/** seq_len from the run's dataset (our run folders, and a reference run next to its data), or null. */
function datasetSeqLen(train: TrainConfig): number | null {
  for (const split of ['test', 'train'] as const) {
    try {
      if (train.data_path && existsSync(join(train.data_path, split, 'dataset.json'))) return readDatasetMetadata(train.data_path, split).seq_len;
    } catch {
      /* an unreadable dataset only means the puzzle decides seq_len */
    }
  }
  return null;
}

/**
 * Reads the configuration and the weights and reconciles them (see the file comment).
 * The returned tensors have canonical names (no `_orig_mod.`).
 */
export function readModelSpec(files: ModelFiles, weights: Map<string, SafeTensor>, opts: SpecOptions = {}): ModelSpec {
  const spec = readSpec(files, weights);
  if (spec.entry.key !== 'hrm_v1') {
    checkSizesAgainstWeights(spec, weights);
    const fixed = seqLenOfWeights(weights, spec.arch);
    if (fixed !== null && spec.seqLen !== null && spec.seqLen !== fixed) {
      // (mlp_t's sequence SwiGLU grows with the square of the length: a model of the other one may be gigabytes)
      const said = files.bundle ? `its metadata ${BUNDLE_KEYS.seqLen} says ${spec.seqLen}` : `the run's dataset (${spec.train.data_path}) has seq_len ${spec.seqLen}`;
      throw new UserError(`${files.weights}: the weights are for sequences of ${fixed} tokens, but ${said}`);
    }
    if (fixed !== null) spec.seqLen = fixed;
  }
  if (opts.check !== false) checkModelWeights(spec, weights);
  return spec;
}

export interface SpecOptions {
  /**
   * check that the weights load into the model (checkModelWeights; default true). False only where the
   * caller loads them at once (solve, eval), which checks the same way.
   */
  check?: boolean;
}

/**
 * TRM and the baseline take their sizes from all_config.yaml (HRM's come from the weights, readHRMSpec):
 * the hidden size, each level's layer count and the SwiGLU width must be the weights', or a few bytes of
 * yaml (hidden_size: 16384, expansion: 64) would have a model of gigabytes built before its weights are
 * found not to fit.
 */
function checkSizesAgainstWeights(spec: ModelSpec, weights: Map<string, SafeTensor>): void {
  const src = spec.files.bundle ? `${spec.files.weights} (its all_config.yaml)` : spec.files.config;
  const differ = (key: string, yaml: unknown, got: number): never => {
    throw new UserError(`${src}: arch.${key} is ${String(yaml)} but the weights in ${spec.files.weights} have ${got}`);
  };
  const layers = new Map<string, number>();
  let gateUp: SafeTensor | undefined;
  let hidden = -1;
  for (const [k, t] of weights) {
    const name = canonicalName(k);
    if (name === 'model.inner.embed_tokens.embedding_weight') hidden = t.shape[1];
    const m = /^model\.inner\.([HL])_level\.layers\.(\d+)\./.exec(name);
    if (m) layers.set(m[1], Math.max(layers.get(m[1]) ?? 0, Number(m[2]) + 1));
    if (!gateUp && /^model\.inner\.[HL]_level\.layers\.\d+\.mlp\.gate_up_proj\.weight$/.test(name)) gateUp = t;
  }
  const a = spec.arch;
  if (a.hidden_size !== hidden) differ('hidden_size', a.hidden_size, hidden);
  for (const [level, n] of layers) if (a[`${level}_layers`] !== n) differ(`${level}_layers`, a[`${level}_layers`], n);
  if (gateUp && gateUp.shape.length === 2 && swigluInter(hidden, Number(a.expansion)) * 2 !== gateUp.shape[0]) {
    differ('expansion', `${a.expansion} (a SwiGLU width of ${swigluInter(hidden, Number(a.expansion))})`, gateUp.shape[0] / 2);
  }
}

/**
 * TRM and the baseline: seq_len from weights whose shape holds S = seq_len + P (learned positions, mlp_t's
 * sequence SwiGLU), as HRM's learned positions give it; null when no weight depends on it.
 */
function seqLenOfWeights(weights: Map<string, SafeTensor>, arch: ModelArch): number | null {
  const byName = new Map<string, SafeTensor>();
  for (const [k, t] of weights) byName.set(canonicalName(k), t);
  const pos = byName.get('model.inner.embed_pos.embedding_weight');
  const mlpT = byName.get('model.inner.L_level.layers.0.mlp_t.gate_up_proj.weight');
  const S = pos?.shape.length === 2 ? pos.shape[0] : mlpT?.shape.length === 2 ? mlpT.shape[1] : null;
  const P = puzzleEmbPositions({ puzzle_emb_len: Number(arch.puzzle_emb_len ?? 0), puzzle_emb_ndim: arch.puzzle_emb_ndim, hidden_size: arch.hidden_size });
  return S !== null && S - P >= 1 ? S - P : null;
}

function readSpec(files: ModelFiles, weights: Map<string, SafeTensor>): ModelSpec {
  const src = files.bundle ? `${files.weights} (its all_config.yaml)` : files.config;
  const train = readFilesConfig(files);
  const entry = lookupModel(train.arch.name, src);
  const byName = new Map<string, SafeTensor>();
  for (const [k, t] of weights) byName.set(canonicalName(k), t);
  const emb = byName.get('model.inner.embed_tokens.embedding_weight');
  if (!emb) throw new UserError(`${files.weights}: no tensor 'model.inner.embed_tokens.embedding_weight' (not a model checkpoint?)`);
  if (emb.shape.length !== 2) throw new UserError(`${files.weights}: embed_tokens.embedding_weight has shape [${emb.shape}], expected [vocab, hidden]`);
  if (entry.key === 'hrm_v1') return readHRMSpec(files, train, entry, byName, src);
  const pz = byName.get('model.inner.puzzle_emb.weights');
  const grid = train.arch.pos_encodings === 'rope_2d' && train.arch.mlp_t !== true;
  const seqLen = grid ? null : files.bundle?.seqLen ?? datasetSeqLen(train);
  const keys = modelKeys(train, { seq_len: seqLen ?? 1, vocab_size: emb.shape[0], num_puzzle_identifiers: pz ? pz.shape[0] : 1 });
  const { seq_len: _s, batch_size: _b, ...arch } = entry.parseConfig({ ...keys, batch_size: 1 }, src) as unknown as ModelArch & { seq_len: number; batch_size: number };
  return { train, entry, arch, seqLen, sides: grid ? servedSides(files, train) : null, files };
}

/** HRM: every size the weights fix comes from them (a published all_config.yaml may lack some). */
function readHRMSpec(files: ModelFiles, train: TrainConfig, entry: ModelEntry, byName: Map<string, SafeTensor>, src: string): ModelSpec {
  const present = archKeysInYaml(files);
  const need = (name: string): SafeTensor => {
    const t = byName.get(name);
    if (!t) throw new UserError(`${files.weights}: no tensor '${name}' (not an HRM checkpoint?)`);
    return t;
  };
  const a = train.arch;
  const arch: Record<string, unknown> = {
    hidden_size: a.hidden_size, num_heads: a.num_heads, expansion: a.expansion, H_layers: a.H_layers, L_layers: a.L_layers,
    H_cycles: a.H_cycles, L_cycles: a.L_cycles, halt_max_steps: a.halt_max_steps, halt_exploration_prob: a.halt_exploration_prob,
    pos_encodings: a.pos_encodings, puzzle_emb_ndim: a.puzzle_emb_ndim, rms_norm_eps: a.rms_norm_eps, rope_theta: a.rope_theta,
    loss_type: a.loss.loss_type,
  };
  const fromWeights = (key: string, value: number | string): void => {
    if (present.has(key) && arch[key] !== value) {
      throw new UserError(`${src}: arch.${key} is ${String(arch[key])} but the weights in ${files.weights} have ${String(value)}`);
    }
    arch[key] = value;
  };
  const emb = need('model.inner.embed_tokens.embedding_weight');
  const [vocab, D] = emb.shape;
  fromWeights('hidden_size', D);
  for (const level of ['H', 'L'] as const) {
    let n = 0;
    const re = new RegExp(`^model\\.inner\\.${level}_level\\.layers\\.(\\d+)\\.`);
    for (const k of byName.keys()) {
      const m = re.exec(k);
      if (m) n = Math.max(n, Number(m[1]) + 1);
    }
    if (n === 0) throw new UserError(`${files.weights}: no ${level}_level layers in the weights`);
    fromWeights(`${level}_layers`, n);
  }
  const gu = need('model.inner.H_level.layers.0.mlp.gate_up_proj.weight');
  const inter = gu.shape[0] / 2;
  if (intermediateSize({ hidden_size: D, expansion: arch.expansion as number }) !== inter) {
    const e = (inter * 3) / (2 * D);
    if (present.has('expansion') || intermediateSize({ hidden_size: D, expansion: e }) !== inter) {
      throw new UserError(`${src}: arch.expansion ${String(arch.expansion)} gives a SwiGLU width other than the weights' ${inter}`);
    }
    arch.expansion = e;
  }
  const pz = byName.get('model.inner.puzzle_emb.weights');
  fromWeights('puzzle_emb_ndim', pz ? pz.shape[1] : 0);
  const pos = byName.get('model.inner.embed_pos.embedding_weight');
  fromWeights('pos_encodings', pos ? 'learned' : a.pos_encodings === 'rope_2d' ? 'rope_2d' : 'rope');
  const grid = arch.pos_encodings === 'rope_2d';
  arch.num_puzzle_identifiers = pz ? pz.shape[0] : 1;
  arch.vocab_size = vocab;
  let seqLen: number | null = files.bundle?.seqLen ?? null;
  if (pos) seqLen = pos.shape[0] - puzzleEmbLen({ hidden_size: D, puzzle_emb_ndim: arch.puzzle_emb_ndim as number });
  else if (seqLen === null) seqLen = datasetSeqLen(train);
  if (grid) seqLen = null;
  const checked = parseHRMConfig({ ...arch, seq_len: seqLen ?? 1, batch_size: 1 }, src);
  const { seq_len: _s, batch_size: _b, ...rest } = checked;
  return { train, entry, arch: rest, seqLen, sides: grid ? servedSides(files, train) : null, files };
}

/** A rope_2d model's sides: the bundle's, else 2 up to its run's dataset's side, else any. */
function servedSides(files: ModelFiles, train: TrainConfig): GridSides | null {
  if (files.bundle?.sides) return files.bundle.sides;
  const seq = datasetSeqLen(train);
  const side = seq === null ? 0 : Math.round(Math.sqrt(seq));
  return side >= 2 && side * side === seq ? { min: 2, max: side } : null;
}

/** One line refusing a square grid of `side` that a rope_2d model does not serve (null: served). */
export function unservedSide(spec: ModelSpec, side: number): string | null {
  const s = spec.sides;
  if (!s || (side >= s.min && side <= s.max)) return null;
  const range = s.min === s.max ? `${s.min}x${s.min}` : `${s.min}x${s.min} to ${s.max}x${s.max}`;
  return `this model (${spec.files.weights}) serves ${range} grids, not ${side}x${side}`;
}

/**
 * The model's constructor draws random initial weights that loading overwrites, every one (loadStateDict
 * requires every tensor): a constant stream makes those draws cheap (27M truncated-normal draws cost
 * seconds of CPU at the paper's size).
 */
class PlaceholderRng extends Rng {
  override random(): number {
    return 0.5;
  }
}

/**
 * Checks that `weights` load into the model `spec` describes, for sequences of `seqLen` tokens, exactly as
 * solve and eval load them (src/io/state-dict.ts checkStateDict: every name, shape and dtype), so that
 * export, convert and serve refuse what solve would. Builds the model to learn its state's shapes and
 * frees it (a few seconds at the paper's size).
 */
export function checkModelWeights(spec: ModelSpec, weights: Map<string, SafeTensor>, seqLen = spec.seqLen ?? 1): void {
  const cfg = spec.entry.parseConfig({ ...spec.arch, seq_len: seqLen, batch_size: 1 }, spec.files.config);
  const model = spec.entry.build(cfg, new PlaceholderRng(0));
  try {
    checkStateDict(model.namedState().map(({ name, tensor }) => ({ name, shape: tensor.shape })), weights, spec.files.weights);
  } finally {
    model.dispose();
  }
}

/** Builds the model for `seqLen` and copies the weights in (every name, shape and dtype checked). */
export function buildLoadedModel(spec: ModelSpec, weights: Map<string, SafeTensor>, seqLen: number, batchSize = 1): ReasoningModel {
  if (spec.seqLen !== null && spec.seqLen !== seqLen) {
    throw new UserError(`${spec.files.weights}: this model works on sequences of ${spec.seqLen} tokens; the puzzle has ${seqLen}`);
  }
  const unserved = unservedSide(spec, Math.round(Math.sqrt(seqLen)));
  if (unserved) throw new UserError(unserved);
  const cfg = spec.entry.parseConfig({ ...spec.arch, seq_len: seqLen, batch_size: batchSize }, spec.files.config);
  const model = spec.entry.build(cfg, new PlaceholderRng(0));
  try {
    loadStateDict(model, weights, spec.files.weights);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
