/**
 * ARC end to end on the shared data: the Kaggle combined files build exactly what the task folders
 * build; ARC-AGI-1 and ARC-AGI-2 build, and an oracle (the labels as predictions, on every augmented
 * copy) votes back to the tasks' true outputs and scores 1.0 with `hrm arc score`, while copying the
 * input scores 0; and a tiny training run on ARC logs ARC/pass@K, writes submission.json and the report,
 * and `hrm arc vote` over the saved outputs agrees with the votes taken during evaluation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildArcDataset } from '../../src/data/builders/arc.js';
import { readIdentifiers } from '../../src/data/dataset-format.js';
import { readNpy } from '../../src/io/npy.js';
import { readMetrics } from '../../src/train/metrics-log.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { ArcVoter, gridToRows, passAtK } from '../../src/arc/voting.js';
import { writeSubmission } from '../../src/arc/submission.js';
import { scoreFiles } from '../../src/arc/score.js';
import { hrm, TINY } from '../train/tiny-data.js';
import { sharedData, withTempDir } from '../data/helpers.js';

type Rows = number[][];

function listFiles(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(dir, join(rel, e.name)) : [join(rel, e.name)])).sort();
}

test('Kaggle combined files (--input-file-prefix, --subsets) build exactly what the task folders build', async (t) => {
  const arc1 = sharedData('arc-agi-1');
  if (!arc1) return t.skip('no ARC-AGI-1');
  await withTempDir(async (dir) => {
    const folders = join(dir, 'folders');
    const prefix = join(dir, 'kaggle', 'arc-agi');
    mkdirSync(join(dir, 'kaggle'));
    for (const subset of ['training', 'evaluation']) {
      mkdirSync(join(folders, subset), { recursive: true });
      const names = readdirSync(join(arc1, subset)).filter((f) => f.endsWith('.json')).sort().slice(0, 4);
      const challenges: Record<string, unknown> = {};
      const solutions: Record<string, unknown> = {};
      for (const f of names) {
        copyFileSync(join(arc1, subset, f), join(folders, subset, f));
        const task = JSON.parse(readFileSync(join(arc1, subset, f), 'utf8')) as { train: unknown[]; test: { input: Rows; output: Rows }[] };
        challenges[f.replace('.json', '')] = { train: task.train, test: task.test.map((x) => ({ input: x.input })) };
        solutions[f.replace('.json', '')] = task.test.map((x) => x.output);
      }
      writeFileSync(`${prefix}_${subset}_challenges.json`, JSON.stringify(challenges));
      writeFileSync(`${prefix}_${subset}_solutions.json`, JSON.stringify(solutions));
    }
    const a = join(dir, 'out-folders');
    const b = join(dir, 'out-kaggle'); // subsets in the folders' (sorted) order: the same random draws
    await buildArcDataset({ datasetDirs: [folders], outputDir: a, numAug: 3, seed: 5, quiet: true });
    const r = hrm(['data', 'arc', '--input-file-prefix', prefix, '--subsets', 'evaluation', 'training', '--output-dir', b, '--num-aug', '3', '--seed', '5', '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const files = listFiles(a);
    assert.deepEqual(listFiles(b), files);
    assert.ok(files.includes(join('test', 'all__inputs.npy')), files.join(' '));
    for (const f of files) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);
    // --test-set-name picks the subset whose test pairs are held out.
    const c = join(dir, 'out-kaggle-train-test');
    assert.equal(hrm(['data', 'arc', '--input-file-prefix', prefix, '--subsets', 'training', 'evaluation', '--test-set-name', 'training', '--output-dir', c, '--num-aug', '0', '--quiet']).status, 0);
    const ids = readIdentifiers(c)!;
    const testIds = readNpy(join(c, 'test', 'all__puzzle_identifiers.npy')).data as Int32Array;
    const trainNames = readdirSync(join(folders, 'training')).map((f) => f.replace('.json', ''));
    assert.deepEqual([...testIds].map((i) => ids[i]).sort(), trainNames.sort());
    // Clear errors for a missing file and a solutions file that does not match.
    assert.match(hrm(['data', 'arc', '--input-file-prefix', prefix, '--subsets', 'concept', '--output-dir', join(dir, 'x')]).stderr, /arc-agi_concept_challenges\.json: not found/);
    writeFileSync(`${prefix}_evaluation_solutions.json`, '{}');
    assert.match(hrm(['data', 'arc', '--input-file-prefix', prefix, '--subsets', 'evaluation', '--output-dir', join(dir, 'x')]).stderr, /_solutions\.json: task '\w+': expected \d+ output grids/);
  });
});

/** Votes over a built test split, with `pick` choosing each row's prediction (its label or its input). */
function oracleVotes(data: string, pick: 'labels' | 'inputs') {
  const ids = readIdentifiers(data)!;
  const pid = readNpy(join(data, 'test', 'all__puzzle_identifiers.npy')).data as Int32Array;
  const pix = readNpy(join(data, 'test', 'all__puzzle_indices.npy')).data as Int32Array;
  const inputs = readNpy(join(data, 'test', 'all__inputs.npy')).data as Uint8Array;
  const labels = readNpy(join(data, 'test', 'all__labels.npy')).data as Uint8Array;
  // One row per example, with its puzzle's identifier, in the dataset's order (as evaluation sees them).
  const rows = pix[pix.length - 1];
  const rowIds = new Int32Array(rows);
  for (let p = 0; p < pid.length; p++) rowIds.fill(pid[p], pix[p], pix[p + 1]);
  const v = new ArcVoter(ids);
  v.add(rowIds, inputs, pick === 'labels' ? labels : inputs, new Float32Array(rows), labels);
  return v.result();
}

for (const set of ['arc-agi-1', 'arc-agi-2']) {
  test(`${set} builds, and the oracle's votes map back to the true outputs and score 1.0`, async (t) => {
    const src = sharedData(set);
    if (!src) return t.skip(`no ${set}`);
    await withTempDir((dir) => {
      const data = join(dir, 'data');
      const r = hrm(['data', 'arc', '--dataset-dirs', src, '--max-tasks', '5', '--num-aug', '6', '--output-dir', data, '--quiet']);
      assert.equal(r.status, 0, r.stderr);
      const tasks = oracleVotes(data, 'labels');
      assert.equal(tasks.length, 5, 'the 5 evaluation tasks are in the test split');
      for (const tv of tasks) {
        const json = JSON.parse(readFileSync(join(src, 'evaluation', `${tv.task}.json`), 'utf8')) as { test: { input: Rows; output: Rows }[] };
        assert.equal(tv.tests.length, json.test.length, tv.task);
        tv.tests.forEach((x, i) => {
          assert.deepEqual(gridToRows(x.input), json.test[i].input, `${tv.task} test ${i} input`);
          assert.deepEqual(gridToRows(x.candidates[0].grid), json.test[i].output, `${tv.task} test ${i} output`);
          assert.equal(x.candidates.length, 1, 'all 7 copies agree once mapped back');
          assert.equal(x.candidates[0].votes, 7);
        });
      }
      const s = passAtK(tasks);
      assert.equal(s.official[1], 1);
      assert.equal(s.allTests[1], 1);
      const sub = join(dir, 'submission.json');
      writeSubmission(sub, tasks);
      assert.equal(scoreFiles(sub, join(src, 'evaluation'), true).score, 1);
      const j = JSON.parse(hrm(['arc', 'score', sub, '--solutions', join(src, 'evaluation'), '--only-submitted', '--json']).stdout);
      assert.equal(j.score, 1);
      assert.match(hrm(['arc', 'score', sub, '--solutions', join(src, 'evaluation')]).stderr, /task '\w+' is missing/, 'without --only-submitted every task is needed');
      // Predicting the input (never the answer in ARC) scores 0.
      const copy = oracleVotes(data, 'inputs');
      assert.equal(passAtK(copy).official[1000], 0);
    });
  });
}

test('training on ARC logs ARC/pass@K, writes submission.json and the report; hrm arc vote agrees', async (t) => {
  const arc1 = sharedData('arc-agi-1');
  if (!arc1) return t.skip('no ARC-AGI-1');
  await withTempDir((dir) => {
    const data = join(dir, 'data');
    assert.equal(hrm(['data', 'arc', '--dataset-dirs', arc1, '--max-tasks', '2', '--max-grid', '6', '--num-aug', '2', '--output-dir', data, '--quiet']).status, 0);
    const run = join(dir, 'run');
    const tr = hrm(['train', ...TINY, 'global_batch_size=4', 'arch.puzzle_emb_ndim=32', `data_path=${data}`, `checkpoint_path=${run}`,
      'eval_save_outputs=[inputs,labels,puzzle_identifiers,logits,q_halt_logits]']);
    assert.equal(tr.status, 0, tr.stderr);
    assert.match(tr.stdout, /ARC \(voted\): pass@1 [\d.]+%, pass@2 [\d.]+% of test inputs .*arc_report\.html/);
    const evals = readMetrics(join(run, 'metrics.jsonl')).filter((r) => r.kind === 'eval');
    assert.equal(evals.length, 2);
    for (const e of evals) {
      for (const k of [1, 2, 10, 100, 1000]) {
        for (const key of [`ARC/pass@${k}`, `ARC/all_tests_pass@${k}`]) {
          const v = e[key] as number;
          assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `${key} = ${v}`);
        }
      }
      assert.ok((e['ARC/pass@1'] as number) <= (e['ARC/pass@1000'] as number));
    }
    for (const f of ['submission.json', 'arc_votes.json', 'arc_report.html']) assert.ok(existsSync(join(run, f)), f);
    const html = readFileSync(join(run, 'arc_report.html'), 'utf8');
    assert.match(html, /\.c9\{background:#870C25\}/);
    assert.doesNotMatch(html, /<script|<link|src=/, 'self-contained');
    const sub = JSON.parse(readFileSync(join(run, 'submission.json'), 'utf8'));
    assert.equal(Object.keys(sub).length, 2);
    // The last evaluation saved logits: hrm arc vote over them gives the votes taken during training.
    const fromTraining = readFileSync(join(run, 'arc_votes.json'), 'utf8');
    const v1 = hrm(['arc', 'vote', run]);
    assert.equal(v1.status, 0, v1.stderr);
    assert.match(v1.stdout, /fraction of test inputs \(ARC Prize\)/);
    assert.equal(readFileSync(join(run, 'arc_votes.json'), 'utf8'), fromTraining, 'voting over saved logits = voting during evaluation');
    // hrm eval of the last checkpoint (ARC default: preds, not logits), then hrm arc vote over its outputs.
    const last = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')).final_checkpoint as string;
    const ev = hrm(['eval', `checkpoint=${last}`]);
    assert.equal(ev.status, 0, ev.stderr);
    assert.match(ev.stdout, /ARC: .*pass@1 /);
    assert.match(ev.stdout, /ARC: submission .*submission\.json, per-task report .*arc_report\.html/);
    const saved = readSafetensors(last.replace('.safetensors', '_all_preds.safetensors')).tensors;
    assert.ok(saved.has('preds') && !saved.has('logits'), [...saved.keys()].join(','));
    const fromEval = readFileSync(join(run, 'arc_votes.json'), 'utf8');
    assert.equal(fromEval, fromTraining, 'hrm eval votes as the training evaluation did');
    const vote = hrm(['arc', 'vote', run]);
    assert.equal(vote.status, 0, vote.stderr);
    assert.equal(readFileSync(join(run, 'arc_votes.json'), 'utf8'), fromEval, 'voting over saved preds = voting during evaluation');
    const rep = hrm(['arc', 'report', run, '--no-color']);
    assert.equal(rep.status, 0, rep.stderr);
    assert.match(rep.stdout, /== \w+: \d\/\d test inputs right at pass@2/);
    assert.match(rep.stdout, /test 0: 3 copies, [0-3] votes over \d+ distinct grids/);
    assert.match(hrm(['arc', 'report', dir]).stderr, /no arc_votes\.json here/);
  });
});
