/**
 * Evaluating a saved checkpoint, like the reference's evaluate.py: the configuration comes from the
 * run's all_config.yaml next to the checkpoint, the weights from step_N.safetensors (ours, or the
 * reference's state dict converted to safetensors; a `_orig_mod.` prefix is accepted) or from a
 * reference checkpoint folder as published (`checkpoint` torch zip + all_config.yaml, read by
 * src/io/torch-checkpoint.ts), the step from the file name. Outputs named in save_outputs go to `step_N_all_preds.safetensors` beside it.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { PuzzleDataset } from '../data/loader.js';
import { loadStateDict } from '../io/state-dict.js';
import { locateModel, readInferenceWeights, readModelSpec } from './load.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { lookupModel } from '../models/registry.js';
import { assertPredictionsWritable, predsFile, savePredictions, stepFromFileName } from '../train/checkpoint.js';
import { finalizeConfig, readRunConfig, type TrainConfig } from '../train/config.js';
import { evaluate, type EvalResult } from '../train/evaluate.js';
import { readDatasetMetadata } from '../data/dataset-format.js';
import { ioErrorMessage, makeFolders, pathKind } from '../util/io-errors.js';
import { buildModel } from '../train/model-bridge.js';
import { arcIdentifiersFor } from '../arc/detect.js';
import { writeArcOutputs, type ArcOutputFiles } from '../arc/report.js';
import { arcOutputPaths, assertArcOutputsWritable } from '../arc/output-files.js';

/** The reference's EvalConfig default for save_outputs. */
export const DEFAULT_SAVE_OUTPUTS = ['inputs', 'labels', 'puzzle_identifiers', 'logits', 'q_halt_logits', 'q_continue_logits'];
/** ARC's default: preds instead of logits (what voting reads, 12x smaller than [rows, 900, 12] logits). */
export const ARC_DEFAULT_SAVE_OUTPUTS = ['inputs', 'labels', 'puzzle_identifiers', 'preds', 'q_halt_logits', 'q_continue_logits'];

export interface EvalCheckpointOptions {
  checkpoint: string;
  saveOutputs?: string[];
  /** overrides applied to the run's config (data_path, global_batch_size) */
  adjust?: (cfg: TrainConfig) => void;
  /** where step_N_all_preds.safetensors goes (default: the checkpoint's folder) */
  outputDir?: string;
  /** evaluate step_N.safetensors itself even when its EMA weights (step_N.ema.safetensors) are there */
  rawWeights?: boolean;
}

export interface EvalCheckpointResult extends EvalResult {
  step: number;
  config: TrainConfig;
  predictionsFile: string | null;
  /** ARC datasets: submission.json, arc_votes.json, arc_report.html in the checkpoint's folder */
  arcFiles?: ArcOutputFiles;
  /** why the outputs could not be saved (the metrics are complete); null when saved or none asked */
  saveError: string | null;
  /** the weights file evaluated (the EMA's when the run kept one) */
  weightsFile: string;
}

export function evaluateCheckpoint(opts: EvalCheckpointOptions): EvalCheckpointResult {
  const ckpt = opts.checkpoint;
  const kind = pathKind(ckpt);
  if (kind === null) throw new UserError(`checkpoint=${ckpt}: no such file`);
  const isDir = kind === 'dir';
  const cfgPath = isDir ? join(ckpt, 'all_config.yaml') : join(dirname(ckpt), 'all_config.yaml');
  if (pathKind(cfgPath) === null) throw new UserError(`checkpoint=${ckpt}: no all_config.yaml ${isDir ? 'in it' : 'next to it'} (${cfgPath}); evaluation needs the run's configuration`);
  // a reference checkpoint folder (or its `checkpoint` torch zip), a run folder or a step_N.safetensors
  const files = locateModel(ckpt);
  const cfg = readRunConfig(cfgPath);
  // a run trained with ema evaluates its EMA weights (step_N.ema.safetensors beside step_N.safetensors)
  const { weights, file: weightsUsed } = readInferenceWeights(files, opts.rawWeights);
  if (lookupModel(cfg.arch.name, cfgPath).key === 'hrm_v1') {
    // sizes the weights fix (a published all_config.yaml may lack some) go into the configuration
    const spec = readModelSpec(files, weights, { check: false }); // loadStateDict below checks them
    const { hidden_size, H_layers, L_layers, expansion, puzzle_emb_ndim, pos_encodings } = spec.arch;
    Object.assign(cfg.arch, { hidden_size, H_layers, L_layers, expansion, puzzle_emb_ndim, pos_encodings });
  }
  cfg.checkpoint_path = dirname(files.weights);
  const runDataPath = cfg.data_path;
  opts.adjust?.(cfg);
  if (cfg.data_path === runDataPath && pathKind(cfg.data_path) === null) {
    throw new UserError(
      `${cfgPath}: data_path '${cfg.data_path}' is not there${isAbsolute(cfg.data_path) ? '' : ' (relative: looked for from the current folder, the run folder and the folders above it)'}; give data_path=DIR`,
    );
  }
  const arcIds = arcIdentifiersFor(cfg.data_path, cfg);
  cfg.eval_save_outputs = opts.saveOutputs ?? (arcIds ? ARC_DEFAULT_SAVE_OUTPUTS : DEFAULT_SAVE_OUTPUTS);
  finalizeConfig(cfg, cfgPath);
  // A user's file where the outputs go stops the evaluation before it spends its time.
  const outDir = opts.outputDir ?? cfg.checkpoint_path;
  if (cfg.eval_save_outputs.length > 0) assertPredictionsWritable(predsFile(outDir, stepFromFileName(files.weights)));
  if (arcIds) assertArcOutputsWritable(arcOutputPaths(outDir), 'move it away first, or write elsewhere with output_dir=DIR');
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
  loadStateDict(model, weights, weightsUsed);
  const loader = new PuzzleDataset({
    dataPath: cfg.data_path, split: 'test', globalBatchSize: cfg.global_batch_size, testSetMode: true,
    epochsPerIter: 1, rank: 0, numReplicas: 1, seed: cfg.seed,
  });
  try {
    const step = stepFromFileName(files.weights);
    const res = evaluate(model, loader, cfg.eval_save_outputs, undefined, { arcIdentifiers: arcIds });
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
    const arcFiles = res.arc ? writeArcOutputs(opts.outputDir ?? cfg.checkpoint_path, step, res.arc) : undefined;
    return { ...res, step, config: cfg, predictionsFile, saveError, weightsFile: weightsUsed, ...(arcFiles ? { arcFiles } : {}) };
  } finally {
    loader.close();
  }
}
