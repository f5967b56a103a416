/**
 * The channel between the engine's thread and the WebGPU device thread: shared memory only.
 *
 * WebGPU reads are asynchronous (mapAsync), the engine's reads are not (docs/ENGINE.md). Rather than
 * turning every op, tidy scope and training step into a promise, the device lives in its own thread
 * (a worker_thread in Node, a nested Worker in the page) and the engine thread talks to it through
 * SharedArrayBuffers: kernel calls and uploads are appended to a command list without waiting, and
 * only a read (the Q values and predictions once per segment, the loss scalars once per step) or a full
 * list blocks the engine thread (Atomics.wait) until the device thread has submitted the work and
 * mapped the answer. The CPU backends never see any of this.
 */

/** Int32 slots of the control block. */
export const CTRL = {
  /** flush requests made by the engine thread (a counter) */
  REQUEST: 0,
  /** flush requests finished by the device thread */
  DONE: 1,
  /** 0 starting, 1 ready, -1 could not start (the reason is in the text block) */
  STATUS: 2,
  /** doubles of commands in the list for this flush */
  COMMANDS: 3,
  /** 1 when the last flush failed, 2 when it asked for a kernel WGSL lacks (the reason is in the text block) */
  ERROR: 4,
  /** bytes of UTF-8 in the text block */
  TEXT_BYTES: 5,
  /** 1 asks the device thread to stop */
  STOP: 6,
} as const;
export const CTRL_SLOTS = 8;

/** Float64 slots of the info block, written by the device thread once ready. */
export const INFO = {
  /** the largest storage buffer binding, bytes: the most memory the engine can use */
  MAX_BINDING: 0,
} as const;
export const INFO_SLOTS = 4;

/** Command codes in the command list (Float64Array). */
export const OP = {
  /** [CALL, kernel id, argument count, ...arguments] */
  CALL: 1,
  /** [WRITE, destination byte address, bytes, offset in the data block] */
  WRITE: 2,
  /** [READ, source byte address, bytes]: always the last command; the bytes land at data[0] */
  READ: 3,
  /** [GROW, new memory size in bytes]: memory is one buffer, grown by copying (addresses stay) */
  GROW: 4,
} as const;

export const COMMAND_DOUBLES = 1 << 16;
export const DATA_BYTES = 16 << 20;
export const TEXT_BYTES = 4096;

/** The shared blocks, as handed to the device thread. */
export interface Channel {
  ctrl: SharedArrayBuffer;
  info: SharedArrayBuffer;
  commands: SharedArrayBuffer;
  data: SharedArrayBuffer;
  text: SharedArrayBuffer;
}

export function newChannel(): Channel {
  return {
    ctrl: new SharedArrayBuffer(CTRL_SLOTS * 4),
    info: new SharedArrayBuffer(INFO_SLOTS * 8),
    commands: new SharedArrayBuffer(COMMAND_DOUBLES * 8),
    data: new SharedArrayBuffer(DATA_BYTES),
    text: new SharedArrayBuffer(TEXT_BYTES),
  };
}

export function writeText(ch: Channel, s: string): void {
  const bytes = new TextEncoder().encode(s).subarray(0, TEXT_BYTES);
  new Uint8Array(ch.text).set(bytes);
  Atomics.store(new Int32Array(ch.ctrl), CTRL.TEXT_BYTES, bytes.length);
}

export function readText(ch: Channel): string {
  const n = Atomics.load(new Int32Array(ch.ctrl), CTRL.TEXT_BYTES);
  // TextDecoder refuses views of shared memory in browsers: copy first.
  return new TextDecoder().decode(new Uint8Array(ch.text, 0, n).slice());
}

/** Atomics.waitAsync (ES2024; Node 16+, every WebGPU browser), typed here because the project targets ES2022. */
export function waitAsync(a: Int32Array, index: number, value: number, timeoutMs?: number): { async: boolean; value: Promise<string> | string } {
  return (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<string> | string } }).waitAsync(a, index, value, timeoutMs);
}
