/**
 * The model registry: `arch.name` -> { parseConfig, build } and the architecture defaults that
 * `arch=<name>` selects (as the reference's and TRM's `config/arch/<name>.yaml`). The trainer, evaluator,
 * checkpoint code and CLI see only `ReasoningModel` (src/models/shared/act.ts's ACTModel: initial carry,
 * a segment step for training and evaluation, the named state), never a model's own types.
 * A new model is a folder plus one entry here.
 */
import { UserError } from '../util/errors.js';
import type { Rng } from '../util/random.js';
import { BASELINE_SCHEMA, parseBaselineConfig } from './baseline/config.js';
import { TransformerBaseline } from './baseline/model.js';
import { HRM } from './hrm/act.js';
import { HRM_DEFAULTS, parseHRMConfig } from './hrm/config.js';
import type { ACTConfig, ACTModel, RecurrentInner } from './shared/act.js';
import type { KeySpec } from './shared/config-schema.js';
import { parseTRMConfig, TRM_SCHEMA } from './trm/config.js';
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

/** The order all_config.yaml lists a model's `arch` keys in (the reference's and TRM's yaml order). */
const ARCH_KEY_ORDER = [
  'halt_exploration_prob', 'halt_max_steps', 'H_cycles', 'L_cycles', 'H_layers', 'L_layers', 'hidden_size', 'num_heads',
  'expansion', 'puzzle_emb_ndim', 'pos_encodings', 'rms_norm_eps', 'rope_theta', 'forward_dtype', 'mlp_t', 'puzzle_emb_len',
  'no_ACT_continue',
];

/**
 * A model's `arch` defaults for the train config, taken from its own parser's defaults (one place per
 * model): the loss head's keys, then every defaulted key in the yaml order; puzzle_emb_ndim null (=
 * hidden_size, filled in when the run's config is finalised).
 */
function archDefaultsOf(defaults: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { loss: LOSS };
  for (const k of ARCH_KEY_ORDER) {
    if (k === 'puzzle_emb_ndim') out[k] = null;
    else if (defaults[k] !== undefined) out[k] = defaults[k];
  }
  return out;
}

function schemaDefaults(schema: Record<string, KeySpec>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schema).flatMap(([k, spec]) => ('def' in spec ? [[k, spec.def]] : [])));
}

export const MODELS: ModelEntry[] = [
  {
    key: 'hrm_v1',
    canonical: 'hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1',
    names: ['hrm_v1', 'hrm', 'hrm_act_v1', 'hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1'],
    parseConfig: parseHRMConfig,
    build: (c, rng) => new HRM(c as ReturnType<typeof parseHRMConfig>, rng) as unknown as ReasoningModel,
    archDefaults: archDefaultsOf({ ...HRM_DEFAULTS, forward_dtype: 'float32' }),
  },
  {
    key: 'trm',
    canonical: 'recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1',
    names: ['trm', 'recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1', 'trm@TinyRecursiveReasoningModel_ACTV1'],
    parseConfig: parseTRMConfig,
    build: (c, rng) => new TRM(c as ReturnType<typeof parseTRMConfig>, rng) as unknown as ReasoningModel,
    archDefaults: archDefaultsOf(schemaDefaults(TRM_SCHEMA)),
  },
  {
    key: 'transformers_baseline',
    canonical: 'recursive_reasoning.transformers_baseline@Model_ACTV2',
    names: ['transformers_baseline', 'baseline', 'recursive_reasoning.transformers_baseline@Model_ACTV2', 'transformers_baseline@Model_ACTV2'],
    parseConfig: parseBaselineConfig,
    build: (c, rng) => new TransformerBaseline(c as ReturnType<typeof parseBaselineConfig>, rng) as unknown as ReasoningModel,
    archDefaults: archDefaultsOf(schemaDefaults(BASELINE_SCHEMA)),
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
