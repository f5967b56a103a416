/// <reference types="@webgpu/types" />
/**
 * The device thread in Node: Dawn from the optional `webgpu` package (its prebuilt dawn.node for
 * linux-x64, darwin and win32 ships inside the npm package; nothing is downloaded), then serveDevice.
 */
import { workerData } from 'node:worker_threads';
import { serveDevice } from './device.js';
import { CTRL, writeText, type Channel } from './protocol.js';
import { vulkanDriverProblem } from './vulkan-drivers.js';

const ch = workerData as Channel;
// A variable specifier: the package is optional, and tsc must not require its types.
const pkg = 'webgpu';
let gpu: GPU | undefined;
const noDriver = vulkanDriverProblem(process.env);
try {
  if (noDriver) throw new Error(noDriver);
  const m = (await import(pkg)) as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, m.globals);
  gpu = m.create([]);
} catch (e) {
  writeText(ch, noDriver ? `no WebGPU adapter: ${noDriver}` : `no WebGPU adapter: the optional package 'webgpu' (Dawn for Node) did not load (${(e as Error).message.split('\n')[0]}); install it with npm install webgpu`);
  const ctrl = new Int32Array(ch.ctrl);
  Atomics.store(ctrl, CTRL.STATUS, -1);
  Atomics.notify(ctrl, CTRL.STATUS);
}
// A pending Atomics.waitAsync holds no libuv handle: without this timer Node would end the thread
// as soon as it waits for the first command list.
const keepAlive = setInterval(() => {}, 1 << 30);
if (gpu) await serveDevice(gpu, ch);
clearInterval(keepAlive);
