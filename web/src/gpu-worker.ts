/// <reference types="@webgpu/types" />
/**
 * The WebGPU device thread of the page: started by the engine's Worker (worker.ts, through
 * startWebGPU), it receives the shared channel and serves it with the browser's navigator.gpu, as
 * device-worker-node.ts does with Dawn in Node.
 */
import { serveDevice } from '../../src/engine/webgpu/device.js';
import type { Channel } from '../../src/engine/webgpu/protocol.js';

self.onmessage = (ev: MessageEvent<Channel>) => {
  void serveDevice((navigator as Navigator & { gpu?: GPU }).gpu, ev.data);
};
