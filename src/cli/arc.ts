/**
 * `hrm arc vote | score | report`: ARC voting over saved evaluation outputs, scoring of any Kaggle-format
 * submission, and the per-task report.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ARC_SEQ_LEN, ARC_VOCAB } from '../data/builders/arc.js';
import { readDatasetMetadata, readIdentifiers } from '../data/dataset-format.js';
import { readSafetensors, toFloat32, toInt32 } from '../io/safetensors.js';
import { readRunConfig } from '../train/config.js';
import { UserError } from '../util/errors.js';
import { OPTION_LIMITS } from '../util/limits.js';
import { pathKind } from '../util/io-errors.js';
import { formatScoreTable, scoreFiles } from '../arc/score.js';
import { formatScores, readVotesFile, renderTerminal, writeArcOutputs } from '../arc/report.js';
import { ArcVoter, passAtK } from '../arc/voting.js';

const HELP: Record<string, string> = {
  arc: `usage: hrm arc <command> [args]

commands:
  vote     vote over saved evaluation outputs (step_N_all_preds.safetensors), write submission.json
  score    score a Kaggle-format submission.json against the solutions
  report   print the per-task report of an ARC evaluation (arc_votes.json)`,
  vote: `usage: hrm arc vote <run folder | step_N_all_preds.safetensors> [--data-path DIR]

Reads the saved outputs (puzzle_identifiers, inputs, preds or logits, q_halt_logits, labels) of an
evaluation on an ARC dataset (the newest step_N_all_preds.safetensors of a run folder), maps every
augmented copy's answer back, votes, prints pass@K (K = 1, 2, 10, 100, 1000) under both rules, and
writes submission.json, arc_votes.json and arc_report.html next to the outputs. The dataset (for its
identifiers.json) is the run's data_path from all_config.yaml unless --data-path is given.`,
  score: `usage: hrm arc score <submission.json> --solutions <folder of task JSONs | Kaggle _solutions.json> [--json] [--only-submitted]

Scores a submission as the ARC Prize does: a test input is right when attempt_1 or attempt_2 equals
its solution; a task scores the fraction of its test inputs right; the score is the mean over tasks.
Prints a per-task table, or with --json one object {"score", "tasks": {task: score}}. Every task of
the solutions must be in the submission, unless --only-submitted (score the submission's tasks only,
e.g. a small recipe's subset of the evaluation set).`,
  report: `usage: hrm arc report <run folder | arc_votes.json> [--task ID] [--top N] [--color|--no-color]

Prints, per task, each test input, the right answer and the top N (default 3) voted candidates with
their votes and mean halting confidence. The same report is in arc_report.html in the run folder.`,
};

interface Flags {
  positional: string[];
  values: Map<string, string | true>;
}

function parse(args: string[], valued: string[], booleans: string[]): Flags {
  const f: Flags = { positional: [], values: new Map() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-h' || a === '--help') f.values.set('help', true);
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = (eq > 0 ? a.slice(2, eq) : a.slice(2)).replace(/_/g, '-');
      if (booleans.includes(name)) f.values.set(name, true);
      else if (valued.includes(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : args[++i];
        if (v === undefined) throw new UserError(`--${name} needs a value`);
        f.values.set(name, v);
      } else throw new UserError(`unknown option ${a} (allowed: ${[...valued, ...booleans].map((x) => '--' + x).join(' ')})`);
    } else f.positional.push(a);
  }
  return f;
}

function newestPreds(dir: string): string {
  const steps = readdirSync(dir).map((n) => /^step_(\d+)_all_preds\.safetensors$/.exec(n)).filter((m) => m !== null).map((m) => Number(m![1]));
  if (steps.length === 0) throw new UserError(`${dir}: no step_N_all_preds.safetensors (evaluate with save_outputs including inputs, labels, puzzle_identifiers, preds or logits, q_halt_logits)`);
  return join(dir, `step_${Math.max(...steps)}_all_preds.safetensors`);
}

async function vote(args: string[]): Promise<number> {
  const f = parse(args, ['data-path'], []);
  if (f.values.has('help')) return help('vote');
  if (f.positional.length !== 1) throw new UserError(`hrm arc vote: give one run folder or step_N_all_preds.safetensors\n\n${HELP.vote}`);
  const target = f.positional[0];
  const kind = pathKind(target);
  if (kind === null) throw new UserError(`${target}: no such file or folder`);
  const file = kind === 'dir' ? newestPreds(target) : target;
  const dir = dirname(file);
  let dataPath = f.values.get('data-path') as string | undefined;
  if (!dataPath) {
    const cfgPath = join(dir, 'all_config.yaml');
    if (pathKind(cfgPath) === null) throw new UserError(`${file}: no all_config.yaml beside it to name the dataset; give --data-path`);
    dataPath = readRunConfig(cfgPath).data_path;
  }
  const ids = readIdentifiers(dataPath);
  if (!ids) throw new UserError(`${dataPath}: no identifiers.json (is this an ARC dataset built by hrm data arc?)`);
  if (pathKind(join(dataPath, 'test', 'dataset.json')) === 'file') {
    const m = readDatasetMetadata(dataPath, 'test');
    if (m.vocab_size !== ARC_VOCAB || m.seq_len !== ARC_SEQ_LEN) {
      throw new UserError(`${dataPath}: not an ARC dataset (vocab_size ${m.vocab_size}, seq_len ${m.seq_len}; hrm data arc builds ${ARC_VOCAB} and ${ARC_SEQ_LEN}); hrm arc vote needs a run trained on ARC`);
    }
  }
  const { tensors } = readSafetensors(file);
  const need = (k: string) => {
    const t = tensors.get(k);
    if (!t) throw new UserError(`${file}: no '${k}' tensor (saved: ${[...tensors.keys()].join(', ')}); evaluate with save_outputs=[inputs,labels,puzzle_identifiers,preds,q_halt_logits]`);
    return t;
  };
  const pid = toInt32(need('puzzle_identifiers'), file, 'puzzle_identifiers');
  const inputs = need('inputs');
  const T = inputs.shape[1];
  if (inputs.shape.length !== 2 || T !== ARC_SEQ_LEN) {
    throw new UserError(`${file}: not the outputs of an ARC evaluation (inputs of shape [${inputs.shape.join(', ')}], ARC's rows have ${ARC_SEQ_LEN} tokens)`);
  }
  const rows = pid.length;
  if (inputs.shape[0] !== rows) throw new UserError(`${file}: inputs has ${inputs.shape[0]} rows, puzzle_identifiers ${rows}`);
  const q = toFloat32(need('q_halt_logits'));
  if (q.length !== rows) throw new UserError(`${file}: q_halt_logits has ${q.length} values for ${rows} rows`);
  const labels = tensors.get('labels');
  const predsT = tensors.get('preds');
  const voter = new ArcVoter(ids, T);
  for (let r = 0; r < rows; r++) if (pid[r] >= ids.length || pid[r] < 0) throw new UserError(`${file}: row ${r} has puzzle identifier ${pid[r]}, but ${dataPath}/identifiers.json has ${ids.length} names (wrong dataset?)`);
  const inp = toInt32(inputs, file, 'inputs');
  const lab = labels ? toInt32(labels, file, 'labels') : null;
  if (predsT) voter.add(pid, inp, toInt32(predsT, file, 'preds'), q, lab);
  else {
    const logits = need('logits');
    voter.add(pid, inp, toFloat32(logits), q, lab, logits.shape[2]);
  }
  const tasks = voter.result();
  if (tasks.length === 0) throw new UserError(`${file}: no row names an ARC task of ${dataPath}/identifiers.json (every puzzle identifier is the blank 0); nothing to vote on`);
  const m = /step_(\d+)_all_preds/.exec(file);
  const out = writeArcOutputs(dir, m ? Number(m[1]) : 0, tasks);
  console.log(`${file}: ${voter.rows} rows, ${tasks.length} tasks`);
  console.log(formatScores(passAtK(tasks)));
  console.log(`submission: ${out.submission}\nreport: ${out.report}`);
  return 0;
}

async function score(args: string[]): Promise<number> {
  const f = parse(args, ['solutions'], ['json', 'only-submitted']);
  if (f.values.has('help')) return help('score');
  if (f.positional.length !== 1) throw new UserError(`hrm arc score: give one submission.json\n\n${HELP.score}`);
  const sols = f.values.get('solutions');
  if (typeof sols !== 'string') throw new UserError(`hrm arc score: --solutions <folder of task JSONs | Kaggle _solutions.json> is required`);
  const r = scoreFiles(f.positional[0], sols, f.values.has('only-submitted'));
  if (f.values.has('json')) console.log(JSON.stringify({ score: r.score, tasks: Object.fromEntries(r.tasks.map((t) => [t.task, t.score])) }));
  else console.log(formatScoreTable(r));
  return 0;
}

async function report(args: string[]): Promise<number> {
  const f = parse(args, ['task', 'top'], ['color', 'no-color']);
  if (f.values.has('help')) return help('report');
  if (f.positional.length !== 1) throw new UserError(`hrm arc report: give one run folder or arc_votes.json\n\n${HELP.report}`);
  const top = f.values.has('top') ? Number(f.values.get('top')) : 3;
  if (!Number.isInteger(top) || top < 0) throw new UserError(`--top must be a whole number, got '${f.values.get('top')}'`);
  if (top > OPTION_LIMITS.top) throw new UserError(`--top ${top} is above its limit of ${OPTION_LIMITS.top} (docs/RELIABILITY.md)`);
  const v = readVotesFile(f.positional[0]);
  const colour = f.values.has('no-color') ? false : f.values.has('color') || (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
  console.log(renderTerminal(v, { colour, top, task: f.values.get('task') as string | undefined }));
  return 0;
}

function help(cmd: string): number {
  console.log(HELP[cmd]);
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = { vote, score, report };

export async function run(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    (cmd ? console.log : console.error)(HELP.arc);
    return cmd ? 0 : 1;
  }
  const c = COMMANDS[cmd];
  if (!c) throw new UserError(`hrm arc: unknown command '${cmd}'\n\n${HELP.arc}`);
  return c(rest);
}
