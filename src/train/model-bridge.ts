/**
 * Where the trainer meets the model: building the model that `arch.name` names (src/models/registry.ts)
 * from the training config and a dataset's metadata, its optimizers (AdamATan2 for the parameters,
 * SignSGD for the puzzle-embedding rows, the EMA of the weights when `ema` is on), and moving their
 * state in and out of a checkpoint. The trainer sees only `ReasoningModel`.
 */
import type { DatasetMetadata } from '../data/dataset-format.js';
import { toFloat32 } from '../io/safetensors.js';
import type { HRMConfig } from '../models/hrm/config.js';
import { lookupModel, type ReasoningModel } from '../models/registry.js';
import { AdamATan2 } from '../optim/adam-atan2.js';
import { EMA } from '../optim/ema.js';
import { SparseSignSGD } from '../optim/sign-sgd.js';
import type { Rng } from '../util/random.js';
import type { LoadedTensors, Tensors } from './checkpoint.js';
import { modelKeys, type TrainConfig } from './config.js';

export type { ReasoningModel };

/** The model's own configuration (its registry schema) for this run and dataset. */
export function modelConfigFor(cfg: TrainConfig, meta: DatasetMetadata, source: string) {
  return lookupModel(cfg.arch.name, source).parseConfig(
    modelKeys(cfg, { seq_len: meta.seq_len, vocab_size: meta.vocab_size, num_puzzle_identifiers: meta.num_puzzle_identifiers }),
    source,
  );
}

/** HRM's configuration (for HRM-only callers; other models: modelConfigFor). */
export function hrmConfigFor(cfg: TrainConfig, meta: DatasetMetadata, source: string): HRMConfig {
  return modelConfigFor(cfg, meta, source) as HRMConfig;
}

export function buildModel(cfg: TrainConfig, meta: DatasetMetadata, rng: Rng, source: string): ReasoningModel {
  return lookupModel(cfg.arch.name, source).build(modelConfigFor(cfg, meta, source), rng);
}

export interface Optimizers {
  adam: AdamATan2;
  puzzleEmb: SparseSignSGD | null;
  /** the EMA of the weights (`ema: true`), updated after every optimizer step */
  ema: EMA | null;
}

export function buildOptimizers(model: ReasoningModel, cfg: TrainConfig): Optimizers {
  const adam = new AdamATan2(model.parameters(), { betas: [cfg.beta1, cfg.beta2], weightDecay: cfg.weight_decay });
  const table = model.puzzleEmb;
  return {
    adam,
    puzzleEmb: table ? new SparseSignSGD(table, cfg.puzzle_emb_weight_decay) : null,
    ema: cfg.ema ? new EMA(model.parameters(), cfg.ema_rate) : null,
  };
}

/**
 * Adds the AdamATan2 moments to `out` as `optim/m/<name>`, `optim/v/<name>` and the EMA weights as
 * `ema/<name>`; returns the optimizer's step count.
 */
export function exportOptimizer(opt: Optimizers, out: Tensors): number {
  const st = opt.adam.state();
  for (const [which, rec] of [['m', st.m], ['v', st.v]] as const) {
    for (const [name, a] of Object.entries(rec)) out.set(`optim/${which}/${name}`, { data: a, shape: [a.length] });
  }
  if (opt.ema) for (const [name, a] of Object.entries(opt.ema.state())) out.set(`ema/${name}`, { data: a, shape: [a.length] });
  return st.step;
}

export function importOptimizer(opt: Optimizers, saved: LoadedTensors, step: number, source: string): void {
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  const ema: Record<string, Float32Array> = {};
  for (const [key, t] of saved) {
    const mm = /^optim\/(m|v)\/(.+)$/.exec(key);
    if (mm) (mm[1] === 'm' ? m : v)[mm[2]] = toFloat32(t);
    const me = /^ema\/(.+)$/.exec(key);
    if (me) ema[me[1]] = toFloat32(t);
  }
  opt.adam.loadState({ step, m, v }, source);
  if (opt.ema) opt.ema.loadState(ema, source);
}

/** Runs `fn` on the weights evaluation uses: the EMA's when there is one. */
export function withEvalWeights<T>(opt: Optimizers, fn: () => T): T {
  return opt.ema ? opt.ema.withShadow(fn) : fn();
}

/** withEvalWeights for an asynchronous `fn`. */
export function withEvalWeightsAsync<T>(opt: Optimizers, fn: () => Promise<T>): Promise<T> {
  return opt.ema ? opt.ema.withShadowAsync(fn) : fn();
}
