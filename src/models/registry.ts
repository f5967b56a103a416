/**
 * The model registry: `arch.name` -> { parseConfig, build } and the architecture defaults that
 * `arch=<name>` selects (as the reference's and TRM's `config/arch/<name>.yaml`). The trainer, evaluator,
 * checkpoint code and CLI see only `ReasoningModel` (src/models/shared/act.ts's ACTModel: initial carry,
 * a segment step for training and evaluation, the named state), never a model's own types.
 * A new model is a folder plus one entry here.
 */
import { UserError } from '../util/errors.js';
import type { Rng } from '../util/random.js';
import { parseBaselineConfig } from './baseline/config.js';
import { TransformerBaseline } from './baseline/model.js';
import { HRM } from './hrm/act.js';
import { parseHRMConfig } from './hrm/config.js';
import type { ACTConfig, ACTModel, RecurrentInner } from './shared/act.js';
import { parseTRMConfig } from './trm/config.js';
import { TRM } from './trm/model.js';

/** What the trainer, evaluator and CLI use of a model. */
export type ReasoningModel = ACTModel<ACTConfig, RecurrentInner>;

export interface ModelEntry {
  /** short name (`arch=<key>`) */
  key: string;
  /** the upstream `arch.name` written to all_config.yaml */
  canonical: string;
  /** every accepted spelling of arch.name */
  names: string[];
  parseConfig(obj: unknown, source: string): ACTConfig;
  build(config: ACTConfig, rng: Rng): ReasoningModel;
  /** the train config's `arch` keys this model starts from (puzzle_emb_ndim null = hidden_size) */
  archDefaults: Record<string, unknown>;
}

const LOSS = { name: 'losses@ACTLossHead', loss_type: 'stablemax_cross_entropy' };

export const MODELS: ModelEntry[] = [
  {
    key: 'hrm_v1',
    canonical: 'hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1',
    names: ['hrm_v1', 'hrm', 'hrm_act_v1', 'hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1'],
    parseConfig: parseHRMConfig,
    build: (c, rng) => new HRM(c as ReturnType<typeof parseHRMConfig>, rng) as unknown as ReasoningModel,
    archDefaults: {
      loss: LOSS, halt_exploration_prob: 0.1, halt_max_steps: 16, H_cycles: 2, L_cycles: 2, H_layers: 4, L_layers: 4,
      hidden_size: 512, num_heads: 8, expansion: 4, puzzle_emb_ndim: null, pos_encodings: 'rope', rms_norm_eps: 1e-5,
      rope_theta: 10000, forward_dtype: 'float32',
    },
  },
  {
    key: 'trm',
    canonical: 'recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1',
    names: ['trm', 'recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1', 'trm@TinyRecursiveReasoningModel_ACTV1'],
    parseConfig: parseTRMConfig,
    build: (c, rng) => new TRM(c as ReturnType<typeof parseTRMConfig>, rng) as unknown as ReasoningModel,
    archDefaults: {
      loss: LOSS, halt_exploration_prob: 0.1, halt_max_steps: 16, H_cycles: 3, L_cycles: 6, H_layers: 0, L_layers: 2,
      hidden_size: 512, num_heads: 8, expansion: 4, puzzle_emb_ndim: null, pos_encodings: 'rope', rms_norm_eps: 1e-5,
      rope_theta: 10000, forward_dtype: 'bfloat16', mlp_t: false, puzzle_emb_len: 16, no_ACT_continue: true,
    },
  },
  {
    key: 'transformers_baseline',
    canonical: 'recursive_reasoning.transformers_baseline@Model_ACTV2',
    names: ['transformers_baseline', 'baseline', 'recursive_reasoning.transformers_baseline@Model_ACTV2', 'transformers_baseline@Model_ACTV2'],
    parseConfig: parseBaselineConfig,
    build: (c, rng) => new TransformerBaseline(c as ReturnType<typeof parseBaselineConfig>, rng) as unknown as ReasoningModel,
    archDefaults: {
      loss: LOSS, halt_exploration_prob: 0.1, halt_max_steps: 16, H_cycles: 1, L_cycles: 1, H_layers: 8, L_layers: 0,
      hidden_size: 512, num_heads: 12, expansion: 4, puzzle_emb_ndim: null, pos_encodings: 'rope', rms_norm_eps: 1e-5,
      rope_theta: 10000, forward_dtype: 'bfloat16', puzzle_emb_len: 0, no_ACT_continue: false,
    },
  },
];

/** The entry for an `arch.name` (any accepted spelling); `where` names the source in the error. */
export function lookupModel(name: string, where = 'config'): ModelEntry {
  const e = MODELS.find((m) => m.names.includes(name));
  if (!e) {
    throw new UserError(`${where}: arch.name '${name}' is not a known model (known: ${MODELS.map((m) => `${m.key} = ${m.canonical}`).join('; ')})`);
  }
  return e;
}

/** Parses `obj` with the model's own schema and builds it. */
export function buildRegisteredModel(name: string, obj: unknown, rng: Rng, source: string): ReasoningModel {
  const e = lookupModel(name, source);
  return e.build(e.parseConfig(obj, source), rng);
}
