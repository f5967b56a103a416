/**
 * The batch loader, with the reference's semantics (REFERENCE.md 5):
 *
 * - train: per set, a permutation of the groups for each of `epochsPerIter` epochs; walk the groups, pick
 *   a random puzzle in each group and random examples of that puzzle without replacement until the global
 *   batch is full (a puzzle may be cut short); the last incomplete batch is dropped. Iteration k is a pure
 *   function of (seed, k): the trainer resumes by calling iterate(k) again.
 * - test: examples in order, batches of globalBatchSize, the last batch padded.
 * - each process (rank of numReplicas) gets its slice of every global batch; labels equal to
 *   ignore_label_id become -100; padding uses pad_id / -100 / blank_identifier_id.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { DatasetMetadata, Split, arrayPath, readDatasetMetadata, readIdentifiers } from './dataset-format.js';
import { NpyData, NpyRowReader, itemSize, makeArray, readNpy } from '../io/npy.js';

export const IGNORE_LABEL_ID = -100;

export interface PuzzleDatasetOptions {
  dataPath: string;
  split: Split;
  globalBatchSize: number;
  testSetMode: boolean;
  epochsPerIter: number;
  rank: number;
  numReplicas: number;
  seed: number;
  /** Inputs/labels files larger than this are read row by row instead of loaded (default 1 GiB). */
  maxInMemoryBytes?: number;
}

export interface Batch {
  inputs: Int32Array; // [localBatch, seq_len]
  labels: Int32Array; // [localBatch, seq_len]
  puzzle_identifiers: Int32Array; // [localBatch]
}

export interface BatchItem {
  setName: string;
  batch: Batch;
  /** Examples in the global batch that are real (not padding), as the reference reports it. */
  effectiveBatchSize: number;
}

/** Rows of an [examples, seq_len] token array, in memory or read on demand from the file. */
interface RowSource {
  rows: number;
  /** Copies row r into dst[off .. off + seqLen) as int32. */
  copyRow(r: number, dst: Int32Array, off: number): void;
  /** Copies rows idx[from..to) into consecutive rows of dst (row i - from at (i - from) * seqLen). */
  copyRows(idx: ArrayLike<number>, from: number, to: number, dst: Int32Array): void;
  close(): void;
  /** the values, when held in memory (row-major) */
  data?: ArrayLike<number>;
}

/**
 * Throws a UserError at the first value v of `rows` with !(0 <= v < limit) and v !== extra, naming
 * the file, the [row, column] and the value (`what`: token or label). Rows are checked in chunks,
 * so a file read row by row is scanned once without being held.
 */
function checkRowValues(rows: RowSource, seqLen: number, limit: number, extra: number | null, path: string, what: string, limitName: string): void {
  const fail = (j: number, v: number) =>
    new UserError(`${path}: ${what} ${v} at [${Math.floor(j / seqLen)}, ${j % seqLen}] is outside [0, ${limitName}=${limit})`);
  if (rows.data instanceof Uint8Array) {
    // The usual case (uint8 tokens in memory): a tight loop over the bytes.
    const d = rows.data;
    const ex = extra ?? -1;
    for (let j = 0, n = d.length; j < n; j++) {
      if (d[j] >= limit && d[j] !== ex) throw fail(j, d[j]);
    }
    return;
  }
  if (rows.data) {
    const d = rows.data;
    for (let j = 0, n = rows.rows * seqLen; j < n; j++) {
      const v = d[j];
      if ((v < 0 || v >= limit) && v !== extra) throw fail(j, v);
    }
    return;
  }
  const chunk = Math.max(1, Math.floor((1 << 20) / seqLen));
  const buf = new Int32Array(chunk * seqLen);
  const idx = new Int32Array(chunk);
  for (let r0 = 0; r0 < rows.rows; r0 += chunk) {
    const n = Math.min(chunk, rows.rows - r0);
    for (let i = 0; i < n; i++) idx[i] = r0 + i;
    rows.copyRows(idx, 0, n, buf);
    for (let j = 0, m = n * seqLen; j < m; j++) {
      const v = buf[j];
      if ((v < 0 || v >= limit) && v !== extra) throw fail(r0 * seqLen + j, v);
    }
  }
}

function toNumberArray(d: NpyData): ArrayLike<number> {
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float64Array.from(d, (x) => Number(x));
  return d as ArrayLike<number>;
}

function memoryRows(data: ArrayLike<number>, rows: number, seqLen: number): RowSource {
  return {
    rows,
    data,
    copyRow(r, dst, off) {
      const base = r * seqLen;
      for (let j = 0; j < seqLen; j++) dst[off + j] = data[base + j];
    },
    copyRows(idx, from, to, dst) {
      for (let i = from; i < to; i++) {
        const base = idx[i] * seqLen;
        const off = (i - from) * seqLen;
        for (let j = 0; j < seqLen; j++) dst[off + j] = data[base + j];
      }
    },
    close() {},
  };
}

function fileRows(path: string, seqLen: number): RowSource {
  const reader = new NpyRowReader(path);
  const dtype = reader.header.dtype;
  const size = itemSize(dtype);
  let scratch = new ArrayBuffer(seqLen * size * 64);
  const rowsView = (buf: ArrayBuffer): NpyData => makeArray(dtype, buf, 0, buf.byteLength / size);
  let view = rowsView(scratch);
  const order: number[] = [];
  /** Converts row k of the scratch buffer into dst at off. */
  const put = (k: number, dst: Int32Array, off: number) => {
    const base = k * seqLen;
    if (typeof (view as ArrayLike<unknown>)[0] === 'bigint') {
      const v = view as BigInt64Array | BigUint64Array;
      for (let j = 0; j < seqLen; j++) dst[off + j] = Number(v[base + j]);
    } else {
      const v = view as ArrayLike<number>;
      for (let j = 0; j < seqLen; j++) dst[off + j] = v[base + j];
    }
  };
  return {
    rows: reader.rows,
    copyRow(r, dst, off) {
      reader.readRowsBytes(r, 1, new Uint8Array(scratch));
      put(0, dst, off);
    },
    // Sorted, adjacent rows are fetched with one read: a training batch takes whole puzzles (their
    // examples are contiguous on disk), and a test batch is one contiguous range.
    copyRows(idx, from, to, dst) {
      order.length = 0;
      for (let i = from; i < to; i++) order.push(i);
      order.sort((a, b) => idx[a] - idx[b]);
      for (let s = 0; s < order.length; ) {
        let e = s + 1;
        while (e < order.length && idx[order[e]] === idx[order[e - 1]] + 1) e++;
        const need = (e - s) * seqLen * size;
        if (need > scratch.byteLength) {
          scratch = new ArrayBuffer(need);
          view = rowsView(scratch);
        }
        reader.readRowsBytes(idx[order[s]], e - s, new Uint8Array(scratch));
        for (let k = s; k < e; k++) put(k - s, dst, (order[k] - from) * seqLen);
        s = e;
      }
    },
    close: () => reader.close(),
  };
}

interface LoadedSet {
  name: string;
  inputs: RowSource;
  labels: RowSource;
  puzzle_identifiers: Int32Array;
  puzzle_indices: Int32Array;
  group_indices: Int32Array;
}

function loadIndexArray(path: string): Int32Array {
  const a = readNpy(path);
  if (a.data instanceof Int32Array) return a.data;
  const out = new Int32Array(a.data.length);
  const src = toNumberArray(a.data);
  for (let i = 0; i < out.length; i++) {
    const v = src[i];
    if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) throw new UserError(`${path}: value ${v} at ${i} does not fit int32`);
    out[i] = v;
  }
  return out;
}

function checkIndices(path: string, idx: Int32Array, end: number, what: string): void {
  if (idx[0] !== 0) throw new UserError(`${path}: must start at 0, starts at ${idx[0]}`);
  for (let i = 1; i < idx.length; i++) {
    if (idx[i] < idx[i - 1]) throw new UserError(`${path}: not non-decreasing at entry ${i} (${idx[i - 1]} then ${idx[i]})`);
  }
  if (idx[idx.length - 1] !== end) throw new UserError(`${path}: last entry ${idx[idx.length - 1]} should equal the number of ${what} (${end})`);
}

export class PuzzleDataset {
  readonly metadata: DatasetMetadata;
  readonly localBatchSize: number;
  private readonly sets: LoadedSet[] = [];
  private iterCounter = 0;

  constructor(readonly opts: PuzzleDatasetOptions) {
    const { globalBatchSize, numReplicas, rank, epochsPerIter } = opts;
    if (!Number.isInteger(globalBatchSize) || globalBatchSize < 1) throw new UserError(`global batch size must be a positive integer, got ${globalBatchSize}`);
    if (!Number.isInteger(numReplicas) || numReplicas < 1) throw new UserError(`number of replicas must be a positive integer, got ${numReplicas}`);
    if (globalBatchSize % numReplicas !== 0) throw new UserError(`global batch size ${globalBatchSize} is not divisible by ${numReplicas} replicas`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= numReplicas) throw new UserError(`rank ${rank} is outside [0, ${numReplicas})`);
    if (!Number.isInteger(epochsPerIter) || epochsPerIter < 1) throw new UserError(`epochs per iteration must be a positive integer, got ${epochsPerIter}`);
    this.localBatchSize = globalBatchSize / numReplicas;
    this.metadata = readDatasetMetadata(opts.dataPath, opts.split);
    const maxBytes = opts.maxInMemoryBytes ?? 1 << 30;
    // identifiers.json names every identifier the data uses (ARC's evaluation votes by these names)
    const names = readIdentifiers(opts.dataPath);
    const seqLen = this.metadata.seq_len;
    for (const name of this.metadata.sets) {
      const p = (n: Parameters<typeof arrayPath>[3]) => arrayPath(opts.dataPath, opts.split, name, n);
      const rows = (path: string): RowSource => {
        if (statSync(path).size > maxBytes) return fileRows(path, seqLen);
        const a = readNpy(path);
        return memoryRows(toNumberArray(a.data), a.shape[0], seqLen);
      };
      const set: LoadedSet = {
        name,
        inputs: rows(p('inputs')),
        labels: rows(p('labels')),
        puzzle_identifiers: loadIndexArray(p('puzzle_identifiers')),
        puzzle_indices: loadIndexArray(p('puzzle_indices')),
        group_indices: loadIndexArray(p('group_indices')),
      };
      // Values outside the vocabulary would index past the embedding table mid-run: refuse them here.
      const V = this.metadata.vocab_size;
      checkRowValues(set.inputs, seqLen, V, null, p('inputs'), 'token', 'vocab_size');
      checkRowValues(set.labels, seqLen, V, this.metadata.ignore_label_id, p('labels'), 'label', 'vocab_size');
      checkIndices(p('puzzle_indices'), set.puzzle_indices, set.inputs.rows, 'examples');
      checkIndices(p('group_indices'), set.group_indices, set.puzzle_identifiers.length, 'puzzles');
      const nIds = this.metadata.num_puzzle_identifiers;
      for (let i = 0; i < set.puzzle_identifiers.length; i++) {
        const v = set.puzzle_identifiers[i];
        if (v < 0 || v >= nIds) throw new UserError(`${p('puzzle_identifiers')}: identifier ${v} at ${i} is outside [0, num_puzzle_identifiers=${nIds})`);
        if (names && v >= names.length) {
          throw new UserError(`${join(opts.dataPath, 'identifiers.json')}: names ${names.length} puzzle identifiers, but ${p('puzzle_identifiers')} uses identifier ${v} (at ${i})`);
        }
      }
      this.sets.push(set);
    }
  }

  /** Number of examples in each set. */
  get setSizes(): Record<string, number> {
    return Object.fromEntries(this.sets.map((s) => [s.name, s.inputs.rows]));
  }

  /** Releases open files (only datasets read row by row hold any). */
  close(): void {
    for (const s of this.sets) {
      s.inputs.close();
      s.labels.close();
    }
  }

  /**
   * The batches of one pass. Train mode: iteration k (default: a counter starting at 0) is shuffled
   * with seed + k, so iterate(k) always yields the same batches. Test mode ignores the iteration.
   */
  *iterate(iteration?: number): Generator<BatchItem> {
    const k = iteration ?? this.iterCounter++;
    if (this.opts.testSetMode) yield* this.iterTest();
    else yield* this.iterTrain(k);
  }

  private makeBatch(): Batch {
    const L = this.metadata.seq_len;
    const n = this.localBatchSize;
    return { inputs: new Int32Array(n * L), labels: new Int32Array(n * L), puzzle_identifiers: new Int32Array(n) };
  }

  /** Fills rows [0, rows.length) of a batch and pads the rest; converts ignore labels. */
  private fill(set: LoadedSet, exampleIdx: ArrayLike<number>, puzzleIdx: ArrayLike<number>, from: number, to: number): Batch {
    const b = this.makeBatch();
    const L = this.metadata.seq_len;
    const ign = this.metadata.ignore_label_id;
    const r = to - from;
    set.inputs.copyRows(exampleIdx, from, to, b.inputs);
    set.labels.copyRows(exampleIdx, from, to, b.labels);
    for (let i = from; i < to; i++) b.puzzle_identifiers[i - from] = set.puzzle_identifiers[puzzleIdx[i]];
    if (ign !== null) {
      const lab = b.labels;
      for (let j = 0, n = r * L; j < n; j++) if (lab[j] === ign) lab[j] = IGNORE_LABEL_ID;
    }
    if (r < this.localBatchSize) {
      b.inputs.fill(this.metadata.pad_id, r * L);
      b.labels.fill(IGNORE_LABEL_ID, r * L);
      b.puzzle_identifiers.fill(this.metadata.blank_identifier_id, r);
    }
    return b;
  }

  private *iterTrain(k: number): Generator<BatchItem> {
    const G = this.opts.globalBatchSize;
    const lo = this.opts.rank * this.localBatchSize;
    const hi = lo + this.localBatchSize;
    const nSets = this.sets.length;
    const exampleIdx = new Int32Array(G);
    const puzzleIdx = new Int32Array(G);
    for (let s = 0; s < nSets; s++) {
      const set = this.sets[s];
      const rng = new Rng(this.opts.seed + k * nSets + s);
      const nGroups = set.group_indices.length - 1;
      const epochs = this.opts.epochsPerIter;
      const order = new Int32Array(nGroups * epochs);
      for (let e = 0; e < epochs; e++) order.set(rng.permutation(nGroups), e * nGroups);
      let pos = 0;
      // Scratch for sampling examples of one puzzle without replacement (partial Fisher-Yates).
      let scratch = new Int32Array(16);
      while (pos < order.length) {
        let size = 0;
        while (pos < order.length && size < G) {
          const g = order[pos++];
          const pStart = set.group_indices[g];
          const pEnd = set.group_indices[g + 1];
          if (pEnd <= pStart) continue; // an empty group contributes nothing
          const puzzle = pStart + rng.int(pEnd - pStart);
          const eStart = set.puzzle_indices[puzzle];
          const pSize = set.puzzle_indices[puzzle + 1] - eStart;
          const take = Math.min(pSize, G - size);
          if (scratch.length < pSize) scratch = new Int32Array(pSize);
          for (let i = 0; i < pSize; i++) scratch[i] = i;
          for (let i = 0; i < take; i++) {
            const j = i + rng.int(pSize - i);
            const t = scratch[i];
            scratch[i] = scratch[j];
            scratch[j] = t;
            exampleIdx[size] = eStart + scratch[i];
            puzzleIdx[size] = puzzle;
            size++;
          }
        }
        if (size < G) break; // the last incomplete batch is dropped
        yield { setName: set.name, batch: this.fill(set, exampleIdx, puzzleIdx, lo, hi), effectiveBatchSize: size };
      }
    }
  }

  private *iterTest(): Generator<BatchItem> {
    const G = this.opts.globalBatchSize;
    for (const set of this.sets) {
      const total = set.inputs.rows;
      const pix = set.puzzle_indices;
      const exampleIdx = new Int32Array(this.localBatchSize);
      const puzzleIdx = new Int32Array(this.localBatchSize);
      for (let start = 0; start < total; start += G) {
        const end = Math.min(total, start + G);
        const localStart = start + this.opts.rank * this.localBatchSize;
        const localEnd = Math.min(start + (this.opts.rank + 1) * this.localBatchSize, end);
        // Puzzle of localStart: last p with pix[p] <= localStart (binary search).
        let a = 0;
        let b = pix.length - 1;
        while (a < b) {
          const m = (a + b + 1) >> 1;
          if (pix[m] <= localStart) a = m;
          else b = m - 1;
        }
        let p = a;
        let n = 0;
        for (let i = localStart; i < localEnd; i++, n++) {
          while (p + 1 < pix.length && i >= pix[p + 1]) p++;
          exampleIdx[n] = i;
          puzzleIdx[n] = p;
        }
        yield { setName: set.name, batch: this.fill(set, exampleIdx, puzzleIdx, 0, Math.max(0, n)), effectiveBatchSize: end - start };
      }
    }
  }
}
