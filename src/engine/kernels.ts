/**
 * The kernels on the TypeScript side: the table generated from native/kernels.spec (KERNELS, the typed
 * `Kernels` interface; src/engine/kernel-table.ts), the `RawBackend` a loader (backends/native.ts,
 * backends/wasm.ts) provides and the read of the build's limits. It imports only the generated table,
 * so the loaders and backend.ts both depend on it without a cycle.
 */
import { KERNELS, type Ptr } from './kernel-table.js';

// The table itself is generated from native/kernels.spec (scripts/gen-kernels.mjs).
export { KERNELS, type KernelName, type Kernels, type Ptr } from './kernel-table.js';

/** What a loader (backends/native.ts, backends/wasm.ts) provides; backend.ts adds pooling and typing. */
export interface RawBackend {
  readonly name: 'native' | 'wasm' | 'webgpu';
  readonly isa: string;
  /** the most threads it can use (wasm: 1) */
  readonly maxThreads: number;
  alloc(bytes: number): Ptr;
  free(ptr: Ptr, bytes: number): void;
  f32(ptr: Ptr, n: number): Float32Array;
  i32(ptr: Ptr, n: number): Int32Array;
  f64(ptr: Ptr, n: number): Float64Array;
  /** the current view of the shared argument buffer (at least 16 doubles) */
  args(): Float64Array;
  /** runs kernel `id` (index in KERNELS) on the arguments in args() */
  call(id: number): void;
  setThreads(n: number): void;
  /** the least estimated work (ns) each thread of a split call gets (native only; Backend.splitFloor) */
  setSplitFloor?(ns: number): void;
  splitFloor?(): number;
  /** floats of attention scratch the kernels have per thread (Infinity: grown on demand) */
  readonly attentionScratchFloats: number;
  /**
   * Backends whose memory JS cannot see (webgpu): copies in and out, and `sync` to wait until every
   * call so far has been handed to the device. The CPU backends have views instead (f32, i32, f64).
   */
  read?(ptr: Ptr, bytes: number): Uint8Array;
  write?(ptr: Ptr, bytes: Uint8Array): void;
  sync?(): void;
}

/** The build's limits from its `engine_limits` kernel (C owns them; nothing is copied here). */
export function readEngineLimits(raw: Pick<RawBackend, 'alloc' | 'free' | 'f32' | 'args' | 'call'>): {
  maxThreads: number;
  attentionScratchFloats: number;
} {
  const id = KERNELS.findIndex(([n]) => n === 'engine_limits');
  const bytes = 2 * Float32Array.BYTES_PER_ELEMENT;
  const p = raw.alloc(bytes);
  try {
    raw.args()[0] = p;
    raw.call(id);
    const [threads, scratch] = raw.f32(p, 2);
    return { maxThreads: threads, attentionScratchFloats: scratch < 0 ? Infinity : scratch };
  } finally {
    raw.free(p, bytes);
  }
}
