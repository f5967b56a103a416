/**
 * TRM's model configuration (`recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1`, its
 * `config/arch/trm.yaml` defaults), validated by the shared schema parser. H_layers is accepted and
 * ignored (TRM has one network, L_level).
 */
import { COMPUTE_DTYPES } from '../../engine/dtype.js';
import { checkGrid, checkHeads, checkPuzzleEmbFits, DATA_KEYS, parseLossType, parseWithSchema, withPuzzleEmbDefault, type KeySpec, type SchemaModelConfig } from '../shared/config-schema.js';

export interface TRMConfig extends SchemaModelConfig {
  /** a SwiGLU across the sequence axis instead of attention */
  mlp_t: boolean;
}

export const TRM_SCHEMA: Record<string, KeySpec> = {
  ...DATA_KEYS,
  hidden_size: { t: 'int', min: 1, def: 512 },
  num_heads: { t: 'int', min: 1, def: 8 },
  expansion: { t: 'float', positive: true, def: 4 },
  H_layers: { t: 'int', min: 0, def: 0 },
  L_layers: { t: 'int', min: 1, def: 2 },
  H_cycles: { t: 'int', min: 1, def: 3 },
  L_cycles: { t: 'int', min: 1, def: 6 },
  halt_max_steps: { t: 'int', min: 1, def: 16 },
  halt_exploration_prob: { t: 'float', min: 0, max: 1, def: 0.1 },
  pos_encodings: { t: 'enum', of: ['rope', 'rope_2d', 'learned', 'none'], def: 'rope' },
  puzzle_emb_ndim: { t: 'int', min: 0 }, // default hidden_size, filled below
  puzzle_emb_len: { t: 'int', min: 0, def: 16 },
  mlp_t: { t: 'bool', def: false },
  no_ACT_continue: { t: 'bool', def: true },
  rms_norm_eps: { t: 'float', positive: true, def: 1e-5 },
  rope_theta: { t: 'float', positive: true, def: 10000 },
  forward_dtype: { t: 'enum', of: COMPUTE_DTYPES, def: 'bfloat16' },
};

export function parseTRMConfig(obj: unknown, source: string): TRMConfig {
  const o = withPuzzleEmbDefault(obj, TRM_SCHEMA.hidden_size.def as number) as Record<string, unknown>;
  const v = parseWithSchema(o, source, TRM_SCHEMA) as unknown as Omit<TRMConfig, 'loss_type'>;
  const cfg: TRMConfig = { ...v, loss_type: parseLossType(o, source) };
  checkHeads(cfg.hidden_size, cfg.num_heads, cfg.mlp_t ? 'none' : cfg.pos_encodings, source);
  checkGrid(cfg.seq_len, cfg.mlp_t ? 'none' : cfg.pos_encodings, source);
  checkPuzzleEmbFits(cfg, source);
  return cfg;
}
