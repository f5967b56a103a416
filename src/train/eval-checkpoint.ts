/**
 * Evaluating a saved checkpoint, like the reference's evaluate.py: the configuration comes from the
 * run's all_config.yaml next to the checkpoint, the weights from step_N.safetensors (ours, or the
 * reference's state dict converted to safetensors; a `_orig_mod.` prefix is accepted), the step from
 * the file name. Outputs named in save_outputs go to `step_N_all_preds.safetensors` beside it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PuzzleDataset } from '../data/loader.js';
import { loadStateDictFile } from '../models/hrm/state-dict.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { predsFile, savePredictions, stepFromFileName } from './checkpoint.js';
import { finalizeConfig, readRunConfig, type TrainConfig } from './config.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { checkDataset } from './loop.js';
import { buildModel } from './model-bridge.js';
import { arcIdentifiersFor } from '../arc/detect.js';
import { writeArcOutputs, type ArcOutputFiles } from '../arc/report.js';

/** The reference's EvalConfig default for save_outputs. */
export const DEFAULT_SAVE_OUTPUTS = ['inputs', 'labels', 'puzzle_identifiers', 'logits', 'q_halt_logits', 'q_continue_logits'];
/** ARC's default: preds instead of logits (what voting reads, 12x smaller than [rows, 900, 12] logits). */
export const ARC_DEFAULT_SAVE_OUTPUTS = ['inputs', 'labels', 'puzzle_identifiers', 'preds', 'q_halt_logits', 'q_continue_logits'];

export interface EvalCheckpointOptions {
  checkpoint: string;
  saveOutputs?: string[];
  /** overrides applied to the run's config (data_path, global_batch_size) */
  adjust?: (cfg: TrainConfig) => void;
}

export interface EvalCheckpointResult extends EvalResult {
  step: number;
  config: TrainConfig;
  predictionsFile: string | null;
  /** ARC datasets: submission.json, arc_votes.json, arc_report.html in the checkpoint's folder */
  arcFiles?: ArcOutputFiles;
}

export function evaluateCheckpoint(opts: EvalCheckpointOptions): EvalCheckpointResult {
  const ckpt = opts.checkpoint;
  if (!existsSync(ckpt)) throw new UserError(`checkpoint=${ckpt}: no such file`);
  const cfgPath = join(dirname(ckpt), 'all_config.yaml');
  if (!existsSync(cfgPath)) throw new UserError(`checkpoint=${ckpt}: no all_config.yaml next to it (${cfgPath}); evaluation needs the run's configuration`);
  const cfg = readRunConfig(cfgPath);
  cfg.checkpoint_path = dirname(ckpt);
  opts.adjust?.(cfg);
  const arcIds = arcIdentifiersFor(cfg.data_path, cfg);
  cfg.eval_save_outputs = opts.saveOutputs ?? (arcIds ? ARC_DEFAULT_SAVE_OUTPUTS : DEFAULT_SAVE_OUTPUTS);
  finalizeConfig(cfg, cfgPath);
  // The model's puzzle-identifier table is sized by the train split, as in the reference.
  const meta = checkDataset(cfg);
  const model = buildModel(cfg, meta.train, new Rng(cfg.seed), cfgPath);
  loadStateDictFile(model, ckpt);
  const loader = new PuzzleDataset({
    dataPath: cfg.data_path, split: 'test', globalBatchSize: cfg.global_batch_size, testSetMode: true,
    epochsPerIter: 1, rank: 0, numReplicas: 1, seed: cfg.seed,
  });
  try {
    const step = stepFromFileName(ckpt);
    const res = evaluate(model, loader, cfg.eval_save_outputs, undefined, { arcIdentifiers: arcIds });
    let predictionsFile: string | null = null;
    if (res.outputs) {
      predictionsFile = predsFile(cfg.checkpoint_path, step);
      savePredictions(predictionsFile, res.outputs);
    }
    const arcFiles = res.arc ? writeArcOutputs(cfg.checkpoint_path, step, res.arc) : undefined;
    return { ...res, step, config: cfg, predictionsFile, ...(arcFiles ? { arcFiles } : {}) };
  } finally {
    loader.close();
  }
}
