/**
 * `hrm arc score`: a submission made from the true solutions scores 1.0, one wrong test input scores
 * exactly what the ARC Prize's rule says, both solution layouts agree, and malformed files are rejected
 * with one line naming the file and the problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scoreFiles } from '../../src/arc/score.js';
import { UserError } from '../../src/util/errors.js';
import { hrm } from '../train/tiny-data.js';
import { sharedData, withTempDir } from '../data/helpers.js';

// 12997ef3 has two test inputs; the others one each.
const TASKS = ['12997ef3', '00576224', '009d5c81'];

type Rows = number[][];

function setup(dir: string, evalDir: string): { sols: string; kaggle: string; truth: Record<string, Rows[]> } {
  const sols = join(dir, 'solutions');
  mkdirSync(sols);
  const truth: Record<string, Rows[]> = {};
  for (const t of TASKS) {
    copyFileSync(join(evalDir, `${t}.json`), join(sols, `${t}.json`));
    truth[t] = (JSON.parse(readFileSync(join(evalDir, `${t}.json`), 'utf8')).test as { output: Rows }[]).map((x) => x.output);
  }
  const kaggle = join(dir, 'arc-agi_evaluation_solutions.json');
  writeFileSync(kaggle, JSON.stringify(truth));
  return { sols, kaggle, truth };
}

const fromTruth = (truth: Record<string, Rows[]>) =>
  Object.fromEntries(Object.entries(truth).map(([t, outs]) => [t, outs.map((g) => ({ attempt_1: g, attempt_2: g }))]));

test('hrm arc score: true solutions score 1.0; one wrong test input scores what the rule says', async (t) => {
  const evalDir = sharedData('arc-agi-1/evaluation');
  if (!evalDir) return t.skip('no ARC-AGI-1');
  await withTempDir((dir) => {
    const { sols, kaggle, truth } = setup(dir, evalDir);
    const sub = join(dir, 'submission.json');
    writeFileSync(sub, JSON.stringify(fromTruth(truth)));
    for (const s of [sols, kaggle]) {
      const r = hrm(['arc', 'score', sub, '--solutions', s, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.score, 1);
      assert.deepEqual(Object.keys(j.tasks).sort(), [...TASKS].sort());
    }
    // Test input 1 of the two-input task wrong in both attempts: that task scores 1/2, the total (1/2 + 1 + 1) / 3.
    const wrong = fromTruth(truth);
    const bad = truth['12997ef3'][1].map((row) => row.map((v) => (v + 1) % 10));
    wrong['12997ef3'][1] = { attempt_1: bad, attempt_2: bad };
    writeFileSync(sub, JSON.stringify(wrong));
    const j = JSON.parse(hrm(['arc', 'score', sub, '--solutions', kaggle, '--json']).stdout);
    assert.equal(j.tasks['12997ef3'], 0.5);
    assert.equal(j.score, (0.5 + 1 + 1) / 3);
    // Right in attempt_2 only still counts; a third attempt does not.
    wrong['12997ef3'][1] = { attempt_1: bad, attempt_2: truth['12997ef3'][1] };
    writeFileSync(sub, JSON.stringify(wrong));
    assert.equal(scoreFiles(sub, sols).score, 1);
    wrong['12997ef3'][1] = { attempt_1: bad, attempt_2: bad, attempt_3: truth['12997ef3'][1] } as never;
    writeFileSync(sub, JSON.stringify(wrong));
    assert.equal(scoreFiles(sub, sols).score, (0.5 + 1 + 1) / 3);
    // The table names every task and the total.
    const table = hrm(['arc', 'score', sub, '--solutions', sols]).stdout;
    assert.match(table, /12997ef3\s+1\/2\s+0\.500/);
    assert.match(table, /score 0\.8333 \(mean over 3 tasks; 3\/4 test inputs right\)/);
  });
});

test('hrm arc score rejects malformed submissions with one clear line', async (t) => {
  const evalDir = sharedData('arc-agi-1/evaluation');
  if (!evalDir) return t.skip('no ARC-AGI-1');
  await withTempDir((dir) => {
    const { kaggle, truth } = setup(dir, evalDir);
    const sub = join(dir, 'submission.json');
    const cases: [string, (s: Record<string, unknown[]>) => unknown, RegExp][] = [
      ['missing task', (s) => { delete s['00576224']; return s; }, /task '00576224' is missing/],
      ['unknown task', (s) => ({ ...s, ffffffff: s['00576224'] }), /task 'ffffffff' is not in the solutions/],
      ['task not a list', (s) => ({ ...s, '00576224': s['00576224'][0] }), /task '00576224': expected a list with one \{"attempt_1", "attempt_2"\} object per test input/],
      ['too few test entries', (s) => ({ ...s, '12997ef3': s['12997ef3'].slice(0, 1) }), /task '12997ef3': 1 test entries, the task has 2 test inputs/],
      ['grid not nested', (s) => { (s['009d5c81'][0] as Record<string, unknown>).attempt_1 = [1, 2, 3]; return s; }, /task '009d5c81', test 0, attempt_1: row 0 is number 1, expected a non-empty list of cells/],
      ['grid nested too deep', (s) => { (s['009d5c81'][0] as Record<string, unknown>).attempt_2 = [[[1]]]; return s; }, /attempt_2: row 0, column 0: \[1\] is not an integer 0-9/],
      ['entry is a bare grid', (s) => { s['009d5c81'][0] = truth['009d5c81'][0]; return s; }, /test 0: expected an object \{"attempt_1": grid, "attempt_2": grid\}, got a list/],
      ['non-integer cell', (s) => { ((s['00576224'][0] as Record<string, Rows>).attempt_1)[0][1] = 1.5; return s; }, /task '00576224', test 0, attempt_1: row 0, column 1: 1.5 is not an integer 0-9/],
      ['value above 9', (s) => { ((s['00576224'][0] as Record<string, Rows>).attempt_2)[1][0] = 10; return s; }, /attempt_2: row 1, column 0: 10 is not an integer 0-9/],
      ['string cell', (s) => { ((s['00576224'][0] as Record<string, unknown[][]>).attempt_1)[0][0] = '3'; return s; }, /column 0: "3" is not an integer 0-9/],
      ['ragged rows', (s) => { ((s['00576224'][0] as Record<string, Rows>).attempt_1)[1].push(0); return s; }, /row 1 has \d+ cells, row 0 has \d+/],
      ['no attempt_1', (s) => { s['00576224'][0] = { attempt_2: truth['00576224'][0] }; return s; }, /test 0: no attempt_1/],
      ['unknown key', (s) => { (s['00576224'][0] as Record<string, unknown>).guess = 1; return s; }, /unexpected key 'guess'/],
      ['not an object', () => [1, 2], /expected a JSON object \{task id:/],
    ];
    for (const [what, edit, re] of cases) {
      const s = JSON.parse(JSON.stringify(fromTruth(truth)));
      writeFileSync(sub, JSON.stringify(edit(s)));
      assert.throws(() => scoreFiles(sub, kaggle), (e: unknown) => e instanceof UserError && re.test(e.message) && e.message.startsWith(sub), what);
      const r = hrm(['arc', 'score', sub, '--solutions', kaggle]);
      assert.equal(r.status, 1, what);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line, got ${r.stderr}`);
      assert.match(r.stderr, /^hrm: .*submission\.json: /, what);
    }
    writeFileSync(sub, '{"a": [');
    assert.match(hrm(['arc', 'score', sub, '--solutions', kaggle]).stderr, /submission\.json: not valid JSON/);
    assert.match(hrm(['arc', 'score', join(dir, 'nope.json'), '--solutions', kaggle]).stderr, /nope\.json: no such submission file/);
    assert.match(hrm(['arc', 'score', sub]).stderr, /--solutions .* is required/);
    // Malformed solutions are named as such.
    writeFileSync(join(dir, 'sol.json'), JSON.stringify({ a: [[[1, 12]]] }));
    assert.match(hrm(['arc', 'score', sub, '--solutions', join(dir, 'sol.json')]).stderr, /sol\.json: task 'a', test 0: row 0, column 1: 12 is not an integer 0-9/);
  });
});
