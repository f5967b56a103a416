/**
 * Injected at the top of both browser bundles (scripts/build-web.mjs): the `process` and `Buffer`
 * globals the project's Node code touches. process.env is empty, so the engine takes its defaults
 * (HRM_BACKEND unset: the page selects wasm itself), and process.hrtime is the page's clock.
 */
import { Buffer as BufferShim } from './buffer.js';

const g = globalThis as Record<string, unknown>;
if (g.process === undefined) {
  g.process = {
    env: {},
    pid: 1,
    platform: 'browser',
    stderr: { write: (s: string) => (console.warn(s.trimEnd()), true), isTTY: false },
    stdout: { write: (s: string) => (console.log(s.trimEnd()), true), isTTY: false },
    hrtime: Object.assign(() => [0, 0], { bigint: () => BigInt(Math.round(performance.now() * 1e6)) }),
    once: () => undefined,
    off: () => undefined,
  };
}
if (g.Buffer === undefined) g.Buffer = BufferShim;
