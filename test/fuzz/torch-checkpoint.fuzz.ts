/**
 * Fuzzes the torch.save reader (src/io/torch-checkpoint.ts over zip.ts and pickle.ts): archives of every
 * dtype, stored and deflated, storages shared between keys, and the reference fixture when it is there;
 * mutated as bytes and as archives rebuilt around a mutated member (so CRCs hold and the pickle and
 * storages are reached). Besides the harness's rules, a file that is read may not expand past what its
 * storages hold (2x, the reader's bound). Run: node scripts/fuzz-readers.mjs torch-checkpoint
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTorchCheckpoint, serializeTorchCheckpoint, type TorchTensorInput } from '../../src/io/torch-checkpoint.js';
import { readZip, writeZip } from '../../src/io/zip.js';
import type { Rng } from '../../src/util/random.js';
import { deflatedZip, hostileCheckpoint } from '../io/hostile-zip.js';
import { checkpointFixtures } from '../solve/helpers.js';
import { main, mutateBytes, type Mutator } from './harness.js';

function allDtypes(): Buffer {
  const m = new Map<string, TorchTensorInput>();
  m.set('_orig_mod.model.inner.H_init', { shape: [4], dtype: 'BF16', data: Uint16Array.of(0x3f80, 0xbf80, 0x4000, 0) });
  m.set('w', { shape: [2, 3], dtype: 'F32', data: Float32Array.of(1, -2, 3.5, 1e-30, Infinity, -0) });
  m.set('h', { shape: [2], dtype: 'F16', data: Uint16Array.of(0x3c00, 0xc000) });
  m.set('i', { shape: [3], dtype: 'I32', data: Int32Array.of(-1, 0, 2147483647) });
  m.set('l', { shape: [1, 2], dtype: 'I64', data: BigInt64Array.of(-5n, 1n << 40n) });
  m.set('b', { shape: [2], dtype: 'BOOL', data: Uint8Array.of(1, 0) });
  m.set('empty', { shape: [0, 3], dtype: 'F32', data: new Float32Array(0) });
  return Buffer.concat(serializeTorchCheckpoint(m));
}

/** The archive's members, or null when it is not a readable zip. */
function members(b: Buffer): { name: string; data: Uint8Array }[] | null {
  try {
    const z = readZip(b, 'seed');
    return [...z.entries.keys()].map((name) => ({ name, data: z.read(name) }));
  } catch {
    return null;
  }
}

/** One member mutated (or renamed, dropped, duplicated), the archive rebuilt stored or deflated. */
const rezip: Mutator = (b: Buffer, rng: Rng): Buffer => {
  const ms = members(b);
  if (!ms || ms.length === 0) return mutateBytes(b, rng);
  const k = rng.int(ms.length);
  switch (rng.int(6)) {
    case 0:
      ms.splice(k, 1);
      break;
    case 1:
      ms[k] = { name: ms[k].name.replace(/[^/]*$/, (s) => (s === 'data.pkl' ? 'data.pk1' : `${s}x`)), data: ms[k].data };
      break;
    case 2:
      ms.push({ name: `${ms[k].name}.copy`, data: ms[k].data });
      break;
    default: {
      // the pickle most often: it holds every declared size, offset and stride
      const j = rng.int(2) ? ms.findIndex((m) => m.name.endsWith('data.pkl')) : k;
      const at = j >= 0 ? j : k;
      ms[at] = { name: ms[at].name, data: mutateBytes(Buffer.from(ms[at].data), rng) };
    }
  }
  return rng.int(2) ? Buffer.concat(writeZip(ms)) : deflatedZip(ms);
};

const seeds = [allDtypes(), hostileCheckpoint(2, 64, 60, (i) => i), hostileCheckpoint(2, 256, 256, () => 0)];
const deflated = members(seeds[0]);
if (deflated) seeds.push(deflatedZip(deflated));
for (const d of checkpointFixtures()) if (existsSync(join(d, 'checkpoint'))) seeds.push(readFileSync(join(d, 'checkpoint')));

main([
  {
    name: 'torch-checkpoint',
    seeds,
    mutators: [rezip, rezip],
    run(bytes) {
      const c = parseTorchCheckpoint(bytes, 'fuzz.pt');
      const distinct = new Set([...c.tensors.values()].map((t) => t.data.buffer));
      let read = 0;
      for (const buf of distinct) read += buf.byteLength;
      const held = [...(members(bytes) ?? [])].filter((m) => /\/data\/[^/]+$/.test(m.name)).reduce((s, m) => s + m.data.byteLength, 0);
      // widening bf16/f16 doubles, the reader allows 2x of that
      if (read > 4 * held + 4096) throw new Error(`read ${read} bytes of tensors from ${held} bytes of storages`);
    },
  },
]);
