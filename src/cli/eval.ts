/**
 * `hrm eval checkpoint=<run folder>/step_N.safetensors [save_outputs=[...]] [data_path=DIR]
 * [global_batch_size=N]`: the reference's evaluate.py command line.
 */
import { UserError } from '../util/errors.js';
import { asUserError } from '../util/io-errors.js';
import { getBackend } from '../engine/backend.js';
import { applyOverride, parseOverrideValue } from '../train/config.js';
import { DEFAULT_SAVE_OUTPUTS, evaluateCheckpoint } from '../model-files/eval-checkpoint.js';
import { formatEval } from '../train/summary.js';

const HELP = `usage: hrm eval checkpoint=<run folder>/step_N.safetensors [save_outputs=[...]] [data_path=DIR] [global_batch_size=N] [output_dir=DIR]
       hrm eval checkpoint=<reference checkpoint folder> data_path=DIR   (checkpoint + all_config.yaml, as published)

Evaluates a checkpoint on the test split of the run's dataset (read from all_config.yaml next to
the checkpoint), prints per-set metrics, and saves the outputs named in save_outputs
(default [${DEFAULT_SAVE_OUTPUTS.join(',')}]; also: preds; save_outputs=[] saves nothing) as
step_N_all_preds.safetensors in the checkpoint's folder. (The reference writes a torch pickle
step_N_all_preds.0 with the same fields; load ours with safetensors.torch.load_file.)
output_dir=DIR writes them there instead (e.g. for a read-only run folder). Only the test split
of the dataset is read.
On an ARC dataset it also votes over the augmented copies, prints pass@K (the ARC set) and writes
submission.json, arc_votes.json and arc_report.html beside the checkpoint (see hrm arc --help); there
the default save_outputs has preds instead of logits (voting needs only preds; hrm arc vote reads them).`;

export async function run(args: string[]): Promise<number> {
  try {
    if (!args.includes('--help') && !args.includes('-h')) getBackend(); // a bad HRM_* setting fails before any work
    return await runEval(args);
  } catch (e) {
    throw asUserError(e);
  }
}

async function runEval(args: string[]): Promise<number> {
  let checkpoint: string | undefined;
  let saveOutputs: string[] | undefined;
  let outputDir: string | undefined;
  const adjust: string[] = [];
  for (const a of args) {
    if (a === '--help' || a === '-h') {
      console.log(HELP);
      return 0;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq).replace(/^\+\+?/, '') : '';
    const value = a.slice(eq + 1);
    if (key === 'checkpoint') checkpoint = value;
    else if (key === 'save_outputs') {
      const v = parseOverrideValue(value);
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw new UserError(`save_outputs must be a list like [inputs,logits], got '${value}'`);
      saveOutputs = list as string[];
    } else if (key === 'data_path' || key === 'global_batch_size') adjust.push(a);
    else if (key === 'output_dir') {
      if (value.trim() === '') throw new UserError('output_dir= is empty; name the folder for the outputs');
      outputDir = value;
    } else throw new UserError(`bad argument '${a}': expected checkpoint=..., save_outputs=[...], data_path=..., global_batch_size=... or output_dir=... (see hrm eval --help)`);
  }
  if (!checkpoint) throw new UserError('missing checkpoint=<run folder>/step_N.safetensors (see hrm eval --help)');
  console.log(`evaluating ${checkpoint}`);
  const res = evaluateCheckpoint({
    checkpoint,
    saveOutputs,
    adjust: (cfg) => adjust.forEach((a) => applyOverride(cfg, a)),
    outputDir,
  });
  console.log(`step ${res.step}, ${res.seconds.toFixed(1)}s${res.weightsFile !== checkpoint ? ` (the run's EMA weights: ${res.weightsFile})` : ''}`);
  for (const [set, m] of Object.entries(res.sets)) console.log(formatEval({ [set]: m }));
  if (res.arcFiles) console.log(`ARC: submission ${res.arcFiles.submission}, per-task report ${res.arcFiles.report} (hrm arc report ${res.config.checkpoint_path})`);
  if (res.predictionsFile) console.log(`outputs (${[...res.outputs!.keys()].join(', ')}): ${res.predictionsFile}`);
  if (res.saveError) {
    throw new UserError(`could not save the outputs: ${res.saveError}; the metrics above are complete (output_dir=DIR saves the outputs elsewhere, save_outputs=[] skips them)`);
  }
  return 0;
}
