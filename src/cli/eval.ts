/**
 * `hrm eval checkpoint=<run folder>/step_N.safetensors [save_outputs=[...]] [data_path=DIR]
 * [global_batch_size=N]`: the reference's evaluate.py command line.
 */
import { UserError } from '../util/errors.js';
import { applyOverride, parseOverrideValue } from '../train/config.js';
import { DEFAULT_SAVE_OUTPUTS, evaluateCheckpoint } from '../train/eval-checkpoint.js';
import { formatEval } from '../train/summary.js';

const HELP = `usage: hrm eval checkpoint=<run folder>/step_N.safetensors [save_outputs=[...]] [data_path=DIR] [global_batch_size=N]

Evaluates a checkpoint on the test split of the run's dataset (read from all_config.yaml next to
the checkpoint), prints per-set metrics, and saves the outputs named in save_outputs
(default [${DEFAULT_SAVE_OUTPUTS.join(',')}]; also: preds; save_outputs=[] saves nothing) as
step_N_all_preds.safetensors in the checkpoint's folder. (The reference writes a torch pickle
step_N_all_preds.0 with the same fields; load ours with safetensors.torch.load_file.)`;

export async function run(args: string[]): Promise<number> {
  let checkpoint: string | undefined;
  let saveOutputs: string[] | undefined;
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
    else throw new UserError(`bad argument '${a}': expected checkpoint=..., save_outputs=[...], data_path=... or global_batch_size=... (see hrm eval --help)`);
  }
  if (!checkpoint) throw new UserError('missing checkpoint=<run folder>/step_N.safetensors (see hrm eval --help)');
  console.log(`evaluating ${checkpoint}`);
  const res = evaluateCheckpoint({
    checkpoint,
    saveOutputs,
    adjust: (cfg) => adjust.forEach((a) => applyOverride(cfg, a)),
  });
  console.log(`step ${res.step}, ${res.seconds.toFixed(1)}s${res.weightsFile !== checkpoint ? ` (the run's EMA weights: ${res.weightsFile})` : ''}`);
  for (const [set, m] of Object.entries(res.sets)) console.log(formatEval({ [set]: m }));
  if (res.predictionsFile) console.log(`outputs (${[...res.outputs!.keys()].join(', ')}): ${res.predictionsFile}`);
  return 0;
}
