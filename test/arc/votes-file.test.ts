/**
 * #25: `hrm arc report` on a damaged arc_votes.json is one line naming the file and the place in it,
 * never a TypeError half-way through the report (the sweep's fuzzer found 7 distinct ones): the file
 * is checked whole before anything is drawn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readVotesFile, renderHtml, renderTerminal, votesFile, VOTES_FORMAT } from '../../src/arc/report.js';
import { gridKey, type TaskVotes } from '../../src/arc/voting.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { hrm, oneLineError } from '../reliability/helpers.js';

const grid = (h: number, w: number, v: number) => ({ h, w, data: Uint8Array.from({ length: h * w }, (_, i) => (i + v) % 10) });

/** A valid arc_votes.json of two tasks (one solved), as evaluation writes it. */
function validVotes(): unknown {
  const right = grid(2, 2, 0);
  const tasks: TaskVotes[] = [
    { task: 'abcd1234', tests: [{ input: grid(2, 3, 1), label: right, copies: 4, candidates: [{ grid: right, key: gridKey(right), votes: 3, meanQ: 0.7 }, { grid: grid(1, 1, 5), key: 'x', votes: 1, meanQ: 0.2 }] }] },
    { task: 'ffff0000', tests: [{ input: grid(1, 2, 3), label: null, copies: 2, candidates: [{ grid: grid(3, 1, 2), key: 'y', votes: 2, meanQ: 0.5 }] }] },
  ] as unknown as TaskVotes[];
  return JSON.parse(JSON.stringify(votesFile(tasks, 12)));
}

test('#25: hrm arc report: damaged arc_votes.json files are one line naming the file and the place', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-votes-'));
  try {
    const file = join(dir, 'arc_votes.json');
    writeFileSync(file, JSON.stringify(validVotes()));
    const ok = hrm(['arc', 'report', dir]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /== abcd1234: 1\/1 test inputs right at pass@2 \(solved\)/);
    const damaged: [string, (v: any) => unknown, RegExp][] = [
      ['the sweep\'s example', () => ({ format: VOTES_FORMAT, tasks: [] }), /arc_votes\.json: step: expected a whole number >= 0, got nothing$/],
      ['no scores', (v) => ({ ...v, scores: undefined }), /arc_votes\.json: scores: expected an object, got nothing$/],
      ['scores of another key', (v) => ((v.scores.official['3'] = 0.5), v), /scores\.official: unexpected key "3"/],
      ['a score that is not a fraction', (v) => ((v.scores.allTests['2'] = 'x'), v), /scores\.allTests\["2"\]: expected a fraction between 0 and 1, got the string "x"$/],
      ['scores that disagree with the tasks', (v) => ((v.scores.tasks = 5), v), /scores\.tasks: is 5, but the file lists 2 tasks$/],
      ['a task that is a number', (v) => ((v.tasks[1] = 7), v), /tasks\[1\]: expected an object, got 7$/],
      ['tests not a list', (v) => ((v.tasks[0].tests = {}), v), /tasks\[0\] \("abcd1234"\)\.tests: expected a list, got an object$/],
      ['no tests', (v) => ((v.tasks[0].tests = []), v), /tasks\[0\] \("abcd1234"\)\.tests: is an empty list$/],
      ['a grid with colour 12', (v) => ((v.tasks[0].tests[0].input = [[1, 12]]), v), /tests\[0\]\.input: row 0, column 1: colour 12 is not an integer 0-9$/],
      ['a ragged candidate', (v) => ((v.tasks[0].tests[0].candidates[1].grid = [[1], [2, 3]]), v), /candidates\[1\]\.grid: row 1 has 2 cells, expected 1$/],
      ['candidates null', (v) => ((v.tasks[1].tests[0].candidates = null), v), /tasks\[1\] \("ffff0000"\)\.tests\[0\]\.candidates: expected a list, got null$/],
      ['votes a string', (v) => ((v.tasks[0].tests[0].candidates[0].votes = '3'), v), /candidates\[0\]\.votes: expected a whole number >= 0, got the string "3"$/],
      ['mean_q missing', (v) => (delete v.tasks[0].tests[0].candidates[0].mean_q, v), /candidates\[0\]\.mean_q: expected a fraction between 0 and 1, got nothing$/],
      ['a rank beyond the candidates', (v) => ((v.tasks[0].tests[0].right_rank = 9), v), /right_rank: is 9, but there are 2 candidates$/],
      ['a task name with a terminal escape', (v) => ((v.tasks[0].task = '\x1b[2J'), (v.tasks[0].tests[0].copies = -1), v), /tasks\[0\] \("\\x1b\[2J"\)\.tests\[0\]\.copies: expected a whole number >= 0, got -1$/],
      ['another format', (v) => ((v.format = 'x'), v), /format: is the string "x", expected "hrm-ts-arc-votes\/1"/],
    ];
    for (const [what, damage, re] of damaged) {
      writeFileSync(file, JSON.stringify(damage(validVotes())));
      const line = oneLineError(hrm(['arc', 'report', file]));
      assert.match(line, re, what);
      assert.ok(line.startsWith(`hrm: ${file}: `), `${what}: ${line}`);
    }
    writeFileSync(file, '{"format": "hrm-ts-arc-votes/1",\n "step": 1\x1b[31m}');
    assert.equal(oneLineError(hrm(['arc', 'report', file])), `hrm: ${file}: not valid JSON (line 2, column 11: unexpected "\\x1b")`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('#25: arc_votes.json with any field replaced or removed: a report or a one-line UserError', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-votes-'));
  try {
    const file = join(dir, 'arc_votes.json');
    const seed = validVotes();
    const paths: string[][] = [];
    const walk = (o: unknown, p: string[]): void => {
      paths.push(p);
      if (o && typeof o === 'object') for (const k of Object.keys(o)) walk((o as Record<string, unknown>)[k], [...p, k]);
    };
    walk(seed, []);
    const values = [null, 0, -1, 1.5, 1e9, 'x', '\x1b[31m', [], {}, [[]], [[1, 2], [3]], [[10]], true];
    const rng = new Rng(25);
    let rendered = 0;
    for (let i = 0; i < 2000; i++) {
      const v = structuredClone(seed) as Record<string, unknown>;
      for (let e = 0; e <= rng.int(2); e++) {
        const p = paths[1 + rng.int(paths.length - 1)];
        let o = v as Record<string, unknown> | undefined;
        for (const k of p.slice(0, -1)) o = o?.[k] as Record<string, unknown> | undefined;
        if (!o || typeof o !== 'object') continue;
        if (rng.int(5) === 0) delete o[p[p.length - 1]];
        else o[p[p.length - 1]] = structuredClone(values[rng.int(values.length)]);
      }
      writeFileSync(file, JSON.stringify(v));
      try {
        const r = readVotesFile(file);
        renderTerminal(r, { colour: true, top: 5 });
        renderHtml(r);
        rendered++;
      } catch (e) {
        if (!(e instanceof UserError)) assert.fail(`mutant ${i}: ${(e as Error).stack}\n${JSON.stringify(v)}`);
        assert.ok(!e.message.includes('\n'), e.message);
      }
    }
    assert.ok(rendered > 0 && rendered < 2000, `${rendered} of 2000 mutants rendered`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
