/**
 * `hrm convert` both ways, without changing a single weight:
 *   reference checkpoint folder (`checkpoint` torch.save zip + all_config.yaml)
 *       -> our run folder (step_N.safetensors with `model.inner.*` names, float32; all_config.yaml with
 *          every size the weights fix written out)
 *   our run folder or step_N.safetensors
 *       -> a reference folder: `checkpoint` (a torch.save zip that torch.load(weights_only=True) and the
 *          reference's load_state_dict accept; names with torch.compile's `_orig_mod.` prefix as the
 *          published ones, H_init/L_init stored as bfloat16 when their values are exactly bfloat16, as
 *          the reference's buffers are, else float32) + all_config.yaml.
 * Nothing is overwritten: the output folder may exist but must not hold the files to be written (a
 * dangling link counts). Both files are written into a staging folder beside the output
 * (src/util/staging.ts) and moved into place at the end, so a failed or killed convert leaves no
 * half output behind, and a retry into the same folder works.
 */
import { linkSync, lstatSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { toFloat32, writeSafetensors, type SafeTensor, type SafeTensorInput } from '../io/safetensors.js';
import { exactBfloat16, writeTorchCheckpoint, type TorchTensorInput } from '../io/torch-checkpoint.js';
import { configToYaml } from '../train/config.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UserError } from '../util/errors.js';
import { makeFolders } from '../util/io-errors.js';
import { pathTaken } from '../util/no-clobber.js';
import { cleanUpDeadStaging, commitStagingFolder, makeStagingFolder } from '../util/staging.js';
import { canonicalName } from '../io/state-dict.js';
import { locateModel, readModelSpec, readWeights, type ModelFiles } from './load.js';

export interface ConvertResult {
  direction: 'to-ours' | 'to-reference';
  from: ModelFiles;
  written: string[];
  tensors: number;
}

const CONVERTING = 'converting';

/** Moves `from` to `to` unless something is at `to` (EEXIST); without hard links, a check and a rename. */
function placeFile(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    if (pathTaken(to)) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
    renameSync(from, to);
  }
}

function refuseExisting(paths: string[]): void {
  const there = paths.filter((p) => pathTaken(p));
  if (there.length) throw new UserError(`${there.join(', ')}: already exists; choose an empty output folder (hrm convert never overwrites)`);
}

/**
 * Writes the files `write` makes (into the folder it is given) to `outDir`, all or nothing: in a
 * staging folder that becomes `outDir` (or, when `outDir` exists, whose files are hard-linked in,
 * which fails rather than replace anything).
 */
function writeOutputs(outDir: string, names: string[], write: (dir: string) => void): string[] {
  cleanUpDeadStaging(outDir, CONVERTING);
  if (pathTaken(outDir) && !lstatSync(outDir).isDirectory()) throw new UserError(`${outDir}: exists and is not a folder; hrm convert writes a folder`);
  refuseExisting(names.map((n) => join(outDir, n)));
  makeFolders(dirname(resolve(outDir)));
  const staging = makeStagingFolder(outDir, CONVERTING);
  try {
    write(staging);
    if (!pathTaken(outDir)) {
      commitStagingFolder(staging, outDir, () => refuseExisting([outDir]));
    } else {
      const linked: string[] = [];
      try {
        for (const n of names) {
          placeFile(join(staging, n), join(outDir, n));
          linked.push(join(outDir, n));
        }
      } catch (e) {
        for (const p of linked) rmSync(p, { force: true });
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') refuseExisting(names.map((n) => join(outDir, n)));
        throw e;
      }
      rmSync(staging, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return names.map((n) => join(outDir, n));
}

/** Converts whatever `input` is into the other format, in `outDir`. */
export function convertCheckpoint(input: string, outDir: string): ConvertResult {
  const files = locateModel(input);
  const weights = readWeights(files);
  const spec = readModelSpec(files, weights);
  const canon = new Map<string, SafeTensor>();
  for (const [k, t] of weights) canon.set(canonicalName(k), t);
  if (files.format === 'reference') {
    const weightsName = `step_${files.step}.safetensors`;
    refuseExisting([join(outDir, weightsName), join(outDir, 'all_config.yaml')]);
    const out = new Map<string, SafeTensorInput>();
    for (const [k, t] of canon) out.set(k, { shape: t.shape, data: isFloat(t) ? toFloat32(t) : t.data, dtype: isFloat(t) ? 'F32' : t.dtype });
    const train = spec.train;
    Object.assign(train.arch, {
      hidden_size: spec.arch.hidden_size, H_layers: spec.arch.H_layers, L_layers: spec.arch.L_layers, expansion: spec.arch.expansion,
      puzzle_emb_ndim: spec.arch.puzzle_emb_ndim, pos_encodings: spec.arch.pos_encodings,
    });
    train.checkpoint_path = outDir;
    const written = writeOutputs(outDir, [weightsName, 'all_config.yaml'], (dir) => {
      writeSafetensors(join(dir, weightsName), out, { format: 'pt', converted_from: files.weights });
      writeFileAtomic(join(dir, 'all_config.yaml'), configToYaml(train));
    });
    return { direction: 'to-ours', from: files, written, tensors: out.size };
  }
  refuseExisting([join(outDir, 'checkpoint'), join(outDir, 'all_config.yaml')]);
  const out = new Map<string, TorchTensorInput>();
  for (const [k, t] of canon) {
    const name = `_orig_mod.${k}`;
    if (/\.(H_init|L_init)$/.test(k)) {
      const f = toFloat32(t);
      const bf = exactBfloat16(f);
      out.set(name, bf ? { shape: t.shape, data: bf, dtype: 'BF16' } : { shape: t.shape, data: f, dtype: 'F32' });
    } else if (isFloat(t)) out.set(name, { shape: t.shape, data: toFloat32(t), dtype: 'F32' });
    else if (t.dtype === 'I32' || t.dtype === 'I64' || t.dtype === 'BOOL') out.set(name, { shape: t.shape, data: t.data as TorchTensorInput['data'], dtype: t.dtype });
    else throw new UserError(`${files.weights}: tensor '${k}' has dtype ${t.dtype}, which has no torch storage here`);
  }
  const written = writeOutputs(outDir, ['checkpoint', 'all_config.yaml'], (dir) => {
    writeTorchCheckpoint(join(dir, 'checkpoint'), out);
    // a bundled model carries its all_config.yaml in its metadata (files.config is the weights file)
    writeFileAtomic(join(dir, 'all_config.yaml'), files.bundle ? files.bundle.config : readFileSync(files.config));
  });
  return { direction: 'to-reference', from: files, written, tensors: out.size };
}

function isFloat(t: SafeTensor): boolean {
  return t.dtype === 'F32' || t.dtype === 'BF16' || t.dtype === 'F16' || t.dtype === 'F64';
}
