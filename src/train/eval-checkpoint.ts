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
import { readDatasetMetadata } from '../data/dataset-format.js';
import { ioErrorMessage, makeFolders } from '../util/io-errors.js';
import { buildModel } from './model-bridge.js';

/** The reference's EvalConfig default for save_outputs. */
export const DEFAULT_SAVE_OUTPUTS = ['inputs', 'labels', 'puzzle_identifiers', 'logits', 'q_halt_logits', 'q_continue_logits'];

export interface EvalCheckpointOptions {
  checkpoint: string;
  saveOutputs?: string[];
  /** overrides applied to the run's config (data_path, global_batch_size) */
  adjust?: (cfg: TrainConfig) => void;
  /** where step_N_all_preds.safetensors goes (default: the checkpoint's folder) */
  outputDir?: string;
}

export interface EvalCheckpointResult extends EvalResult {
  step: number;
  config: TrainConfig;
  predictionsFile: string | null;
  /** why the outputs could not be saved (the metrics are complete); null when saved or none asked */
  saveError: string | null;
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
  // Only the test split is read: evaluation needs nothing else (its dataset.json carries the same
  // vocab_size, seq_len and num_puzzle_identifiers as the train split's in the reference's builders).
  let meta;
  try {
    meta = readDatasetMetadata(cfg.data_path, 'test');
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`data_path=${cfg.data_path}: ${e.message}`);
    throw e;
  }
  const model = buildModel(cfg, meta, new Rng(cfg.seed), cfgPath);
  loadStateDictFile(model, ckpt);
  const loader = new PuzzleDataset({
    dataPath: cfg.data_path, split: 'test', globalBatchSize: cfg.global_batch_size, testSetMode: true,
    epochsPerIter: 1, rank: 0, numReplicas: 1, seed: cfg.seed,
  });
  try {
    const step = stepFromFileName(ckpt);
    const res = evaluate(model, loader, cfg.eval_save_outputs);
    let predictionsFile: string | null = null;
    let saveError: string | null = null;
    if (res.outputs) {
      // A failure to save (a read-only run folder, a full disk) must not lose the metrics.
      const file = predsFile(opts.outputDir ?? cfg.checkpoint_path, step);
      try {
        if (opts.outputDir) makeFolders(opts.outputDir);
        savePredictions(file, res.outputs);
        predictionsFile = file;
      } catch (e) {
        saveError = ioErrorMessage(e);
        if (saveError === null) throw e;
      }
    }
    return { ...res, step, config: cfg, predictionsFile, saveError };
  } finally {
    loader.close();
  }
}
