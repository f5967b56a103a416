/** What the views share: the engine, the chosen model per task, and where results and errors go. */
import type { Engine } from './engine.js';
import type { SolveView } from './protocol.js';

export interface App {
  engine: Engine;
  /** loads (once) the selected model for `task` and returns its key; throws when there is none */
  modelFor(task: 'sudoku' | 'maze'): Promise<string>;
  /** the key of the selected model for `task` when it is already loaded, else null */
  loadedModel(task: 'sudoku' | 'maze'): string | null;
  /** fills the answer hooks (data-testid answer, segments, trace) */
  showResult(r: SolveView): void;
  clearResult(): void;
  /** runs `fn`, showing its error in data-testid=error */
  guard(fn: () => Promise<void>): Promise<void>;
}
