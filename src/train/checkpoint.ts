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
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readSafetensors, writeSafetensors, type SafeTensor, type SafeTensorInput } from '../io/safetensors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UserError } from '../util/errors.js';
import { configToYaml, defaultRunName, type TrainConfig } from './config.js';

export const RESUME_FORMAT = 'hrm-ts-resume/1';

export function runDirFor(cfg: TrainConfig): string {
  if (cfg.checkpoint_path) return cfg.checkpoint_path;
  if (!cfg.run_name) cfg.run_name = defaultRunName(cfg);
  return join('checkpoints', cfg.project_name ?? 'hrm', cfg.run_name);
}

/** Creates the run folder and writes all_config.yaml (with the resolved checkpoint_path). */
export function prepareRunDir(cfg: TrainConfig): string {
  const dir = runDirFor(cfg);
  cfg.checkpoint_path = dir;
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'all_config.yaml'), configToYaml(cfg));
  return dir;
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
  let resume: ResumeMeta;
  try {
    resume = JSON.parse(metaText) as ResumeMeta;
  } catch {
    throw new UserError(`${rPath}: resume metadata is not valid JSON`);
  }
  if (resume.format !== RESUME_FORMAT || resume.step !== step) {
    throw new UserError(`${rPath}: resume metadata says format ${resume.format}, step ${resume.step}; expected ${RESUME_FORMAT}, step ${step}`);
  }
  return { weights, state: rFile.tensors, resume };
}

/** Writes evaluation outputs (inputs, labels, logits, ...) as one safetensors file. */
export function savePredictions(path: string, outputs: Tensors): void {
  writeSafetensors(path, outputs, { format: 'pt', note: 'hrm-ts eval outputs (the reference torch.saves step_N_all_preds.<rank>)' });
}

/** The step number in a file name like step_1234.safetensors (0 when there is none, as the reference). */
export function stepFromFileName(path: string): number {
  const m = /^step_(\d+)/.exec(basename(path));
  return m ? Number(m[1]) : 0;
}

/**
 * Before resuming at `step`: deletes what a killed session left beyond it (temporaries of
 * writeFileAtomic, `.<name>.tmp-<pid>-<n>`, and step files of work that will be redone).
 */
export function removeLeftovers(dir: string, step: number): void {
  for (const n of readdirSync(dir)) {
    const m = /^step_(\d+)[._]/.exec(n);
    if (/^\..+\.tmp-\d+-\d+$/.test(n) || (m && Number(m[1]) > step)) rmSync(join(dir, n), { force: true });
  }
}

export function writeJsonAtomic(path: string, obj: unknown): void {
  writeFileAtomic(path, JSON.stringify(obj, null, 2) + '\n');
}
