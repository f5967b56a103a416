/** Messages between the page (main.ts) and the engine's Worker (worker.ts). Every request has an id. */

export interface FileRef {
  /** path relative to the model or dataset folder, e.g. 'all_config.yaml', 'train/dataset.json' */
  path: string;
  blob?: Blob;
  /** fetched by the worker from hrm serve when no blob is given */
  url?: string;
}

export type Request =
  | { op: 'init'; wasmUrl: string; gpuWorkerUrl: string; backend: 'auto' | 'wasm' | 'webgpu' }
  | { op: 'loadModel'; key: string; name: string; files: FileRef[]; entry: string }
  | { op: 'solve'; key: string; task: 'sudoku' | 'maze'; text: string; halt: boolean; search?: boolean }
  | { op: 'parse'; task: 'sudoku' | 'maze'; text: string }
  /** an n x n maze (default 30) of Maze-Hard's kind: shortest path >= minPath steps (default n*n/9: 100 at 30x30) */
  | { op: 'generateMaze'; seed: number; size?: number; minPath?: number }
  | { op: 'openDataset'; name: string; files: FileRef[] }
  | { op: 'datasetGroup'; split: 'train' | 'test'; set: string; group: number }
  | { op: 'openMetrics'; name: string; file: Blob };

export interface ModelInfo {
  key: string;
  name: string;
  format: string;
  task: 'sudoku' | 'maze' | 'arc' | 'other';
  vocab: number;
  seqLen: number | null;
  /** a rope_2d model: the square grid sides it serves (seqLen is then null) */
  sides: { min: number; max: number } | null;
  hidden: number;
  /** the registry key: hrm_v1, trm, transformers_baseline */
  arch: string;
  layers: string;
  cycles: string;
  haltMaxSteps: number;
  params: number;
  lossType: string;
  loadMs: number;
}

export interface SegmentView {
  segment: number;
  /** raw output token ids */
  preds: number[];
  /** the prediction decoded in the input's notation */
  answer: string;
  /** probability of the chosen token per cell (the model's own softmax/stablemax) */
  conf: number[];
  q_halt: number;
  q_continue: number;
  ms: number;
}

export interface SolveView {
  task: 'sudoku' | 'maze';
  question: string;
  width: number;
  answer: string;
  valid: boolean;
  shortest?: boolean;
  problem?: string;
  segments: number;
  ms: number;
  trace: SegmentView[];
  /** Sudoku with the search (src/solve/sudoku-search.ts): how it went and when each cell was fixed */
  search?: SearchView;
}

export interface SearchView {
  calls: number;
  /** the model's own answer (its first call) and whether it was valid */
  model_answer: string;
  model_valid: boolean;
  stopped?: string;
  /** boards visited (asked, ruled out by the rules, or the answer) */
  boards: number;
  /** solved: each cell of the answer, in the order fixed, with the model call after which it was */
  fixed: { cell: number; digit: number; by: 'clue' | 'rules' | 'model'; call: number }[];
}

export interface SetInfo {
  name: string;
  puzzles: number;
  groups: number;
  examples: number;
}

export interface SplitInfo {
  split: 'train' | 'test';
  kind: 'sudoku' | 'maze' | 'arc' | 'tokens';
  seqLen: number;
  vocab: number;
  sets: SetInfo[];
  meta: Record<string, unknown>;
}

export interface DatasetInfo {
  name: string;
  splits: SplitInfo[];
  identifiers: number;
}

export interface ExampleView {
  input: number[];
  label: number[];
  /** ARC: the grids cut from the 30x30 canvases (colours 0-9) */
  inputGrid?: number[][];
  labelGrid?: number[][];
}

export interface PuzzleView {
  index: number;
  identifier: number;
  /** identifiers.json's name for the identifier, when the folder has one */
  name: string | null;
  examples: ExampleView[];
  /** examples not sent (a puzzle with very many) */
  moreExamples: number;
}

export interface GroupView {
  split: 'train' | 'test';
  set: string;
  group: number;
  groups: number;
  kind: SplitInfo['kind'];
  seqLen: number;
  puzzles: PuzzleView[];
  morePuzzles: number;
}

export interface MetricsView {
  name: string;
  svg: string;
  records: number;
  train: number;
  eval: number;
  last: Record<string, Record<string, number | string>>;
}

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
