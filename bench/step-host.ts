/**
 * Host time and host traffic of one HRM training step at the reference's model size
 * (`npm run bench -- --only step-host`): hidden 512, 8 heads, expansion 4, 4 H and 4 L layers, 2x2
 * cycles, halt_max_steps 16, a 512-wide puzzle embedding over 1,000 identifiers (seq 81 + 1 = 82
 * positions), vocab 11, batch 96 (the reference's 768 does not fit in this machine's memory), native
 * backend, float32. One line per backend:
 *   ms           the step's wall time (median of the timed steps)
 *   kernel_ms    the part spent inside kernel calls (each call timed)
 *   host_ms      the rest: JS between the kernels (the tape, halting, metrics, batch assembly)
 *   to_host_bytes / to_device_bytes   bytes copied by backend.read* / write* per step, and the
 *                largest single copy: what a GPU backend would move over the bus
 *   before_*     what the host side of the step cost before issue #8, re-enacted here on this step's
 *                shapes in the same process: H_init and L_init tiled in JS arrays and uploaded, the
 *                logits copied out and arg-maxed in JS, ids and labels read back for their range check,
 *                the Q target's inputs read out and the target written back, the puzzle rows' gradient
 *                read and the rows read and written by SignSGD. `saved_host_ms` is its median time.
 */
import { cpus } from 'node:os';
import { getBackend, setBackend, type Backend } from '../src/engine/index.js';
import { HRM } from '../src/models/hrm/act.js';
import { HRM_DEFAULTS, parseHRMConfig, puzzleEmbLen, type HRMConfig } from '../src/models/hrm/config.js';
import { Rng } from '../src/util/random.js';
import type { BenchOptions } from './main.js';
import { emit, round, summarize } from './util.js';
import { trainingStep } from './train-step.js';

/** The reference's HRM (its defaults) on Sudoku-shaped data, at batch 96. */
export const STEP_HOST_CONFIG = {
  ...HRM_DEFAULTS,
  batch_size: 96,
  seq_len: 81,
  vocab_size: 11,
  num_puzzle_identifiers: 1000,
  puzzle_emb_ndim: HRM_DEFAULTS.hidden_size,
};

interface Counters {
  kernelMs: number;
  toHost: number;
  toDevice: number;
  largest: number;
}

/** Times every kernel call and counts the bytes of every host copy until `restore` is called. */
function instrument(be: Backend, c: Counters): () => void {
  // Every kernel call ends in the loaded module's call(id) (src/engine/backend.ts makeKernels); timing
  // it there also catches the functions the ops keep in their dtype tables. Bench-only: a private field.
  const raw = (be as unknown as { raw: { call(id: number): void } }).raw;
  const call = raw.call;
  raw.call = (id: number) => {
    const t0 = process.hrtime.bigint();
    call.call(raw, id);
    c.kernelMs += Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const io = { readF32: be.readF32, readI32: be.readI32, writeF32: be.writeF32, writeI32: be.writeI32 };
  const count = (dir: 'toHost' | 'toDevice', bytes: number) => {
    c[dir] += bytes;
    if (bytes > c.largest) c.largest = bytes;
  };
  be.readF32 = (ptr, n) => (count('toHost', 4 * n), io.readF32.call(be, ptr, n));
  be.readI32 = (ptr, n) => (count('toHost', 4 * n), io.readI32.call(be, ptr, n));
  be.writeF32 = (ptr, d) => (count('toDevice', 4 * d.length), io.writeF32.call(be, ptr, d));
  be.writeI32 = (ptr, d) => (count('toDevice', 4 * d.length), io.writeI32.call(be, ptr, d));
  return () => {
    raw.call = call;
    Object.assign(be, io);
  };
}

/**
 * The host work the step did before issue #8, on the same device buffers (scratch allocations of the
 * same sizes): the JS tiles of H_init/L_init written up, the logits read and arg-maxed, ids and labels
 * read back, the Q target's 2 x B values read and B written, and SignSGD's gradient and row copies.
 */
function beforeHostWork(be: Backend, c: HRMConfig): void {
  const B = c.batch_size, S = c.seq_len + puzzleEmbLen(c), D = c.hidden_size, T = c.seq_len, V = c.vocab_size;
  const ptr = be.alloc(4 * B * S * D);
  try {
    const init = new Float32Array(D).fill(0.25);
    for (let level = 0; level < 2; level++) {
      const tile = new Float32Array(B * S * D);
      for (let r = 0; r < B * S; r++) tile.set(init, r * D);
      be.writeF32(ptr, tile);
    }
    const logits = be.readF32(ptr, Math.min(B * T * V, B * S * D));
    const preds = new Int32Array(B * T);
    for (let n = 0; n < B * T; n++) {
      let best = 0;
      for (let v = 1; v < V; v++) if (logits[n * V + v] > logits[n * V + best]) best = v;
      preds[n] = best;
    }
    be.readI32(ptr, B * T); // input ids
    be.readI32(ptr, B); // puzzle ids
    be.readI32(ptr, B * T); // labels
    const q = [be.readF32(ptr, B), be.readF32(ptr, B)];
    be.writeF32(ptr, Float32Array.from(q[0], (x, b) => 1 / (1 + Math.exp(-Math.max(x, q[1][b])))));
    const g = be.readF32(ptr, B * c.puzzle_emb_ndim);
    for (let b = 0; b < B; b++) {
      const row = be.readF32(ptr + 4 * b * c.puzzle_emb_ndim, c.puzzle_emb_ndim);
      for (let i = 0; i < row.length; i++) row[i] = Math.fround(row[i] * 0.99) - 1e-4 * Math.sign(g[b * c.puzzle_emb_ndim + i]);
      be.writeF32(ptr + 4 * b * c.puzzle_emb_ndim, row);
    }
  } finally {
    be.free(ptr, 4 * B * S * D);
  }
}

export async function run(opts: BenchOptions): Promise<void> {
  // The reference size takes seconds per step on a CPU; wasm (one thread, 4 GB memory) is left out.
  for (const backend of opts.backends.filter((b) => b === 'native')) {
    setBackend(backend as Parameters<typeof setBackend>[0]);
    const be = getBackend();
    const threads = Number(process.env.HRM_THREADS ?? cpus().length);
    const cfg = parseHRMConfig(STEP_HOST_CONFIG, 'bench/step-host.ts');
    const rng = new Rng(0);
    const model = new HRM(cfg, rng);
    const { step, dispose } = trainingStep(model, cfg, rng, { lr: 1e-4, puzzleLr: 1e-2 });
    step(); // first step: pool and JIT warm-up
    const runs = opts.quick ? 2 : 4;
    const wall: number[] = [], kernel: number[] = [], host: number[] = [];
    let bytes: Counters = { kernelMs: 0, toHost: 0, toDevice: 0, largest: 0 };
    for (let i = 0; i < runs; i++) {
      const c: Counters = { kernelMs: 0, toHost: 0, toDevice: 0, largest: 0 };
      const restore = instrument(be, c);
      const t0 = process.hrtime.bigint();
      try {
        step();
      } finally {
        restore();
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      wall.push(ms);
      kernel.push(c.kernelMs);
      host.push(ms - c.kernelMs);
      bytes = c;
    }
    dispose();
    const before: number[] = [];
    const bc: Counters = { kernelMs: 0, toHost: 0, toDevice: 0, largest: 0 };
    for (let i = 0; i < 5; i++) {
      const restore = i === 0 ? instrument(be, bc) : () => {};
      const t0 = process.hrtime.bigint();
      beforeHostWork(be, cfg);
      before.push(Number(process.hrtime.bigint() - t0) / 1e6);
      restore();
    }
    const w = summarize(wall), h = summarize(host), b = summarize(before.slice(1));
    emit({
      bench: 'hrm-step-host', backend, threads, ms: round(w.median), min: round(w.min), max: round(w.max),
      kernel_ms: round(summarize(kernel).median), host_ms: round(h.median), host_min: round(h.min), host_max: round(h.max),
      to_host_bytes: bytes.toHost, to_device_bytes: bytes.toDevice, largest_copy_bytes: bytes.largest,
      before_to_host_bytes: bc.toHost, before_to_device_bytes: bc.toDevice, before_largest_copy_bytes: bc.largest,
      saved_host_ms: round(b.median), config: STEP_HOST_CONFIG,
    });
  }
}
