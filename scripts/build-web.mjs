// Builds the web page (web/) into dist/web/: esbuild bundles web/src/main.ts (the page) and
// web/src/worker.ts (the engine in a Worker, with the project's own src/ code) for the browser, with
// node:fs/path/os/url/module/zlib/worker_threads replaced by the shims in web/src/shims/. The .wasm is not copied:
// `hrm serve` serves wasm/hrm_kernels.wasm itself. `--check` also type-checks web/ with tsc.
// Usage: node scripts/build-web.mjs [--check]
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const out = join(root, 'dist', 'web');

if (process.argv.includes('--check')) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(web, 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // an install without devDependencies (npm ci --omit=dev): the committed sources cannot be bundled
  console.error('build-web: esbuild is not installed (a devDependency); the web page was not built');
  process.exit(0);
}

const shim = (f) => join(web, 'src', 'shims', f);
const tmp = `${out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
try {
  await esbuild.build({
    entryPoints: { app: join(web, 'src', 'main.ts'), worker: join(web, 'src', 'worker.ts'), 'gpu-worker': join(web, 'src', 'gpu-worker.ts') },
    outdir: tmp,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    alias: {
      'node:fs': shim('fs.ts'),
      'node:path': shim('path.ts'),
      'node:os': shim('node-misc.ts'),
      'node:url': shim('node-misc.ts'),
      'node:module': shim('node-misc.ts'),
      'node:zlib': shim('node-misc.ts'),
      'node:worker_threads': shim('node-misc.ts'),
    },
    inject: [shim('globals.ts')],
  });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(web, f), join(tmp, f));
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
} catch (e) {
  rmSync(tmp, { recursive: true, force: true });
  console.error(`build-web: ${e.message.split('\n')[0]}`);
  process.exit(1);
}
