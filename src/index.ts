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
 * Errors about the caller's input (a bad puzzle character, a missing file, a checkpoint that does not fit,
 * an argument or option of the wrong type, a call after dispose()) are `UserError`s whose first line names
 * the input: the line `hrm` prints for the same problem.
 */
import { existsSync } from 'node:fs';
import { setBackend as setEngineBackend } from './engine/index.js';
import { convertCheckpoint as convertFiles } from './model-files/convert.js';
import { readTorchCheckpoint as readTorch } from './io/torch-checkpoint.js';
import { readSafetensors as readSafetensorsFile } from './io/safetensors.js';
import { bundledModelNames, bundledModelPath } from './model-files/bundle.js';
import { infer, type InferenceOptions, type InferenceResult } from './models/shared/inference.js';
import type { ModelArch, ModelFormat } from './model-files/load.js';
import type { Puzzle } from './solve/puzzle.js';
import { UserError, describeValue, quote } from './util/errors.js';
import { ids, inferOptions, puzzles as checkPuzzles, results as checkResults, solveOptions, string, stringList } from './library-args.js';
import { Solver, summarize as summarizeResults, type SolveOptions, type SolveResult, type SolveSummary, type TaskName, type TraceStep } from './solve/solver.js';

export interface LoadOptions {
  /** compute backend (default: native when the addon loaded, else wasm; or HRM_BACKEND); webgpu: a GPU */
  backend?: 'native' | 'wasm' | 'webgpu';
}

export class Model {
  private readonly solver: Solver;
  private disposed = false;

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
    const list = stringList(puzzles, this.live('solveSudoku'), 'puzzles');
    const o = solveOptions(opts, 'solveSudoku');
    const parsed = list.flatMap((p, i) => this.solver.parse('sudoku', p, `puzzle ${i}`, false));
    return this.solver.solve('sudoku', parsed, o);
  }

  /**
   * Mazes as text grids ('#' wall, ' ' open, 'S', 'G'): rows separated by newlines, or the n*n
   * characters of the rows joined (the reference CSV's notation).
   */
  solveMaze(mazes: string | string[], opts: SolveOptions = {}): SolveResult[] {
    const list = stringList(mazes, this.live('solveMaze'), 'mazes');
    const o = solveOptions(opts, 'solveMaze');
    const parsed = list.flatMap((m, i) => {
      let text = m;
      if (!m.includes('\n')) {
        const n = Math.round(Math.sqrt(m.length));
        if (n * n === m.length) text = Array.from({ length: n }, (_, r) => m.slice(r * n, (r + 1) * n)).join('\n');
      }
      return this.solver.parse('maze', text, `maze ${i}`, true);
    });
    return this.solver.solve('maze', parsed, o);
  }

  /** Puzzles parsed from a file's text (the formats `hrm solve --file` reads). */
  parse(task: TaskName, text: string, source = 'text'): Puzzle[] {
    const call = this.live('parse');
    return this.solver.parse(taskName(task, call), string(text, call, 'text'), string(source, call, 'source'), true);
  }

  /** Already parsed puzzles; `onResult` sees each result as its batch finishes. */
  solve(task: TaskName, puzzles: Puzzle[], opts: SolveOptions = {}, onResult?: (r: SolveResult) => void): SolveResult[] {
    const call = this.live('solve');
    const t = taskName(task, call);
    const list = checkPuzzles(puzzles, call);
    const o = solveOptions(opts, call);
    if (onResult !== undefined && typeof onResult !== 'function') throw new UserError(`solve: onResult must be a function, got ${describeValue(onResult)}`);
    return this.solver.solve(t, list, o, onResult);
  }

  /** The raw inference path on token ids ([B * seq_len] inputs, [B] puzzle identifiers). */
  infer(inputs: Int32Array, puzzleIdentifiers: Int32Array, opts: InferenceOptions = {}): InferenceResult {
    const call = this.live('infer');
    const a = this.solver.spec.arch;
    const tokens = ids(inputs, a.vocab_size, call, 'inputs', 'vocab_size');
    const pids = ids(puzzleIdentifiers, a.num_puzzle_identifiers, call, 'puzzleIdentifiers', 'num_puzzle_identifiers');
    const o = inferOptions(opts, call);
    const B = pids.length;
    if (B === 0 || tokens.length === 0 || tokens.length % B !== 0) {
      throw new UserError(`infer: ${tokens.length} input tokens for ${B} puzzle identifiers (expected B >= 1 identifiers and B * seq_len tokens)`);
    }
    return infer(this.solver.modelFor(tokens.length / B), { inputs: tokens, puzzle_identifiers: pids }, o);
  }

  /** Frees the model's native memory now; the model cannot be used afterwards (its calls throw a UserError). */
  dispose(): void {
    this.disposed = true;
    this.solver.dispose();
  }

  /** `call`, when the model can still be used. */
  private live(call: string): string {
    if (this.disposed) throw new UserError(`${call}: this model was used after dispose(); load it again with loadModel`);
    return call;
  }
}

function taskName(task: unknown, call: string): TaskName {
  if (task !== 'sudoku' && task !== 'maze') throw new UserError(`${call}: task must be 'sudoku' or 'maze', got ${describeValue(task)}`);
  return task;
}

/**
 * Loads a model: a bundled model's name ('sudoku': the package's models/sudoku.safetensors), a run
 * folder, a step_N.safetensors, a file from `hrm export`, or a reference checkpoint folder. A path that
 * exists wins over a bundled name.
 */
export function loadModel(pathOrName: string, opts: LoadOptions = {}): Model {
  const where = string(pathOrName, 'loadModel', 'the path or name');
  if (where === '') throw new UserError('loadModel: the path or name is empty');
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) {
    throw new UserError(`loadModel: options must be an object such as { backend: 'wasm' }, got ${describeValue(opts)}`);
  }
  for (const [k, v] of Object.entries(opts)) {
    if (k !== 'backend') throw new UserError(`loadModel: unknown option ${quote(k)} (known: backend)`);
    if (v !== undefined && v !== 'native' && v !== 'wasm' && v !== 'webgpu') throw new UserError(`loadModel: backend must be 'native', 'wasm' or 'webgpu', got ${describeValue(v)}`);
  }
  if (opts.backend) setEngineBackend(opts.backend);
  const isName = !existsSync(where) && bundledModelNames().includes(where);
  return new Model(Solver.load(isName ? bundledModelPath(where) : where));
}

/** Percentages over solve results (what `hrm solve` prints at the end). */
export function summarize(results: SolveResult[]): SolveSummary {
  return summarizeResults(checkResults(results, 'summarize'));
}

export { bundledModelNames };

export type { SolveOptions, SolveResult, SolveSummary, TaskName, TraceStep, Puzzle, InferenceOptions, InferenceResult };
export { UserError };
export { writeTorchCheckpoint } from './io/torch-checkpoint.js';
export { writeSafetensors } from './io/safetensors.js';
export { getBackend, availableBackends } from './engine/index.js';

// The file readers and setBackend as the library offers them: a path or name that is not a string is
// a UserError naming the call (the fuzzer's Symbol, number or object reached fs or a template string).
export function convertCheckpoint(input: string, outDir: string): ReturnType<typeof convertFiles> {
  return convertFiles(string(input, 'convertCheckpoint', 'the input path'), string(outDir, 'convertCheckpoint', 'the output folder'));
}
export function readTorchCheckpoint(path: string): ReturnType<typeof readTorch> {
  return readTorch(string(path, 'readTorchCheckpoint', 'the path'));
}
export function readSafetensors(path: string): ReturnType<typeof readSafetensorsFile> {
  return readSafetensorsFile(string(path, 'readSafetensors', 'the path'));
}
export function setBackend(name: Parameters<typeof setEngineBackend>[0]): ReturnType<typeof setEngineBackend> {
  return setEngineBackend(string(name, 'setBackend', 'the backend name') as typeof name);
}
