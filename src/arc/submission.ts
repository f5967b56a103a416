/**
 * The ARC Prize's Kaggle submission format: `{ "<task id>": [ {"attempt_1": grid, "attempt_2": grid},
 * ... one per test input, in the task's order ] }`. The attempts are the top two voted candidates; with
 * only one candidate it is repeated (as TRM pads its top-K list with the first), and a test input without
 * any candidate gets [[0]] so the file keeps the format every scorer expects.
 */
import { writeFileAtomic } from '../util/atomic-write.js';
import { gridToRows, type TaskVotes } from './voting.js';

export type Submission = Record<string, { attempt_1: number[][]; attempt_2: number[][] }[]>;

export function makeSubmission(tasks: TaskVotes[]): Submission {
  const sub: Submission = {};
  for (const tv of tasks) {
    sub[tv.task] = tv.tests.map((t) => {
      const [a, b] = t.candidates;
      const g1 = a ? gridToRows(a.grid) : [[0]];
      const g2 = b ? gridToRows(b.grid) : g1;
      return { attempt_1: g1, attempt_2: g2 };
    });
  }
  return sub;
}

/** One line per test input keeps the file small and still readable. */
export function submissionJson(sub: Submission): string {
  const tasks = Object.entries(sub).map(([name, tests]) =>
    `  ${JSON.stringify(name)}: [\n${tests.map((t) => `    ${JSON.stringify(t)}`).join(',\n')}\n  ]`);
  return `{\n${tasks.join(',\n')}\n}\n`;
}

export function writeSubmission(path: string, tasks: TaskVotes[]): Submission {
  const sub = makeSubmission(tasks);
  writeFileAtomic(path, submissionJson(sub));
  return sub;
}
