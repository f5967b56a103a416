/**
 * The engine in a Web Worker: the project's own TypeScript (model loading, the inference path, the
 * puzzle parsers and checks, dataset and metrics readers) bundled as is, running on the WebAssembly
 * backend, so the page stays responsive while a model reasons. Files (models from `hrm serve`, files
 * the user chose or dropped) are mounted into the in-memory node:fs (shims/fs.ts) and read by the same
 * code paths the CLI uses: `hrm solve --json` and this page give the same answer for the same model.
 */
import { setBackend } from '../../src/engine/index.js';
import { useWasmModule } from '../../src/engine/backends/wasm.js';
import { startWebGPU } from '../../src/engine/backends/webgpu.js';
import { Solver, KINDS } from '../../src/solve/solver.js';
import { taskOfVocab } from '../../src/model-files/bundle.js';
import type { Puzzle } from '../../src/solve/puzzle.js';
import { infer } from '../../src/models/shared/inference.js';
import type { ReasoningModel } from '../../src/models/registry.js';
import { MazeGenerator } from '../../src/data/maze-generator.js';
import { Rng } from '../../src/util/random.js';
import { arrayPath, readDatasetMetadata, readIdentifiers, type Split } from '../../src/data/dataset-format.js';
import { cropArcGrid, datasetKind } from '../../src/data/show.js';
import { NpyRowReader, readNpy } from '../../src/io/npy.js';
import { readMetrics } from '../../src/train/metrics-log.js';
import { curvesSvg } from '../../src/train/plot.js';
import { existsSync, mount, unmount } from './shims/fs.js';
import type {
  DatasetInfo, FileRef, GroupView, MetricsView, ModelInfo, PuzzleView, Reply, Request, SegmentView, SolveView, SplitInfo,
} from './protocol.js';

const models = new Map<string, { solver: Solver; info: ModelInfo }>();
let dataset: { root: string; info: DatasetInfo; ids: string[] | null } | null = null;
let mountCount = 0;

async function blobOf(f: FileRef): Promise<Blob> {
  if (f.blob) return f.blob;
  if (!f.url) throw new Error(`${f.path}: neither a file nor a URL`);
  const r = await fetch(f.url);
  if (!r.ok) throw new Error(`${f.url}: HTTP ${r.status}`);
  return r.blob();
}

async function mountAll(root: string, files: FileRef[]): Promise<void> {
  unmount(root);
  const blobs = await Promise.all(files.map(blobOf));
  files.forEach((f, i) => mount(`${root}/${f.path}`, blobs[i]));
}

async function loadModel(key: string, name: string, files: FileRef[], entry: string): Promise<ModelInfo> {
  const t0 = performance.now();
  const root = `/models/m${mountCount++}`;
  await mountAll(root, files);
  const solver = Solver.load(entry ? `${root}/${entry}` : root);
  const a = solver.spec.arch;
  const task: ModelInfo['task'] = taskOfVocab(a.vocab_size);
  // Build the model now (RoPE models: for the task's usual size; rope_2d: its largest grid), so a solve
  // pays for reasoning only.
  const sides = solver.spec.sides;
  const seq = solver.spec.seqLen ?? (sides ? sides.max * sides.max : task === 'sudoku' ? 81 : task === 'maze' ? 900 : null);
  let params = 0;
  if (seq !== null) {
    const model = solver.modelFor(seq);
    for (const [, t] of model.parameters()) params += t.size;
    // two segments on a padding-only input, as a solve runs them: compiles the hot code and fills the
    // memory pool, so the first real solve costs what every later one does
    infer(model, { inputs: new Int32Array(seq), puzzle_identifiers: new Int32Array(1) }, { segments: 2, logits: true });
  }
  models.get(key)?.solver.dispose();
  const info: ModelInfo = {
    key, name, format: solver.files.format, task, vocab: a.vocab_size, seqLen: solver.spec.seqLen, sides, hidden: a.hidden_size,
    // TRM has one network (L_level) and the baseline one stack (H_level): HRM's H+L pair only for HRM
    arch: solver.spec.entry.key,
    layers: solver.spec.entry.key === 'trm' ? `${a.L_layers} (one network)` : solver.spec.entry.key === 'hrm_v1' ? `H+L ${a.H_layers}+${a.L_layers}` : `${a.H_layers}`, cycles: `${a.H_cycles}x${a.L_cycles}`, haltMaxSteps: a.halt_max_steps, params,
    lossType: a.loss_type, loadMs: performance.now() - t0,
  };
  models.set(key, { solver, info });
  return info;
}

function parsePuzzle(task: 'sudoku' | 'maze', text: string): Puzzle {
  // the CLI's notations: Sudoku as an argument (81 characters), a maze as a file's text grid
  const [p] = task === 'sudoku' ? KINDS.sudoku.parse(text, 'the puzzle', false) : KINDS.maze.parse(text, 'the maze', true);
  return p;
}

/** Per segment wall time: the inference path calls inner.forward once per segment, so its start times mark the segments. */
const segmentStarts = new WeakMap<ReasoningModel, number[]>();
function timed(model: ReasoningModel): number[] {
  let starts = segmentStarts.get(model);
  if (!starts) {
    const list: number[] = [];
    const inner = model.inner;
    const forward = inner.forward.bind(inner);
    inner.forward = (...args: Parameters<typeof forward>) => {
      list.push(performance.now());
      return forward(...args);
    };
    segmentStarts.set(model, (starts = list));
  }
  starts.length = 0;
  return starts;
}

/** Probability of the chosen token at every position, from the model's own output distribution. */
function confidence(logits: Float32Array, T: number, V: number, stablemax: boolean): number[] {
  const out = new Array<number>(T);
  for (let t = 0; t < T; t++) {
    let best = -Infinity;
    for (let v = 0; v < V; v++) best = Math.max(best, logits[t * V + v]);
    let sum = 0;
    if (stablemax) {
      // s(x) = x + 1 for x >= 0, 1 / (1 - x) below (REFERENCE.md: the stablemax loss)
      const s = (x: number): number => (x >= 0 ? x + 1 : 1 / (1 - x));
      for (let v = 0; v < V; v++) sum += s(logits[t * V + v]);
      out[t] = s(best) / sum;
    } else {
      for (let v = 0; v < V; v++) sum += Math.exp(logits[t * V + v] - best);
      out[t] = 1 / sum;
    }
  }
  return out;
}

function solve(key: string, task: 'sudoku' | 'maze', text: string, halt: boolean, search = false): SolveView {
  const puzzle = parsePuzzle(task, text);
  const m = models.get(key);
  if (!m) throw new Error('no model is loaded (choose one, or drop a model folder on the page)');
  const kind = KINDS[task];
  if (m.info.vocab !== kind.vocab) {
    throw new Error(`${m.info.name}: this model's vocabulary has ${m.info.vocab} tokens, a ${task} model has ${kind.vocab} (trained on another kind of puzzle?)`);
  }
  if (search) return searched(m.solver, puzzle);
  const T = puzzle.tokens.length;
  const model = m.solver.modelFor(T);
  const starts = timed(model);
  const t0 = performance.now();
  const r = infer(model, { inputs: puzzle.tokens, puzzle_identifiers: new Int32Array(1) }, { halt: halt ? 'q' : 'all', logits: true });
  const t1 = performance.now();
  starts.push(t1);
  const V = model.config.vocab_size;
  const stablemax = model.config.loss_type === 'stablemax_cross_entropy';
  const trace: SegmentView[] = r.trace.slice(0, r.segments[0]).map((s, k) => ({
    segment: k + 1,
    preds: Array.from(s.preds),
    answer: kind.decode(s.preds, puzzle),
    conf: confidence(s.logits!, T, V, stablemax),
    q_halt: s.q_halt[0],
    q_continue: s.q_continue[0],
    ms: starts[k + 1] - starts[k],
  }));
  const answer = kind.decode(r.preds, puzzle);
  const v = kind.judge(answer, puzzle);
  return {
    task, question: puzzle.question, width: puzzle.width, answer, valid: v.valid,
    ...(v.shortest !== undefined ? { shortest: v.shortest } : {}), ...(v.problem ? { problem: v.problem } : {}),
    segments: r.segments[0], ms: t1 - t0, trace,
  };
}

/** The Sudoku search through the CLI's own path (Solver.solve with search), as the page shows it. */
function searched(solver: Solver, puzzle: Puzzle): SolveView {
  const [r] = solver.solve('sudoku', [puzzle], { search: true });
  const s = r.search!;
  return {
    task: 'sudoku', question: puzzle.question, width: puzzle.width, answer: r.answer, valid: r.valid,
    ...(r.problem ? { problem: r.problem } : {}), segments: r.segments, ms: r.ms, trace: [],
    search: { calls: r.calls, model_answer: s.model_answer, model_valid: s.model_valid, ...(s.stopped ? { stopped: s.stopped } : {}), boards: s.steps.length, fixed: s.fixed },
  };
}

function generateMaze(seed: number, size = 30, minPath = Math.max(2, Math.round((size * size) / 9))): string {
  if (!(Number.isInteger(size) && size >= 2 && size <= 255)) throw new Error(`a maze of side ${size}: the side must be an integer from 2 to 255`);
  const m = new MazeGenerator(new Rng(seed), size, minPath).generate();
  if (!m) throw new Error(`no ${size}x${size} maze with a path of ${minPath} steps found; try a shorter one`);
  return m.question;
}

async function openDataset(name: string, files: FileRef[]): Promise<DatasetInfo> {
  const root = `/datasets/d${mountCount++}`;
  await mountAll(root, files);
  // a folder chosen with the picker arrives as '<folder>/train/...': find the folder holding a split
  let dir = root;
  if (!existsSync(`${dir}/train/dataset.json`) && !existsSync(`${dir}/test/dataset.json`)) {
    const top = new Set(files.map((f) => f.path.split('/')[0]));
    if (top.size === 1) dir = `${root}/${[...top][0]}`;
  }
  const splits: SplitInfo[] = [];
  for (const split of ['train', 'test'] as const) {
    if (!existsSync(`${dir}/${split}`)) continue;
    const m = readDatasetMetadata(dir, split);
    const sets = m.sets.map((set) => {
      const g = readNpy(arrayPath(dir, split, set, 'group_indices')).data as ArrayLike<number>;
      const p = readNpy(arrayPath(dir, split, set, 'puzzle_indices')).data as ArrayLike<number>;
      return { name: set, groups: g.length - 1, puzzles: p.length - 1, examples: Number(p[p.length - 1]) };
    });
    splits.push({ split, kind: datasetKind(m), seqLen: m.seq_len, vocab: m.vocab_size, sets, meta: { ...m } });
  }
  if (splits.length === 0) {
    throw new Error(`${name}: no train/dataset.json or test/dataset.json (choose a folder built by hrm data)`);
  }
  const ids = readIdentifiers(dir);
  dataset = { root: dir, info: { name, splits, identifiers: ids ? ids.length : 0 }, ids };
  return dataset.info;
}

/** Row `r` of a 2-D integer .npy as numbers, whatever its integer dtype. */
function readRow(reader: NpyRowReader, r: number): number[] {
  const size = { u1: 1, i1: 1, b1: 1, u2: 2, i2: 2, u4: 4, i4: 4, u8: 8, i8: 8 }[reader.header.dtype as string];
  if (!size) throw new Error(`${reader.path}: expected integer tokens, got dtype ${reader.header.dtype}`);
  const bytes = new Uint8Array(reader.rowLen * size);
  reader.readRowBytes(r, bytes);
  const b = bytes.buffer;
  const dt = reader.header.dtype;
  const arr: ArrayLike<number | bigint> =
    dt === 'u1' || dt === 'b1' ? bytes : dt === 'i1' ? new Int8Array(b) : dt === 'u2' ? new Uint16Array(b) : dt === 'i2' ? new Int16Array(b)
      : dt === 'u4' ? new Uint32Array(b) : dt === 'i4' ? new Int32Array(b) : dt === 'u8' ? new BigUint64Array(b) : new BigInt64Array(b);
  return Array.from(arr as ArrayLike<number>, Number);
}

const MAX_PUZZLES = 12;
const MAX_EXAMPLES = 10;

function datasetGroup(split: Split, set: string, group: number): GroupView {
  if (!dataset) throw new Error('open a dataset folder first');
  const dir = dataset.root;
  const info = dataset.info.splits.find((s) => s.split === split);
  const setInfo = info?.sets.find((s) => s.name === set);
  if (!info || !setInfo) throw new Error(`${dataset.info.name}: no set ${split}/${set}`);
  if (!(Number.isInteger(group) && group >= 0 && group < setInfo.groups)) throw new Error(`group ${group} is outside 0..${setInfo.groups - 1}`);
  const gidx = readNpy(arrayPath(dir, split, set, 'group_indices')).data as ArrayLike<number>;
  const pidx = readNpy(arrayPath(dir, split, set, 'puzzle_indices')).data as ArrayLike<number>;
  const pids = readNpy(arrayPath(dir, split, set, 'puzzle_identifiers')).data as ArrayLike<number>;
  const inputs = new NpyRowReader(arrayPath(dir, split, set, 'inputs'));
  const labels = new NpyRowReader(arrayPath(dir, split, set, 'labels'));
  try {
    const p0 = Number(gidx[group]);
    const p1 = Number(gidx[group + 1]);
    const puzzles: PuzzleView[] = [];
    for (let p = p0; p < Math.min(p1, p0 + MAX_PUZZLES); p++) {
      const e0 = Number(pidx[p]);
      const e1 = Number(pidx[p + 1]);
      const examples = [];
      for (let e = e0; e < Math.min(e1, e0 + MAX_EXAMPLES); e++) {
        const input = readRow(inputs, e);
        const label = readRow(labels, e);
        examples.push(info.kind === 'arc' ? { input, label, inputGrid: cropArcGrid(input), labelGrid: cropArcGrid(label) } : { input, label });
      }
      const id = Number(pids[p]);
      puzzles.push({ index: p, identifier: id, name: dataset.ids?.[id] ?? null, examples, moreExamples: Math.max(0, e1 - e0 - MAX_EXAMPLES) });
    }
    return { split, set, group, groups: setInfo.groups, kind: info.kind, seqLen: info.seqLen, puzzles, morePuzzles: Math.max(0, p1 - p0 - MAX_PUZZLES) };
  } finally {
    inputs.close();
    labels.close();
  }
}

async function openMetrics(name: string, file: Blob): Promise<MetricsView> {
  const path = `/runs/r${mountCount++}/metrics.jsonl`;
  mount(path, file);
  const records = readMetrics(path);
  if (records.length === 0) throw new Error(`${name}: no metric lines (expected a run folder's metrics.jsonl)`);
  for (const [i, r] of records.entries()) {
    if (typeof r !== 'object' || r === null || typeof r.step !== 'number' || (r.kind !== 'train' && r.kind !== 'eval')) {
      throw new Error(`${name}:${i + 1}: not a metrics line (needs a numeric step and kind train or eval)`);
    }
  }
  const last: MetricsView['last'] = {};
  for (const r of records) last[r.kind] = { ...(last[r.kind] ?? {}), ...r };
  return {
    name, svg: curvesSvg(records, name), records: records.length,
    train: records.filter((r) => r.kind === 'train').length, eval: records.filter((r) => r.kind === 'eval').length, last,
  };
}

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'init': {
      const t0 = performance.now();
      useWasmModule(await WebAssembly.compileStreaming(fetch(req.wasmUrl)));
      // The GPU when the browser has an adapter (and the page is cross-origin isolated, which shared
      // memory needs), WebAssembly otherwise; the reason goes to the status line.
      let gpuNote = '';
      if (req.backend !== 'wasm') {
        try {
          if (!('gpu' in navigator)) throw new Error('this browser has no WebGPU');
          if (!self.crossOriginIsolated) throw new Error('the page is not cross-origin isolated (shared memory is off)');
          const adapter = await startWebGPU((ch) => new Worker(req.gpuWorkerUrl, { type: 'module' }).postMessage(ch));
          const b = setBackend('webgpu');
          return { backend: 'webgpu', isa: b.isa, adapter, ms: performance.now() - t0 };
        } catch (e) {
          if (req.backend === 'webgpu') throw e;
          gpuNote = (e as Error).message.split('\n')[0];
        }
      }
      const b = setBackend('wasm');
      return { backend: 'wasm', isa: b.isa, gpuNote, ms: performance.now() - t0 };
    }
    case 'loadModel':
      return loadModel(req.key, req.name, req.files, req.entry);
    case 'solve':
      return solve(req.key, req.task, req.text, req.halt, req.search === true);
    case 'parse':
      return parsePuzzle(req.task, req.text).question;
    case 'generateMaze':
      return generateMaze(req.seed, req.size, req.minPath);
    case 'openDataset':
      return openDataset(req.name, req.files);
    case 'datasetGroup':
      return datasetGroup(req.split, req.set, req.group);
    case 'openMetrics':
      return openMetrics(req.name, req.file);
  }
}

// one request at a time, in order: the kernels are not reentrant and requests are short
let queue: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<{ id: number; req: Request }>) => {
  const { id, req } = ev.data;
  queue = queue.then(async () => {
    let reply: Reply;
    try {
      reply = { id, ok: true, value: await handle(req) };
    } catch (e) {
      reply = { id, ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    (self as unknown as Worker).postMessage(reply);
  });
};
