/** Test helpers: run a check once per backend. */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { availableBackends, getBackend, setBackend } from '../../src/engine/index.js';
import type { BackendName } from '../../src/engine/backend.js';

/** chromium's SwiftShader (Vulkan on the CPU): the WebGPU adapter of machines without a GPU, CI's included. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let gpu: { ok: boolean; reason: string } | null = null;

/**
 * Whether the webgpu backend loads here. With VK_ICD_FILENAMES unset and chromium installed, the tests
 * use SwiftShader (set VK_ICD_FILENAMES to a GPU's driver to test on it instead).
 */
export function webgpuStatus(): { ok: boolean; reason: string } {
  if (gpu) return gpu;
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  // SwiftShader prints 'XDG_RUNTIME_DIR is invalid' to stderr twice per process without it
  if (process.env.XDG_RUNTIME_DIR === undefined) process.env.XDG_RUNTIME_DIR = tmpdir();
  const prev = getBackend().name;
  try {
    setBackend('webgpu');
    gpu = { ok: true, reason: '' };
  } catch (e) {
    gpu = { ok: false, reason: (e as Error).message.split('\n')[0] };
  } finally {
    setBackend(prev);
  }
  return gpu;
}

/**
 * Why the webgpu tests skip here, or false when they run. Under CI (env CI set) they always run: a
 * missing adapter then fails them (setBackend('webgpu') or the CLI says why) instead of skipping.
 */
export function webgpuSkip(): string | false {
  const s = webgpuStatus();
  return s.ok || process.env.CI ? false : `no WebGPU adapter here: ${s.reason}`;
}

/**
 * The CPU backends that load, plus webgpu where it loads, and always under CI (the fixture replays run
 * on every backend; see webgpuSkip).
 */
export function allBackends(): BackendName[] {
  return webgpuSkip() === false ? [...availableBackends(), 'webgpu'] : availableBackends();
}

/** Runs fn once per available backend (restoring the current one afterwards); `gpu`: webgpu too. */
export function eachBackend(fn: (name: string) => void, opts: { gpu?: boolean } = {}): void {
  const prev = getBackend().name;
  try {
    for (const name of opts.gpu ? allBackends() : availableBackends()) {
      setBackend(name);
      fn(name);
    }
  } finally {
    setBackend(prev);
  }
}
