/**
 * The run folder and its checkpoints:
 *
 *   checkpoints/<project_name>/<run_name>/     (or checkpoint_path)
 *     all_config.yaml                the full configuration (reference layout)
 *     step_N.safetensors             model state with the reference's state-dict names (model.inner.*)
 *     step_N.ema.safetensors         with ema: the model state with the EMA of the weights (what
 *                                    evaluation uses; TRM saves its EMA copy as the checkpoint)
 *     step_N.resume.safetensors      what resume needs besides the weights: optimizer moments, the ACT
 *                                    carry, random state, data position, metrics length (JSON metadata)
 *     step_N_all_preds.safetensors   evaluation outputs named in eval_save_outputs (the reference
 *                                    torch.saves a pickle `step_N_all_preds.0`; we cannot write pickles)
 *     metrics.jsonl, curves.svg, summary.json
 *
 * Every file is written atomically, weights first, then the resume sidecar: a sidecar therefore always
 * has its weights, and the newest step with both files is the resume point. Only the newest sidecar is
 * kept (older ones are deleted once a newer one is on disk).
 */
import { closeSync, existsSync, linkSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { readSafetensors, readSafetensorsMetadata, serializeSafetensors, writeSafetensors, type SafeTensor, type SafeTensorInput } from '../io/safetensors.js';
import { tempPathFor, writeFileAtomic, writeTempFile } from '../util/atomic-write.js';
import { assertReplaceableFile, writeOwnFile } from '../util/no-clobber.js';
import { UserError } from '../util/errors.js';
import { makeFolders } from '../util/io-errors.js';
import { configToYaml, defaultRunName, type TrainConfig } from './config.js';
import { pidAlive } from '../util/pid.js';

export const RESUME_FORMAT = 'hrm-ts-resume/1';

export function runDirFor(cfg: TrainConfig): string {
  // `r/` is `r`: the old run of overwrite=true goes to `r.old-<time>` beside it, not inside it
  if (cfg.checkpoint_path) return cfg.checkpoint_path.replace(/(?<=[^/\\])[/\\]+$/, '');
  if (!cfg.run_name) cfg.run_name = defaultRunName(cfg);
  return join('checkpoints', cfg.project_name ?? 'hrm', cfg.run_name);
}

/** The files hrm writes into a run folder, exactly (a user's `step_7.safetensors.backup` is not one). */
const OWN_FILES = String.raw`all_config\.yaml|metrics\.jsonl|summary\.json|curves\.svg|submission\.json|arc_votes\.json|arc_report\.html|step_\d+(?:\.ema|\.resume|_all_preds)?\.safetensors`;
/** What a run folder may hold: our files, the lock and writeFileAtomic's temporaries of them (`.<name>.tmp-<pid>-<n>`). */
const RUN_FILE = new RegExp(String.raw`^(?:${OWN_FILES}|\.lock)$`);
const OWN_TEMP = new RegExp(String.raw`^\.(?:${OWN_FILES}|lock)\.tmp-(\d+)-\d+$`);
const STEP_FILE = /^step_(\d+)(?:\.ema|\.resume|_all_preds)?\.safetensors$/;

/**
 * Creates the run folder, takes its lock and writes all_config.yaml (with the resolved
 * checkpoint_path). A folder that already holds a run is refused (its files would be overwritten,
 * its metrics appended to and, with keep_checkpoints, its checkpoints deleted) unless `overwrite`,
 * which moves the old run aside to `<dir>.old-<time>`; a folder holding anything else is refused.
 */
export function prepareRunDir(cfg: TrainConfig, opts: { overwrite?: boolean; log?: (s: string) => void } = {}): string {
  const dir = runDirFor(cfg);
  cfg.checkpoint_path = dir;
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UserError(`checkpoint_path=${dir} is a file; a run needs a folder`);
    const names = readdirSync(dir);
    const foreign = names.find((n) => !RUN_FILE.test(n) && !OWN_TEMP.test(n));
    if (foreign !== undefined) {
      throw new UserError(`${dir} holds files that are not a run's (e.g. '${foreign}'); choose another run_name or checkpoint_path`);
    }
    if (names.some((n) => n !== '.lock' && !n.startsWith('.'))) {
      if (!opts.overwrite) {
        const steps = listSteps(dir).length;
        throw new UserError(
          `${dir} already holds a run (${steps} checkpoint${steps === 1 ? '' : 's'}); continue it with resume=${dir}, ` +
            `start afresh with overwrite=true (moves it aside to ${dir}.old-<time>), or choose another run_name or checkpoint_path`,
        );
      }
      checkNotLocked(dir);
      const aside = `${dir}.old-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(dir, aside);
      opts.log?.(`overwrite=true: moved the old run ${dir} aside to ${aside}`);
    }
  }
  makeFolders(dir);
  acquireRunLock(dir);
  writeFileAtomic(join(dir, 'all_config.yaml'), configToYaml(cfg));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// The run-folder lock: `<dir>/.lock` holds the owner's pid and host. It is written to a temporary
// file and hard-linked into place, which fails if a `.lock` exists: of two processes only one gets
// it, and a lock is never seen half-written. A lock whose process is gone (kill -9) is stale and
// taken over; a `.lock` that is not such a lock (a user's file) is never removed. The lock is removed
// when the run ends (and at process exit).

export const lockFile = (dir: string) => join(dir, '.lock');

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

/** The lock at `path`, or null when it is not one hrm wrote (or is gone). */
function readLock(path: string): LockInfo | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    const ok = o !== null && typeof o === 'object' && Number.isInteger(o.pid) && (o.pid as number) > 0 && typeof o.host === 'string' && typeof o.started === 'string';
    return ok ? { pid: o.pid as number, host: o.host as string, started: o.started as string } : null;
  } catch {
    return null;
  }
}

function notALock(path: string): UserError {
  return new UserError(`${path}: not a lock file hrm wrote; refusing to remove it (move it away, or choose another run_name or checkpoint_path)`);
}

/** Creates `path` holding `text`, failing with EEXIST if anything is there. */
function createExclusive(path: string, text: string): void {
  const tmp = tempPathFor(path);
  writeTempFile(tmp, text);
  try {
    linkSync(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    // no hard links on this file system: O_EXCL (a kill between create and write leaves an empty lock)
    const fd = openSync(path, 'wx');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}


/** The live owner of dir's lock other than this process, or null. */
function liveOwner(dir: string): LockInfo | null {
  const l = existsSync(lockFile(dir)) ? readLock(lockFile(dir)) : null;
  if (!l || l.pid === process.pid) return null;
  // On another host the pid means nothing here: assume it is alive.
  if (l.host !== hostname() || pidAlive(l.pid)) return l;
  return null;
}

function lockedError(dir: string, l: LockInfo): UserError {
  return new UserError(
    `${dir} is in use by process ${l.pid}${l.host !== hostname() ? ` on ${l.host}` : ''}${l.started ? ` (since ${l.started})` : ''}; ` +
      `wait for it to finish or stop it (lock file ${lockFile(dir)})`,
  );
}

function checkNotLocked(dir: string): void {
  const l = liveOwner(dir);
  if (l) throw lockedError(dir, l);
}

const held = new Set<string>();
let exitHook = false;

/** Takes `<dir>/.lock` for this process; throws a UserError naming the owner when it is held. */
export function acquireRunLock(dir: string): void {
  const path = lockFile(dir);
  const text = JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() }) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      createExclusive(path, text);
      held.add(path);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', () => {
          for (const p of held) releaseLockFile(p);
        });
      }
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const l = readLock(path);
      if (!l) {
        if (existsSync(path)) throw notALock(path);
        continue; // removed meanwhile
      }
      if (l.pid === process.pid) {
        held.add(path);
        return; // this process already holds it
      }
      const owner = liveOwner(dir);
      if (owner) throw lockedError(dir, owner);
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new UserError(`${dir}: could not take the lock file ${path} (another process keeps taking it)`);
}

function releaseLockFile(path: string): void {
  const l = existsSync(path) ? readLock(path) : null;
  if (l && l.pid === process.pid) rmSync(path, { force: true });
  held.delete(path);
}

/** Removes this process's lock on dir (no-op when it holds none). */
export function releaseRunLock(dir: string): void {
  releaseLockFile(lockFile(dir));
}

export const weightsFile = (dir: string, step: number) => join(dir, `step_${step}.safetensors`);
export const emaWeightsFile = (dir: string, step: number) => join(dir, `step_${step}.ema.safetensors`);
export const resumeFile = (dir: string, step: number) => join(dir, `step_${step}.resume.safetensors`);
export const predsFile = (dir: string, step: number) => join(dir, `step_${step}_all_preds.safetensors`);

/** Named host tensors, as written to safetensors (read back as SafeTensor, which has the same fields). */
export type Tensors = Map<string, SafeTensorInput>;
export type LoadedTensors = Map<string, SafeTensor>;

/** The JSON part of a resume point. */
export interface ResumeMeta {
  format: string;
  step: number;
  total_steps: number;
  /** the training iteration (block of eval_interval epochs) to continue in */
  iteration: number;
  /** loader batches of that iteration already consumed */
  batches_done: number;
  /** the model's random state (halting exploration) */
  rng: [number, number, number, number];
  /** AdamATan2's step counter */
  optimizer_step: number;
  /** length of metrics.jsonl at this point */
  metrics_bytes: number;
  /** the non-tensor parts of the carry (null: no carry yet) */
  carry: unknown;
  /** seconds of training so far (for the summary) */
  elapsed_s: number;
  /** the last evaluation's metrics, for the summary */
  last_eval: Record<string, number> | null;
  /** a resume point inside an iteration (checkpoint_every_steps): its weights file goes once superseded */
  transient: boolean;
  /**
   * the previous transient resume point, whose weights file this one replaces; kept here so that a
   * session killed between writing this sidecar and deleting those weights finishes the deletion
   * on resume (absent in older sidecars)
   */
  supersedes?: number | null;
}

export interface Checkpoint<T extends Tensors | LoadedTensors = Tensors> {
  /** the model state, reference names */
  weights: T;
  /** optimizer moments and carry tensors, prefixed `optim/m/`, `optim/v/`, `carry/` */
  state: T;
  resume: ResumeMeta;
  /** with ema: the model state with the EMA weights in place of the parameters */
  emaWeights?: T;
}

/**
 * Writes step_N.safetensors then its sidecar, then deletes older sidecars and, if given, the weights
 * of the previous transient resume point (`ck.resume.supersedes`).
 */
export function saveCheckpoint(dir: string, ck: Checkpoint, keepCheckpoints = 0): void {
  const step = ck.resume.step;
  writeSafetensors(weightsFile(dir, step), ck.weights, { format: 'pt' });
  if (ck.emaWeights) writeSafetensors(emaWeightsFile(dir, step), ck.emaWeights, { format: 'pt', note: 'hrm-ts: EMA of the weights' });
  writeSafetensors(resumeFile(dir, step), ck.state, { [RESUME_FORMAT]: JSON.stringify(ck.resume) });
  for (const n of readdirSync(dir)) {
    const m = /^step_(\d+)\.resume\.safetensors$/.exec(n);
    if (m && Number(m[1]) !== step) rmSync(join(dir, n), { force: true });
  }
  removeSuperseded(dir, ck.resume);
  if (keepCheckpoints > 0) {
    const steps = listSteps(dir).map((s) => s.step).sort((a, b) => b - a);
    for (const s of steps.slice(keepCheckpoints)) {
      if (s === step) continue;
      rmSync(weightsFile(dir, s), { force: true });
      rmSync(emaWeightsFile(dir, s), { force: true });
    }
  }
}

/** Deletes the transient resume point (weights and sidecar) that `resume` replaced (idempotent). */
export function removeSuperseded(dir: string, resume: ResumeMeta): void {
  const old = resume.supersedes;
  if (old === undefined || old === null || old === resume.step) return;
  rmSync(resumeFile(dir, old), { force: true });
  rmSync(weightsFile(dir, old), { force: true });
  rmSync(emaWeightsFile(dir, old), { force: true });
}

/** The step files in a run folder. */
export function listSteps(dir: string): { step: number; resume: boolean }[] {
  if (!existsSync(dir)) return [];
  const out: { step: number; resume: boolean }[] = [];
  const names = new Set(readdirSync(dir));
  for (const n of names) {
    const m = /^step_(\d+)\.safetensors$/.exec(n);
    if (m) out.push({ step: Number(m[1]), resume: names.has(`step_${m[1]}.resume.safetensors`) });
  }
  return out.sort((a, b) => a.step - b.step);
}

/**
 * Finds the resume point from a run folder (the newest step with a sidecar) or a step_N.safetensors
 * file (which must have its sidecar).
 */
export function locateResume(target: string): { dir: string; step: number } {
  if (!existsSync(target)) throw new UserError(`resume=${target}: no such run folder or checkpoint`);
  if (statSync(target).isDirectory()) {
    if (!existsSync(join(target, 'all_config.yaml'))) throw new UserError(`resume=${target}: not a run folder (no all_config.yaml)`);
    const steps = listSteps(target).filter((s) => s.resume);
    if (steps.length === 0) throw new UserError(`resume=${target}: no resumable checkpoint yet (no step_N.resume.safetensors); start the run again instead`);
    return { dir: target, step: steps[steps.length - 1].step };
  }
  const m = /^step_(\d+)(\.resume)?\.safetensors$/.exec(basename(target));
  if (!m) throw new UserError(`resume=${target}: expected a run folder or a step_N.safetensors file`);
  const dir = dirname(target);
  const step = Number(m[1]);
  if (!existsSync(resumeFile(dir, step))) {
    const latest = listSteps(dir).filter((s) => s.resume).pop();
    throw new UserError(
      `resume=${target}: step ${step} has no resume state (step_${step}.resume.safetensors)${latest ? `; the resumable checkpoint is step_${latest.step}.safetensors (or pass the run folder)` : ''}`,
    );
  }
  return { dir, step };
}

export function loadCheckpoint(dir: string, step: number): Checkpoint<LoadedTensors> {
  const rPath = resumeFile(dir, step);
  const weights = readSafetensors(weightsFile(dir, step)).tensors;
  const rFile = readSafetensors(rPath);
  const metaText = rFile.metadata?.[RESUME_FORMAT];
  if (!metaText) throw new UserError(`${rPath}: not an hrm-ts resume file (no '${RESUME_FORMAT}' metadata)`);
  let raw: unknown;
  try {
    raw = JSON.parse(metaText);
  } catch {
    throw new UserError(`${rPath}: resume metadata is not valid JSON`);
  }
  const resume = checkResumeMeta(raw, rPath);
  if (resume.format !== RESUME_FORMAT || resume.step !== step) {
    throw new UserError(`${rPath}: resume metadata says format ${JSON.stringify(resume.format)}, step ${resume.step}; expected ${RESUME_FORMAT}, step ${step}`);
  }
  return { weights, state: rFile.tensors, resume };
}

const U32 = 2 ** 32;

/**
 * The resume metadata with every field checked (a damaged or hand-edited sidecar must not resume a
 * run into nonsense or report it finished); the CLI then checks them against the run's configuration.
 */
export function checkResumeMeta(raw: unknown, where: string): ResumeMeta {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`${where}: resume metadata is not a JSON object`);
  const o = raw as Record<string, unknown>;
  const bad = (k: string, want: string): never => {
    const v = o[k];
    const got = v === undefined ? 'nothing' : JSON.stringify(v).slice(0, 40);
    throw new UserError(`${where}: resume metadata '${k}' must be ${want}, got ${got}`);
  };
  const int = (k: string, min: number): number => {
    const v = o[k];
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? v : bad(k, `an integer >= ${min}`);
  };
  if (typeof o.format !== 'string') bad('format', `"${RESUME_FORMAT}"`);
  const rng = o.rng;
  if (!Array.isArray(rng) || rng.length !== 4 || !rng.every((x) => Number.isInteger(x) && x >= 0 && x < U32)) bad('rng', 'a list of 4 integers in [0, 2^32)');
  const elapsed = o.elapsed_s;
  if (typeof elapsed !== 'number' || !(elapsed >= 0 && elapsed < Infinity)) bad('elapsed_s', 'a number >= 0');
  const lastEval = o.last_eval;
  if (lastEval !== null && (typeof lastEval !== 'object' || Array.isArray(lastEval) || !Object.values(lastEval as object).every((v) => typeof v === 'number'))) {
    bad('last_eval', 'null or an object of numbers');
  }
  if (o.carry !== null && (typeof o.carry !== 'object' || Array.isArray(o.carry))) bad('carry', 'null or an object');
  if (typeof o.transient !== 'boolean') bad('transient', 'true or false');
  const sup = o.supersedes;
  if (sup !== undefined && sup !== null && !(typeof sup === 'number' && Number.isSafeInteger(sup) && sup >= 0)) bad('supersedes', 'null or an integer >= 0');
  const total = int('total_steps', 1);
  const step = int('step', 0);
  if (step > total) bad('step', `at most total_steps (${total})`);
  return {
    format: o.format as string, step, total_steps: total, iteration: int('iteration', 0), batches_done: int('batches_done', 0),
    rng: rng as ResumeMeta['rng'], optimizer_step: int('optimizer_step', 0), metrics_bytes: int('metrics_bytes', 0),
    carry: o.carry, elapsed_s: elapsed as number, last_eval: lastEval as ResumeMeta['last_eval'], transient: o.transient as boolean,
    ...(sup === undefined ? {} : { supersedes: sup as number | null }),
  };
}

const PREDS_NOTE = 'hrm-ts eval outputs (the reference torch.saves step_N_all_preds.<rank>)';

/** Whether `path` is evaluation outputs hrm wrote (recognised by its metadata, not its name). */
export function isOwnPredictions(path: string): boolean {
  return readSafetensorsMetadata(path).note === PREDS_NOTE;
}

/**
 * Writes evaluation outputs (inputs, labels, logits, ...) as one safetensors file. It replaces only
 * outputs hrm wrote (an earlier evaluation's), never a user's file or link of that name.
 */
export function savePredictions(path: string, outputs: Tensors): void {
  writeOwnFile(path, serializeSafetensors(outputs, { format: 'pt', note: PREDS_NOTE }), isOwnPredictions);
}

/** Throws the UserError savePredictions would, before an evaluation spends its time. */
export function assertPredictionsWritable(path: string): void {
  assertReplaceableFile(path, isOwnPredictions);
}

/** The step number in a file name like step_1234.safetensors (0 when there is none, as the reference). */
export function stepFromFileName(path: string): number {
  const m = /^step_(\d+)/.exec(basename(path));
  return m ? Number(m[1]) : 0;
}

/**
 * Before resuming at `step`: deletes what a killed session left beyond it: writeFileAtomic's
 * temporaries of the files hrm writes (`.<name>.tmp-<pid>-<n>`, their process gone) and the step files
 * of work that will be redone. Only names exactly as hrm writes them; anything else is a user's.
 */
export function removeLeftovers(dir: string, step: number): void {
  for (const n of readdirSync(dir)) {
    const t = OWN_TEMP.exec(n);
    const m = STEP_FILE.exec(n);
    const deadTemp = t !== null && Number(t[1]) !== process.pid && !pidAlive(Number(t[1]));
    if (deadTemp || (m && Number(m[1]) > step)) rmSync(join(dir, n), { force: true });
  }
}

export function writeJsonAtomic(path: string, obj: unknown): void {
  writeFileAtomic(path, JSON.stringify(obj, null, 2) + '\n');
}
