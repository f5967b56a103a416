/**
 * Loads the Node-API addon build/Release/hrm_kernels.node (built by scripts/build-native.mjs at
 * npm install) synchronously. Memory comes from aligned_alloc; views are external ArrayBuffers.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { KERNELS, type Ptr, type RawBackend } from '../backend.js';
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
}

/** build/Release/hrm_kernels.node, or the file named by env HRM_NATIVE_ADDON (a custom build). */
export function addonPath(): string {
  const env = process.env.HRM_NATIVE_ADDON;
  return env ? env : join(packageRoot(), 'build', 'Release', 'hrm_kernels.node');
}

export function loadNative(): RawBackend {
  const path = addonPath();
  if (!existsSync(path)) throw new Error(`${path} is missing (run npm run build:native)`);
  const addon = createRequire(import.meta.url)(path) as Addon;
  const names = addon.kernels();
  const want = KERNELS.map(([n]) => n);
  if (names.join(',') !== want.join(',')) {
    throw new Error(`${path} is out of date: its kernel table differs from src/engine/backend.ts (run npm run build:native)`);
  }
  const args = addon.args();
  const view = (ptr: Ptr, bytes: number): ArrayBuffer => addon.view(ptr, bytes);
  return {
    name: 'native',
    isa: addon.isa(),
    maxThreads: 256, // HRM_MAX_THREADS in native/kernels/common.h
    attentionScratchFloats: Infinity,
    alloc: (bytes) => addon.alloc(bytes),
    free: (ptr) => addon.free(ptr),
    // an external ArrayBuffer over address 0 counts as detached: empty views are plain arrays
    f32: (ptr, n) => (n === 0 ? new Float32Array(0) : new Float32Array(view(ptr, n * 4))),
    i32: (ptr, n) => (n === 0 ? new Int32Array(0) : new Int32Array(view(ptr, n * 4))),
    f64: (ptr, n) => (n === 0 ? new Float64Array(0) : new Float64Array(view(ptr, n * 8))),
    args: () => args,
    call: (id) => addon.call(id),
    setThreads: (n) => addon.setThreads(n),
  };
}
