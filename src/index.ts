/**
 * The hrm-ts library API (the package's main):
 *
 *   import { loadModel } from 'hrm-ts';
 *   const model = loadModel('sudoku');                               // a bundled model, a run folder,
 *                                                                    // step_N.safetensors, exported file
 *                                                                    // or a reference checkpoint folder
 *   const [r] = model.solveSudoku('...7.2..5....95.8.1...', { trace: true });
 *   r.answer; r.valid; r.segments; r.trace?.[0].q_halt;             // typed results, per-segment trace
 *   model.dispose();                                                 // frees native memory now
 *
 * Errors about the caller's input (a bad puzzle character, a missing file, a checkpoint that does not fit)
 * are `UserError`s with one line naming the input.
 */
import { existsSync } from 'node:fs';
import { setBackend } from './engine/index.js';
import { bundledModelNames, bundledModelPath } from './model-files/bundle.js';
import { infer, type InferenceOptions, type InferenceResult } from './models/shared/inference.js';
import type { ModelArch, ModelFormat } from './model-files/load.js';
import type { Puzzle } from './solve/puzzle.js';
import { Solver, summarize, type SolveOptions, type SolveResult, type SolveSummary, type TaskName, type TraceStep } from './solve/solver.js';

export interface LoadOptions {
  /** compute backend (default: native when the addon loaded, else wasm; or HRM_BACKEND) */
  backend?: 'native' | 'wasm';
}

export class Model {
  private readonly solver: Solver;

  constructor(solver: Solver) {
    this.solver = solver;
  }

  /** The model configuration (seq_len is null when the weights do not fix it: RoPE models). */
  get config(): ModelArch & { seq_len: number | null } {
    return { ...this.solver.spec.arch, seq_len: this.solver.spec.seqLen };
  }

  /** The model's registry key: hrm_v1, trm or transformers_baseline. */
  get arch(): string {
    return this.solver.spec.entry.key;
  }

  /** Where the weights came from and in which format. */
  get source(): { path: string; format: ModelFormat; step: number } {
    const f = this.solver.files;
    return { path: f.weights, format: f.format, step: f.step };
  }

  /** Sudoku puzzles as 81-character strings ('.' or '0' blank), one or many. */
  solveSudoku(puzzles: string | string[], opts: SolveOptions = {}): SolveResult[] {
    const list = typeof puzzles === 'string' ? [puzzles] : puzzles;
    const parsed = list.flatMap((p, i) => this.solver.parse('sudoku', p, `puzzle ${i}`, false));
    return this.solver.solve('sudoku', parsed, opts);
  }

  /**
   * Mazes as text grids ('#' wall, ' ' open, 'S', 'G'): rows separated by newlines, or the n*n
   * characters of the rows joined (the reference CSV's notation).
   */
  solveMaze(mazes: string | string[], opts: SolveOptions = {}): SolveResult[] {
    const list = typeof mazes === 'string' ? [mazes] : mazes;
    const parsed = list.flatMap((m, i) => {
      let text = m;
      if (!m.includes('\n')) {
        const n = Math.round(Math.sqrt(m.length));
        if (n * n === m.length) text = Array.from({ length: n }, (_, r) => m.slice(r * n, (r + 1) * n)).join('\n');
      }
      return this.solver.parse('maze', text, `maze ${i}`, true);
    });
    return this.solver.solve('maze', parsed, opts);
  }

  /** Puzzles parsed from a file's text (the formats `hrm solve --file` reads). */
  parse(task: TaskName, text: string, source = 'text'): Puzzle[] {
    return this.solver.parse(task, text, source, true);
  }

  /** Already parsed puzzles; `onResult` sees each result as its batch finishes. */
  solve(task: TaskName, puzzles: Puzzle[], opts: SolveOptions = {}, onResult?: (r: SolveResult) => void): SolveResult[] {
    return this.solver.solve(task, puzzles, opts, onResult);
  }

  /** The raw inference path on token ids ([B * seq_len] inputs, [B] puzzle identifiers). */
  infer(inputs: Int32Array, puzzleIdentifiers: Int32Array, opts: InferenceOptions = {}): InferenceResult {
    const B = puzzleIdentifiers.length;
    const hrm = this.solver.modelFor(inputs.length / Math.max(1, B));
    return infer(hrm, { inputs, puzzle_identifiers: puzzleIdentifiers }, opts);
  }

  /** Frees the model's native memory now; the model cannot be used afterwards. */
  dispose(): void {
    this.solver.dispose();
  }
}

/**
 * Loads a model: a bundled model's name ('sudoku': the package's models/sudoku.safetensors), a run
 * folder, a step_N.safetensors, a file from `hrm export`, or a reference checkpoint folder. A path that
 * exists wins over a bundled name.
 */
export function loadModel(pathOrName: string, opts: LoadOptions = {}): Model {
  if (opts.backend) setBackend(opts.backend);
  const isName = !existsSync(pathOrName) && bundledModelNames().includes(pathOrName);
  return new Model(Solver.load(isName ? bundledModelPath(pathOrName) : pathOrName));
}

export { bundledModelNames };

export { summarize };
export type { SolveOptions, SolveResult, SolveSummary, TaskName, TraceStep, Puzzle, InferenceOptions, InferenceResult };
export { UserError } from './util/errors.js';
export { convertCheckpoint } from './model-files/convert.js';
export { readTorchCheckpoint, writeTorchCheckpoint } from './io/torch-checkpoint.js';
export { readSafetensors, writeSafetensors } from './io/safetensors.js';
export { setBackend, getBackend, availableBackends } from './engine/index.js';
