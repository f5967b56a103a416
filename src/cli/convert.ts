/**
 * `hrm convert INPUT OUTPUT_DIR`: a reference checkpoint folder to our run folder, or ours to a
 * reference-loadable folder (src/model-files/convert.ts).
 */
import { UserError } from '../util/errors.js';
import { convertCheckpoint } from '../model-files/convert.js';

const HELP = `usage: hrm convert INPUT OUTPUT_DIR

Converts a checkpoint between the reference's format and ours, weights unchanged:
  INPUT a reference checkpoint folder (checkpoint + all_config.yaml, e.g. a published
        HRM checkpoint)  ->  OUTPUT_DIR/step_0.safetensors + all_config.yaml (a run folder for
        hrm solve, hrm eval, hrm train resume of the weights)
  INPUT a run folder (newest step) or a step_N.safetensors  ->  OUTPUT_DIR/checkpoint (a torch.save
        zip that torch.load(path, weights_only=True) and the reference's load_state_dict read)
        + all_config.yaml
Nothing is overwritten: OUTPUT_DIR must not already hold those files.`;

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h') || args.length === 0) {
    (args.length === 0 ? console.error : console.log)(HELP);
    return args.length === 0 ? 1 : 0;
  }
  const pos = args.filter((a) => !a.startsWith('--'));
  const bad = args.find((a) => a.startsWith('--'));
  if (bad) throw new UserError(`hrm convert: unknown option '${bad}' (see hrm convert --help)`);
  if (pos.length !== 2) throw new UserError(`hrm convert: expected INPUT and OUTPUT_DIR, got ${pos.length} arguments (see hrm convert --help)`);
  const r = convertCheckpoint(pos[0], pos[1]);
  console.log(
    `${r.from.weights} (${r.from.format}) -> ${r.direction === 'to-ours' ? 'our run folder' : 'reference checkpoint'}: ${r.tensors} tensors\n  ${r.written.join('\n  ')}`,
  );
  return 0;
}
