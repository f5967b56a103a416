// scripts/check-cycles.mjs on small made-up source trees: it must find cycles through every import form,
// and none that a comment or a string fakes. Then src/ itself, which has no file-level cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../fixtures.js';

function withTree(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-cycles-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function check(dir: string, ...flags: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(repoRoot(), 'scripts', 'check-cycles.mjs'), '--dir', dir, ...flags], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('check-cycles: no cycle -> exit 0; comments and strings are not imports', () => {
  withTree(
    {
      'a.ts': "import { b } from './b.js';\n// import { a } from './a.js'\n/* export * from './a.js' */\nexport const a = b + \"import x from './a.js'\";\nconst s = `\nimport { a } from './a.js'`;\n",
      'b.ts': "export const b = 'from \\'./a.js\\'';\n",
    },
    (dir) => {
      const r = check(dir);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /no import cycle .*\(2 files\)/);
    },
  );
});

test('check-cycles: cycles through multi-line, export-from, side-effect and folder-index imports', () => {
  withTree(
    {
      'a.ts': "import {\n  b,\n  type B,\n} from './b.js';\nexport const a = b;\n",
      'b.ts': "export * from './c.js';\nexport const b = 1;\nexport type B = number;\n",
      'c.ts': "import './lib';\n",
      'lib/index.ts': "export { a } from '../a.js';\n",
      'd.ts': "import type { B } from './e.js';\nexport type D = B;\n",
      'e.ts': "import { type D } from './d.js';\nexport type B = D;\n",
    },
    (dir) => {
      const r = check(dir);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /2 import cycle\(s\)/);
      assert.match(r.out, /a\.ts -> \S*b\.ts -> \S*c\.ts -> \S*lib\/index\.ts -> \S*a\.ts/);
      assert.match(r.out, /d\.ts -> \(type\) \S*e\.ts -> \(type\) \S*d\.ts/);
      // the d <-> e cycle is type-only: gone at run time, the other stays
      const rt = check(dir, '--runtime');
      assert.equal(rt.code, 1, rt.out);
      assert.match(rt.out, /1 import cycle\(s\)/);
      assert.doesNotMatch(rt.out, /d\.ts/);
    },
  );
});

test('check-cycles --folders: a cycle between folders whose files form none', () => {
  withTree(
    {
      'models/hrm.ts': "import { head } from '../losses/head.js';\nexport type Config = { n: number };\nexport const m = head;\n",
      'models/config.ts': 'export type LossType = string;\n',
      'losses/head.ts': "import type { LossType } from '../models/config.js';\nexport const head = (t: LossType) => t;\n",
    },
    (dir) => {
      assert.equal(check(dir).code, 0);
      const r = check(dir, '--folders');
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /losses -> \(type\) \S*models -> \S*losses/);
    },
  );
});

test('src/ has no import cycle between files (npm run check:cycles)', () => {
  const r = check(join(repoRoot(), 'src'));
  assert.equal(r.code, 0, r.out);
});
