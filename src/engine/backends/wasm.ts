/**
 * Loads wasm/hrm_kernels.wasm (built by scripts/build-wasm.mjs, committed) synchronously. Memory is
 * the module's linear memory: blocks come from a bump pointer above __heap_base plus exact-size free
 * lists, and the memory grows on demand (views are made fresh on every call, so growth is safe).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KERNELS, readEngineLimits, type Ptr, type RawBackend } from '../kernels.js';
import { packageRoot } from './package-root.js';

const PAGE = 65536;
const MAX_BYTES = 4 * 1024 * 1024 * 1024;

export function wasmPath(): string {
  return join(packageRoot(), 'wasm', 'hrm_kernels.wasm');
}

let givenModule: WebAssembly.Module | null = null;

/** A host without node:fs (the web page's Worker) compiles the .wasm itself and hands it over first. */
export function useWasmModule(module: WebAssembly.Module): void {
  givenModule = module;
}

export function loadWasm(): RawBackend {
  const path = givenModule ? 'the given WebAssembly module' : wasmPath();
  const module = givenModule ?? new WebAssembly.Module(readFileSync(path));
  const inst = new WebAssembly.Instance(module, {});
  const ex = inst.exports as Record<string, unknown>;
  const memory = ex.memory as WebAssembly.Memory;
  const fns = KERNELS.map(([name]) => {
    const f = ex[`abi_${name}`];
    if (typeof f !== 'function') throw new Error(`${path} lacks abi_${name} (run npm run build:wasm)`);
    return f as (args: number) => void;
  });
  const argsPtr = (ex.hrm_args as () => number)();
  const takeError = ex.hrm_take_error as () => number;
  let top = roundUp((ex.__heap_base as WebAssembly.Global).value as number, 64);
  const freeLists = new Map<number, Ptr[]>();
  let argsView = new Float64Array(memory.buffer, argsPtr, 64);

  function alloc(bytes: number): Ptr {
    const size = roundUp(Math.max(bytes, 1), 64);
    const list = freeLists.get(size);
    if (list && list.length > 0) return list.pop()!;
    const p = top;
    const end = p + size;
    if (end > MAX_BYTES) throw new Error(`wasm backend: out of memory (4 GiB of linear memory; asked for ${bytes} bytes)`);
    const have = memory.buffer.byteLength;
    if (end > have) memory.grow(Math.ceil((end - have) / PAGE));
    top = end;
    return p;
  }

  const raw: Omit<RawBackend, 'maxThreads' | 'attentionScratchFloats'> = {
    name: 'wasm',
    isa: 'wasm-simd128',
    alloc,
    free(ptr, bytes) {
      const size = roundUp(Math.max(bytes, 1), 64);
      let list = freeLists.get(size);
      if (!list) freeLists.set(size, (list = []));
      list.push(ptr);
    },
    f32: (ptr, n) => new Float32Array(memory.buffer, ptr, n),
    i32: (ptr, n) => new Int32Array(memory.buffer, ptr, n),
    f64: (ptr, n) => new Float64Array(memory.buffer, ptr, n),
    args() {
      if (argsView.buffer !== memory.buffer) argsView = new Float64Array(memory.buffer, argsPtr, 64);
      return argsView;
    },
    call(id) {
      fns[id](argsPtr);
      if (takeError()) throw new RangeError(`kernel ${KERNELS[id][0]} could not run: its scratch buffers are too small`);
    },
    setThreads: () => {},
  };
  return { ...raw, ...readEngineLimits(raw) };
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}
