/**
 * Kill-and-resume: a run killed with SIGKILL at arbitrary moments and resumed each time must end with
 * exactly the metrics and weights of an uninterrupted run, and a killed run folder never holds a
 * half-written file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { readSafetensors } from '../../src/io/safetensors.js';
import { readMetrics } from '../../src/train/metrics-log.js';
import { CLI, ENV as env, hrm, TINY, tinySudoku } from './tiny-data.js';

function runToEnd(args: string[]): void {
  const r = hrm(['train', ...args]);
  assert.equal(r.status, 0, `hrm train failed:\n${r.stdout}\n${r.stderr}`);
}

const resumePoints = (dir: string): number[] =>
  existsSync(dir) ? readdirSync(dir).map((n) => /^step_(\d+)\.resume\.safetensors$/.exec(n)).filter((m) => m).map((m) => Number(m![1])) : [];

/**
 * Starts hrm train and, once it has written a resume point newer than `after`, kills it with SIGKILL
 * `delayMs` later (wherever it is by then: mid-step, writing a file, evaluating). Resolves whether it
 * was killed (false: it finished first).
 */
function runAndKill(args: string[], dir: string, after: number, delayMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'train', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    let timer: NodeJS.Timeout | undefined;
    const poll = setInterval(() => {
      if (timer === undefined && resumePoints(dir).some((s) => s > after)) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    }, 5);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(true);
      else if (code === 0) resolve(false);
      else reject(new Error(`hrm train exited with ${code}: ${err}`));
    });
  });
}

/** Every file a reader may open is whole: YAML, JSON lines (all but a torn last line), safetensors. */
function assertNoHalfWrittenFiles(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue; // writeFileAtomic's temporaries (removed on resume)
    const p = join(dir, name);
    if (name.endsWith('.safetensors')) readSafetensors(p);
    else if (name.endsWith('.yaml')) YAML.parse(readFileSync(p, 'utf8'));
    else if (name.endsWith('.json')) JSON.parse(readFileSync(p, 'utf8'));
    else if (name.endsWith('.jsonl')) readMetrics(p);
    else if (name.endsWith('.svg')) assert.match(readFileSync(p, 'utf8'), /<\/svg>\n$/);
  }
}

test('kill -9 at any moment + resume = the uninterrupted run, bit for bit', async () => {
  const { root, data } = tinySudoku(32, 12);
  try {
    // 32 examples / batch 8 = 4 steps per epoch: 48 steps, evaluations every 16, resume points every 5.
    const base = [...TINY, 'epochs=12', 'eval_interval=4', 'checkpoint_every_steps=5', `data_path=${data}`, '--quiet'];
    const a = join(root, 'a');
    const b = join(root, 'b');
    const t0 = Date.now();
    runToEnd([...base, `checkpoint_path=${a}`]);
    const full = Date.now() - t0;

    // Kill each session at a different moment after it has made progress; each restart resumes from
    // the newest resume point.
    let killed = 0;
    for (const frac of [0, 0.06, 0.03, 0.1, 0.015, 0.08]) {
      const first = killed === 0;
      const args = first ? [...base, `checkpoint_path=${b}`] : [`resume=${b}`, '--quiet'];
      if (!(await runAndKill(args, b, Math.max(0, ...resumePoints(b)), Math.round(frac * full)))) break;
      killed++;
      assertNoHalfWrittenFiles(b);
    }
    if (killed === 6) runToEnd([`resume=${b}`, '--quiet']);
    assert.ok(killed >= 3, `expected the run to be interrupted at least 3 times, got ${killed}`);

    const ma = readFileSync(join(a, 'metrics.jsonl'), 'utf8');
    const mb = readFileSync(join(b, 'metrics.jsonl'), 'utf8');
    assert.equal(mb.split('\n').length, ma.split('\n').length, 'same number of metric lines');
    assert.equal(mb, ma, 'metrics.jsonl identical');
    assert.deepEqual(readFileSync(join(b, 'step_48.safetensors')), readFileSync(join(a, 'step_48.safetensors')), 'final weights identical');
    const sa = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8'));
    const sb = JSON.parse(readFileSync(join(b, 'summary.json'), 'utf8'));
    assert.deepEqual(sb.eval, sa.eval);
    assert.equal(sb.steps, 48);
    // Only the newest resume sidecar is kept; no temporaries remain after the last (clean) session.
    assert.deepEqual(readdirSync(b).filter((n) => n.endsWith('.resume.safetensors')), ['step_48.resume.safetensors']);
    assert.deepEqual(readdirSync(b).filter((n) => n.startsWith('.')), []);
    // Transient resume points (every 5 steps) leave no weights behind; the evaluations' do stay.
    const steps = (d: string) => readdirSync(d).filter((n) => /^step_\d+\.safetensors$/.test(n)).sort();
    assert.deepEqual(steps(a), ['step_16.safetensors', 'step_32.safetensors', 'step_48.safetensors']);
    assert.deepEqual(steps(b), steps(a));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
