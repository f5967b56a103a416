/**
 * The WebGPU backend, engine-thread side: a RawBackend whose memory is the device thread's one buffer
 * (src/engine/webgpu/device.ts) and whose calls are appended to a shared command list
 * (src/engine/webgpu/protocol.ts). Allocation is decided here, synchronously (a bump pointer plus
 * exact-size free lists, as the wasm loader), so a call never waits for the device; only reads, a
 * full list and growing memory past its current size do.
 *
 * Node: the device thread is a worker_thread running Dawn from the optional `webgpu` package, started
 * on first use (loadWebGPU waits for it). The page: its Worker calls `startWebGPU(spawn)` first (a
 * browser thread may not block while it starts a nested Worker), after which loading finds it ready.
 */
import { Worker } from 'node:worker_threads';
import { UserError } from '../../util/errors.js';
import { KERNELS, type Ptr, type RawBackend } from '../kernels.js';
import { COMMAND_DOUBLES, CTRL, DATA_BYTES, INFO, OP, newChannel, readText, waitAsync, type Channel } from '../webgpu/protocol.js';

/** What a dispatch-count probe reads (the bench's "dispatches and bytes read back per segment"). */
export interface GpuCounters {
  dispatches: number;
  reads: number;
  bytesRead: number;
  bytesWritten: number;
  flushes: number;
}

export interface WebGPURaw extends RawBackend {
  readonly adapter: string;
  counters(): GpuCounters;
}

/** Starts the device thread for a channel; returns nothing (the thread reports through the channel). */
export type SpawnDevice = (ch: Channel) => void;

const FIRST_BYTES = 64 << 20;
const GROW_STEP = 16 << 20;

let started: Channel | null = null;
let startFailure: string | null = null;

function spawnNode(ch: Channel): void {
  // The page's bundle shims node:worker_threads; it starts its thread with startWebGPU instead.
  const w = new Worker(new URL('../webgpu/device-worker-node.js', import.meta.url), { workerData: ch });
  w.unref();
}

/** Node (sync): starts the device thread and waits until it reports ready or failed. */
function startSync(): Channel {
  if (started) return started;
  if (startFailure) throw new Error(startFailure);
  const ch = newChannel();
  spawnNode(ch);
  const ctrl = new Int32Array(ch.ctrl);
  const deadline = Date.now() + 60_000;
  while (Atomics.load(ctrl, CTRL.STATUS) === 0) {
    if (Date.now() > deadline) {
      startFailure = 'no WebGPU adapter: the WebGPU thread did not start within 60 s';
      throw new Error(startFailure);
    }
    Atomics.wait(ctrl, CTRL.STATUS, 0, 1000);
  }
  if (Atomics.load(ctrl, CTRL.STATUS) < 0) {
    startFailure = readText(ch);
    throw new Error(startFailure);
  }
  started = ch;
  return ch;
}

/**
 * Hosts that cannot block while a thread starts (the page's Worker): start the device thread with
 * `spawn` and wait for it without blocking. Resolves to the adapter's name; rejects with the reason.
 */
export async function startWebGPU(spawn: SpawnDevice): Promise<string> {
  if (started) return readText(started);
  const ch = newChannel();
  spawn(ch);
  const ctrl = new Int32Array(ch.ctrl);
  while (Atomics.load(ctrl, CTRL.STATUS) === 0) {
    const w = waitAsync(ctrl, CTRL.STATUS, 0, 60_000);
    if (w.async && (await w.value) === 'timed-out') throw new Error('no WebGPU adapter: the WebGPU thread did not start within 60 s');
  }
  if (Atomics.load(ctrl, CTRL.STATUS) < 0) throw new Error(readText(ch));
  started = ch;
  return readText(ch);
}

export function loadWebGPU(): WebGPURaw {
  const ch = startSync();
  const adapter = readText(ch);
  const ctrl = new Int32Array(ch.ctrl);
  const cmd = new Float64Array(ch.commands);
  const data = new Uint8Array(ch.data);
  const maxBytes = new Float64Array(ch.info)[INFO.MAX_BINDING];
  const argCounts = KERNELS.map(([, args]) => args.length);
  const setThreadsId = KERNELS.findIndex(([n]) => n === 'set_threads');
  const argsView = new Float64Array(64);
  const freeLists = new Map<number, Ptr[]>();
  const counters: GpuCounters = { dispatches: 0, reads: 0, bytesRead: 0, bytesWritten: 0, flushes: 0 };
  let n = 0; // doubles in the command list
  let dataTop = 0;
  let capacity = 0;
  // Address 0 is the null pointer of optional arguments; the first block starts at 256.
  let top = 256;

  function flush(): void {
    if (n === 0) return;
    Atomics.store(ctrl, CTRL.COMMANDS, n);
    const want = Atomics.add(ctrl, CTRL.REQUEST, 1) + 1;
    Atomics.notify(ctrl, CTRL.REQUEST);
    for (;;) {
      const done = Atomics.load(ctrl, CTRL.DONE);
      if (done === want) break;
      Atomics.wait(ctrl, CTRL.DONE, done, 1000);
    }
    n = 0;
    dataTop = 0;
    counters.flushes++;
    const failed = Atomics.load(ctrl, CTRL.ERROR);
    if (failed !== 0) {
      Atomics.store(ctrl, CTRL.ERROR, 0);
      throw failed === 2 ? new UserError(readText(ch)) : new Error(readText(ch));
    }
  }

  function room(doubles: number): void {
    if (n + doubles > COMMAND_DOUBLES) flush();
  }

  function alloc(bytes: number): Ptr {
    const size = Math.ceil(Math.max(bytes, 1) / 256) * 256;
    const list = freeLists.get(size);
    if (list && list.length > 0) return list.pop()!;
    const end = top + size;
    if (end > capacity) {
      if (end > maxBytes) {
        throw new RangeError(
          `webgpu backend: out of memory (the adapter binds at most ${Math.floor(maxBytes / 2 ** 20)} MiB in one buffer; asked for ${bytes} bytes more)`,
        );
      }
      const next = Math.min(maxBytes, Math.max(capacity * 2, FIRST_BYTES, Math.ceil(end / GROW_STEP) * GROW_STEP));
      room(2);
      cmd[n++] = OP.GROW;
      cmd[n++] = next;
      capacity = next;
    }
    const p = top;
    top = end;
    return p;
  }

  const cpuOnly = (): never => {
    throw new Error('webgpu backend: memory views are for the CPU backends; use readF32/writeF32');
  };

  const raw: WebGPURaw = {
    name: 'webgpu',
    isa: 'webgpu',
    adapter,
    maxThreads: 1,
    attentionScratchFloats: Infinity,
    alloc,
    free(ptr, bytes) {
      const size = Math.ceil(Math.max(bytes, 1) / 256) * 256;
      let list = freeLists.get(size);
      if (!list) freeLists.set(size, (list = []));
      list.push(ptr);
    },
    f32: cpuOnly,
    i32: cpuOnly,
    f64: cpuOnly,
    args: () => argsView,
    call(id) {
      if (id === setThreadsId) return;
      const k = argCounts[id];
      room(3 + k);
      cmd[n++] = OP.CALL;
      cmd[n++] = id;
      cmd[n++] = k;
      for (let i = 0; i < k; i++) cmd[n++] = argsView[i];
      counters.dispatches++;
    },
    setThreads: () => {},
    read(ptr, bytes) {
      const out = new Uint8Array(bytes);
      for (let off = 0; off < bytes; off += DATA_BYTES) {
        const len = Math.min(DATA_BYTES, bytes - off);
        room(3);
        cmd[n++] = OP.READ;
        cmd[n++] = ptr + off;
        cmd[n++] = len;
        flush();
        out.set(data.subarray(0, len), off);
      }
      counters.reads++;
      counters.bytesRead += bytes;
      return out;
    },
    write(ptr, src) {
      for (let off = 0; off < src.length; ) {
        if (dataTop === DATA_BYTES) flush();
        const len = Math.min(DATA_BYTES - dataTop, src.length - off);
        data.set(src.subarray(off, off + len), dataTop);
        room(4);
        cmd[n++] = OP.WRITE;
        cmd[n++] = ptr + off;
        cmd[n++] = len;
        cmd[n++] = dataTop;
        dataTop += Math.ceil(len / 4) * 4;
        off += len;
      }
      counters.bytesWritten += src.length;
    },
    sync: flush,
    counters: () => ({ ...counters }),
  };
  return raw;
}
