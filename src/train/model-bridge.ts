/**
 * Where the trainer meets the model: building an HRM from the training config and a dataset's
 * metadata, its two optimizers (AdamATan2 for the parameters, SignSGD for the puzzle-embedding rows),
 * and moving the optimizer state in and out of a checkpoint.
 */
import type { DatasetMetadata } from '../data/dataset-format.js';
import { toFloat32 } from '../io/safetensors.js';
import { HRM } from '../models/hrm/act.js';
import { parseHRMConfig, type HRMConfig } from '../models/hrm/config.js';
import { AdamATan2 } from '../optim/adam-atan2.js';
import { SparseSignSGD } from '../optim/sign-sgd.js';
import type { Rng } from '../util/random.js';
import type { LoadedTensors, Tensors } from './checkpoint.js';
import type { TrainConfig } from './config.js';

export function hrmConfigFor(cfg: TrainConfig, meta: DatasetMetadata, source: string): HRMConfig {
  const { name: _name, loss, ...arch } = cfg.arch;
  return parseHRMConfig(
    {
      ...arch,
      loss_type: loss.loss_type,
      batch_size: cfg.global_batch_size,
      seq_len: meta.seq_len,
      vocab_size: meta.vocab_size,
      num_puzzle_identifiers: meta.num_puzzle_identifiers,
    },
    source,
  );
}

export function buildModel(cfg: TrainConfig, meta: DatasetMetadata, rng: Rng, source: string): HRM {
  return new HRM(hrmConfigFor(cfg, meta, source), rng);
}

export interface Optimizers {
  adam: AdamATan2;
  puzzleEmb: SparseSignSGD | null;
}

export function buildOptimizers(model: HRM, cfg: TrainConfig): Optimizers {
  const adam = new AdamATan2(model.parameters(), { betas: [cfg.beta1, cfg.beta2], weightDecay: cfg.weight_decay });
  const table = model.puzzleEmb;
  return { adam, puzzleEmb: table ? new SparseSignSGD(table, cfg.puzzle_emb_weight_decay) : null };
}

/** Adds the AdamATan2 moments to `out` as `optim/m/<name>`, `optim/v/<name>`; returns its step count. */
export function exportOptimizer(opt: Optimizers, out: Tensors): number {
  const st = opt.adam.state();
  for (const [which, rec] of [['m', st.m], ['v', st.v]] as const) {
    for (const [name, a] of Object.entries(rec)) out.set(`optim/${which}/${name}`, { data: a, shape: [a.length] });
  }
  return st.step;
}

export function importOptimizer(opt: Optimizers, saved: LoadedTensors, step: number, source: string): void {
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const [key, t] of saved) {
    const mm = /^optim\/(m|v)\/(.+)$/.exec(key);
    if (mm) (mm[1] === 'm' ? m : v)[mm[2]] = toFloat32(t);
  }
  opt.adam.loadState({ step, m, v }, source);
}
