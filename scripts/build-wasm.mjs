// Builds wasm/hrm_kernels.wasm from native/abi.c (the same kernel sources as the native addon) with
// clang's wasm32 target and SIMD128, no libc, and writes wasm/hrm_kernels.sources.sha256 so that
// test/engine/wasm-current.test.ts can tell when the committed .wasm is stale.
// Usage: node scripts/build-wasm.mjs   (needs clang and wasm-ld; env CLANG / WASM_LD override)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmSourcesHash } from './wasm-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const clang = process.env.CLANG ?? 'clang';
const wasmLd = process.env.WASM_LD ?? 'wasm-ld';
const tmp = mkdtempSync(join(tmpdir(), 'hrm-wasm-'));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(`build-wasm: ${cmd} failed${r.error ? `: ${r.error.message}` : ''}`);
    rmSync(tmp, { recursive: true, force: true });
    rmSync(join(root, 'wasm', '.hrm_kernels.wasm.tmp'), { force: true });
    process.exit(1);
  }
}

try {
  const before = wasmSourcesHash(root);
  const obj = join(tmp, 'abi.o');
  run(clang, [
    '--target=wasm32', '-msimd128', '-mbulk-memory', '-mnontrapping-fptoint', '-msign-ext', '-O3',
    '-nostdlib', '-ffreestanding', '-fno-math-errno', '-Wall', '-Wno-unused-function', '-Wno-unknown-pragmas',
    '-c', join(root, 'native', 'abi.c'), '-o', obj,
  ]);
  // linked next to its final place, so that the rename below stays on one file system
  const out = join(root, 'wasm', '.hrm_kernels.wasm.tmp');
  // --export-dynamic is not needed: adapters carry export_name attributes.
  run(wasmLd, [
    '--no-entry', '--export=__heap_base', '-z', 'stack-size=1048576', '--initial-memory=16777216',
    '-O3', '--lto-O3', obj, '-o', out,
  ]);
  if (wasmSourcesHash(root) !== before) {
    rmSync(out, { force: true });
    rmSync(tmp, { recursive: true, force: true });
    console.error('build-wasm: the C sources changed during the build; run it again');
    process.exit(1);
  }
  renameSync(out, join(root, 'wasm', 'hrm_kernels.wasm'));
  const hashTmp = join(root, 'wasm', '.hrm_kernels.sources.sha256.tmp');
  writeFileSync(hashTmp, before + '\n');
  renameSync(hashTmp, join(root, 'wasm', 'hrm_kernels.sources.sha256'));
  const size = readFileSync(join(root, 'wasm', 'hrm_kernels.wasm')).length;
  console.log(`build-wasm: wrote wasm/hrm_kernels.wasm (${size} bytes)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
