/**
 * Upper bounds on the sizes and counts that a file may set: a run's all_config.yaml, a bundled model's
 * metadata, a training config, dataset.json. They sit far above any real use (the reference HRM: hidden
 * 512, 4 + 4 layers, 2 x 2 cycles, 16 segments; TRM: 3 x 6 cycles; ARC: 900 tokens and about a million
 * identifiers with augmentations), yet low enough that a mistyped or hostile value is refused with one
 * line before anything is allocated or run, instead of a model built for terabytes or a solve that never
 * ends. docs/RELIABILITY.md lists them.
 */
import { UserError } from './errors.js';

export const LIMITS: Readonly<Record<string, number>> = {
  batch_size: 1 << 20,
  seq_len: 1 << 16,
  vocab_size: 1 << 20,
  num_puzzle_identifiers: 1 << 24,
  hidden_size: 1 << 14,
  num_heads: 1 << 10,
  expansion: 64,
  H_layers: 256,
  L_layers: 256,
  H_cycles: 1024,
  L_cycles: 1024,
  halt_max_steps: 1024,
  puzzle_emb_ndim: 1 << 16,
  puzzle_emb_len: 1024,
};

/**
 * halt_max_steps x H_cycles x L_cycles: the low-level steps of one answer at most (the reference HRM: 16 x
 * 2 x 2 = 64; TRM's Sudoku: 16 x 3 x 6 = 288), so that no configuration makes one answer take more than
 * seconds at the bundled model's size, or about half a minute at the paper's.
 */
export const MAX_STEPS_PER_ANSWER = 4096;

/**
 * Throws a UserError naming `source` and the first key of `values` above its limit (`what`: 'model key',
 * 'dataset field', ...). Keys without a limit, and values that are not numbers, are left to the caller.
 */
export function checkLimits(values: Record<string, unknown>, source: string, what = 'model key'): void {
  for (const [k, max] of Object.entries(LIMITS)) {
    const v = values[k];
    if (typeof v === 'number' && v > max) throw new UserError(`${source}: ${what} '${k}' is ${v}, above its limit of ${max} (docs/RELIABILITY.md)`);
  }
  const [s, h, l] = [values.halt_max_steps, values.H_cycles, values.L_cycles];
  if (typeof s === 'number' && typeof h === 'number' && typeof l === 'number' && s * h * l > MAX_STEPS_PER_ANSWER) {
    throw new UserError(
      `${source}: halt_max_steps x H_cycles x L_cycles is ${s} x ${h} x ${l} = ${s * h * l} steps per answer, above the limit of ${MAX_STEPS_PER_ANSWER} (docs/RELIABILITY.md)`,
    );
  }
}

/**
 * Upper bounds of the commands' numeric options (and the library options they map to), far above any real
 * use, so that a mistyped value (`--num-aug 1e12`, `--retries 1e9`) is refused with one line before any
 * work instead of failing for memory minutes later or running without end. docs/RELIABILITY.md lists them.
 */
export const OPTION_LIMITS = {
  /** --num-aug: augmented copies of each puzzle or task (the reference: 1000 for Sudoku-1k and ARC) */
  num_aug: 100_000,
  /** --seed (and a training config's seed): the integers a double holds exactly */
  seed: Number.MAX_SAFE_INTEGER,
  /** --subsample-size, --max-tasks: counts of puzzles or tasks kept */
  count: 1_000_000_000,
  /** hrm data show --count: examples printed */
  show_count: 1_000_000,
  /** hrm solve --retries: each one solves the puzzle again */
  retries: 1024,
  /** hrm solve --budget N: model calls per puzzle (about 5 ms each for the bundled model) */
  search_calls: 1_000_000,
  /** hrm solve --budget Ts: one hour per puzzle */
  search_ms: 3_600_000,
  /** hrm solve --search-reuse: moves on one model answer (a grid has no more than 81 cells to fill) */
  search_reuse: 81,
  /** hrm arc report --top: candidates shown per test input */
  top: 1000,
  /** a training config's epochs (the reference: 20,000 to 100,000) */
  epochs: 1_000_000_000,
} as const;
