#!/usr/bin/env node
/**
 * The `hrm` command: dispatches to subcommands. Each subcommand module exports
 * `run(args: string[]): Promise<number>` and owns its own flag parsing and help.
 */
import { UserError } from '../util/errors.js';
import { ioErrorMessage } from '../util/io-errors.js';
import { exitQuietlyOnClosedOutput, OutputClosed } from '../util/output.js';

const SUBCOMMANDS: Record<string, { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> }> = {
  data: { summary: 'build, generate and show puzzle datasets', load: () => import('./data.js') },
  train: { summary: 'train a model (reference config keys, key=value overrides)', load: () => import('./train.js') },
  eval: { summary: 'evaluate a checkpoint', load: () => import('./eval.js') },
  solve: { summary: 'answer Sudoku or maze puzzles with a trained model (and show its reasoning)', load: () => import('./solve.js') },
  export: { summary: 'write a trained run as one self-contained model file (what models/ holds)', load: () => import('./export.js') },
  convert: { summary: 'convert a checkpoint between the reference (PyTorch) format and ours', load: () => import('./convert.js') },
  serve: { summary: 'serve the web page that runs a model in the browser and shows its reasoning', load: () => import('./serve.js') },
  arc: { summary: 'ARC: vote over saved outputs, score a submission, per-task report', load: () => import('./arc.js') },
};

function usage(): string {
  const lines = ['usage: hrm <command> [args]', '', 'commands:'];
  for (const [name, s] of Object.entries(SUBCOMMANDS)) lines.push(`  ${name.padEnd(8)} ${s.summary}`);
  lines.push('', "Run 'hrm <command> --help' for a command's options.");
  lines.push('Every command takes --backend native|wasm|webgpu (the same as HRM_BACKEND; webgpu runs on a GPU).');
  return lines.join('\n');
}

/**
 * `--backend NAME` (or `--backend=NAME`) anywhere on the line: the same as HRM_BACKEND=NAME, for every
 * command. It goes into the environment so that worker threads and child processes see it too.
 */
function takeBackendFlag(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a === '--backend' || a.startsWith('--backend=')) {
      const v = a === '--backend' ? argv[++i] : a.slice('--backend='.length);
      if (v === undefined || v === '') throw new UserError("--backend needs a value: native, wasm or webgpu");
      if (!['native', 'wasm', 'webgpu'].includes(v)) throw new UserError(`--backend must be native, wasm or webgpu, got '${v}'`);
      process.env.HRM_BACKEND = v;
      continue;
    }
    out.push(a);
  }
  return out;
}

async function main(argv0: string[]): Promise<number> {
  const argv = takeBackendFlag(argv0);
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    // no command is a mistake: the usage goes to stderr with status 1; --help asks for it: stdout, 0
    (cmd ? console.log : console.error)(usage());
    return cmd ? 0 : 1;
  }
  const sub = SUBCOMMANDS[cmd];
  if (!sub) throw new UserError(`unknown command '${cmd}'\n\n${usage()}`);
  const mod = await sub.load();
  return mod.run(rest);
}

exitQuietlyOnClosedOutput();
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const io = ioErrorMessage(err);
    if (err instanceof OutputClosed) {
      // the reader of standard output has gone (| head -1): nothing to say, nowhere to say it
      process.exitCode = 0;
    } else if (err instanceof UserError) {
      console.error(`hrm: ${err.message}`);
      process.exitCode = 1;
    } else if (io !== null) {
      // A full disk, a read-only folder, a missing permission: the user's situation, not a bug.
      console.error(`hrm: ${io}`);
      process.exitCode = 1;
    } else {
      console.error('hrm: internal error (please report):');
      console.error(err);
      process.exitCode = 2;
    }
  },
);
