/**
 * Every command's --help, found by walking the help itself (`hrm --help` lists the commands, `hrm data
 * --help` and `hrm arc --help` theirs): each exits 0, prints a usage line, and shows no unevaluated
 * template text (`${...}`, as `hrm solve --help` once printed), no `undefined` and no `[object `.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../fixtures.js';

const CLI = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');

function help(path: string[]): Promise<string> {
  const what = `hrm ${[...path, '--help'].join(' ')}`;
  return new Promise((done, fail) => {
    execFile(process.execPath, [CLI, ...path, '--help'], { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${what}: ${err.message}\n${stderr}`));
      else if (stderr !== '') fail(new Error(`${what} writes to stderr: ${stderr}`));
      else done(stdout);
    });
  });
}

/** The names under a help text's `commands:` heading (two-space indent, name, then its summary). */
function commandsIn(text: string): string[] {
  const after = text.split(/^commands:$/m)[1];
  if (after === undefined) return [];
  const names: string[] = [];
  for (const line of after.split('\n').slice(1)) {
    const m = /^ {2}([a-z][a-z-]*) {2,}\S/.exec(line);
    if (!m) break;
    names.push(m[1]);
  }
  return names;
}

test("every command's --help is evaluated text with a usage line", async () => {
  const seen: string[] = [];
  // the commands of one level run side by side
  const walk = async (path: string[]): Promise<void> => {
    const text = await help(path);
    const what = `hrm ${[...path, '--help'].join(' ')}`;
    seen.push(path.join(' '));
    assert.match(text, /^usage: hrm\b/m, `${what} starts with a usage line`);
    for (const bad of ['${', 'undefined', '[object ']) {
      const at = text.indexOf(bad);
      assert.equal(at, -1, `${what} prints '${bad}': ...${text.slice(Math.max(0, at - 60), at + 60)}...`);
    }
    await Promise.all(commandsIn(text).map((sub) => walk([...path, sub])));
  };
  await walk([]);
  // the walk reached every top-level command and the nested ones
  for (const want of ['solve', 'train', 'eval', 'data', 'data sudoku', 'data show', 'arc', 'arc vote', 'convert', 'export', 'serve']) {
    assert.ok(seen.includes(want), `--help of 'hrm ${want}' was checked (seen: ${seen.join(', ')})`);
  }
});
