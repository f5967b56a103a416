/**
 * Defect 8: Ctrl-C (SIGINT) and SIGTERM stop a build promptly, also in its long synchronous parts
 * (generating, solving, augmenting, writing): the temporary folder is removed, the old dataset is
 * untouched, and the exit status is 130 (SIGINT) or 143 (SIGTERM), as a shell reports a signal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ENV, hrm, snapshot, tempDir } from './helpers.js';

/** Starts `hrm args`, sends `sig` once `ready()` holds, resolves with the exit code and the ms it took to exit after the signal. */
function interrupt(args: string[], sig: NodeJS.Signals, ready: () => boolean): Promise<{ code: number | null; signal: string | null; afterMs: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let sentAt = 0;
    const poll = setInterval(() => {
      if (sentAt === 0 && ready()) {
        sentAt = Date.now();
        child.kill(sig);
      }
    }, 10);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, afterMs: sentAt ? Date.now() - sentAt : -1, stderr });
    });
  });
}

const building = (dir: string) => readdirSync(dir).filter((n) => n.includes('.building-'));

test('defect 8: SIGINT while generating and SIGTERM while writing stop the build, clean up, keep the old dataset', async () => {
  const root = tempDir();
  try {
    const out = join(root, 'ds');
    assert.equal(hrm(['data', 'sudoku', '--generate', '20', '--clues', '50-60', '--quiet', '--output-dir', out]).status, 0);
    const before = snapshot(out);
    // A generation of hours: interrupted within its synchronous loop.
    const t0 = Date.now();
    const a = await interrupt(['data', 'sudoku', '--generate', '5000000', '--clues', '30-35', '--force', '--output-dir', out], 'SIGINT', () => Date.now() - t0 > 1500);
    assert.equal(a.code, 130, `exit ${a.code} ${a.signal}: ${a.stderr}`);
    assert.match(a.stderr, /interrupted/);
    console.log(`SIGINT during generation: exited ${a.afterMs} ms after the signal`);
    assert.deepEqual(snapshot(out), before);
    assert.deepEqual(building(root), []);
    // Augmenting and writing a large train split: interrupted once its temporary folder exists.
    const b = await interrupt(['data', 'sudoku', '--generate', '100', '--clues', '50-60', '--num-aug', '20000', '--force', '--output-dir', out], 'SIGTERM', () => building(root).length > 0);
    assert.equal(b.code, 143, `exit ${b.code} ${b.signal}: ${b.stderr}`);
    console.log(`SIGTERM while writing: exited ${b.afterMs} ms after the signal`);
    assert.deepEqual(snapshot(out), before);
    assert.deepEqual(building(root), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
