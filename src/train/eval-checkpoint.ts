/**
 * Evaluating a saved checkpoint, like the reference's evaluate.py: the configuration comes from the
 * run's all_config.yaml next to the checkpoint, the weights from step_N.safetensors (ours, or the
 * reference's state dict converted to safetensors; a `_orig_mod.` prefix is accepted), the step from
 * the file name. Outputs named in save_outputs go to `step_N_all_preds.safetensors` beside it.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PuzzleDataset } from '../data/loader.js';
import { loadStateDictFile } from '../models/hrm/state-dict.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { emaWeightsFile, predsFile, savePredictions, stepFromFileName } from './checkpoint.js';
import { finalizeConfig, readRunConfig, type TrainConfig } from './config.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { checkDataset } from './loop.js';
import { buildModel } from './model-bridge.js';

/** The reference's EvalConfig default for save_outputs. */
export const DEFAULT_SAVE_OUTPUTS = ['inputs', 'labels', 'puzzle_identifiers', 'logits', 'q_halt_logits', 'q_continue_logits'];

export interface EvalCheckpointOptions {
  checkpoint: string;
  saveOutputs?: string[];
  /** overrides applied to the run's config (data_path, global_batch_size) */
  adjust?: (cfg: TrainConfig) => void;
  /** evaluate step_N.safetensors itself even when its EMA weights (step_N.ema.safetensors) are there */
  rawWeights?: boolean;
}

export interface EvalCheckpointResult extends EvalResult {
  step: number;
  config: TrainConfig;
  predictionsFile: string | null;
  /** the weights file evaluated (the EMA's when the run kept one) */
  weightsFile: string;
}

export function evaluateCheckpoint(opts: EvalCheckpointOptions): EvalCheckpointResult {
  const ckpt = opts.checkpoint;
  if (!existsSync(ckpt)) throw new UserError(`checkpoint=${ckpt}: no such file`);
  const cfgPath = join(dirname(ckpt), 'all_config.yaml');
  if (!existsSync(cfgPath)) throw new UserError(`checkpoint=${ckpt}: no all_config.yaml next to it (${cfgPath}); evaluation needs the run's configuration`);
  const cfg = readRunConfig(cfgPath);
  cfg.eval_save_outputs = opts.saveOutputs ?? DEFAULT_SAVE_OUTPUTS;
  cfg.checkpoint_path = dirname(ckpt);
  opts.adjust?.(cfg);
  finalizeConfig(cfg, cfgPath);
  // The model's puzzle-identifier table is sized by the train split, as in the reference.
  const meta = checkDataset(cfg);
  const model = buildModel(cfg, meta.train, new Rng(cfg.seed), cfgPath);
  // a run trained with ema evaluates its EMA weights (step_N.ema.safetensors beside step_N.safetensors)
  const m = /^step_(\d+)\.safetensors$/.exec(basename(ckpt));
  const ema = m && !opts.rawWeights ? emaWeightsFile(dirname(ckpt), Number(m[1])) : null;
  const weightsUsed = ema && existsSync(ema) ? ema : ckpt;
  loadStateDictFile(model, weightsUsed);
  const loader = new PuzzleDataset({
    dataPath: cfg.data_path, split: 'test', globalBatchSize: cfg.global_batch_size, testSetMode: true,
    epochsPerIter: 1, rank: 0, numReplicas: 1, seed: cfg.seed,
  });
  try {
    const step = stepFromFileName(ckpt);
    const res = evaluate(model, loader, cfg.eval_save_outputs);
    let predictionsFile: string | null = null;
    if (res.outputs) {
      predictionsFile = predsFile(cfg.checkpoint_path, step);
      savePredictions(predictionsFile, res.outputs);
    }
    return { ...res, step, config: cfg, predictionsFile, weightsFile: weightsUsed };
  } finally {
    loader.close();
  }
}
