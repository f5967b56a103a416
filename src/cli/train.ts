/**
 * `hrm train [--config FILE] [key=value ...]` and `hrm train resume=<run folder or step_N.safetensors>`:
 * the reference's training command lines work as written (Hydra-style overrides).
 */
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { getBackend } from '../engine/backend.js';
import { asUserError } from '../util/io-errors.js';
import { applyOverride, finalizeConfig, knownKeys, loadTrainConfig, readRunConfig } from '../train/config.js';
import { locateResume } from '../train/checkpoint.js';
import { train } from '../train/loop.js';
import { TrainingInterrupted } from '../train/stop-signals.js';
import { formatSummary } from '../train/summary.js';

const HELP = `usage: hrm train [--config FILE] [key=value ...]
       hrm train resume=<run folder | step_N.safetensors> [data_path=DIR]

Trains an HRM with the reference's recipe (pretrain.py). Keys are the reference's
(cfg_pretrain.yaml and arch/hrm_v1.yaml), overridden Hydra-style, e.g. the reference README's
  hrm train data_path=data/sudoku-extreme-1k-aug-1000 epochs=20000 eval_interval=2000 \\
    lr=1e-4 puzzle_emb_lr=1e-4 weight_decay=1.0 puzzle_emb_weight_decay=1.0
A YAML or JSON file gives a base (overrides win): hrm train --config configs/quickstart.yaml

arch=<model> selects a model with its defaults (as Hydra's arch group): hrm_v1 (default), trm
(Tiny Recursive Model; its keys arch.mlp_t, arch.puzzle_emb_len, arch.no_ACT_continue) or
transformers_baseline; TRM's README line runs as written, e.g.
  hrm train arch=trm data_paths="[data/sudoku-extreme-1k-aug-1000]" evaluators="[]" epochs=50000 \
    eval_interval=5000 lr=1e-4 puzzle_emb_lr=1e-4 weight_decay=1.0 puzzle_emb_weight_decay=1.0 \
    arch.mlp_t=True arch.pos_encodings=none arch.L_layers=2 arch.H_cycles=3 arch.L_cycles=6 ema=True
ema=True keeps an average of the weights for evaluation (step_N.ema.safetensors).

The run folder checkpoints/<project_name>/<run_name>/ (or checkpoint_path) gets all_config.yaml,
step_N.safetensors (reference state-dict names), step_N.resume.safetensors (what resume needs),
metrics.jsonl, curves.svg and summary.json. resume= continues a run exactly where its last
checkpoint left it (checkpoint_every_steps=K adds resume points inside long iterations).
A folder that already holds a run is refused for a new run; overwrite=true moves the old run
aside to <folder>.old-<time> (nothing is deleted). A running trainer locks its folder (.lock).
Ctrl-C (or SIGTERM) stops training after the current step and names the last good checkpoint;
resume=<run folder> continues from it.

micro_batch_size=N runs each global batch as micro-batches of N rows whose gradients add up before
one optimizer step (gradient accumulation): the same result as the whole batch up to float32
summation order, in the memory of N rows. The default 0 keeps the whole batch when one step of it
fits in 70% of the machine's memory (measured by a probe step of two rows before training) and
otherwise splits it into the fewest micro-batches that fit, as even as they go, saying so in one
line: TRM's README Sudoku line (batch 768, hidden 512, mlp_t; ~78 GB at once) runs as 5 micro-batches
of at most 154 rows and peaked at 14 GB on a 24 GB machine.

options:
  --config FILE   base configuration (YAML or JSON)
  --quiet         no progress bar
keys:
  ${knownKeys().join(', ')}
environment: HRM_BACKEND=native|wasm|webgpu (or --backend), HRM_THREADS=n`;

export async function run(args: string[]): Promise<number> {
  try {
    return await runTrain(args);
  } catch (e) {
    if (e instanceof TrainingInterrupted) {
      console.error(`hrm: ${e.message}`);
      return e.exitCode;
    }
    throw asUserError(e);
  }
}

async function runTrain(args: string[]): Promise<number> {
  if (!args.includes('--help') && !args.includes('-h')) getBackend(); // a bad HRM_* setting fails before any work
  let file: string | undefined;
  let quiet = false;
  let resume: string | undefined;
  let overwrite = false;
  const overrides: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') {
      console.log(HELP);
      return 0;
    } else if (a === '--config') {
      file = args[++i];
      if (!file) throw new UserError('--config needs a file');
    } else if (a.startsWith('--config=')) {
      file = a.slice('--config='.length);
    } else if (a === '--quiet') {
      quiet = true;
    } else if (a.startsWith('resume=')) {
      resume = a.slice('resume='.length);
      if (resume.trim() === '') throw new UserError('resume= is empty (an unset shell variable?); give the run folder or step_N.safetensors to continue');
    } else if (/^\+{0,2}overwrite=/.test(a)) {
      const v = a.slice(a.indexOf('=') + 1).toLowerCase();
      if (v !== 'true' && v !== 'false') throw new UserError(`overwrite must be true or false, got '${a.slice(a.indexOf('=') + 1)}'`);
      overwrite = v === 'true';
    } else if (a.startsWith('-')) {
      throw new UserError(`unknown option '${a}' (see hrm train --help)`);
    } else {
      overrides.push(a);
    }
  }

  if (resume !== undefined) {
    if (overwrite) throw new UserError('overwrite=true starts a new run; it cannot be combined with resume= (which continues one)');
    if (file) throw new UserError('resume= continues a run with its own all_config.yaml; --config cannot be combined with it');
    const at = locateResume(resume);
    const cfgPath = join(at.dir, 'all_config.yaml');
    const cfg = readRunConfig(cfgPath);
    for (const o of overrides) {
      // Only where the data lives may change: everything else would make the continuation a different run.
      if (!o.startsWith('data_path=')) throw new UserError(`resume=: only data_path may be overridden (got '${o}'); the run keeps ${cfgPath}`);
      applyOverride(cfg, o);
    }
    cfg.checkpoint_path = at.dir;
    const summary = await train({ cfg: finalizeConfig(cfg, cfgPath), resume: at, quiet, signals: true });
    console.log(formatSummary(summary));
    return 0;
  }

  const cfg = loadTrainConfig({ file, overrides });
  const summary = await train({ cfg, quiet, overwrite, signals: true });
  console.log(formatSummary(summary));
  return 0;
}
