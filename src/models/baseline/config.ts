/**
 * The plain-transformer baseline's configuration (TRM's `transformers_baseline`): H_layers blocks applied
 * once per segment (H_cycles times, the last with gradient), the shared ACT wrapper. Defaults from its
 * upstream arch config: H_layers 8, hidden 512, 12 heads (head_dim 42: attention in 504 dimensions,
 * o_proj 504 -> 512), expansion 4, H_cycles 1, halt_max_steps 16, RoPE. L_layers/L_cycles are accepted
 * and ignored.
 */
import { COMPUTE_DTYPES } from '../../engine/dtype.js';
import { checkGrid, checkHeads, checkPuzzleEmbFits, DATA_KEYS, parseLossType, parseWithSchema, withPuzzleEmbDefault, type KeySpec, type SchemaModelConfig } from '../shared/config-schema.js';

export type BaselineConfig = SchemaModelConfig;

export const BASELINE_SCHEMA: Record<string, KeySpec> = {
  ...DATA_KEYS,
  hidden_size: { t: 'int', min: 1, def: 512 },
  num_heads: { t: 'int', min: 1, def: 12 },
  expansion: { t: 'float', positive: true, def: 4 },
  H_layers: { t: 'int', min: 1, def: 8 },
  L_layers: { t: 'int', min: 0, def: 0 },
  H_cycles: { t: 'int', min: 1, def: 1 },
  L_cycles: { t: 'int', min: 0, def: 1 },
  halt_max_steps: { t: 'int', min: 1, def: 16 },
  halt_exploration_prob: { t: 'float', min: 0, max: 1, def: 0.1 },
  pos_encodings: { t: 'enum', of: ['rope', 'rope_2d', 'learned', 'none'], def: 'rope' },
  puzzle_emb_ndim: { t: 'int', min: 0 },
  puzzle_emb_len: { t: 'int', min: 0, def: 0 },
  no_ACT_continue: { t: 'bool', def: false },
  rms_norm_eps: { t: 'float', positive: true, def: 1e-5 },
  rope_theta: { t: 'float', positive: true, def: 10000 },
  forward_dtype: { t: 'enum', of: COMPUTE_DTYPES, def: 'bfloat16' },
};

export function parseBaselineConfig(obj: unknown, source: string): BaselineConfig {
  const o = withPuzzleEmbDefault(obj, BASELINE_SCHEMA.hidden_size.def as number) as Record<string, unknown>;
  const v = parseWithSchema(o, source, BASELINE_SCHEMA) as unknown as Omit<BaselineConfig, 'loss_type'>;
  const cfg: BaselineConfig = { ...v, loss_type: parseLossType(o, source) };
  checkHeads(cfg.hidden_size, cfg.num_heads, cfg.pos_encodings, source);
  checkGrid(cfg.seq_len, cfg.pos_encodings, source);
  checkPuzzleEmbFits(cfg, source);
  return cfg;
}
