/**
 * Loads the Node-API addon build/Release/hrm_kernels.node (built by scripts/build-native.mjs at
 * npm install) synchronously. Memory comes from aligned_alloc; views are external ArrayBuffers.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { KERNELS, readEngineLimits, type Ptr, type RawBackend } from '../kernels.js';
import { packageRoot } from './package-root.js';

interface Addon {
  alloc(bytes: number): number;
  free(ptr: number): void;
  view(ptr: number, bytes: number): ArrayBuffer;
  args(): Float64Array;
  call(id: number): void;
  kernels(): string[];
  isa(): string;
  setThreads(n: number): void;
  threads(): number;
  setSplitFloor(ns: number): void;
  splitFloor(): number;
}

/** build/Release/hrm_kernels.node, or the file named by env HRM_NATIVE_ADDON (a custom build). */
export function addonPath(): string {
  const env = process.env.HRM_NATIVE_ADDON;
  return env ? env : join(packageRoot(), 'build', 'Release', 'hrm_kernels.node');
}

/** An addon built before the kernels chose their own thread counts lacks the split floor. */
function current(addon: Addon, path: string): void {
  if (typeof addon.setSplitFloor !== 'function') throw new Error(`${path} is out of date: it has no setSplitFloor (run npm run build:native)`);
}

export function loadNative(): RawBackend {
  const path = addonPath();
  if (!existsSync(path)) throw new Error(`${path} is missing (run npm run build:native)`);
  // The OpenMP runtime reads its settings when the addon loads it, so they go into the environment
  // first. Threads waiting for work or at a barrier sleep at once instead of spinning: a spinning
  // thread holds a core that another process (or our own other thread) needs, and on a busy 2-core
  // machine one split kernel call cost 0.2-0.7 ms spinning 10,000 rounds against ~20 us sleeping (issue
  // #25). Splits are rare enough (native/kernels/split.h) that the wake-up is cheap. Users' own settings win.
  if (process.env.GOMP_SPINCOUNT === undefined && process.env.OMP_WAIT_POLICY === undefined) {
    process.env.OMP_WAIT_POLICY = 'passive';
  }
  const addon = createRequire(import.meta.url)(path) as Addon;
  const names = addon.kernels();
  const want = KERNELS.map(([n]) => n);
  if (names.join(',') !== want.join(',')) {
    throw new Error(`${path} is out of date: its kernel table differs from src/engine/kernels.ts (run npm run build:native)`);
  }
  const args = addon.args();
  // One external ArrayBuffer per allocated block, made on first use and dropped when the block is
  // freed: native memory never moves, so typed arrays over it stay valid while the block lives, and
  // repeated reads of the same tensor create no new buffers for the garbage collector.
  const blockBytes = new Map<Ptr, number>();
  const blockViews = new Map<Ptr, ArrayBuffer>();
  const buffer = (ptr: Ptr, bytes: number): [ArrayBuffer, number] => {
    const size = blockBytes.get(ptr);
    if (size !== undefined && bytes <= size) {
      let ab = blockViews.get(ptr);
      if (!ab) blockViews.set(ptr, (ab = addon.view(ptr, size)));
      return [ab, 0];
    }
    return [addon.view(ptr, bytes), 0]; // inside a block (a tensor view with an offset)
  };
  const raw: Omit<RawBackend, 'maxThreads' | 'attentionScratchFloats'> = {
    name: 'native',
    isa: addon.isa(),
    alloc(bytes) {
      const p = addon.alloc(bytes);
      blockBytes.set(p, bytes);
      return p;
    },
    free(ptr) {
      blockBytes.delete(ptr);
      blockViews.delete(ptr);
      addon.free(ptr);
    },
    // an external ArrayBuffer over address 0 counts as detached: empty views are plain arrays
    f32: (ptr, n) => (n === 0 ? new Float32Array(0) : new Float32Array(...buffer(ptr, n * Float32Array.BYTES_PER_ELEMENT), n)),
    i32: (ptr, n) => (n === 0 ? new Int32Array(0) : new Int32Array(...buffer(ptr, n * Int32Array.BYTES_PER_ELEMENT), n)),
    f64: (ptr, n) => (n === 0 ? new Float64Array(0) : new Float64Array(...buffer(ptr, n * Float64Array.BYTES_PER_ELEMENT), n)),
    args: () => args,
    call: (id) => addon.call(id),
    setThreads: (n) => addon.setThreads(n),
    setSplitFloor: (ns) => (current(addon, path), addon.setSplitFloor(ns)),
    splitFloor: () => (current(addon, path), addon.splitFloor()),
  };
  return { ...raw, ...readEngineLimits(raw) };
}
