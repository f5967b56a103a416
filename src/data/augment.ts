/**
 * Augmentations used by the builders: the 8 dihedral transforms of a grid, Sudoku's validity-preserving
 * shuffle (digit relabelling, transpose, band/row and stack/column permutations) and ARC colour
 * permutations. Grids are row-major Uint8Arrays with explicit height and width.
 */
import { Rng } from '../util/random.js';

/**
 * Dihedral ids as in the reference: 0 identity, 1 rot90 (counter-clockwise, like np.rot90), 2 rot180,
 * 3 rot270, 4 flip left-right, 5 flip up-down, 6 transpose, 7 anti-transpose (flip left-right of rot90).
 */
export const DIHEDRAL_INVERSE = [0, 3, 2, 1, 4, 5, 6, 7] as const;

/** Output shape [rows, cols] of transform `t` applied to an h x w grid. */
export function dihedralShape(t: number, h: number, w: number): [number, number] {
  return t === 0 || t === 2 || t === 4 || t === 5 ? [h, w] : [w, h];
}

/**
 * For output cell (i, j) of transform t on an h x w grid, the source index into the input.
 * Derived from np.rot90's definition out[i, j] = m[j, w-1-i] and composition.
 */
function dihedralSource(t: number, i: number, j: number, h: number, w: number): number {
  switch (t) {
    case 0: return i * w + j;
    case 1: return j * w + (w - 1 - i);
    case 2: return (h - 1 - i) * w + (w - 1 - j);
    case 3: return (h - 1 - j) * w + i;
    case 4: return i * w + (w - 1 - j);
    case 5: return (h - 1 - i) * w + j;
    case 6: return j * w + i;
    case 7: return (h - 1 - j) * w + (w - 1 - i);
    default: throw new RangeError(`dihedral transform id must be 0-7, got ${t}`);
  }
}

/** Applies dihedral transform t to an h x w grid; returns the new grid (shape: dihedralShape). */
export function dihedral(grid: Uint8Array, h: number, w: number, t: number, out?: Uint8Array): Uint8Array {
  const [oh, ow] = dihedralShape(t, h, w);
  const dst = out ?? new Uint8Array(oh * ow);
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) dst[i * ow + j] = grid[dihedralSource(t, i, j, h, w)];
  return dst;
}

/** The index permutation of transform t on an h x w grid: out[k] = in[perm[k]] (for hot loops). */
export function dihedralPermutation(t: number, h: number, w: number): Int32Array {
  const [oh, ow] = dihedralShape(t, h, w);
  const p = new Int32Array(oh * ow);
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) p[i * ow + j] = dihedralSource(t, i, j, h, w);
  return p;
}

const permCache = new Map<number, Int32Array>();

/** dihedralPermutation, cached (ARC builds ask for the same few shapes millions of times; solve's maze retries). */
export function cachedDihedralPermutation(t: number, h: number, w: number): Int32Array {
  // unique for sides below 65536 (ARC grids are at most 30, mazes any size a model takes)
  const key = (t * 65536 + h) * 65536 + w;
  let p = permCache.get(key);
  if (!p) {
    p = dihedralPermutation(t, h, w);
    permCache.set(key, p);
  }
  return p;
}

/** A Sudoku shuffle: out cell k takes in cell `cells[k]` (transpose folded in), digit d becomes digits[d]. */
export interface SudokuShuffle {
  cells: Uint8Array; // 81
  digits: Uint8Array; // 10, digits[0] = 0 (blank stays blank)
}

/**
 * A random validity-preserving Sudoku transform (the reference's recipe): relabel digits 1-9, transpose
 * with probability 1/2, permute the three bands and the rows inside each band, likewise stacks/columns.
 * Pass `out` to reuse its arrays (a million copies are made for --num-aug 1000).
 */
export function randomSudokuShuffle(rng: Rng, out?: SudokuShuffle): SudokuShuffle {
  const digits = out?.digits ?? new Uint8Array(10);
  const cells = out?.cells ?? new Uint8Array(81);
  const perm = scratch9;
  shuffleRange(rng, perm, 9);
  digits[0] = 0;
  for (let d = 1; d <= 9; d++) digits[d] = perm[d - 1] + 1;
  const transpose = rng.random() < 0.5;
  const rows = scratchRows;
  const cols = scratchCols;
  const p3 = scratch3;
  shuffleRange(rng, perm, 3); // band order
  for (let b = 0; b < 3; b++) {
    shuffleRange(rng, p3, 3);
    for (let k = 0; k < 3; k++) rows[b * 3 + k] = perm[b] * 3 + p3[k];
  }
  shuffleRange(rng, perm, 3); // stack order
  for (let s = 0; s < 3; s++) {
    shuffleRange(rng, p3, 3);
    for (let k = 0; k < 3; k++) cols[s * 3 + k] = perm[s] * 3 + p3[k];
  }
  for (let i = 0; i < 81; i++) {
    const r = rows[(i / 9) | 0];
    const c = cols[i % 9];
    // Transpose first, then permute: the transposed board's (r, c) is the original's (c, r).
    cells[i] = transpose ? c * 9 + r : r * 9 + c;
  }
  return { cells, digits };
}

const scratch9 = new Uint8Array(9);
const scratch3 = new Uint8Array(3);
const scratchRows = new Uint8Array(9);
const scratchCols = new Uint8Array(9);

/** Sets a[0..n) to a uniformly random permutation of 0..n-1 (no allocation). */
function shuffleRange(rng: Rng, a: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** Applies a Sudoku shuffle to 81 digits (0 = blank) at src[srcOff..], writing dst[dstOff..]. */
export function applySudokuShuffle(s: SudokuShuffle, src: Uint8Array, dst: Uint8Array, srcOff = 0, dstOff = 0): void {
  for (let i = 0; i < 81; i++) dst[dstOff + i] = s.digits[src[srcOff + s.cells[i]]];
}

/** A colour permutation for ARC: colour 0 (black) fixed, 1-9 permuted. mapping[c] = new colour. */
export function randomColourPermutation(rng: Rng): Uint8Array {
  const m = new Uint8Array(10);
  const p = rng.permutation(9);
  for (let c = 1; c <= 9; c++) m[c] = p[c - 1] + 1;
  return m;
}

export function invertPermutation(m: ArrayLike<number>): Uint8Array {
  const inv = new Uint8Array(m.length);
  for (let i = 0; i < m.length; i++) inv[m[i]] = i;
  return inv;
}
