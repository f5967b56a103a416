/**
 * The README's first commands are true and quick after `npm ci`: every `npm run X` in its first two
 * command blocks names a script of package.json; none goes through npx (whose first run installs the
 * checkout into npm's cache, tens of seconds, because a package's own bin is not in its own
 * node_modules/.bin); the `hrm` script runs the package's `hrm` bin; and the first command, run as that
 * script runs it, solves its puzzle with the bundled model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../fixtures.js';

const ROOT = repoRoot();
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };

/** The commands of each ```sh block, split at `&&`. */
const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
  m[1].split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).flatMap((l) => l.split('&&').map((c) => c.trim())),
);

/** A command line's words: single-quoted words kept whole, as a POSIX shell reads these lines. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

test("the README's first commands use package scripts, not npx", () => {
  assert.ok(blocks.length >= 2, 'the README opens with command blocks');
  const first = blocks.slice(0, 2).flat();
  assert.equal(first[0], 'npm ci');
  for (const cmd of first) {
    assert.ok(!/^npx\b/.test(cmd), `'${cmd}': npx's first run spends tens of seconds in npm; use an npm script`);
    const run = /^npm run(?: -s)? (\S+)/.exec(cmd);
    if (run) assert.ok(run[1] in pkg.scripts, `'${cmd}': package.json has no script '${run[1]}'`);
  }
  // `npm run hrm -- ARGS` is the `hrm` command
  assert.equal(pkg.scripts.hrm, `node ${pkg.bin.hrm}`);
});

test("the README's first command solves its puzzle with the bundled model", (t) => {
  if (!existsSync(join(ROOT, 'models', 'sudoku.safetensors'))) {
    t.skip('no bundled Sudoku model in models/');
    return;
  }
  const cmd = blocks[0].find((c) => c.startsWith('npm run hrm --'));
  assert.ok(cmd, `the first block runs the hrm script: ${blocks[0].join(' && ')}`);
  const args = words(cmd).slice(4);
  assert.equal(args[0], 'solve');
  const r = spawnSync(process.execPath, [join(ROOT, pkg.bin.hrm), ...args], { encoding: 'utf8', cwd: ROOT });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^puzzle 1 \(argument\): valid;/m);
});
