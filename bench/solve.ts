/**
 * `npm run bench -- --only solve`: answering one Sudoku (batch 1, all halt_max_steps segments, through the
 * inference path plus decoding and the answer check) with
 *   paper:      the paper's model (hidden 512, 8 heads, expansion 4, 4+4 layers, 2x2 cycles, 16 segments,
 *               puzzle embedding 512: ~27M parameters), random weights of the published shapes
 *   quickstart: the quick-start model (the arch of configs/quickstart.yaml)
 *   bundled-<name>: each bundled model in models/ on a puzzle of its kind, through `Solver` (what `hrm
 *               solve` runs: load, parse, inference, decode, check), all segments and with --halt
 * Each (model, backend) runs in its own child process so that `peak_rss_mb` (the process's maximum
 * resident set) belongs to that model alone. Prints ms median, min, max, and `cpu_ms`, the process CPU
 * time of one solve (all threads): on a loaded machine it shows what the solve costs without the waiting.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { getBackend, setBackend } from '../src/engine/index.js';
import { HRM } from '../src/models/hrm/act.js';
import { buildRegisteredModel } from '../src/models/registry.js';
import type { ACTConfig } from '../src/models/shared/act.js';
import { infer } from '../src/models/shared/inference.js';
import { SUDOKU } from '../src/solve/sudoku.js';
import { Solver, type TaskName } from '../src/solve/solver.js';
import { MazeGenerator } from '../src/data/maze-generator.js';
import { bundledModelNames, bundledModelPath } from '../src/model-files/bundle.js';
import { Rng } from '../src/util/random.js';
import type { BenchOptions } from './main.js';
import { emit, round, summarize, timeIt } from './util.js';

const SUDOKU_DATA = { batch_size: 1, seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1 };
const PAPER = {
  hidden_size: 512, num_heads: 8, expansion: 4, H_layers: 4, L_layers: 4, H_cycles: 2, L_cycles: 2,
  halt_max_steps: 16, puzzle_emb_ndim: 512, pos_encodings: 'rope', loss_type: 'stablemax_cross_entropy',
};
const PUZZLE = '...7.2..5....95.8.19..8..67..4...6....79...2.26...1......5......39.....8....784..';

/** The quick-start model's registry name, its model keys and its batch size (configs/quickstart.yaml). */
export function quickstartArch(): { name: string; arch: Record<string, unknown>; batch: number } {
  const path = fileURLToPath(new URL('../../configs/quickstart.yaml', import.meta.url));
  const doc = YAML.parse(readFileSync(path, 'utf8')) as { arch: Record<string, unknown>; global_batch_size: number };
  const { name, loss, forward_dtype: _f, ...rest } = doc.arch as Record<string, unknown> & { loss?: { loss_type?: string } };
  return {
    name: typeof name === 'string' ? name : 'hrm_v1',
    arch: { ...rest, loss_type: loss?.loss_type ?? 'stablemax_cross_entropy' },
    batch: doc.global_batch_size,
  };
}

/** In the child: one model on one backend, one JSON line. */
async function child(which: 'paper' | 'quickstart', backend: string, quick: boolean): Promise<void> {
  setBackend(backend as 'native' | 'wasm');
  const { name, arch } = which === 'paper' ? { name: 'hrm_v1', arch: PAPER } : quickstartArch();
  const model = buildRegisteredModel(name, { ...SUDOKU_DATA, ...arch }, new Rng(0), `bench solve ${which}`);
  const cfg = model.config as ACTConfig & Record<string, number>;
  const params = model.namedState().reduce((s, e) => s + e.tensor.size, 0);
  const [puzzle] = SUDOKU.parse(PUZZLE, 'bench', false);
  const input = { inputs: puzzle.tokens, puzzle_identifiers: new Int32Array(1) };
  let valid = false;
  const cpu: number[] = [];
  const solveOnce = (): void => {
    const c0 = process.cpuUsage();
    const r = infer(model, input);
    valid = SUDOKU.judge(SUDOKU.decode(r.preds, puzzle), puzzle).valid;
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3);
  };
  const runs = which === 'paper' ? (backend === 'wasm' || quick ? 3 : 7) : quick ? 10 : 30;
  const t = await timeIt(solveOnce, runs, which === 'paper' ? 1 : 3);
  const be = getBackend();
  const cpuMs = summarize(cpu.slice(-runs)).median;
  // forward FLOPs of the blocks (multiply-add = 2), for HRM: every segment runs H_cycles*(L_cycles*L_layers + H_layers) block calls
  let gflop = NaN;
  if (model instanceof HRM) {
    const S = cfg.seq_len + Math.ceil(cfg.puzzle_emb_ndim / cfg.hidden_size);
    const perBlock = model.inner.H[0].stateDict('').reduce((s, [, t]) => s + t.size, 0) * 2 * S + 4 * S * S * cfg.hidden_size;
    gflop = (cfg.halt_max_steps * cfg.H_cycles * (cfg.L_cycles * cfg.L_layers + cfg.H_layers) * perBlock) / 1e9;
  }
  emit({
    bench: 'solve', model: which, arch: name, backend, threads: be.threads, ms: round(t.median, 2), min: round(t.min, 2), max: round(t.max, 2),
    cpu_ms: round(cpuMs, 2), gflop: round(gflop, 2), gflops: round(gflop / (t.median / 1e3), 1), gflops_per_cpu_s: round(gflop / (cpuMs / 1e3), 1),
    segments: cfg.halt_max_steps, batch: 1, params, peak_rss_mb: round(process.resourceUsage().maxRSS / 1024), valid_answer: valid,
    config: arch,
  });
  model.dispose();
}

/** In the child: one bundled model, one JSON line per halting mode. */
async function bundledChild(name: string, backend: string, quick: boolean): Promise<void> {
  setBackend(backend as 'native' | 'wasm');
  const solver = Solver.load(bundledModelPath(name));
  const task = (solver.files.bundle?.task ?? 'sudoku') as TaskName;
  // Sudoku: an everyday puzzle (29 clues; the web page's medium example), the kind the bundled model is
  // for, timed again and again. Maze: MAZE_COUNT generated mazes of the largest side, one after another,
  // each timed once: with --halt a maze's time is its segments', and those differ from maze to maze,
  // so the median over many mazes is what "one maze" costs
  const side = task === 'maze' ? mazeSide(solver) : 9;
  const texts = task === 'maze' ? Array.from({ length: MAZE_COUNT }, (_, i) => mazeText(side, 5 + i)) : ['..28.5.4...8....5....93.....7.48..............5.1.32...9.57..83..734.16.4..69.5..'];
  const puzzles = texts.map((text) => solver.parse(task, text, 'bench', task === 'maze'));
  for (const halt of [false, true]) {
    const valid: boolean[] = [];
    const segments: number[] = [];
    const cpu: number[] = [];
    let next = 0;
    const once = (): void => {
      const c0 = process.cpuUsage();
      const [r] = solver.solve(task, puzzles[next++ % puzzles.length], { halt, batchSize: 1 });
      valid.push(r.valid);
      segments.push(r.segments);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e3);
    };
    const runs = quick ? 10 : task === 'maze' ? MAZE_COUNT : 30;
    const t = await timeIt(once, runs, 3);
    const median = (xs: number[]): number => summarize(xs.slice(-runs)).median;
    emit({
      bench: 'solve', model: `bundled-${name}`, arch: solver.spec.entry.key, task, halt, backend, threads: getBackend().threads,
      ms: round(t.median, 2), min: round(t.min, 2), max: round(t.max, 2), cpu_ms: round(median(cpu), 2), segments: median(segments), batch: 1, side,
      ...(task === 'maze' ? { mazes: Math.min(runs, puzzles.length) } : {}),
      peak_rss_mb: round(process.resourceUsage().maxRSS / 1024), valid_answer: valid.slice(-runs).every(Boolean),
      ...(task === 'maze' ? { valid_answers: valid.slice(-runs).filter(Boolean).length } : {}),
    });
  }
  solver.dispose();
}

/** The largest maze side a model serves: a rope_2d model's range, a fixed model's seq_len, else 30. */
function mazeSide(solver: Solver): number {
  return solver.spec.sides?.max ?? (solver.spec.seqLen !== null ? Math.round(Math.sqrt(solver.spec.seqLen)) : 30);
}

/** Mazes timed per bundled maze model (each once per halting mode). */
const MAZE_COUNT = 15;

/** A generated n x n maze of the Maze-Hard style (seeded): shortest path >= 110 steps at 30x30, scaled with the area. */
function mazeText(n: number, seed: number): string {
  const m = new MazeGenerator(new Rng(seed), n, Math.max(2, Math.round((n * n * 110) / 900))).generate();
  if (!m) throw new Error('bench solve: no maze generated');
  return Array.from({ length: n }, (_, r) => m.question.slice(r * n, (r + 1) * n)).join('\n');
}

export async function run(opts: BenchOptions): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  for (const name of bundledModelNames()) {
    for (const backend of opts.backends) {
      const r = spawnSync(process.execPath, [self, '--bundled', name, backend, opts.quick ? 'quick' : 'full'], { encoding: 'utf8', env: process.env });
      if (r.status !== 0) process.stderr.write(`bench solve bundled ${name} ${backend} failed:\n${r.stderr}\n`);
      else process.stdout.write(r.stdout);
    }
  }
  for (const which of ['paper', 'quickstart'] as const) {
    for (const backend of opts.backends) {
      const r = spawnSync(process.execPath, [self, '--child', which, backend, opts.quick ? 'quick' : 'full'], { encoding: 'utf8', env: process.env });
      if (r.status !== 0) {
        process.stderr.write(`bench solve ${which} ${backend} failed:\n${r.stderr}\n`);
        continue;
      }
      process.stdout.write(r.stdout);
    }
  }
}

if (process.argv[2] === '--bundled') {
  bundledChild(process.argv[3], process.argv[4], process.argv[5] === 'quick').catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as 'paper' | 'quickstart', process.argv[4], process.argv[5] === 'quick').catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
