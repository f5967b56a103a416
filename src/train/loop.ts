/**
 * The training loop, with the reference's semantics (pretrain.py):
 *
 *   total_steps = floor(epochs * total_groups * mean_puzzle_examples / global_batch_size)
 *   for iteration in 0 .. epochs/eval_interval - 1:      (each iteration = eval_interval epochs of data)
 *     for each batch: step += 1; carry = carry or initial; one ACT segment; backward(loss / global_batch);
 *                     lr(step) for both optimizers; step them; log train/* metrics
 *     evaluate the test split; checkpoint (every evaluation, or only at the end)
 *
 * The carry is kept across batches and across iterations, as the reference does. Resume points are
 * written with every checkpoint and, if checkpoint_every_steps > 0, also inside an iteration; one holds
 * everything that determines the rest of the run (weights, optimizer moments, carry, random state, the
 * data position), so a resumed run continues exactly as an uninterrupted one would.
 */
import { readDatasetMetadata, type DatasetMetadata } from '../data/dataset-format.js';
import { PuzzleDataset } from '../data/loader.js';
import { lrAt } from '../optim/schedule.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { ioErrorMessage } from '../util/io-errors.js';
import { Rng } from '../util/random.js';
import { restoreCarry, serializeCarry } from './carry-state.js';
import {
  listSteps,
  loadCheckpoint,
  predsFile,
  removeLeftovers,
  removeSuperseded,
  prepareRunDir,
  runDirFor,
  acquireRunLock,
  releaseRunLock,
  RESUME_FORMAT,
  resumeFile,
  saveCheckpoint,
  savePredictions,
  weightsFile,
  writeJsonAtomic,
  type ResumeMeta,
  type Tensors,
} from './checkpoint.js';
import { testDataPath, totalSteps, type TrainConfig } from './config.js';
import { evaluateAsync } from './evaluate.js';
import { StopRequested, StopSignals, TrainingInterrupted } from './stop-signals.js';
import { arcIdentifiersFor } from '../arc/detect.js';
import { writeArcOutputs } from '../arc/report.js';
import { MetricsLog, readMetrics } from './metrics-log.js';
import { buildModel, buildOptimizers, exportOptimizer, importOptimizer, withEvalWeightsAsync } from './model-bridge.js';
import { loadStateDict, loadStateDictFile, stateDict } from '../io/state-dict.js';
import type { ACTCarry as HRMCarry } from '../models/shared/act.js';
import { ACTLossHead } from '../losses/act-loss-head.js';
import { curvesSvg } from './plot.js';
import { accumulatedStep, chooseMicroBatch, memoryBudgetBytes, peakBytesOf } from './micro-batch.js';
import { TrainProgress } from './train-progress.js';
import { basename, join } from 'node:path';
import { formatEval, type RunSummary } from './summary.js';

export interface TrainOptions {
  cfg: TrainConfig;
  /** continue from this resume point (the cfg must be the run's own all_config.yaml) */
  resume?: { dir: string; step: number };
  /** a fresh run may replace a run folder holding another run (moved aside, never deleted) */
  overwrite?: boolean;
  /** where progress and messages go (default: stderr / stdout) */
  log?: (line: string) => void;
  quiet?: boolean;
  /**
   * stop at the next step on SIGINT/SIGTERM with a TrainingInterrupted naming the last good checkpoint
   * (the CLI sets it; a library caller keeps its own signal handling)
   */
  signals?: boolean;
}

/** Reads both splits' metadata, turning a missing or broken dataset into a clear error up front. */
export function checkDataset(cfg: TrainConfig): { train: DatasetMetadata; test: DatasetMetadata } {
  const where = `data_path=${cfg.data_path}`;
  const read = (split: 'train' | 'test') => {
    try {
      return readDatasetMetadata(cfg.data_path, split);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`${where}: ${e.message}`);
      throw e;
    }
  };
  const train = read('train');
  const testPath = testDataPath(cfg);
  let test: DatasetMetadata;
  try {
    test = readDatasetMetadata(testPath, 'test');
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${testPath === cfg.data_path ? where : `data_paths_test=${testPath}`}: ${e.message}`);
    throw e;
  }
  if (train.seq_len !== test.seq_len || train.vocab_size !== test.vocab_size) {
    throw new UserError(`${where}: train and test splits disagree on seq_len/vocab_size`);
  }
  const steps = totalSteps(cfg, train);
  if (steps < 1) {
    throw new UserError(
      `${where}: only ${train.total_groups} groups x ${train.mean_puzzle_examples} examples for ${cfg.epochs} epochs at global_batch_size=${cfg.global_batch_size}: that is 0 training steps`,
    );
  }
  return { train, test };
}

/** Reduces a training step's metric sums as the reference: losses / global batch, others / count. */
/**
 * Rows per micro-batch: micro_batch_size when given, else the whole batch when one step of it fits the
 * memory budget (memoryBudgetBytes), else the most rows that do, measured by a probe step of two rows on
 * a throwaway copy of the model (its own random numbers: the run's are not touched).
 */
function microBatchFor(cfg: TrainConfig, meta: DatasetMetadata, log: (s: string) => void): number {
  const G = cfg.global_batch_size;
  if (cfg.micro_batch_size > 0) return Math.min(G, cfg.micro_batch_size);
  const probeModel = buildModel(cfg, meta, new Rng(cfg.seed + 1), 'the micro-batch probe');
  try {
    const probeHead = new ACTLossHead(probeModel, cfg.arch.loss.loss_type);
    const S = meta.seq_len;
    const { micro, perRow } = chooseMicroBatch(G, (rows) => peakBytesOf(() => {
      const batch = { inputs: new Int32Array(rows * S), labels: new Int32Array(rows * S), puzzle_identifiers: new Int32Array(rows) };
      const r = probeHead.trainStep(probeModel.initialCarry(rows), batch, { globalBatchSize: rows, logits: false });
      probeModel.disposeCarry(r.carry);
      r.puzzleEmbGrad?.dispose();
    }), memoryBudgetBytes(), process.memoryUsage().rss);
    if (micro < G) {
      const gb = (x: number) => (x / 2 ** 30).toFixed(1);
      log(`micro-batches of ${micro} rows (gradient accumulation): one step of the whole batch of ${G} needs about ${gb(perRow * G)} GB, ` +
        `${gb(memoryBudgetBytes())} GB is the budget (70% of memory); set micro_batch_size=N to choose`);
    }
    return micro;
  } finally {
    for (const [, p] of probeModel.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
    probeModel.dispose();
  }
}

export function reduceTrainMetrics(sums: Record<string, number>, globalBatchSize: number, lr: number): Record<string, number> {
  const count = Math.max(sums.count ?? 0, 1);
  const out: Record<string, number> = {};
  for (const k of Object.keys(sums).sort()) out[`train/${k}`] = sums[k] / (k.endsWith('loss') ? globalBatchSize : count);
  out['train/lr'] = lr;
  return out;
}

export async function train(opts: TrainOptions): Promise<RunSummary> {
  const { cfg } = opts;
  const log = opts.log ?? ((s: string) => console.log(s));
  const meta = checkDataset(cfg);
  const epochsPerIter = cfg.eval_interval ?? cfg.epochs;
  const totalIters = cfg.epochs / epochsPerIter;
  const total = totalSteps(cfg, meta.train);

  const trainData = new PuzzleDataset({
    dataPath: cfg.data_path, split: 'train', globalBatchSize: cfg.global_batch_size, testSetMode: false,
    epochsPerIter, rank: 0, numReplicas: 1, seed: cfg.seed,
  });
  const evalData = new PuzzleDataset({
    dataPath: testDataPath(cfg), split: 'test', globalBatchSize: cfg.global_batch_size, testSetMode: true,
    epochsPerIter: 1, rank: 0, numReplicas: 1, seed: cfg.seed,
  });

  const arcIds = arcIdentifiersFor(cfg.data_path, cfg); // ARC: vote at each evaluation (ARC/pass@K)
  // The model is built before the run folder is made or locked: bad inputs leave no folder behind.
  const dir = opts.resume ? opts.resume.dir : runDirFor(cfg);
  const rng = new Rng(cfg.seed);
  const model = buildModel(cfg, meta.train, rng, join(dir, 'all_config.yaml'));
  // TRM's load_checkpoint: start a new run from these weights (resume= continues a run instead)
  if (cfg.load_checkpoint && !opts.resume) loadStateDictFile(model, cfg.load_checkpoint);
  const head = new ACTLossHead(model, cfg.arch.loss.loss_type);
  const micro = microBatchFor(cfg, meta.train, log);
  const optim = buildOptimizers(model, cfg);
  if (opts.resume) acquireRunLock(dir);
  else prepareRunDir(cfg, { overwrite: opts.overwrite, log });
  const metricsLog = new MetricsLog(join(dir, 'metrics.jsonl'));

  let step = 0;
  let iteration = 0;
  let batchesDone = 0;
  let carry: HRMCarry | null = null;
  let elapsedBefore = 0;
  let lastEval: Record<string, number> | null = null;
  /** the step of the newest resume point if it was one inside an iteration (its weights are not kept) */
  let lastTransient: number | null = null;

  if (opts.resume) {
    removeLeftovers(dir, opts.resume.step);
    const source = weightsFile(dir, opts.resume.step);
    const ck = loadCheckpoint(dir, opts.resume.step);
    checkResumePoint(ck.resume, resumeFile(dir, opts.resume.step), total, totalIters);
    loadStateDict(model, ck.weights, source);
    importOptimizer(optim, ck.state, ck.resume.optimizer_step, source);
    rng.setState(ck.resume.rng);
    if (ck.resume.carry !== null) {
      carry = restoreCarry(model.initialCarry(cfg.global_batch_size), ck.resume.carry as never, ck.state, source) as HRMCarry;
    }
    step = ck.resume.step;
    iteration = ck.resume.iteration;
    batchesDone = ck.resume.batches_done;
    elapsedBefore = ck.resume.elapsed_s;
    lastEval = ck.resume.last_eval;
    lastTransient = ck.resume.transient ? step : null;
    removeSuperseded(dir, ck.resume);
    metricsLog.truncateTo(ck.resume.metrics_bytes);
    log(
      iteration >= totalIters
        ? `${dir} is complete (step ${step}/${total}); nothing to resume`
        : `resuming ${dir} at step ${step}/${total} (iteration ${iteration + 1}/${totalIters}, batch ${batchesDone})`,
    );
  } else {
    log(`run folder: ${dir}`);
  }
  log(
    `training: ${total} steps, ${cfg.epochs} epochs in ${totalIters} iteration(s) of ${epochsPerIter}, global batch ${cfg.global_batch_size}, ` +
      `${meta.train.total_groups} groups x ${meta.train.mean_puzzle_examples} examples; eval on ${Object.values(evalData.setSizes).reduce((a, b) => a + b, 0)} test examples`,
  );

  const progress = new TrainProgress('train', total, step, { silent: opts.quiet });
  const startTime = Date.now();
  const elapsed = () => elapsedBefore + (Date.now() - startTime) / 1000;
  let stepsThisSession = 0;
  let lastFlush = Date.now();

  /**
   * Writes step_N.safetensors and its resume sidecar for the state right now; training continues at
   * batch `at.batches` of iteration `at.iteration`.
   */
  const checkpoint = (transient: boolean, at: { iteration: number; batches: number }) => {
    metricsLog.flush(true);
    const state: Tensors = new Map();
    const optimizerStep = exportOptimizer(optim, state);
    const carrySkeleton = carry === null ? null : serializeCarry(carry, state);
    saveCheckpoint(
      dir,
      {
        weights: stateDict(model),
        emaWeights: optim.ema ? optim.ema.withShadow(() => stateDict(model)) : undefined,
        state,
        resume: {
          format: RESUME_FORMAT, step, total_steps: total, iteration: at.iteration, batches_done: at.batches,
          rng: rng.getState(), optimizer_step: optimizerStep, metrics_bytes: metricsLog.size(), carry: carrySkeleton,
          elapsed_s: elapsed(), last_eval: lastEval, transient, supersedes: lastTransient,
        },
      },
      cfg.keep_checkpoints,
    );
    lastTransient = transient ? step : null;
  };

  const lastGood = () => {
    const good = listSteps(dir).filter((s) => s.resume).pop();
    return good ? `the last good checkpoint is ${weightsFile(dir, good.step)} (resume=${dir} continues from it)` : 'no checkpoint had been written yet';
  };

  const refreshPlot = () => {
    metricsLog.flush();
    writeFileAtomic(join(dir, 'curves.svg'), curvesSvg(readMetrics(metricsLog.path), `${cfg.project_name} / ${cfg.run_name ?? basename(dir)}`));
  };

  const stop = opts.signals ? new StopSignals() : null;
  try {
    for (; iteration < totalIters; iteration++) {
      let b = 0;
      for (const { batch } of trainData.iterate(iteration)) {
        if (b++ < batchesDone) continue; // resuming inside this iteration: skip what is done
        if (step >= total) break;
        step++;
        batchesDone++;
        const r = accumulatedStep(head, carry ?? model.initialCarry(cfg.global_batch_size), batch, cfg.global_batch_size, micro);
        carry = r.carry;
        // Checked before the optimizers move: the weights stay those of the last good step.
        if (!Number.isFinite(r.loss)) throw new NonFiniteLoss(step, r.metrics);
        const lr = lrAt(step, cfg.lr, cfg.lr_warmup_steps, total, cfg.lr_min_ratio);
        if (!cfg.freeze_weights) optim.adam.step(lr);
        if (optim.puzzleEmb) optim.puzzleEmb.step(lrAt(step, cfg.puzzle_emb_lr, cfg.lr_warmup_steps, total, cfg.lr_min_ratio), r.puzzleEmbGrad, r.puzzleEmbIds);
        optim.adam.zeroGrad();
        optim.ema?.update();
        const sums = r.metrics;
        const reduced = reduceTrainMetrics(sums, cfg.global_batch_size, lr);
        metricsLog.append({ step, kind: 'train', ...reduced });
        if (Date.now() - lastFlush > 10_000) {
          metricsLog.flush();
          lastFlush = Date.now();
        }
        stepsThisSession++;
        progress.show(step, reduced);
        if (cfg.checkpoint_every_steps > 0 && step % cfg.checkpoint_every_steps === 0 && step < total) {
          checkpoint(true, { iteration, batches: batchesDone });
        }
        await stop?.check();
      }
      batchesDone = 0;
      // The reference keeps looping (and evaluating the same weights) once total_steps is reached; we stop.
      const atEnd = iteration === totalIters - 1 || step >= total;

      // Evaluation after every iteration (from min_eval_interval on), then the checkpoint (also the resume point).
      progress.pause();
      if (iteration < (cfg.min_eval_interval ?? 0) && !atEnd) {
        if (cfg.checkpoint_every_eval) checkpoint(false, { iteration: iteration + 1, batches: 0 });
        continue;
      }
      const ev = await withEvalWeightsAsync(optim, () =>
        evaluateAsync(model, evalData, cfg.eval_save_outputs, async () => stop?.check(), { arcIdentifiers: arcIds }));
      const flat: Record<string, number> = {};
      for (const [set, m] of Object.entries(ev.sets)) for (const [k, v] of Object.entries(m)) flat[`${set}/${k}`] = v;
      lastEval = flat;
      metricsLog.append({ step, kind: 'eval', epoch: (iteration + 1) * epochsPerIter, ...flat });
      log(`eval @ step ${step} (epoch ${(iteration + 1) * epochsPerIter}, ${ev.seconds.toFixed(1)}s): ${formatEval(ev.sets)}`);
      if (ev.outputs) savePredictions(predsFile(dir, step), ev.outputs);
      if (ev.arc) writeArcOutputs(dir, step, ev.arc);
      refreshPlot();
      // The resume point after an evaluation continues with the next iteration.
      if (cfg.checkpoint_every_eval || atEnd) checkpoint(false, { iteration: iteration + 1, batches: 0 });
      if (atEnd) break;
    }
  } catch (e) {
    progress.pause();
    if (e instanceof StopRequested) {
      throw new TrainingInterrupted(e.signal, `interrupted (${e.signal}) at step ${step}; training stopped; ${lastGood()}`);
    }
    if (e instanceof NonFiniteLoss) {
      metricsLog.flush();
      refreshPlot();
      throw new UserError(
        `non-finite loss at step ${e.step} (${Object.entries(e.metrics).filter(([k]) => k.endsWith('loss')).map(([k, v]) => `${k}=${v}`).join(', ')}); ` +
          `training stopped; ${lastGood()}. A lower lr or a longer warmup (lr_warmup_steps) usually helps.`,
      );
    }
    const io = ioErrorMessage(e);
    if (io !== null) throw new UserError(`${io}; training stopped; ${lastGood()}`);
    throw e;
  } finally {
    stop?.dispose();
    progress.finish();
    try {
      metricsLog.flush();
    } catch {
      // the disk that failed above may fail here too; the resume point keeps the log's length
    }
    trainData.close();
    evalData.close();
  }

  const seconds = elapsed();
  const summary: RunSummary = {
    run_dir: dir,
    steps: step,
    total_steps: total,
    seconds,
    steps_per_second: stepsThisSession / Math.max(1e-9, (Date.now() - startTime) / 1000),
    final_checkpoint: weightsFile(dir, step),
    eval: lastEval ?? {},
  };
  writeJsonAtomic(join(dir, 'summary.json'), summary);
  releaseRunLock(dir);
  if (carry) model.disposeCarry(carry);
  optim.adam.dispose();
  optim.ema?.dispose();
  return summary;
}

/**
 * A resume point's metadata against the run it continues: the configuration and dataset give the
 * same number of steps and iterations it was made for (a damaged sidecar must not report the run
 * finished, or continue it past its end).
 */
function checkResumePoint(r: ResumeMeta, file: string, total: number, totalIters: number): void {
  if (r.total_steps !== total) {
    throw new UserError(`${file}: resume metadata 'total_steps' is ${r.total_steps}, but the run's configuration and dataset give ${total} (a different dataset at data_path?)`);
  }
  if (r.iteration > totalIters) throw new UserError(`${file}: resume metadata 'iteration' is ${r.iteration}, past the run's ${totalIters} iteration(s)`);
  if (r.iteration === totalIters && r.batches_done !== 0) throw new UserError(`${file}: resume metadata 'batches_done' is ${r.batches_done} after the run's last iteration`);
}

class NonFiniteLoss extends Error {
  constructor(readonly step: number, readonly metrics: Record<string, number>) {
    super(`non-finite loss at step ${step}`);
  }
}
