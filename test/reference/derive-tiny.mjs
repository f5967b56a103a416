// Derives test/reference/hrm_small_2steps.safetensors from the reference fixture hrm_small.safetensors
// (../shared/fixtures/reference), so that a clone without ../shared still checks the model against the
// reference. Kept: the initial state, and for training steps 0 and 1 the batch, the outputs (logits, Q
// logits, the Q target), the loss, the metrics, the carry, and the gradients and post-optimizer state
// of every tensor of at most 8 KB (Q head, puzzle embedding rows, H_init/L_init). Dropped (1 MB each):
// the large gradients and states, later steps, and the evaluation (its weights are those after step 5).
// Usage: npm run build && node test/reference/derive-tiny.mjs [path/to/hrm_small.safetensors]
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const { readSafetensors, serializeSafetensors } = await import(join(root, 'dist', 'src', 'io', 'safetensors.js'));
const src = process.argv[2] ?? resolve(root, '..', 'shared', 'fixtures', 'reference', 'hrm_small.safetensors');
const f = readSafetensors(src);
const STEPS = 2;
const SMALL = 8 * 1024;
const keep = new Map();
for (const [k, t] of f.tensors) {
  const m = /^train\/(\d+)\/([a-z_]+)(\/|$)/.exec(k);
  let ok = k.startsWith('init/');
  if (m && Number(m[1]) < STEPS) ok = m[2] === 'grad' || m[2] === 'after' ? t.data.byteLength <= SMALL : true;
  if (ok) keep.set(k, t);
}
const meta = { ...f.metadata, train_steps: String(STEPS), eval_steps: '0', partial: 'small-grads-and-states', derived_from: 'hrm_small.safetensors (first 2 training steps; see test/reference/derive-tiny.mjs)' };
const out = join(here, 'hrm_small_2steps.safetensors');
writeFileSync(out, Buffer.concat(serializeSafetensors(keep, meta)));
console.log(`${out}: ${keep.size} tensors`);
