/**
 * Defect 2: a new run in a folder holding another run is refused unless resume= (or overwrite=true,
 * which moves the old run aside, never deletes it).
 * Defect 6: a run folder is locked while a process trains in it (lock file with the owner's pid);
 * a second process is refused with a message naming the pid; a stale lock (dead pid) is taken over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CLI, ENV, hrm, oneLineError, snapshot } from './helpers.js';
import { TINY, tinySudoku } from '../train/tiny-data.js';

test('defect 2: a second run into the same run folder is refused; overwrite=true moves the old run aside', () => {
  const { root, data } = tinySudoku();
  try {
    const run = join(root, 'run');
    const args = ['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, '--quiet'];
    const first = hrm([...args, 'keep_checkpoints=1']);
    assert.equal(first.status, 0, first.stderr);
    const before = snapshot(run);
    assert.match(oneLineError(hrm([...args, 'lr=3e-3'])), /already holds a run.*resume=.*overwrite=true/);
    assert.deepEqual(snapshot(run), before, 'the refused run changed the old run folder');
    const second = hrm([...args, 'lr=3e-3', 'overwrite=true']);
    assert.equal(second.status, 0, second.stderr);
    const aside = readdirSync(root).filter((n) => n.startsWith('run.old-'));
    assert.equal(aside.length, 1, `expected the old run moved aside, found ${readdirSync(root).join(', ')}`);
    assert.deepEqual(snapshot(join(root, aside[0])), before, 'the moved-aside run is not the old run');
    assert.ok(existsSync(join(run, 'all_config.yaml')));
    assert.match(oneLineError(hrm(['train', `resume=${run}`, 'overwrite=true'])), /overwrite=true starts a new run; it cannot be combined with resume=/);
    // A folder holding someone's files is no run folder to write into or move.
    const user = join(root, 'user');
    mkdirSync(user);
    writeFileSync(join(user, 'notes.txt'), 'mine');
    for (const o of [[], ['overwrite=true']]) {
      assert.match(oneLineError(hrm(['train', `data_path=${data}`, `checkpoint_path=${user}`, ...TINY, ...o])), /holds files that are not a run's.*notes\.txt/);
    }
    assert.deepEqual(readdirSync(user), ['notes.txt']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('defect 6: a locked run folder is refused naming the pid; a stale lock is taken over', () => {
  const { root, data } = tinySudoku();
  try {
    const run = join(root, 'run');
    const first = hrm(['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, 'epochs=4', 'eval_interval=2', 'checkpoint_every_eval=true', '--quiet']);
    assert.equal(first.status, 0, first.stderr);
    assert.ok(!existsSync(join(run, '.lock')), 'a finished run leaves no lock');
    // A live process holds the lock (this test's own process stands in for a running trainer).
    writeFileSync(join(run, '.lock'), JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() }) + '\n');
    const before = snapshot(run);
    assert.match(oneLineError(hrm(['train', `resume=${run}`])), new RegExp(`in use by process ${process.pid}`));
    assert.deepEqual(snapshot(run), before);
    assert.match(oneLineError(hrm(['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, 'overwrite=true'])), new RegExp(`in use by process ${process.pid}`));
    // A lock whose process is gone (kill -9 of a trainer) is stale.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(run, '.lock'), JSON.stringify({ pid: Number(dead.stdout), host: hostname(), started: '' }) + '\n');
    const r = hrm(['train', `resume=${run}`, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!existsSync(join(run, '.lock')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('defect 6: a second trainer on a run that is training is refused naming its pid', async () => {
  const { root, data } = tinySudoku();
  try {
    const run = join(root, 'run');
    const child = spawn(process.execPath, [CLI, 'train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY, 'epochs=400', 'eval_interval=200', 'checkpoint_every_steps=1', '--quiet'], { stdio: 'ignore', env: ENV });
    const exited = new Promise((r) => child.on('exit', r));
    try {
      // Wait for its first resume point (resume= needs one), then try to resume the live run.
      for (let i = 0; i < 3000 && !readdirSync(existsSync(run) ? run : root).some((n) => n.endsWith('.resume.safetensors')); i++) await new Promise((r) => setTimeout(r, 20));
      const r = hrm(['train', `resume=${run}`, '--quiet']);
      assert.match(oneLineError(r), new RegExp(`in use by process ${child.pid}`));
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // Its lock is now stale: resume takes it over and runs.
    assert.ok(existsSync(join(run, '.lock')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
