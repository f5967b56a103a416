/**
 * `hrm solve arc` on a tiny ARC model trained a few steps on two ARC-AGI-1 evaluation tasks (and two
 * training tasks) with three augmentations each: for every task that `hrm eval` voted on, the attempts,
 * votes and mean halting confidences that `hrm solve arc` gives from the task's JSON alone are the ones
 * in eval's submission.json and arc_votes.json (a real check of the encoding, the identifiers and the
 * voting that holds for any model, good or not); the human output shows the same; a task that is not in
 * the dataset and a malformed task file each give one line naming the problem. The rows solve builds
 * for a task are the test split's rows of that task, token for token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readIdentifiers } from '../../src/data/dataset-format.js';
import { readNpy } from '../../src/io/npy.js';
import { encodeTaskRows, readArcTestTask, taskIdentifiers } from '../../src/solve/arc.js';
import { hrm, TINY } from '../train/tiny-data.js';
import { sharedData, withTempDir } from '../data/helpers.js';

type Rows = number[][];

test('hrm solve arc answers a task as hrm eval votes on it; refuses unknown tasks and bad files in one line', async (t) => {
  const arc1 = sharedData('arc-agi-1');
  if (!arc1) return t.skip('no ARC-AGI-1');
  await withTempDir((dir) => {
    const data = join(dir, 'data');
    const b = hrm(['data', 'arc', '--dataset-dirs', arc1, '--max-tasks', '2', '--max-grid', '10', '--num-aug', '3', '--output-dir', data, '--quiet']);
    assert.equal(b.status, 0, b.stderr);
    const run = join(dir, 'run');
    const tr = hrm(['train', ...TINY, 'epochs=2', 'eval_interval=2', 'global_batch_size=4', 'arch.puzzle_emb_ndim=32', `data_path=${data}`, `checkpoint_path=${run}`]);
    assert.equal(tr.status, 0, tr.stderr);
    const last = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')).final_checkpoint as string;
    const ev = hrm(['eval', `checkpoint=${last}`]);
    assert.equal(ev.status, 0, ev.stderr);
    const votes = JSON.parse(readFileSync(join(run, 'arc_votes.json'), 'utf8')) as {
      tasks: { task: string; tests: { input: Rows; label: Rows | null; copies: number; candidates_total: number; candidates: { grid: Rows; votes: number; mean_q: number }[] }[] }[];
    };
    const sub = JSON.parse(readFileSync(join(run, 'submission.json'), 'utf8')) as Record<string, { attempt_1: Rows; attempt_2: Rows }[]>;
    assert.equal(votes.tasks.length, 2, 'two evaluation tasks were voted on');

    // What solve feeds the model for a task are the test split's rows of that task, token for token.
    const names = readIdentifiers(data)!;
    const pid = readNpy(join(data, 'test', 'all__puzzle_identifiers.npy')).data as Int32Array;
    const pix = readNpy(join(data, 'test', 'all__puzzle_indices.npy')).data as Int32Array;
    const split = readNpy(join(data, 'test', 'all__inputs.npy')).data as Uint8Array;
    for (const tv of votes.tasks) {
      const task = readArcTestTask(join(arc1, 'evaluation', `${tv.task}.json`));
      const ids = taskIdentifiers(names, tv.task);
      assert.equal(ids.length, 4, `${tv.task}: the task and its 3 augmentations`);
      const { rowIds, inputs } = encodeTaskRows(names, ids, task);
      const expected: number[] = [];
      const expectedIds: number[] = [];
      for (const id of ids) {
        const p = [...pid].indexOf(id);
        assert.ok(p >= 0, `${names[id]} is a test puzzle`);
        for (let e = pix[p]; e < pix[p + 1]; e++) {
          expected.push(...split.subarray(e * 900, (e + 1) * 900));
          expectedIds.push(id);
        }
      }
      assert.deepEqual([...rowIds], expectedIds, `${tv.task}: row identifiers`);
      assert.deepEqual([...inputs], expected, `${tv.task}: row tokens = the test split's`);
    }

    for (const tv of votes.tasks) {
      const file = join(arc1, 'evaluation', `${tv.task}.json`);
      const r = hrm(['solve', 'arc', file, '--checkpoint', run, '--data', data, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.length, tv.tests.length, `${tv.task}: one line per test input`);
      lines.forEach((o, i) => {
        const e = tv.tests[i];
        assert.equal(o.task, tv.task);
        assert.equal(o.test, i);
        assert.equal(o.copies, 4, 'the task and its 3 augmentations');
        assert.equal(o.copies, e.copies);
        assert.equal(o.candidates, e.candidates_total);
        assert.deepEqual(o.attempts, sub[tv.task][i], `${tv.task} test ${i}: attempts = eval's submission`);
        const top = e.candidates.slice(0, 2);
        assert.deepEqual(o.votes, top.map((c) => c.votes), `${tv.task} test ${i}: votes`);
        assert.equal(o.mean_q.length, top.length);
        o.mean_q.forEach((q: number, k: number) => assert.ok(Math.abs(q - top[k].mean_q) < 2e-6, `${tv.task} test ${i} candidate ${k}: mean_q ${q} vs ${top[k].mean_q}`));
        assert.ok(e.label, 'evaluation tasks carry their outputs');
        assert.deepEqual(o.correct, {
          attempt_1: JSON.stringify(o.attempts.attempt_1) === JSON.stringify(e.label),
          attempt_2: JSON.stringify(o.attempts.attempt_2) === JSON.stringify(e.label),
        });
        assert.equal(o.segments, 2, 'all halt_max_steps segments, as evaluation');
      });
      // The human view prints the same top candidate as digit rows.
      const h = hrm(['solve', 'arc', file, '--checkpoint', run, '--data', data]);
      assert.equal(h.status, 0, h.stderr);
      assert.match(h.stdout, new RegExp(`^task ${tv.task} test 0: .*; 4 copies, \\d+ distinct answers; 2 segments`, 'm'));
      const c0 = tv.tests[0].candidates[0];
      if (c0) {
        assert.ok(h.stdout.includes(`attempt 1: ${c0.votes} of 4 votes, mean halting confidence ${c0.mean_q.toFixed(3)}`), h.stdout);
        assert.ok(h.stdout.includes(c0.grid.map((row) => `  ${row.join('')}`).join('\n')), 'attempt 1 drawn as digit rows');
      }
    }

    // A task the dataset does not hold: the model has no puzzle embedding for it.
    const ids = new Set(readIdentifiers(data)!);
    const unknown = readdirSync(join(arc1, 'evaluation')).find((f) => f.endsWith('.json') && !ids.has(f.replace('.json', '')))!;
    const u = hrm(['solve', 'arc', join(arc1, 'evaluation', unknown), '--checkpoint', run, '--data', data]);
    assert.equal(u.status, 1);
    assert.equal(u.stdout, '');
    assert.equal(u.stderr.trim().split('\n').length, 1, u.stderr);
    assert.match(u.stderr, new RegExp(`task "${unknown.replace('.json', '')}" is not in .*identifiers\\.json: the model has no puzzle embedding for it`));

    // Malformed task files (named as a known task): one line naming the file and the problem.
    const known = votes.tasks[0].task;
    const bad = join(dir, `${known}.json`);
    for (const [text, problem] of [
      ['{"train": [], "test": [{"input": [[1, 2], [3]]}]}', /test\[0\]\.input: row 1 has 1 cells, expected 2/],
      ['{"train": [], "test": [{"input": [[1, 12]]}]}', /test\[0\]\.input: row 0, column 1: colour 12 is not an integer 0-9/],
      ['{"train": [], "test": [', /not valid JSON/],
      ['{"train": []}', /"test" must be a non-empty list/],
    ] as const) {
      writeFileSync(bad, text);
      const m = hrm(['solve', 'arc', bad, '--checkpoint', run, '--data', data]);
      assert.equal(m.status, 1, text);
      assert.equal(m.stderr.trim().split('\n').length, 1, m.stderr);
      assert.ok(m.stderr.includes(bad), m.stderr);
      assert.match(m.stderr, problem);
    }
  });
});
