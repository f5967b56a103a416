/**
 * `npm run bench -- --only threads`: the default thread choice against fixed 1 and 2 threads (issue #25),
 * on the machine as it is ("idle") and with other processes keeping all cores but one busy ("busy",
 * `node -e 'for(;;){}'` children at the benchmark's own priority, started before and killed after), for
 *   solve       the bundled Sudoku model, one puzzle at a time, every segment (`hrm solve sudoku --batch 1`)
 *   quickstart  one training step of configs/quickstart.yaml's model at its batch size
 *   reference   one training step of the reference-size HRM (bench step-host's config: hidden 512, 8 heads,
 *               4+4 layers, 27M parameters) at batch 4, not 96: at 16 one step took 36 s on one thread
 *               while other jobs shared the 2 cores, and the layers' shapes are the same
 * Modes, switched inside one process per (case, load) so that they share the model and the warm pool:
 *   1        setThreads(1)
 *   2        setThreads(2), and every kernel call with more than ~10 us of work uses both (split floor
 *            5 us a thread: the rule before issue #25)
 *   default  what a user gets: HRM_THREADS or all cores, each call split only when every thread gets
 *            80 us of work (native/kernels/split.h); without HRM_THREADS, only as many threads as
 *            other processes leave cores free (src/engine/free-cores.ts, rechecked every 500 ms)
 * All three wait for each other as the package sets OpenMP up (threads sleep at once, no spinning:
 * src/engine/backends/native.ts); OMP_WAIT_POLICY or GOMP_SPINCOUNT in the environment override that.
 * The modes take turns in rounds (the order rotating), so a change in what else the machine runs touches
 * all three alike. One JSON line per (case, load, mode): the median wall time per run (ms, min, max), the
 * 1-minute load average at the child's start and end; the default's line adds `ratio_to_best`, its median
 * over the better median of 1 and 2 threads (the target: at most 1.1). A table of the same goes to stderr.
 * `--cases solve,quickstart` runs only those cases.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getBackend, setBackend } from '../src/engine/index.js';
import { HRM } from '../src/models/hrm/act.js';
import { parseHRMConfig } from '../src/models/hrm/config.js';
import { buildRegisteredModel } from '../src/models/registry.js';
import { bundledModelPath } from '../src/model-files/bundle.js';
import { Solver } from '../src/solve/solver.js';
import { Rng } from '../src/util/random.js';
import type { BenchOptions } from './main.js';
import { quickstartArch } from './solve.js';
import { STEP_HOST_CONFIG } from './step-host.js';
import { trainingStep } from './train-step.js';
import { emit, round, summarize } from './util.js';

const CASES = ['solve', 'quickstart', 'reference'] as const;
type Case = (typeof CASES)[number];
const MODES = ['1', '2', 'default'] as const;
type Mode = (typeof MODES)[number];
const REFERENCE_BATCH = 4;
/** ns of work per thread above which a call split before issue #25 (32,768 floats of an elementwise
 * kernel, ~1 MFLOP of GEMM, every attention call): about 5 us a thread at the split.h rates */
const OLD_FLOOR_NS = 5000;
/** an everyday puzzle (29 clues; the web page's medium example), as bench/solve.ts's bundled case */
const PUZZLE = '..28.5.4...8....5....93.....7.48..............5.1.32...9.57..83..734.16.4..69.5..';

interface Rig {
  once: () => void;
  dispose: () => void;
  rounds: number;
  reps: number;
  config: Record<string, unknown>;
}

function rig(which: Case, quick: boolean): Rig {
  const rng = new Rng(0);
  if (which === 'solve') {
    const solver = Solver.load(bundledModelPath('sudoku'));
    const puzzles = solver.parse('sudoku', PUZZLE, 'bench', false);
    if (!solver.solve('sudoku', puzzles, { batchSize: 1 })[0].valid) throw new Error('bench threads: the bundled model did not solve the puzzle');
    return {
      once: () => void solver.solve('sudoku', puzzles, { batchSize: 1 }),
      dispose: () => solver.dispose(),
      // one run per mode per round, 60 rounds: single 100 ms solves on this VM spread from 0.7x to 1.3x
      // of their median, and 5 rounds of 6 left the modes' medians 10% apart between two runs
      rounds: quick ? 9 : 60,
      reps: 1,
      config: { model: 'sudoku', batch: 1, segments: 'all' },
    };
  }
  if (which === 'quickstart') {
    const q = quickstartArch();
    const shape = { batch_size: q.batch, seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1 };
    const model = buildRegisteredModel(q.name, { ...shape, ...q.arch }, rng, 'bench/threads.ts quickstart');
    const step = trainingStep(model, shape, rng, { lr: 1.5e-3, puzzleLr: 1e-2, ema: true });
    return {
      once: step.step,
      dispose: () => (step.dispose(), model.dispose()),
      rounds: quick ? 2 : 6,
      reps: 2,
      config: { arch: q.name, ...q.arch, batch_size: q.batch },
    };
  }
  const config = { ...STEP_HOST_CONFIG, batch_size: REFERENCE_BATCH };
  const cfg = parseHRMConfig(config, 'bench/threads.ts reference');
  const model = new HRM(cfg, rng);
  const step = trainingStep(model, cfg, rng, { lr: 1e-4, puzzleLr: 1e-2 });
  return { once: step.step, dispose: () => (step.dispose(), model.dispose()), rounds: quick ? 2 : 5, reps: 1, config };
}

interface ChildResult {
  samples: Record<Mode, number[]>;
  loadavg: [number, number];
  defaultThreads: number;
  config: Record<string, unknown>;
}

/** In the child: one case, the three modes in rotating rounds; one JSON object on stdout. */
function child(which: Case, quick: boolean): void {
  setBackend('native');
  const be = getBackend();
  const defaultThreads = be.threads, defaultFloor = be.splitFloor, defaultAuto = be.autoThreads;
  const apply: Record<Mode, () => void> = {
    '1': () => (be.setThreads(1), be.setAutoThreads(false), be.setSplitFloor(defaultFloor)),
    '2': () => (be.setThreads(2), be.setAutoThreads(false), be.setSplitFloor(OLD_FLOOR_NS)),
    default: () => (be.setThreads(defaultThreads), be.setAutoThreads(defaultAuto), be.setSplitFloor(defaultFloor)),
  };
  const la0 = loadavg()[0];
  const r = rig(which, quick);
  for (const m of MODES) (apply[m](), r.once()); // warm-up: the pool, the JIT and the default's timings
  const samples: Record<Mode, number[]> = { '1': [], '2': [], default: [] };
  for (let k = 0; k < r.rounds; k++) {
    for (let j = 0; j < MODES.length; j++) {
      const m = MODES[(j + k) % MODES.length];
      apply[m]();
      for (let i = 0; i < r.reps; i++) {
        const t0 = process.hrtime.bigint();
        r.once();
        samples[m].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
  }
  r.dispose();
  const out: ChildResult = { samples, loadavg: [la0, loadavg()[0]], defaultThreads, config: r.config };
  process.stdout.write(JSON.stringify(out) + '\n');
}

/** `n` spinning processes; killed by the returned function (and when this process exits). */
function startLoad(n: number): () => void {
  const hogs: ChildProcess[] = [];
  for (let i = 0; i < n; i++) hogs.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  const stop = (): void => {
    for (const h of hogs) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
  };
  process.once('exit', stop);
  return () => {
    stop();
    process.removeListener('exit', stop);
  };
}

export async function run(opts: BenchOptions): Promise<void> {
  if (!opts.backends.includes('native')) {
    process.stderr.write('bench threads: needs the native backend (wasm runs one thread)\n');
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const hogs = Math.max(1, availableParallelism() - 1);
  // --cases solve,quickstart: a subset (default: all three)
  const i = process.argv.indexOf('--cases');
  const cases = i >= 0 ? (process.argv[i + 1] ?? '').split(',') : [...CASES];
  for (const c of cases) if (!(CASES as readonly string[]).includes(c)) throw new Error(`bench threads: unknown case '${c}' (have: ${CASES.join(', ')})`);
  const table: string[] = [];
  for (const load of ['idle', 'busy'] as const) {
    const stop = load === 'busy' ? startLoad(hogs) : () => {};
    try {
      if (load === 'busy') await new Promise((r) => setTimeout(r, 500)); // let the hogs get going
      for (const which of cases) {
        const r = spawnSync(process.execPath, [self, '--threads-child', which, opts.quick ? 'quick' : 'full'], { encoding: 'utf8', env: process.env });
        if (r.status !== 0) {
          process.stderr.write(`bench threads ${which} ${load} failed:\n${r.stderr}\n`);
          continue;
        }
        const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
        const med = Object.fromEntries(MODES.map((m) => [m, summarize(res.samples[m])])) as Record<Mode, ReturnType<typeof summarize>>;
        const best = Math.min(med['1'].median, med['2'].median);
        const ratio = med.default.median / best;
        for (const m of MODES) {
          emit({
            bench: 'threads', backend: 'native', threads: m === 'default' ? `default (at most ${res.defaultThreads})` : Number(m), case: which, load,
            busy_processes: load === 'busy' ? hogs : 0, ms: round(med[m].median, 1), min: round(med[m].min, 1), max: round(med[m].max, 1),
            runs: med[m].samples.length, loadavg_start: round(res.loadavg[0], 2), loadavg_end: round(res.loadavg[1], 2),
            ...(m === 'default' ? { ratio_to_best: round(ratio, 3) } : {}), config: res.config,
          });
        }
        table.push(
          `| ${which} | ${load} | ${res.loadavg.map((x) => x.toFixed(1)).join('-')} | ${MODES.map((m) => med[m].median.toFixed(1)).join(' | ')} | ${ratio.toFixed(2)} |`,
        );
      }
    } finally {
      stop();
    }
  }
  process.stderr.write(
    ['| case | load | load avg | 1 thread (ms) | 2 threads (ms) | default (ms) | default / best |', '|---|---|---|---:|---:|---:|---:|', ...table].join('\n') + '\n',
  );
}

if (process.argv[2] === '--threads-child') {
  try {
    child(process.argv[3] as Case, process.argv[4] === 'quick');
  } catch (e) {
    console.error(e);
    process.exitCode = 1;
  }
}
