/**
 * The page: four views (Sudoku, Maze, Datasets, A run), the model list from `hrm serve` (GET api/models)
 * plus models the user drops or picks, and the engine in a Worker (worker.ts) on the WebAssembly backend.
 *
 * Hooks for automated checks: ?sudoku=<81 chars> or ?maze=<rows joined, URL-encoded> preloads a puzzle,
 * &solve=1 solves it once a model is loaded, &model=<key> picks a listed model, ?view=datasets|run opens a
 * view. When a solve is done, data-testid=answer holds the open view's answer (each puzzle view keeps its
 * own; another view's never shows) in `hrm solve --json` notation,
 * data-testid=segments the segments run, data-testid=trace (hidden) every segment's raw predictions and Q
 * values as JSON; errors go to data-testid=error. <body data-ready> is set once the engine runs and the
 * model list is in; data-model is the key of the last model loaded.
 */
import type { App } from './app.js';
import { $, clearError, el, fmt, showError } from './dom.js';
import { Engine } from './engine.js';
import type { FileRef, ModelInfo, SolveView } from './protocol.js';
import { DatasetsView } from './views/datasets.js';
import { MazeView } from './views/maze.js';
import { RunView } from './views/run.js';
import { SudokuView } from './views/sudoku.js';

type Task = 'sudoku' | 'maze';
type ViewName = Task | 'datasets' | 'run';

/** A model the page can load: listed by hrm serve (files fetched by URL) or given by the user (Blobs). */
interface ModelEntry {
  key: string;
  name: string;
  /** known for served models (the server read the weights' shapes); null for dropped ones until loaded */
  task: ModelInfo['task'] | null;
  files: FileRef[];
  entry: string;
  info?: ModelInfo;
  loading?: Promise<ModelInfo>;
}

const engine = new Engine('worker.js');
const entries: ModelEntry[] = [];
const chosen: Partial<Record<Task, string>> = {};
/** each puzzle view's last answer: the one answer box shows the open view's, never another view's */
const results: Partial<Record<Task, SolveView>> = {};
let view: ViewName = 'sudoku';
let dropCount = 0;

const app: App = {
  engine,
  async modelFor(task) {
    const e = entries.find((m) => m.key === chosen[task]) ?? entries.find((m) => m.task === task);
    if (!e) {
      throw new Error(`no ${task} model to solve with: hrm serve lists none (models/ is empty); ` +
        `start it with --model PATH, or drop a run folder or reference checkpoint folder on the page`);
    }
    const info = await load(e);
    if (info.task !== task) throw new Error(`${info.name} is a ${info.task} model (vocabulary ${info.vocab}), not a ${task} one; choose another model`);
    return e.key;
  },
  loadedModel(task) {
    const e = entries.find((m) => m.key === chosen[task]) ?? entries.find((m) => m.task === task);
    return e?.info?.task === task ? e.key : null;
  },
  showResult(r: SolveView) {
    results[r.task] = r;
    if (view === r.task) drawResult(r);
  },
  clearResult() {
    if (view === 'sudoku' || view === 'maze') delete results[view];
    drawResult(null);
  },
  async guard(fn) {
    clearError();
    try {
      await fn();
    } catch (e) {
      showError(e instanceof Error ? e.message : String(e));
    }
  },
};

/** Fills the answer hooks (data-testid answer, segments, verdict, trace) with `r`, or empties them. */
function drawResult(r: SolveView | null): void {
  if (r === null) {
    for (const id of ['answer', 'segments', 'solve-ms', 'verdict', 'trace']) $(id).textContent = '';
    $('answer-box').classList.remove('filled');
    return;
  }
  $('answer').textContent = r.answer;
  $('segments').textContent = String(r.segments);
  $('solve-ms').textContent = `${fmt(r.ms, 1)} ms`;
  const v = $('verdict');
  const ok = r.valid && r.shortest !== false;
  v.textContent = r.valid
    ? r.task === 'sudoku' ? 'a valid solution that keeps every clue' : r.shortest ? 'a shortest path from S to G' : `a path from S to G, ${r.problem ?? 'not a shortest one'}`
    : `not valid: ${r.problem ?? 'wrong'}`;
  v.className = ok ? 'good' : 'badtext';
  $('trace').textContent = JSON.stringify({ segments: r.trace.map((s) => ({ segment: s.segment, preds: s.preds, q_halt: s.q_halt, q_continue: s.q_continue, ms: s.ms })) });
  $('answer-box').classList.add('filled');
}

function load(e: ModelEntry): Promise<ModelInfo> {
  if (!e.loading) {
    $('model-status').textContent = `loading ${e.name}\u2026`;
    e.loading = engine.call<ModelInfo>({ op: 'loadModel', key: e.key, name: e.name, files: e.files, entry: e.entry }).then(
      (info) => {
        e.info = info;
        e.task = info.task;
        fillModelSelect();
        describe(info);
        if (info.task === 'maze') maze.modelLoaded(info);
        document.body.dataset.model = info.key;
        return info;
      },
      (err: Error) => {
        e.loading = undefined;
        $('model-status').textContent = '';
        throw new Error(`${e.name}: ${err.message}`);
      },
    );
  }
  return e.loading;
}

function describe(i: ModelInfo): void {
  $('model-status').textContent = `${i.name}: ${i.task} model (${i.arch}), hidden ${i.hidden}, layers ${i.layers}, cycles H x L ${i.cycles}, ` +
    `${i.haltMaxSteps} segments at most, ${(i.params / 1e6).toFixed(2)}M parameters; loaded in ${fmt(i.loadMs, 0)} ms`;
}

function fillModelSelect(): void {
  const sel = $<HTMLSelectElement>('model-select');
  const task = view === 'sudoku' || view === 'maze' ? view : null;
  const list = entries.filter((m) => task === null || m.task === task || m.task === null || m.task === 'other');
  sel.replaceChildren(...list.map((m) => el('option', { value: m.key }, `${m.name}${m.task ? ` (${m.task})` : ''}`)));
  if (list.length === 0) sel.append(el('option', { value: '' }, task ? `no ${task} model` : 'no model'));
  const cur = task ? chosen[task] ?? list.find((m) => m.task === task)?.key : undefined;
  if (cur) sel.value = cur;
  sel.disabled = list.length === 0;
}

function switchView(v: ViewName): void {
  // an error from one view's action is not the next view's
  if (v !== view) clearError();
  view = v;
  for (const name of ['sudoku', 'maze', 'datasets', 'run'] as const) $(`view-${name}`).hidden = name !== v;
  document.querySelectorAll<HTMLButtonElement>('nav button').forEach((b) => b.classList.toggle('active', b.dataset.view === v));
  const slot = document.querySelector(`#view-${v} .answer-slot`);
  const box = $('answer-box');
  if (slot) slot.append(box);
  box.hidden = !slot;
  drawResult(v === 'sudoku' || v === 'maze' ? results[v] ?? null : null);
  $('models').hidden = v === 'datasets' || v === 'run';
  fillModelSelect();
  if (v === 'sudoku' || v === 'maze') {
    const e = entries.find((m) => m.key === chosen[v]) ?? entries.find((m) => m.task === v);
    if (e?.info) describe(e.info);
    else if (e) void app.guard(async () => void (await load(e)));
    else $('model-status').textContent = '';
  }
}

/** Files the user picked or dropped: a dataset folder, a metrics.jsonl, or a model. */
async function given(files: FileRef[]): Promise<void> {
  if (files.length === 0) return;
  const base = (p: string) => p.split('/').pop() ?? p;
  if (files.some((f) => base(f.path) === 'dataset.json')) {
    switchView('datasets');
    await datasets.open(files);
    return;
  }
  if (files.length === 1 && base(files[0].path).endsWith('.jsonl')) {
    switchView('run');
    await run.open(files[0].blob!, files[0].path);
    return;
  }
  await app.guard(async () => {
    // the model's folder: where all_config.yaml is (a run folder may arrive with its metrics and resume files)
    const cfg = files.find((f) => base(f.path) === 'all_config.yaml');
    if (!cfg) throw new Error(`${files.map((f) => f.path).join(', ')}: no all_config.yaml among the files (a model needs its configuration; pick the run or checkpoint folder, or the weights together with all_config.yaml)`);
    const dir = cfg.path.includes('/') ? cfg.path.slice(0, cfg.path.lastIndexOf('/')) : '';
    const mine = files.filter((f) => (dir ? f.path.startsWith(dir + '/') : !f.path.includes('/')));
    const weights = mine.filter((f) => /\.safetensors$/.test(f.path) && !/resume|all_preds/.test(f.path));
    // one chosen step_N.safetensors: load that file; else the folder (newest step, or the reference 'checkpoint')
    const entry = weights.length === 1 && !mine.some((f) => base(f.path) === 'checkpoint') ? weights[0].path : dir;
    const name = dir ? dir.split('/').pop()! : weights[0] ? base(weights[0].path) : 'dropped model';
    const e: ModelEntry = { key: `drop${++dropCount}`, name, task: null, files: mine.filter((f) => !/resume|all_preds/.test(f.path)), entry };
    entries.push(e);
    const info = await load(e);
    if (info.task === 'sudoku' || info.task === 'maze') {
      chosen[info.task] = e.key;
      if (view !== info.task) switchView(info.task);
    }
    fillModelSelect();
  });
}

/** Every file under a dropped item (folders walked), with its path relative to what was dropped. */
async function droppedFiles(items: DataTransferItemList): Promise<FileRef[]> {
  const out: FileRef[] = [];
  const walk = async (entry: FileSystemEntry, path: string): Promise<void> => {
    if (entry.isFile) {
      const f = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      out.push({ path, blob: f });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const c of batch) await walk(c, `${path}/${c.name}`);
      }
    }
  };
  const roots = [...items].map((it) => it.webkitGetAsEntry()).filter((x): x is FileSystemEntry => x !== null);
  for (const r of roots) await walk(r, r.name);
  return out;
}

const sudoku = new SudokuView(app);
const maze = new MazeView(app);
const datasets = new DatasetsView(app);
const run = new RunView(app);

document.querySelectorAll<HTMLButtonElement>('nav button').forEach((b) => (b.onclick = () => switchView(b.dataset.view as ViewName)));
$<HTMLSelectElement>('model-select').onchange = (ev) => {
  const key = (ev.target as HTMLSelectElement).value;
  const e = entries.find((m) => m.key === key);
  if (!e || (view !== 'sudoku' && view !== 'maze')) return;
  chosen[view] = key;
  void app.guard(async () => void (await load(e)));
};
for (const id of ['model-files', 'model-folder']) {
  $<HTMLInputElement>(id).onchange = (ev) => {
    const files = [...((ev.target as HTMLInputElement).files ?? [])];
    void given(files.map((f) => ({ path: f.webkitRelativePath || f.name, blob: f })));
  };
}
document.addEventListener('dragover', (ev) => {
  ev.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
document.addEventListener('drop', (ev) => {
  ev.preventDefault();
  document.body.classList.remove('dragging');
  if (ev.dataTransfer) void droppedFiles(ev.dataTransfer.items).then(given, (e: Error) => showError(`the dropped files: ${e.message}`));
});

async function start(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const initial: ViewName = q.has('maze') ? 'maze' : (['sudoku', 'maze', 'datasets', 'run'] as const).find((v) => v === q.get('view')) ?? 'sudoku';
  if (q.has('sudoku')) sudoku.setPuzzle(q.get('sudoku')!);
  const t0 = performance.now();
  const wanted0 = q.get('backend');
  const backend = wanted0 === 'wasm' || wanted0 === 'webgpu' ? wanted0 : 'auto';
  const initP = engine.call<{ backend: 'wasm' | 'webgpu'; isa: string; adapter?: string; gpuNote?: string; ms: number }>({
    op: 'init', wasmUrl: 'hrm_kernels.wasm', gpuWorkerUrl: 'gpu-worker.js', backend,
  });
  const listP = fetch('api/models').then((r) => (r.ok ? r.json() : { models: [] }), () => ({ models: [] })) as Promise<{ models: ServedModel[] }>;
  if (q.has('maze')) maze.setMaze(q.get('maze')!);
  else void app.guard(() => maze.generate());
  const [init, listed] = await Promise.all([initP, listP]);
  const ready = `ready in ${fmt(performance.now() - t0, 0)} ms`;
  $('engine').textContent = init.backend === 'webgpu'
    ? `engine: WebGPU on ${init.adapter} in a Worker, ${ready}`
    : `engine: WebAssembly (${init.isa}) in a Worker, ${ready}${init.gpuNote ? ` (no WebGPU: ${init.gpuNote})` : ''}`;
  document.body.dataset.backend = init.backend;
  for (const m of listed.models) {
    entries.push({ key: m.key, name: m.name, task: m.task, files: m.files.map((f) => ({ path: f.path, url: f.url })), entry: m.entry });
  }
  const want = q.get('model');
  const wanted = want ? entries.find((m) => m.key === want || m.name === want) : undefined;
  if (wanted && (wanted.task === 'sudoku' || wanted.task === 'maze')) chosen[wanted.task] = wanted.key;
  switchView(initial);
  if (want && !wanted) showError(`?model=${want}: hrm serve lists no such model (have: ${entries.map((m) => m.key).join(', ') || 'none'})`);
  document.body.dataset.ready = '1';
  if (q.get('solve') === '1') {
    if (initial === 'maze') await maze.solve();
    else if (initial === 'sudoku') await sudoku.solve();
  }
}

interface ServedModel {
  key: string;
  name: string;
  task: ModelInfo['task'];
  entry: string;
  files: { path: string; url: string; bytes: number }[];
}

void start().catch((e: Error) => {
  showError(`the page could not start: ${e.message}`);
  $('engine').textContent = 'engine: not running';
});
