/**
 * Bundled models: one safetensors file holding the weights a trained run answers with (its EMA weights
 * when it kept them) and, in the file's metadata, the run's all_config.yaml, the sequence length and the
 * puzzle kind, so nothing else is needed to load it (src/models/load.ts reads it as format 'bundled').
 * The package ships some in models/ (models/<name>.safetensors with a card models/<name>.md); `hrm
 * export` makes one from any run, and `hrm solve --model NAME` picks one.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { packageRoot } from '../engine/backends/package-root.js';
import { readSafetensorsMetadata, toFloat32, writeSafetensors, type SafeTensorInput } from '../io/safetensors.js';
import { UserError } from '../util/errors.js';
import { pathTaken } from '../util/no-clobber.js';
import { BUNDLE_KEYS, checkModelWeights, locateModel, readInferenceWeights, readModelSpec, type GridSides } from './load.js';
import { ARC_SEQ_LEN } from '../data/builders/arc.js';
import { canonicalName } from '../io/state-dict.js';

/** The puzzle kind a vocabulary belongs to (the builders' vocabularies). */
export function taskOfVocab(vocab: number): 'sudoku' | 'maze' | 'arc' | 'other' {
  return vocab === 11 ? 'sudoku' : vocab === 6 ? 'maze' : vocab === 12 ? 'arc' : 'other';
}

/** Why a model of puzzle kind `task` cannot answer puzzles of `seqLen` tokens with hrm solve, or null. */
export function seqLenProblem(task: ReturnType<typeof taskOfVocab>, seqLen: number): string | null {
  if (task === 'sudoku' && seqLen !== 81) return 'a Sudoku model (vocabulary 11) answers 81-token puzzles';
  if (task === 'maze' && Math.round(Math.sqrt(seqLen)) ** 2 !== seqLen) return `a maze model (vocabulary 6) answers n x n grids, and ${seqLen} is not a square`;
  if (task === 'arc' && seqLen !== ARC_SEQ_LEN) return `an ARC model (vocabulary 12) answers ${ARC_SEQ_LEN}-token (30 x 30) grids`;
  return null;
}

/** The package's models/ folder. */
export function bundledModelsDir(): string {
  return join(packageRoot(), 'models');
}

/** The bundled models' names (models/<name>.safetensors). */
export function bundledModelNames(): string[] {
  const dir = bundledModelsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.safetensors'))
    .map((n) => n.slice(0, -'.safetensors'.length))
    .sort();
}

/** The file of bundled model `name`, or a UserError listing the bundled ones. */
export function bundledModelPath(name: string): string {
  const names = bundledModelNames();
  if (!/^[A-Za-z0-9._-]+$/.test(name) || !names.includes(name)) {
    throw new UserError(`--model ${name}: no such bundled model (bundled: ${names.length ? names.join(', ') : 'none'}; --checkpoint PATH takes any run folder or checkpoint)`);
  }
  return join(bundledModelsDir(), `${name}.safetensors`);
}

function isBundle(path: string): boolean {
  try {
    return readSafetensorsMetadata(path)[BUNDLE_KEYS.config] !== undefined;
  } catch {
    return false;
  }
}

/** float32 -> bfloat16 bits, round to nearest even (finite weights only). */
function toBf16Bits(a: Float32Array): Uint16Array {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const out = new Uint16Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (u[i] + 0x7fff + ((u[i] >>> 16) & 1)) >>> 16;
  return out;
}

export interface ExportOptions {
  /** store the weights as bfloat16 (half the size; the model computes in float32 after loading) */
  bf16?: boolean;
  /** replace `output` if it is a bundled model (anything else is never replaced) */
  force?: boolean;
  /** the sequence length, when the run's dataset is not there to say it */
  seqLen?: number;
  /** a rope_2d model: the square grid sides it serves (default: 2 up to its dataset's side) */
  sides?: GridSides;
  /** the trained weights even when the run kept an EMA (for a run too short for its ema_rate) */
  raw?: boolean;
}

export interface ExportResult {
  output: string;
  weightsFile: string;
  tensors: number;
  bytes: number;
  /** null for a rope_2d model, which serves `sides` */
  seqLen: number | null;
  sides: GridSides | null;
  task: string;
  arch: string;
}

/** Writes run `input`'s answering weights and configuration to one bundled safetensors file. */
export function exportModel(input: string, output: string, opts: ExportOptions = {}): ExportResult {
  if (!output.endsWith('.safetensors')) throw new UserError(`${output}: the output must be a .safetensors file`);
  // a link (dangling or not) is the user's, whatever it points to: never replaced by a file
  if (pathTaken(output) && lstatSync(output).isSymbolicLink()) throw new UserError(`${output}: is a symbolic link; refusing to replace it`);
  if (existsSync(output)) {
    if (statSync(output).isDirectory()) throw new UserError(`${output}: a folder, expected a file name`);
    if (!isBundle(output)) throw new UserError(`${output}: exists and is not a bundled model; refusing to replace it`);
    if (!opts.force) throw new UserError(`${output}: exists (a bundled model); --force replaces it`);
  }
  const files = locateModel(input);
  if (files.format === 'reference') throw new UserError(`${input}: a reference checkpoint; convert it first (hrm convert) so its configuration is complete`);
  const { weights, file } = readInferenceWeights(files, opts.raw === true);
  const spec = readModelSpec(files, weights, { check: false }); // checked below, for the sequence length written
  const grid = spec.arch.pos_encodings === 'rope_2d';
  if (grid && opts.seqLen !== undefined) throw new UserError(`--seq-len: a rope_2d model serves a range of grid sides; give --sides MIN-MAX instead`);
  if (!grid && opts.sides !== undefined) throw new UserError(`--sides: only a rope_2d model serves several grid sides; this one has pos_encodings ${String(spec.arch.pos_encodings)}`);
  const sides = grid ? opts.sides ?? spec.sides : null;
  if (grid && sides === null) throw new UserError(`${input}: the run's dataset (${spec.train.data_path}) is not there to give the grid side; pass --sides MIN-MAX`);
  const seqLen = grid ? null : opts.seqLen ?? spec.seqLen;
  if (!grid && seqLen === null) throw new UserError(`${input}: the run's dataset (${spec.train.data_path}) is not there to give the sequence length; pass --seq-len N`);
  if (spec.seqLen !== null && seqLen !== spec.seqLen) throw new UserError(`--seq-len ${seqLen}: the model works on ${spec.seqLen} tokens`);
  const task = taskOfVocab(spec.arch.vocab_size);
  const problem = seqLen === null ? null : seqLenProblem(task, seqLen);
  if (problem) throw new UserError(`${opts.seqLen !== undefined ? '--seq-len' : `${input}: seq_len`} ${seqLen}: ${problem}; hrm solve would refuse the exported model`);
  checkModelWeights(spec, weights, seqLen ?? undefined);
  const text = files.bundle ? files.bundle.config : readFileSync(files.config, 'utf8');
  const cfg = YAML.parse(text) as Record<string, unknown>;
  // where the run was written is the trainer's machine's business, not the model's
  delete cfg.checkpoint_path;
  const tensors = new Map<string, SafeTensorInput>();
  for (const [name, t] of weights) {
    const f32 = toFloat32(t);
    for (const x of f32) if (!Number.isFinite(x)) throw new UserError(`${file}: tensor '${name}' holds a non-finite value; not exporting it`);
    tensors.set(canonicalName(name), opts.bf16 ? { shape: t.shape, data: toBf16Bits(f32), dtype: 'BF16' } : { shape: t.shape, data: f32, dtype: 'F32' });
  }
  writeSafetensors(output, tensors, {
    format: 'pt',
    [BUNDLE_KEYS.config]: YAML.stringify(cfg),
    ...(sides ? { [BUNDLE_KEYS.gridSides]: `${sides.min}-${sides.max}` } : { [BUNDLE_KEYS.seqLen]: String(seqLen) }),
    [BUNDLE_KEYS.task]: task,
  });
  return { output, weightsFile: file, tensors: tensors.size, bytes: statSync(output).size, seqLen, sides, task, arch: spec.entry.key };
}
