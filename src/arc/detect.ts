/**
 * Whether a dataset is ARC (so evaluation votes): TRM's `evaluators` key selects it when the config has
 * one (an entry whose name mentions ARC); otherwise a test split with ARC's shape (vocab 12, 30x30
 * canvas) and an identifiers.json whose names are ARC puzzle names.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readDatasetMetadata, readIdentifiers } from '../data/dataset-format.js';
import { ARC_SEQ_LEN, ARC_VOCAB } from '../data/builders/arc.js';

/** The `evaluators` entries' names, if the config has the key (TRM's `- name: arc@ARC`). */
function evaluatorNames(cfg: object): string[] | null {
  const ev = (cfg as { evaluators?: unknown }).evaluators;
  if (!Array.isArray(ev) || ev.length === 0) return null; // not configured: detect
  return ev.map((e) => (typeof e === 'string' ? e : typeof e === 'object' && e !== null ? String((e as { name?: unknown }).name ?? '') : ''));
}

/** The dataset's identifiers when its evaluation should vote as ARC, else null. */
export function arcIdentifiersFor(dataPath: string, cfg?: object): string[] | null {
  const names = cfg ? evaluatorNames(cfg) : null;
  if (names && !names.some((n) => /arc/i.test(n))) return null;
  if (!existsSync(join(dataPath, 'test', 'dataset.json'))) return null;
  const ids = readIdentifiers(dataPath);
  if (!ids) return null;
  const m = readDatasetMetadata(dataPath, 'test');
  if (names) return ids; // selected explicitly
  return m.vocab_size === ARC_VOCAB && m.seq_len === ARC_SEQ_LEN && ids[0] === '<blank>' ? ids : null;
}
