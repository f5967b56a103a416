/**
 * node:os, node:url, node:module, node:zlib and node:worker_threads for the browser bundles: only what the project imports.
 * The wasm backend is single-threaded (availableParallelism 1); the native addon never loads here.
 * Torch checkpoints are stored zips (torch.save does not compress), so inflate is never needed for them.
 */
export function availableParallelism(): number {
  return 1;
}

export function fileURLToPath(u: string | URL): string {
  return new URL(String(u)).pathname;
}

export function createRequire(): never {
  throw new Error('the native addon cannot load in a browser');
}

/** zip.ts uses its own CRC-32 when this is not a function */
export const crc32 = undefined;

export function inflateRawSync(): never {
  throw new Error('this zip archive has compressed members, which the page cannot read; convert it with hrm convert first');
}

/** the page never builds datasets; the builders' signal handling only asks whether it runs on the main thread */
export const isMainThread = true;

/** the WebGPU backend's Node thread; the page starts its own with startWebGPU (web/src/worker.ts) */
export class Worker {
  constructor() {
    throw new Error('worker_threads is not available in the page');
  }
}
