// The hash of the C sources that go into wasm/hrm_kernels.wasm: every native/**/*.c and *.h except
// the native-only binding and benchmarks, in sorted path order, each as "path\0contents\0".
// Shared by scripts/build-wasm.mjs and test/engine/wasm-current.test.ts.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const EXCLUDED = new Set(['native/binding.c', 'native/abi.h']);

export function wasmSources(root) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const rel = relative(root, p).split(sep).join('/');
      if (statSync(p).isDirectory()) {
        if (rel !== 'native/bench') walk(p);
      } else if ((name.endsWith('.c') || name.endsWith('.h')) && !EXCLUDED.has(rel)) out.push(rel);
    }
  };
  walk(join(root, 'native'));
  return out.sort();
}

export function wasmSourcesHash(root) {
  const h = createHash('sha256');
  for (const rel of wasmSources(root)) {
    h.update(rel + '\0');
    h.update(readFileSync(join(root, rel)));
    h.update('\0');
  }
  return h.digest('hex');
}
