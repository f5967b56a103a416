/**
 * State dicts with the reference's names (`model.inner.H_level.layers.0.self_attn.qkv_proj.weight`,
 * `model.inner.puzzle_emb.weights`, `model.inner.H_init`, ...), saved and loaded as safetensors, so
 * checkpoints move between the reference and us. Loading accepts the `_orig_mod.` prefix that a
 * compiled (torch.compile) model writes, checks every name, shape and dtype, and reports everything
 * missing, unexpected or mismatched in one UserError.
 */
import { readSafetensors, toFloat32, writeSafetensors, type SafeTensor, type SafeTensorInput } from './safetensors.js';
import { UserError } from '../util/errors.js';
import type { Tensor } from '../engine/index.js';

/** Anything with named state: every registry model (models/shared/act.ts). */
export interface HasState {
  namedState(): { name: string; tensor: Tensor }[];
}

const COMPILED_PREFIX = '_orig_mod.';
/** Non-persistent reference buffers that some writers include anyway; ignored on load. */
const IGNORABLE = [/\.rotary_emb\.(cos|sin)_cached$/, /\.puzzle_emb\.local_(weights|ids)$/];
/** Float dtypes we convert to float32 on load (the reference may store bf16 copies). */
const FLOAT_DTYPES = new Set(['F32', 'F64', 'BF16', 'F16']);

/** name -> float32 copy, in the model's order (reference names, with the `model.` prefix). */
export function stateDict(model: HasState): Map<string, SafeTensorInput> {
  const out = new Map<string, SafeTensorInput>();
  for (const { name, tensor } of model.namedState()) out.set(name, { shape: [...tensor.shape], data: tensor.toFloat32Array(), dtype: 'F32' });
  return out;
}

/** Strips `_orig_mod.` (anywhere it leads a name) so compiled-model checkpoints load. */
export function canonicalName(name: string): string {
  let n = name;
  while (n.startsWith(COMPILED_PREFIX)) n = n.slice(COMPILED_PREFIX.length);
  if (n.startsWith(`model.${COMPILED_PREFIX}`)) n = 'model.' + n.slice(6 + COMPILED_PREFIX.length);
  return n;
}

/**
 * Copies `tensors` into the model. `source` names the file (or checkpoint) for the error message.
 * Every model tensor must be present exactly once with the same shape and a float dtype.
 */
export interface LoadOptions {
  /**
   * As the reference's load_checkpoint does for fine-tuning on other puzzles: when the puzzle-embedding
   * table has another number of identifiers (same width), fill every row with the mean of the saved rows.
   */
  resizePuzzleEmb?: boolean;
}

const PUZZLE_EMB = 'model.inner.puzzle_emb.weights';

/** The mean row of a [n, d] table, repeated for `rows` rows. */
function meanRows(t: SafeTensor, rows: number): Float32Array {
  const [n, d] = t.shape;
  const data = toFloat32(t);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += data[i * d + c] / n;
  const out = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) out[r * d + c] = mean[c];
  return out;
}

/** A tensor of a model's state: its name and shape (what a built model's namedState gives). */
export interface WantedTensor {
  name: string;
  shape: readonly number[];
}

/**
 * The one check of a model's weights: every tensor of `wanted` present exactly once with its shape and a
 * float dtype, nothing unexpected; else the UserError, naming `source`, that lists every problem. Solve,
 * eval and training meet it through loadStateDict, export, convert and serve through
 * src/model-files/load.ts's checkModelWeights, so no command accepts weights another refuses.
 * Returns the tensors by canonical name.
 */
export function checkStateDict(
  wanted: readonly WantedTensor[],
  tensors: Map<string, SafeTensor>,
  source: string,
  opts: LoadOptions = {},
): Map<string, { raw: string; t: SafeTensor }> {
  const byName = new Map<string, { raw: string; t: SafeTensor }>();
  const problems: string[] = [];
  for (const [raw, t] of tensors) {
    const name = canonicalName(raw);
    const prev = byName.get(name);
    if (prev) problems.push(`'${raw}' and '${prev.raw}' are the same tensor '${name}'`);
    byName.set(name, { raw, t });
  }
  const wantedNames = new Set(wanted.map((w) => w.name));
  const missing = wanted.filter((w) => !byName.has(w.name)).map((w) => w.name);
  const unexpected = [...byName.keys()].filter((n) => !wantedNames.has(n) && !IGNORABLE.some((re) => re.test(n)));
  const mismatched: string[] = [];
  for (const { name, shape } of wanted) {
    const got = byName.get(name);
    if (!got) continue;
    const { t, raw } = got;
    const resizable = opts.resizePuzzleEmb && name === PUZZLE_EMB && t.shape.length === 2 && t.shape[0] > 0 && t.shape[1] === shape[1];
    if (!FLOAT_DTYPES.has(t.dtype)) mismatched.push(`'${raw}': dtype ${t.dtype}, expected F32`);
    else if (!resizable && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      mismatched.push(`'${raw}': shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
  }
  const list = (xs: string[]): string => (xs.length > 12 ? `${xs.slice(0, 12).join(', ')}, ... (${xs.length} in all)` : xs.join(', '));
  if (missing.length) problems.push(`missing ${missing.length}: ${list(missing)}`);
  if (unexpected.length) problems.push(`unexpected ${unexpected.length}: ${list(unexpected)}`);
  if (mismatched.length) problems.push(`mismatched ${mismatched.length}: ${list(mismatched)}`);
  if (problems.length) {
    // one line that says it all, then the names (a list may run long)
    const counts = problems.map((p) => (/^(missing|unexpected|mismatched) \d+:/.test(p) ? p.slice(0, p.indexOf(':')) : 'a name given twice'));
    throw new UserError(`${source}: the state dict does not fit this model (${counts.join(', ')}; check the model configuration)\n  ${problems.join('\n  ')}`);
  }
  return byName;
}

export function loadStateDict(model: HasState, tensors: Map<string, SafeTensor>, source: string, opts: LoadOptions = {}): void {
  const wanted = model.namedState();
  const byName = checkStateDict(wanted.map(({ name, tensor }) => ({ name, shape: tensor.shape })), tensors, source, opts);
  for (const { name, tensor } of wanted) {
    const t = byName.get(name)!.t;
    tensor.set(name === PUZZLE_EMB && t.shape[0] !== tensor.shape[0] ? meanRows(t, tensor.shape[0]) : toFloat32(t));
  }
}

export function saveStateDictFile(model: HasState, path: string, metadata?: Record<string, string>): void {
  writeSafetensors(path, stateDict(model), metadata);
}

export function loadStateDictFile(model: HasState, path: string, opts: LoadOptions = {}): void {
  const f = readSafetensors(path);
  loadStateDict(model, f.tensors, path, opts);
}
