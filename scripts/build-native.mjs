// Builds the native addon build/Release/hrm_kernels.node with npm's bundled node-gyp (binding.gyp).
// Runs at `npm install`. When the build fails (no compiler, no headers) it prints one line and exits
// 0, so that the package still installs and uses the WebAssembly backend; `--strict` (npm run
// build:native) prints the compiler output and fails instead.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');

/** The node-gyp command: npm's own (npm_config_node_gyp when run by npm, else next to node). */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && existsSync(c)) return [process.execPath, [c]];
  return ['npm', ['exec', '--yes=false', '--', 'node-gyp']];
}

/** Node's own headers when they sit next to the binary (so node-gyp need not download them). */
function localNodeDir() {
  if (process.env.npm_config_nodedir) return null;
  const prefix = join(dirname(process.execPath), '..');
  const header = join(prefix, 'include', 'node', 'node_version.h');
  if (!existsSync(header)) return null;
  const text = readFileSync(header, 'utf8');
  const num = (name) => (text.match(new RegExp(`#define ${name} (\\d+)`)) ?? [])[1];
  const version = `v${num('NODE_MAJOR_VERSION')}.${num('NODE_MINOR_VERSION')}.${num('NODE_PATCH_VERSION')}`;
  return version === process.version ? prefix : null;
}

const [cmd, pre] = nodeGyp();
const args = [...pre, 'rebuild', `--jobs=${Math.max(1, Math.min(4, availableParallelism()))}`];
const nodedir = localNodeDir();
if (nodedir) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: strict ? 'inherit' : 'pipe' });
if (r.error || r.status !== 0) {
  const why = r.error ? r.error.message : `node-gyp exited with status ${r.status}`;
  if (strict) {
    console.error(`hrm-ts: native build failed (${why})`);
    process.exit(1);
  }
  const lastErr = (r.stderr ?? '').split('\n').filter((l) => /error/i.test(l))[0]?.trim();
  console.error(`hrm-ts: native build failed (${lastErr ?? why}); the WebAssembly backend will be used`);
  process.exit(0);
}
if (strict) console.log('hrm-ts: built build/Release/hrm_kernels.node');
