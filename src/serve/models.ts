/**
 * The models `hrm serve` offers the page: every run folder, step_N.safetensors or reference checkpoint
 * folder in the package's models/ folder (the bundled ones), plus the paths given with --model. Each is
 * located and read once at start (src/models/hrm/load.ts) so the page knows its task and sizes; only its
 * all_config.yaml and its weights file are served, by a key, never by a path the client names.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { locateModel, readModelSpec, readWeights, type ModelFiles } from '../model-files/load.js';
import { taskOfVocab } from '../model-files/bundle.js';
import { UserError } from '../util/errors.js';

export type ModelTask = 'sudoku' | 'maze' | 'arc' | 'other';

export interface ServedModel {
  key: string;
  name: string;
  task: ModelTask;
  vocab: number;
  seqLen: number | null;
  format: ModelFiles['format'];
  /** what the page loads inside the mounted folder: '' (the folder) or the weights file's name */
  entry: string;
  /** name in the page's folder -> file on disk */
  files: { path: string; file: string; bytes: number }[];
}

export { taskOfVocab };

/** Reads one model (a UserError names the path and the problem). */
export function describeModel(path: string, key: string): ServedModel {
  const files = locateModel(path);
  const spec = readModelSpec(files, readWeights(files));
  const isFile = statSync(path).isFile();
  const weightsName = basename(files.weights);
  // a bundled model's file carries its configuration
  const list = (files.bundle ? [{ path: weightsName, file: files.weights }] : [
    { path: 'all_config.yaml', file: files.config },
    { path: weightsName, file: files.weights },
  ]).map((f) => ({ ...f, bytes: statSync(f.file).size }));
  return {
    key,
    name: basename(path.replace(/\/+$/, '')),
    task: taskOfVocab(spec.arch.vocab_size),
    vocab: spec.arch.vocab_size,
    seqLen: spec.seqLen,
    format: files.format,
    entry: isFile ? weightsName : '',
    files: list,
  };
}

/**
 * The bundled models (each entry of `dir` that is a model; others are reported on `warn` and skipped)
 * and the given paths (which must be models).
 */
export function discoverModels(dir: string | null, given: string[], warn: (line: string) => void): ServedModel[] {
  const out: ServedModel[] = [];
  const used = new Set<string>();
  const keyFor = (path: string): string => {
    const base = basename(path.replace(/\/+$/, '')).replace(/\.safetensors$/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'model';
    let k = base;
    for (let i = 2; used.has(k); i++) k = `${base}-${i}`;
    used.add(k);
    return k;
  };
  if (dir && existsSync(dir) && statSync(dir).isDirectory()) {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.') || name.endsWith('.md')) continue;
      const p = join(dir, name);
      try {
        out.push(describeModel(p, keyFor(p)));
      } catch (e) {
        warn(`hrm serve: skipping ${p}: ${(e as Error).message}`);
      }
    }
  }
  for (const p of given) {
    if (!existsSync(p)) throw new UserError(`--model ${p}: no such run folder, checkpoint folder or file`);
    out.push(describeModel(p, keyFor(p)));
  }
  return out;
}
