/** `hrm export RUN OUTPUT.safetensors`: one self-contained model file (src/model-files/bundle.ts). */
import { exportModel } from '../model-files/bundle.js';
import { parseGridSides, type GridSides } from '../model-files/load.js';
import { UserError } from '../util/errors.js';
import { LIMITS } from '../util/limits.js';

const HELP = `usage: hrm export RUN OUTPUT.safetensors [--bf16] [--raw] [--seq-len N | --sides MIN-MAX] [--force]

Writes the weights a run answers with (its EMA weights when it kept them; the newest step of a run
folder, or the given step_N.safetensors) and, in the file's metadata, its all_config.yaml and
sequence length: one file that hrm solve --checkpoint, hrm serve --model and the web page load with
nothing beside it (the package's bundled models in models/ are such files).
  --bf16       store the weights as bfloat16 (half the size)
  --raw        the trained weights, not the EMA a run with ema=True keeps (an EMA with a rate
               near 1 still leans on the initial weights after a short run)
  --seq-len N  the puzzle length, when the run's dataset is not there to give it
  --sides MIN-MAX  a model with 2D rotary positions (rope_2d): the square grid sides it serves
               (e.g. 4-15; default 2 up to its dataset's side); hrm solve refuses other sizes
  --force      replace OUTPUT if it is such a model file (nothing else is ever replaced)`;

export async function run(args: string[]): Promise<number> {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    (args.length === 0 ? console.error : console.log)(HELP);
    return args.length === 0 ? 1 : 0;
  }
  const pos: string[] = [];
  let bf16 = false;
  let raw = false;
  let force = false;
  let seqLen: number | undefined;
  let sides: GridSides | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--bf16') bf16 = true;
    else if (a === '--raw') raw = true;
    else if (a === '--force') force = true;
    else if (a === '--seq-len') {
      const v = args[++i];
      seqLen = Number(v);
      if (v === undefined || !Number.isInteger(seqLen) || seqLen < 1) throw new UserError(`--seq-len needs an integer >= 1, got ${v === undefined ? 'nothing' : `'${v}'`}`);
      if (seqLen > LIMITS.seq_len) throw new UserError(`--seq-len ${v} is above its limit of ${LIMITS.seq_len} (docs/RELIABILITY.md)`);
    } else if (a === '--sides') {
      const v = args[++i];
      const g = v === undefined ? null : parseGridSides(v);
      if (g === null) throw new UserError(`--sides needs MIN-MAX grid sides between 2 and 256 (e.g. 4-15), got ${v === undefined ? 'nothing' : `'${v}'`}`);
      sides = g;
    } else if (a.startsWith('--')) throw new UserError(`hrm export: unknown option '${a}' (see hrm export --help)`);
    else pos.push(a);
  }
  if (pos.length !== 2) throw new UserError(`hrm export: expected RUN and OUTPUT.safetensors, got ${pos.length} arguments (see hrm export --help)`);
  const r = exportModel(pos[0], pos[1], { bf16, force, seqLen, sides, raw });
  const size = r.sides ? `grid sides ${r.sides.min}-${r.sides.max}` : `seq_len ${r.seqLen}`;
  console.log(`${r.weightsFile} -> ${r.output}: ${r.arch}, ${r.task}, ${size}, ${r.tensors} tensors, ${(r.bytes / 1e6).toFixed(2)} MB`);
  return 0;
}
