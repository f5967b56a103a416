/**
 * The reference's on-disk dataset layout (REFERENCE.md 5):
 *
 *   <dir>/identifiers.json                    puzzle identifier id -> name ("<blank>" for 0)
 *   <dir>/<split>/dataset.json                metadata
 *   <dir>/<split>/<set>__inputs.npy           [examples, seq_len] uint8 tokens
 *   <dir>/<split>/<set>__labels.npy           [examples, seq_len] uint8 tokens
 *   <dir>/<split>/<set>__puzzle_identifiers.npy  [puzzles] int32
 *   <dir>/<split>/<set>__puzzle_indices.npy      [puzzles + 1] int32, example ranges of each puzzle
 *   <dir>/<split>/<set>__group_indices.npy       [groups + 1] int32, puzzle ranges of each group
 *
 * The reference's builders write inputs/labels as uint8 (NumPy uint8 digits/characters plus small
 * offsets stay uint8), the three index arrays as int32, and dataset.json with Python's `json.dump`
 * (", " and ": " separators, floats always with a fraction). We write byte-compatible JSON.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import { checkLimits } from '../util/limits.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { makeFolders, pathKind } from '../util/io-errors.js';
import { NpyData, numel, readNpyHeader, writeNpy } from '../io/npy.js';
import { BUILDING, activeBuildFolders, assertReplaceable, buildFolderListeners, cleanUpInterruptedBuild } from './builders/output-dir.js';
import { commitStagingFolder, makeStagingFolder } from '../util/staging.js';
import { isMainThread } from 'node:worker_threads';

export type Split = 'train' | 'test';

/** dataset.json, with the reference's field names and order. */
export interface DatasetMetadata {
  pad_id: number;
  ignore_label_id: number | null;
  blank_identifier_id: number;
  vocab_size: number;
  seq_len: number;
  num_puzzle_identifiers: number;
  total_groups: number;
  mean_puzzle_examples: number;
  sets: string[];
}

export const METADATA_FIELDS: (keyof DatasetMetadata)[] = [
  'pad_id', 'ignore_label_id', 'blank_identifier_id', 'vocab_size', 'seq_len',
  'num_puzzle_identifiers', 'total_groups', 'mean_puzzle_examples', 'sets',
];

export const ARRAY_NAMES = ['inputs', 'labels', 'puzzle_identifiers', 'puzzle_indices', 'group_indices'] as const;
export type ArrayName = (typeof ARRAY_NAMES)[number];

/** One set of one split, in memory. */
export interface SetArrays {
  inputs: Uint8Array; // [examples, seq_len]
  labels: Uint8Array; // [examples, seq_len]
  puzzle_identifiers: Int32Array; // [puzzles]
  puzzle_indices: Int32Array; // [puzzles + 1]
  group_indices: Int32Array; // [groups + 1]
}

/** A Python-`json.dump`-compatible string literal (ensure_ascii). */
function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** A number as Python's json.dump writes it (ints plain; floats keep a '.0'). */
function pyJsonNumber(x: number, isFloat: boolean): string {
  if (!isFloat) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  const s = String(x);
  // Python writes exponents as e-05 / e+16.
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** dataset.json text exactly as the reference writes it (json.dump of the pydantic model). */
export function metadataJson(m: DatasetMetadata): string {
  const parts: string[] = [];
  for (const k of METADATA_FIELDS) {
    const v = m[k];
    let s: string;
    if (k === 'sets') s = `[${(v as string[]).map(pyJsonString).join(', ')}]`;
    else if (v === null) s = 'null';
    else s = pyJsonNumber(v as number, k === 'mean_puzzle_examples');
    parts.push(`"${k}": ${s}`);
  }
  return `{${parts.join(', ')}}`;
}

/** identifiers.json text as the reference writes it. */
export function identifiersJson(names: readonly string[]): string {
  return `[${names.map(pyJsonString).join(', ')}]`;
}

/** Validates parsed dataset.json content; `where` names the file for messages. */
export function validateMetadata(raw: unknown, where: string): DatasetMetadata {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${where}: expected a JSON object`);
  const o = raw as Record<string, unknown>;
  const missing = METADATA_FIELDS.filter((k) => !(k in o));
  if (missing.length) throw new UserError(`${where}: missing field(s) ${missing.join(', ')}`);
  const int = (k: string, min: number): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new UserError(`${where}: '${k}' must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const m: DatasetMetadata = {
    pad_id: int('pad_id', 0),
    ignore_label_id: o.ignore_label_id === null ? null : int('ignore_label_id', 0),
    blank_identifier_id: int('blank_identifier_id', 0),
    vocab_size: int('vocab_size', 1),
    seq_len: int('seq_len', 1),
    num_puzzle_identifiers: int('num_puzzle_identifiers', 1),
    total_groups: int('total_groups', 0),
    mean_puzzle_examples: 0,
    sets: [],
  };
  const mpe = o.mean_puzzle_examples;
  if (typeof mpe !== 'number' || !(mpe >= 0)) throw new UserError(`${where}: 'mean_puzzle_examples' must be a non-negative number, got ${JSON.stringify(mpe)}`);
  m.mean_puzzle_examples = mpe;
  const sets = o.sets;
  if (!Array.isArray(sets) || sets.length === 0 || !sets.every((s) => typeof s === 'string' && /^[A-Za-z0-9_.-]+$/.test(s))) {
    throw new UserError(`${where}: 'sets' must be a non-empty list of set names (letters, digits, _ . -), got ${JSON.stringify(sets)}`);
  }
  m.sets = sets as string[];
  checkLimits({ vocab_size: m.vocab_size, seq_len: m.seq_len, num_puzzle_identifiers: m.num_puzzle_identifiers }, where, 'field');
  if (m.pad_id >= m.vocab_size) throw new UserError(`${where}: pad_id ${m.pad_id} is not below vocab_size ${m.vocab_size}`);
  if (m.blank_identifier_id >= m.num_puzzle_identifiers) {
    throw new UserError(`${where}: blank_identifier_id ${m.blank_identifier_id} is not below num_puzzle_identifiers ${m.num_puzzle_identifiers}`);
  }
  return m;
}

export function arrayPath(dir: string, split: Split, set: string, name: ArrayName): string {
  return join(dir, split, `${set}__${name}.npy`);
}

/**
 * Reads and validates `<dir>/<split>/dataset.json`, and checks that every array file exists and has a
 * shape consistent with it (headers only; the loader checks the index contents).
 */
export function readDatasetMetadata(dir: string, split: Split): DatasetMetadata {
  const kind = pathKind(dir);
  if (kind === 'file') {
    throw new UserError(`${dir} is a file, not a dataset folder (give the folder that holds train/ and test/, as written by hrm data)`);
  }
  if (kind === null) throw new UserError(`${dir}: dataset folder not found`);
  const splitDir = join(dir, split);
  if (pathKind(splitDir) !== 'dir') {
    throw new UserError(`${dir}: has no '${split}' split (no folder ${splitDir})`);
  }
  const file = join(splitDir, 'dataset.json');
  if (pathKind(file) === null) throw new UserError(`${file}: missing (not a dataset folder built for HRM?)`);
  const m = validateMetadata(readJsonFile(file), file);
  let groups = 0;
  for (const set of m.sets) {
    const h: Partial<Record<ArrayName, number[]>> = {};
    for (const name of ARRAY_NAMES) {
      const p = arrayPath(dir, split, set, name);
      if (!existsSync(p)) throw new UserError(`${p}: missing (listed set '${set}' in ${file})`);
      const hd = readNpyHeader(p);
      if (hd.dtype === 'f4' || hd.dtype === 'f8' || hd.dtype === 'b1') throw new UserError(`${p}: expected an integer array, got dtype ${hd.dtype}`);
      h[name] = hd.shape;
    }
    const fmt = (s: number[]) => `(${s.join(', ')})`;
    const inp = h.inputs!, lab = h.labels!, pid = h.puzzle_identifiers!, pix = h.puzzle_indices!, gix = h.group_indices!;
    if (inp.length !== 2 || inp[1] !== m.seq_len) {
      throw new UserError(`${arrayPath(dir, split, set, 'inputs')}: shape ${fmt(inp)} does not match seq_len ${m.seq_len} in ${file}`);
    }
    if (lab.length !== 2 || lab[0] !== inp[0] || lab[1] !== inp[1]) {
      throw new UserError(`${arrayPath(dir, split, set, 'labels')}: shape ${fmt(lab)} differs from inputs ${fmt(inp)}`);
    }
    for (const [name, s] of [['puzzle_identifiers', pid], ['puzzle_indices', pix], ['group_indices', gix]] as const) {
      if (s.length !== 1) throw new UserError(`${arrayPath(dir, split, set, name)}: expected a 1-D array, got shape ${fmt(s)}`);
    }
    if (pix[0] !== pid[0] + 1) {
      throw new UserError(`${arrayPath(dir, split, set, 'puzzle_indices')}: has ${pix[0]} entries, expected puzzles + 1 = ${pid[0] + 1}`);
    }
    if (gix[0] < 1) throw new UserError(`${arrayPath(dir, split, set, 'group_indices')}: empty (needs groups + 1 entries)`);
    groups += gix[0] - 1;
  }
  if (groups !== m.total_groups) throw new UserError(`${file}: total_groups is ${m.total_groups} but the group_indices arrays hold ${groups} groups`);
  return m;
}

/** Reads `<dir>/identifiers.json` (a list of names), or null when absent. */
export function readIdentifiers(dir: string): string[] | null {
  const p = join(dir, 'identifiers.json');
  if (pathKind(p) === null) return null;
  const raw = readJsonFile(p);
  if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string')) throw new UserError(`${p}: expected a JSON list of strings`);
  return raw as string[];
}

/**
 * Builds a dataset folder atomically: everything is written into a hidden temporary folder next to the
 * output, which replaces the output only in `commit()`. A failed build leaves nothing behind (`abort()`).
 */
export class DatasetWriter {
  readonly tmpDir: string;
  private committed = false;

  /** `force`: an existing hrm dataset at outDir may be replaced (see builders/output-dir.ts). */
  constructor(readonly outDir: string, private readonly force = false) {
    const out = resolve(outDir);
    makeFolders(dirname(out));
    this.tmpDir = makeStagingFolder(out, BUILDING);
    activeBuildFolders.add(this.tmpDir);
    for (const f of buildFolderListeners) f(this.tmpDir, out);
  }

  splitDir(split: Split): string {
    const d = join(this.tmpDir, split);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** Path of an array file inside the temporary folder (for streamed writes). */
  arrayPath(split: Split, set: string, name: ArrayName): string {
    this.splitDir(split);
    return arrayPath(this.tmpDir, split, set, name);
  }

  writeArray(split: Split, set: string, name: ArrayName, data: NpyData, shape: readonly number[]): void {
    if (numel(shape) !== data.length) throw new Error(`writeArray ${name}: shape does not match data`);
    writeNpy(this.arrayPath(split, set, name), data, shape);
  }

  /** Writes one set's arrays (inputs/labels reshaped to [examples, seq_len]). */
  writeSet(split: Split, set: string, seqLen: number, a: SetArrays): void {
    const examples = a.inputs.length / seqLen;
    this.writeArray(split, set, 'inputs', a.inputs, [examples, seqLen]);
    this.writeArray(split, set, 'labels', a.labels, [examples, seqLen]);
    this.writeArray(split, set, 'puzzle_identifiers', a.puzzle_identifiers, [a.puzzle_identifiers.length]);
    this.writeArray(split, set, 'puzzle_indices', a.puzzle_indices, [a.puzzle_indices.length]);
    this.writeArray(split, set, 'group_indices', a.group_indices, [a.group_indices.length]);
  }

  writeMetadata(split: Split, m: DatasetMetadata): void {
    writeFileAtomic(join(this.splitDir(split), 'dataset.json'), metadataJson(m));
  }

  writeIdentifiers(names: readonly string[]): void {
    writeFileAtomic(join(this.tmpDir, 'identifiers.json'), identifiersJson(names));
  }

  /** Moves the finished folder into place (replacing an older build at the same path). */
  commit(): void {
    // Checked again: the folder may have changed while the build ran.
    commitStagingFolder(this.tmpDir, resolve(this.outDir), () => assertReplaceable(this.outDir, this.force));
    this.committed = true;
    activeBuildFolders.delete(this.tmpDir);
  }

  abort(): void {
    if (!this.committed) cleanUpInterruptedBuild(this.tmpDir, resolve(this.outDir));
    activeBuildFolders.delete(this.tmpDir);
  }
}

/** Runs `build(writer)`, committing on success and removing the temporary folder on any error. */
export async function buildDataset(outDir: string, build: (w: DatasetWriter) => void | Promise<void>, force = false): Promise<void> {
  const w = new DatasetWriter(outDir, force);
  // Ctrl-C during a build's asynchronous parts: remove the temporary folder, then exit as interrupted.
  // (The data CLI runs builds in a worker thread and handles signals itself, so that they also stop
  // the synchronous parts; a worker gets no signals.)
  const onSignal = (sig: NodeJS.Signals) => {
    w.abort();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  if (isMainThread) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    await build(w);
    w.commit();
  } catch (e) {
    w.abort();
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Metadata for one-set builders whose every puzzle has one example (Sudoku, Maze). */
export function singleExampleMetadata(vocabSize: number, seqLen: number, totalGroups: number): DatasetMetadata {
  return {
    pad_id: 0,
    ignore_label_id: 0,
    blank_identifier_id: 0,
    vocab_size: vocabSize,
    seq_len: seqLen,
    num_puzzle_identifiers: 1,
    total_groups: totalGroups,
    mean_puzzle_examples: 1,
    sets: ['all'],
  };
}
