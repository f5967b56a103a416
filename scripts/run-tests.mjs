// Runs every compiled test file (dist/test/**/*.test.js) with Node's built-in test runner.
// Usage: node scripts/run-tests.mjs [--backend NAME] [substring filter...]
//   --backend NAME  runs the suite with HRM_BACKEND=NAME (children included), leaving out the files on
//                   which HRM_BACKEND has no effect: those that run every backend themselves or pin one
//                   (PER_BACKEND) and those that never compute with a model (NO_BACKEND). CI's second
//                   pass, on wasm: running those again would only repeat the first pass.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/**
 * Test files that choose their backends themselves: eachBackend/allBackends/availableBackends loops, or
 * one backend named in the test (native's threads, the wasm build, webgpu, the page's worker on wasm).
 * HRM_BACKEND does not change what they run.
 */
const PER_BACKEND = [
  'engine/autograd', 'engine/gemm', 'engine/kernels', 'engine/layers-fixture', 'engine/ops-gradcheck', 'engine/tensor',
  'engine/threads', 'engine/wasm-current', 'engine/webgpu-kernels',
  'losses/act-loss-head',
  'models/act', 'models/bf16-parity', 'models/gradcheck', 'models/learning', 'models/parity', 'models/trm-parity',
  'optim/optimizers',
  'solve/inference', 'solve/reference-checkpoints', 'solve/webgpu-answers',
  'train/micro-batch', 'train/webgpu-train',
  'web/page', 'web/page-webgpu',
];

/**
 * Test files that never compute with the engine: file formats, dataset building and loading, the ARC
 * voting and votes file, help texts, the import graph. (A file that trains, solves, evaluates or exports,
 * in process or through the CLI, belongs in neither list.)
 */
const NO_BACKEND = [
  'arc/votes-file', 'arc/voting',
  'cli/help',
  'data/arc', 'data/augment', 'data/builders', 'data/cli', 'data/loader', 'data/maze', 'data/progress', 'data/sudoku',
  'engine/free-cores', 'engine/vulkan-drivers',
  'fuzz/parsers',
  'io/hostile-checkpoint', 'io/npy', 'io/safetensors', 'io/torch-checkpoint', 'io/torch-interop',
  'optim/schedule',
  'scripts/check-cycles',
];

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const args = process.argv.slice(2);
const env = { ...process.env };
let backend = null;
const b = args.indexOf('--backend');
if (b >= 0) {
  backend = args[b + 1];
  if (!['native', 'wasm', 'webgpu'].includes(backend)) {
    console.error(`run-tests: --backend must be native, wasm or webgpu, got ${JSON.stringify(backend ?? '')}`);
    process.exit(2);
  }
  args.splice(b, 2);
  env.HRM_BACKEND = backend;
}
const filters = args;
let files = walk('dist/test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (backend) {
  // a renamed or deleted file must leave the list too (else its new name would run twice unnoticed)
  const stale = [...PER_BACKEND, ...NO_BACKEND].filter((p) => !existsSync(join('test', `${p}.test.ts`)));
  if (stale.length > 0) {
    console.error(`run-tests: scripts/run-tests.mjs names test files that do not exist: ${stale.join(', ')}`);
    process.exit(2);
  }
  const skip = new Set([...PER_BACKEND, ...NO_BACKEND].map((p) => join('dist', 'test', `${p}.test.js`)));
  files = files.filter((f) => !skip.has(f));
  console.log(`run-tests: HRM_BACKEND=${backend}, ${files.length} files (left out: ${PER_BACKEND.length} that choose their backends, ${NO_BACKEND.length} that compute nothing)`);
}
if (files.length === 0) {
  console.error('no test files found under dist/test');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
