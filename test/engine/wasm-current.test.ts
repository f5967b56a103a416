/**
 * The committed wasm/hrm_kernels.wasm must be built from the current C sources: the build script
 * records their hash in wasm/hrm_kernels.sources.sha256, recomputed here (no clang needed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/engine/backends/package-root.js';
import { KERNELS } from '../../src/engine/backend.js';

test('wasm/hrm_kernels.wasm is built from the current native sources', async () => {
  const root = packageRoot();
  const url = new URL(`file://${join(root, 'scripts', 'wasm-sources.mjs')}`).href;
  const { wasmSourcesHash } = (await import(url)) as { wasmSourcesHash(root: string): string };
  const recorded = readFileSync(join(root, 'wasm', 'hrm_kernels.sources.sha256'), 'utf8').trim();
  assert.equal(wasmSourcesHash(root), recorded, 'wasm is stale: run npm run build:wasm');
});

test('wasm/hrm_kernels.wasm exports every kernel of the table', () => {
  const root = packageRoot();
  const mod = new WebAssembly.Module(readFileSync(join(root, 'wasm', 'hrm_kernels.wasm')));
  const names = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
  for (const [k] of KERNELS) assert.ok(names.has(`abi_${k}`), `wasm lacks abi_${k}: run npm run build:wasm`);
  assert.deepEqual(WebAssembly.Module.imports(mod), [], 'the wasm module must need no imports');
});
