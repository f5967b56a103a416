/**
 * Renders examples of a built dataset for the terminal: Sudoku as a 9x9 board, Maze as its character
 * grid, ARC grids (cropped at the EOS markers) in ANSI colours, anything else as a token matrix.
 * Reads single rows, so it works on multi-GB datasets (after the loader has checked every value once).
 */
import { UserError } from '../util/errors.js';
import { DatasetMetadata, Split, arrayPath, readDatasetMetadata, readIdentifiers } from './dataset-format.js';
import { NpyData, NpyRowReader, itemSize, makeArray, readNpy, readNpyHeader } from '../io/npy.js';
import { PuzzleDataset } from './loader.js';

export type DatasetKind = 'sudoku' | 'maze' | 'arc' | 'tokens';

export function datasetKind(m: DatasetMetadata): DatasetKind {
  if (m.vocab_size === 11 && m.seq_len === 81) return 'sudoku';
  if (m.vocab_size === 6 && Number.isInteger(Math.sqrt(m.seq_len))) return 'maze';
  if (m.vocab_size === 12 && m.seq_len === 900) return 'arc';
  return 'tokens';
}

/** ARC's usual palette (0 black, 1 blue, 2 red, 3 green, 4 yellow, 5 grey, 6 magenta, 7 orange, 8 azure, 9 maroon). */
const ARC_RGB: [number, number, number][] = [
  [0, 0, 0], [0, 116, 217], [255, 65, 54], [46, 204, 64], [255, 220, 0],
  [170, 170, 170], [240, 18, 190], [255, 133, 27], [127, 219, 255], [135, 12, 37],
];

/** Cuts an ARC canvas (tokens) to the top-left grid bounded by EOS/PAD; returns rows of colours. */
export function cropArcGrid(tokens: ArrayLike<number>): number[][] {
  const N = 30;
  // The grid may be translated: find the first row/col holding a colour token.
  let r0 = -1;
  let c0 = N;
  for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) {
    if (tokens[r * N + c] >= 2) {
      if (r0 < 0) r0 = r;
      if (c < c0) c0 = c;
    }
  }
  if (r0 < 0) return [];
  const rows: number[][] = [];
  for (let r = r0; r < N; r++) {
    const row: number[] = [];
    for (let c = c0; c < N && tokens[r * N + c] >= 2; c++) row.push(tokens[r * N + c] - 2);
    if (row.length === 0) break;
    rows.push(row);
  }
  return rows;
}

function renderArc(grid: number[][], colour: boolean): string[] {
  return grid.map((row) =>
    row.map((v) => {
      if (!colour) return String(v) + ' ';
      const [r, g, b] = ARC_RGB[v];
      return `\x1b[48;2;${r};${g};${b}m  \x1b[0m`;
    }).join(''),
  );
}

function renderSudoku(tokens: ArrayLike<number>): string[] {
  const out: string[] = [];
  for (let r = 0; r < 9; r++) {
    if (r === 3 || r === 6) out.push('------+-------+------');
    let s = '';
    for (let c = 0; c < 9; c++) {
      if (c === 3 || c === 6) s += '| ';
      const t = tokens[r * 9 + c];
      s += (t <= 1 ? '.' : String(t - 1)) + ' ';
    }
    out.push(s.trimEnd());
  }
  return out;
}

function renderMaze(tokens: ArrayLike<number>, side: number): string[] {
  const chars = '?# SGo';
  const out: string[] = [];
  for (let r = 0; r < side; r++) {
    let s = '';
    for (let c = 0; c < side; c++) s += chars[tokens[r * side + c]] ?? '?';
    out.push(s);
  }
  return out;
}

function renderTokens(tokens: ArrayLike<number>, seqLen: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < seqLen; i += 30) out.push(Array.from({ length: Math.min(30, seqLen - i) }, (_, j) => String(tokens[i + j]).padStart(3)).join(''));
  return out;
}

function sideBySide(a: string[], b: string[], titleA: string, titleB: string, visibleWidth: (s: string) => number): string {
  const wa = Math.max(visibleWidth(titleA), ...a.map(visibleWidth));
  const lines = [`${titleA}${' '.repeat(wa - visibleWidth(titleA))}    ${titleB}`];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const l = a[i] ?? '';
    lines.push(`${l}${' '.repeat(wa - visibleWidth(l))}    ${b[i] ?? ''}`);
  }
  return lines.join('\n');
}

const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;

/** Any integer typed array as plain numbers. */
function numbers(d: NpyData): ArrayLike<number> {
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float64Array.from(d, (x) => Number(x));
  return d as ArrayLike<number>;
}

/**
 * Rows of a token array of any integer dtype and either order, as the trainer reads them: C-order
 * files row by row (they may be GBs), Fortran-order ones (small in practice) loaded whole.
 */
function tokenRows(path: string): { rows: number; row(i: number, dst: Float64Array): void; close(): void } {
  const h = readNpyHeader(path);
  if (h.dtype === 'f4' || h.dtype === 'f8' || h.dtype === 'b1') throw new UserError(`${path}: expected an integer token array, got dtype ${h.dtype}`);
  if (h.shape.length !== 2) throw new UserError(`${path}: expected a 2-D array, got shape (${h.shape.join(', ')})`);
  const [rows, len] = h.shape;
  if (h.fortranOrder) {
    const all = numbers(readNpy(path).data);
    return { rows, row: (i, dst) => { for (let j = 0; j < len; j++) dst[j] = all[i * len + j]; }, close() {} };
  }
  const reader = new NpyRowReader(path);
  const raw = new Uint8Array(len * itemSize(h.dtype));
  return {
    rows,
    row(i, dst) {
      reader.readRowBytes(i, raw);
      const v = numbers(makeArray(h.dtype, raw.buffer, raw.byteOffset, raw.byteLength / itemSize(h.dtype)));
      for (let j = 0; j < len; j++) dst[j] = v[j];
    },
    close: () => reader.close(),
  };
}


export interface ShowOptions {
  split: Split;
  index: number;
  count: number;
  colour: boolean;
}

/** The text shown for examples [index, index + count) of a dataset folder. */
export function showDataset(dir: string, o: ShowOptions): string {
  const m = readDatasetMetadata(dir, o.split);
  // The trainer's checks, by the trainer's code (tokens, labels and identifiers in range, index arrays
  // ordered and complete, identifiers.json naming every identifier): show prints only what training
  // would read, and otherwise says why not.
  new PuzzleDataset({ dataPath: dir, split: o.split, globalBatchSize: 1, testSetMode: true, epochsPerIter: 1, rank: 0, numReplicas: 1, seed: 0 }).close();
  const kind = datasetKind(m);
  const ids = readIdentifiers(dir);
  const parts: string[] = [];
  for (const set of m.sets) {
    const inputs = tokenRows(arrayPath(dir, o.split, set, 'inputs'));
    const labels = tokenRows(arrayPath(dir, o.split, set, 'labels'));
    try {
      const n = inputs.rows;
      if (o.index < 0 || o.index >= n) throw new UserError(`${dir}: --index ${o.index} is outside the ${n} examples of ${o.split}/${set}`);
      const pidx = numbers(readNpy(arrayPath(dir, o.split, set, 'puzzle_indices')).data);
      const pids = numbers(readNpy(arrayPath(dir, o.split, set, 'puzzle_identifiers')).data);
      parts.push(`${dir} ${o.split}/${set}: ${n} examples, ${pids.length} puzzles, kind ${kind} (vocab ${m.vocab_size}, seq_len ${m.seq_len})`);
      const a = new Float64Array(m.seq_len);
      const b = new Float64Array(m.seq_len);
      for (let i = o.index; i < Math.min(n, o.index + o.count); i++) {
        inputs.row(i, a);
        labels.row(i, b);
        // Puzzle of example i: last p with puzzle_indices[p] <= i.
        let p = 0;
        while (p + 1 < pidx.length - 1 && pidx[p + 1] <= i) p++;
        const id = pids[p];
        const name = ids?.[id] ?? String(id);
        parts.push('', `example ${i} (puzzle ${p}, identifier ${id}: ${name})`);
        let left: string[];
        let right: string[];
        if (kind === 'sudoku') [left, right] = [renderSudoku(a), renderSudoku(b)];
        else if (kind === 'maze') [left, right] = [renderMaze(a, Math.sqrt(m.seq_len)), renderMaze(b, Math.sqrt(m.seq_len))];
        else if (kind === 'arc') [left, right] = [renderArc(cropArcGrid(a), o.colour), renderArc(cropArcGrid(b), o.colour)];
        else [left, right] = [renderTokens(a, m.seq_len), renderTokens(b, m.seq_len)];
        parts.push(sideBySide(left, right, 'input', 'label', visible));
      }
    } finally {
      inputs.close();
      labels.close();
    }
  }
  return parts.join('\n');
}
