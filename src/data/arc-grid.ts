/**
 * What ARC evaluation needs from the data side (REFERENCE.md 6): crop a predicted 30x30 token canvas to
 * its grid, read a puzzle identifier's augmentation from its name, and undo that augmentation
 * (inverse dihedral transform, then inverse colour permutation).
 */
import { DIHEDRAL_INVERSE, dihedral, dihedralShape, invertPermutation } from './augment.js';
import type { ArcAug, Grid } from './builders/arc.js';

const N = 30;

/**
 * The largest top-left rectangle of colour tokens (2..11) in a 30x30 canvas, as colours 0-9.
 * Rows are taken while they extend the area; each row can only narrow the width.
 */
export function cropPrediction(tokens: ArrayLike<number>): Grid {
  let bestArea = 0;
  let bestR = 0;
  let bestC = 0;
  let width = N;
  for (let r = 1; r <= N; r++) {
    for (let c = 1; c <= width; c++) {
      const x = tokens[(r - 1) * N + (c - 1)];
      if (x < 2 || x > 11) {
        width = c - 1;
        break;
      }
    }
    if (r * width > bestArea) {
      bestArea = r * width;
      bestR = r;
      bestC = width;
    }
  }
  const data = new Uint8Array(bestR * bestC);
  for (let r = 0; r < bestR; r++) for (let c = 0; c < bestC; c++) data[r * bestC + c] = tokens[r * N + c] - 2;
  return { h: bestR, w: bestC, data };
}

/** Splits `<task>_t<k>_<mapping>` into the task name and its augmentation (identity if no suffix). */
export function parseArcPuzzleName(name: string): { task: string; aug: ArcAug } {
  const m = /^(.*)_t([0-7])_(\d{10})$/.exec(name);
  if (!m) return { task: name, aug: { t: 0, mapping: Uint8Array.from({ length: 10 }, (_, i) => i) } };
  return { task: m[1], aug: { t: Number(m[2]), mapping: Uint8Array.from(m[3], Number) } };
}

/** Maps an augmented grid back to the original task's frame. */
export function undoAugmentation(g: Grid, aug: ArcAug): Grid {
  const tInv = DIHEDRAL_INVERSE[aug.t];
  const [h, w] = dihedralShape(tInv, g.h, g.w);
  const data = dihedral(g.data, g.h, g.w, tInv);
  const inv = invertPermutation(aug.mapping);
  for (let k = 0; k < data.length; k++) data[k] = inv[data[k]];
  return { h, w, data };
}
