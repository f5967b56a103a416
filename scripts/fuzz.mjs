#!/usr/bin/env node
// Seeded fuzzing of every reader of a user's file or argument, outside the default test run (issue 25):
//   node scripts/fuzz.mjs [READER[,READER...]|all|list] [ITERATIONS] [--seed N]
// Runs against dist/ (npm run build first). Each iteration mutates a valid input (bytes flipped, cut,
// spliced, duplicated, numbers made huge or negative, little-endian lengths set large) or, for the
// library, makes a call with one wrongly typed argument. Allowed outcomes: success, or a UserError
// whose first line is complete (details, if any, on indented lines after it) without control
// characters. Anything else is printed, the mutant saved under test-output/fuzz-crashes/, and the exit status is 1.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(root, 'dist', 'src', p));

const args = process.argv.slice(2);
const seedAt = args.indexOf('--seed');
const baseSeed = seedAt >= 0 ? Number(args.splice(seedAt, 2)[1]) : 1;
const which = args[0] ?? 'all';
const iterations = Number(args[1] ?? 200);
if (!Number.isInteger(iterations) || iterations < 0 || !Number.isInteger(baseSeed)) {
  console.error('usage: node scripts/fuzz.mjs [READER|all|list] [ITERATIONS] [--seed N]');
  process.exit(1);
}

const { Rng } = await dist('util/random.js');
const { UserError } = await dist('util/errors.js');
const { readSudokuSource } = await dist('data/builders/sudoku.js');
const { readMazeSource } = await dist('data/builders/maze.js');
const { readArcTask } = await dist('data/builders/arc.js');
const { readArcTestTask } = await dist('solve/arc.js');
const { readVotesFile, renderHtml, renderTerminal, VOTES_FORMAT } = await dist('arc/report.js');
const { NpyRowReader, npyBytes, readNpy } = await dist('io/npy.js');
const { readDatasetMetadata, readIdentifiers } = await dist('data/dataset-format.js');
const { PuzzleDataset } = await dist('data/loader.js');
const { parseSafetensors, serializeSafetensors } = await dist('io/safetensors.js');
const { applyConfigFile, configToYaml, defaultConfig, finalizeConfig, loadTrainConfig, readRunConfig } = await dist('train/config.js');
const { loadCheckpoint, RESUME_FORMAT, resumeFile, weightsFile } = await dist('train/checkpoint.js');
const { readMetrics } = await dist('train/metrics-log.js');
const { generateSudokuDataset } = await dist('data/builders/generated.js');
const { parseTorchCheckpoint, serializeTorchCheckpoint } = await dist('io/torch-checkpoint.js');
const lib = await dist('index.js');

const TOKENS = ['9999999999999', '-1', '0', 'null', 'true', '[', ']', '{', '}', '"', ',', ':', '\n', '\x00', '1e309', 'NaN', '-0', '\x1b[31m', '\u202e', '<i8', '>f4', 'fortran_order', 'shape', '18446744073709551615', '4294967296', '&a', '*a', '!!python/object', 'S', 'G', 'o', '#'];

function concat(parts) {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** One mutant of `src`: 1-4 edits. */
function mutate(src, rng) {
  let b = Buffer.from(src);
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = b.length ? rng.int(b.length + 1) : 0;
    switch (rng.int(7)) {
      case 0:
        if (b.length) b[Math.min(at, b.length - 1)] = rng.int(256);
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rng.int(Math.max(1, Math.min(64, b.length >> 2))))]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(TOKENS[rng.int(TOKENS.length)], 'utf8'), b.subarray(at)]);
        break;
      case 3:
        b = b.subarray(0, at);
        break;
      case 4: {
        const n = 1 + rng.int(Math.max(1, Math.min(256, b.length)));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + n), b.subarray(at)]);
        break;
      }
      case 5: {
        const s = b.toString('latin1');
        const nums = [...s.matchAll(/\d+/g)];
        if (nums.length) {
          const m = nums[rng.int(nums.length)];
          const rep = ['99999999999', '-7', '0', '1.5', '4294967297', '65536', '1e9'][rng.int(7)];
          b = Buffer.from(s.slice(0, m.index) + rep + s.slice(m.index + m[0].length), 'latin1');
        }
        break;
      }
      default:
        if (b.length >= 4) b.writeUInt32LE([0xffffffff, 0x7fffffff, 1 << 20, 0][rng.int(4)], Math.min(at, b.length - 4));
    }
  }
  return b;
}

const work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'hrm-fuzz-'));
const crashes = join(root, 'test-output', 'fuzz-crashes');
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const sudokuRow = '..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..,483921657967345821251876493548132976729564138136798245372689514814253769695417382';
const PUZZLE = sudokuRow.slice(0, 81);
const maze = { q: '#S  # # #  G####', a: '#Soo# #o#  G####' };
const ds = join(work, 'ds');
const dsFuzz = join(work, 'ds-fuzz');
let dsReady = false;
async function dataset() {
  if (!dsReady) {
    await generateSudokuDataset({ count: 12, outputDir: ds, clues: [50, 60], testFraction: 0.25, numAug: 1, seed: 1, quiet: true });
    cpSync(ds, dsFuzz, { recursive: true });
    dsReady = true;
  }
}
/** A reader of one file of a dataset: the metadata, the identifiers and the loader over the damaged copy. */
function inDataset(rel) {
  return {
    setup: dataset,
    seed: () => readFileSync(join(ds, rel)),
    parse: (_p, bytes) => {
      writeFileSync(join(dsFuzz, rel), bytes);
      try {
        readDatasetMetadata(dsFuzz, 'train');
        readIdentifiers(dsFuzz);
        new PuzzleDataset({ dataPath: dsFuzz, split: 'train', globalBatchSize: 4, testSetMode: false, epochsPerIter: 1, rank: 0, numReplicas: 1, seed: 0 }).close();
      } finally {
        writeFileSync(join(dsFuzz, rel), readFileSync(join(ds, rel)));
      }
    },
  };
}
const safetensorsSeed = () => concat(serializeSafetensors(new Map([
  ['a', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
  ['b', { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, 2n]) }],
  ['c', { dtype: 'BF16', shape: [1], data: new Uint16Array([0x3f80]) }],
]), { format: 'pt' }));
const runDir = join(work, 'run');
function resumeSeed() {
  mkdirSync(runDir, { recursive: true });
  const meta = { format: RESUME_FORMAT, step: 3, total_steps: 10, iteration: 0, batches_done: 3, rng: [1, 2, 3, 4], optimizer_step: 3, metrics_bytes: 0, carry: null, elapsed_s: 1, last_eval: null, transient: false, supersedes: null };
  writeFileSync(weightsFile(runDir, 3), concat(serializeSafetensors(new Map([['w', { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }]]), { format: 'pt' })));
  return concat(serializeSafetensors(new Map([['optim/m/w', { dtype: 'F32', shape: [2], data: new Float32Array([0, 0]) }]]), { [RESUME_FORMAT]: JSON.stringify(meta) }));
}
const torchSeed = () => concat(serializeTorchCheckpoint(new Map([
  ['model.w', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
  ['model.e', { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0x4000]) }],
  ['model.i', { dtype: 'I64', shape: [], data: new BigInt64Array([7n]) }],
  ['model.b', { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) }],
])));
const configCheck = (p) => {
  const cfg = defaultConfig();
  applyConfigFile(cfg, p);
  finalizeConfig(cfg, p);
};
const bundled = join(root, 'models', 'sudoku.safetensors');

/** Wrong values for the library's arguments. */
const WRONG = [null, undefined, 0, -1, 1.5, NaN, Infinity, 999, '', 'x'.repeat(10000), '\x1b[2J', true, {}, [], [null], [1, 2], () => 1, Symbol('s'), 10n, new Int32Array(3), new Float32Array([1.5]), { halt: 'maybe' }, { segments: 0 }, { segments: 1e9 }, { retries: -1 }, { budget: 'lots' }, { search: 1 }, { trace: 'yes' }, Object.create(null)];
let libModel = null;
function libraryCall(rng) {
  if (!libModel) libModel = lib.loadModel(bundled);
  const w = () => WRONG[rng.int(WRONG.length)];
  const m = libModel;
  const opts = { segments: 1 };
  const calls = [
    () => m.solveSudoku(w()),
    () => m.solveSudoku(PUZZLE, w()),
    () => m.solveSudoku([PUZZLE, w()], opts),
    () => m.solveMaze(w(), opts),
    () => m.parse(w(), PUZZLE),
    () => m.parse('sudoku', w(), w()),
    () => m.solve('sudoku', w(), opts),
    () => m.solve(w(), [], opts),
    () => m.solve('sudoku', m.parse('sudoku', PUZZLE), w()),
    () => m.solve('sudoku', m.parse('sudoku', PUZZLE), opts, w()),
    () => m.infer(w(), new Int32Array([0])),
    () => m.infer(Int32Array.from({ length: 81 }, () => [0, 1, 5, 10, 11, 999, -1][rng.int(7)]), new Int32Array([rng.int(3) - 1])),
    () => m.infer(new Int32Array(81).fill(1), new Int32Array([0]), w()),
    () => lib.summarize(w()),
    () => lib.summarize([w()]),
    () => lib.loadModel(w()),
    () => lib.loadModel(bundled, w()).dispose(),
    () => lib.writeSafetensors(join(work, 'lib.safetensors'), new Map([['a', { dtype: w(), shape: [2], data: new Float32Array(2) }]])),
    () => lib.writeSafetensors(join(work, 'lib.safetensors'), new Map([['a', { dtype: 'F32', shape: w(), data: new Float32Array(2) }]])),
    () => lib.writeSafetensors(join(work, 'lib.safetensors'), w()),
    () => lib.writeTorchCheckpoint(join(work, 'lib.pt'), new Map([['a', { dtype: 'F32', shape: [2], data: w() }]])),
    () => lib.writeTorchCheckpoint(join(work, 'lib.pt'), w(), w()),
    () => lib.readSafetensors(w()),
    () => lib.readTorchCheckpoint(w()),
    () => lib.convertCheckpoint(w(), w()),
    () => lib.setBackend(w()),
  ];
  calls[rng.int(calls.length)]();
}

/** name -> { seed(), parse(path, bytes), inMemory?, setup?, mutateRegion?, library? } */
const READERS = {
  'sudoku-csv': { seed: () => Buffer.from(`source,question,answer,rating\nx,${sudokuRow},3\ny,${sudokuRow},0\n`), parse: (p) => readSudokuSource(p, { quiet: true }) },
  'sudoku-text': { seed: () => Buffer.from(`# puzzles\n${PUZZLE}\n`), parse: (p) => readSudokuSource(p, { quiet: true }) },
  'maze-csv': { seed: () => Buffer.from(`question,answer\n${maze.q},${maze.a}\n${maze.q},${maze.a}\n`), parse: (p) => readMazeSource(p) },
  'arc-task': { seed: () => Buffer.from(JSON.stringify({ train: [{ input: [[1, 2], [3, 4]], output: [[4, 3], [2, 1]] }], test: [{ input: [[0]], output: [[9]] }] })), parse: (p) => readArcTask(p, true) },
  'arc-solve-task': { seed: () => Buffer.from(JSON.stringify({ train: [{ input: [[1, 2], [3, 4]], output: [[4, 3], [2, 1]] }], test: [{ input: [[0, 5]] }] })), parse: (p) => readArcTestTask(p) },
  'arc-votes': {
    seed: () => Buffer.from(JSON.stringify({
      format: VOTES_FORMAT, step: 3, scores: { official: { 1: 0.5, 2: 1 }, allTests: { 1: 0, 2: 1 }, tasks: 1 },
      tasks: [{ task: 'abc', tests: [{ input: [[1, 2]], label: [[3]], copies: 2, candidates_total: 2, votes_total: 2, right_rank: 1, candidates: [{ grid: [[3]], votes: 1, mean_q: 0.5 }, { grid: [[4]], votes: 1, mean_q: 0.25 }] }] }],
    })),
    parse: (p) => {
      const v = readVotesFile(p);
      renderTerminal(v, { colour: true });
      renderHtml(v);
    },
  },
  npy: {
    seed: () => Buffer.from(npyBytes(Uint8Array.from({ length: 3 * 81 }, (_, i) => i % 11), [3, 81])),
    parse: (p) => {
      readNpy(p);
      const r = new NpyRowReader(p);
      try {
        if (r.rows > 0) r.readRowBytes(0, new Uint8Array(r.rowLen * 8));
      } finally {
        r.close();
      }
    },
  },
  'npy-int64': { seed: () => Buffer.from(npyBytes(new BigInt64Array([0n, 5n, 9n, 12n]), [4])), parse: (p) => readNpy(p) },
  'dataset-json': inDataset('train/dataset.json'),
  'identifiers-json': inDataset('identifiers.json'),
  'puzzle-indices': inDataset('train/all__puzzle_indices.npy'),
  'group-indices': inDataset('train/all__group_indices.npy'),
  'dataset-inputs': inDataset('train/all__inputs.npy'),
  'dataset-labels': inDataset('train/all__labels.npy'),
  safetensors: { seed: safetensorsSeed, parse: (_p, b) => parseSafetensors(b, 'fuzz.safetensors'), inMemory: true },
  'resume-metadata': { seed: resumeSeed, parse: (_p, b) => { writeFileSync(resumeFile(runDir, 3), b); loadCheckpoint(runDir, 3); } },
  'yaml-config': { seed: () => readFileSync(join(root, 'configs', 'quickstart.yaml')), parse: configCheck },
  'json-config': { seed: () => Buffer.from(JSON.stringify({ data_path: 'd', epochs: 10, eval_interval: 5, arch: { hidden_size: 64, num_heads: 4, loss: { loss_type: 'softmax_cross_entropy' } }, eval_save_outputs: ['logits'] })), parse: configCheck },
  'all-config': { seed: () => Buffer.from(configToYaml(loadTrainConfig({ overrides: ['data_path=data/x', 'arch.hidden_size=64', 'arch.num_heads=2'] }))), parse: (p) => readRunConfig(p) },
  metrics: { seed: () => Buffer.from('{"step": 1, "kind": "train", "train/lm_loss": 1.5}\n{"step": 2, "kind": "eval", "all/accuracy": 0.5}\n'), parse: (p) => readMetrics(p) },
  torch: { seed: torchSeed, parse: (_p, b) => parseTorchCheckpoint(b, 'fuzz.pt'), inMemory: true },
  // a model file as hrm export writes it (header, metadata with all_config.yaml, weights), loaded and run once
  'model-file': {
    seed: () => readFileSync(bundled),
    parse: (p) => {
      const m = lib.loadModel(p);
      try {
        m.solveSudoku(PUZZLE, { segments: 1 });
      } finally {
        m.dispose();
      }
    },
    mutateRegion: 65536, // the header and metadata, where the structure is
    path: 'fuzz.safetensors',
  },
  library: { seed: () => Buffer.alloc(0), library: true },
};

if (which === 'list') {
  console.log(Object.keys(READERS).join('\n'));
  process.exit(0);
}
const names = which === 'all' ? Object.keys(READERS) : which.split(',');
for (const n of names) {
  if (!READERS[n]) {
    console.error(`unknown reader '${n}'; one of: ${Object.keys(READERS).join(', ')}`);
    process.exit(1);
  }
}

/** Why an exception breaks the rules, or null. */
function badOutcome(e) {
  if (!(e instanceof UserError)) return `threw ${e instanceof Error ? e.stack : String(e)}`;
  const [first, ...details] = e.message.split('\n');
  if (details.some((l) => !l.startsWith('  '))) return `a message whose first line is not complete: ${JSON.stringify(e.message.slice(0, 300))}`;
  if (/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(first + details.join(''))) return `a control character in ${JSON.stringify(e.message.slice(0, 300))}`;
  return null;
}

let failures = 0;
let total = 0;
for (const [k, name] of names.entries()) {
  const r = READERS[name];
  const rng = new Rng(baseSeed * 1000 + k);
  const path = join(work, r.path ?? `fuzz-${name}`);
  if (r.setup) await r.setup();
  const seed = r.seed();
  const counts = { ok: 0, refused: 0, bad: 0 };
  const t0 = Date.now();
  for (let i = 0; i < iterations; i++) {
    let m = seed;
    if (!r.library) {
      m = r.mutateRegion ? Buffer.concat([mutate(seed.subarray(0, r.mutateRegion), rng), seed.subarray(r.mutateRegion)]) : mutate(seed, rng);
      if (!r.inMemory) writeFileSync(path, m);
    }
    try {
      if (r.library) libraryCall(rng);
      else r.parse(path, m);
      counts.ok++;
    } catch (e) {
      const bad = badOutcome(e);
      if (bad === null) counts.refused++;
      else {
        counts.bad++;
        failures++;
        let saved = '';
        if (!r.library) {
          mkdirSync(crashes, { recursive: true });
          saved = join(crashes, `${name}-${baseSeed}-${i}`);
          writeFileSync(saved, m);
        }
        console.log(`FAIL ${name} #${i}${saved ? ` (saved as ${saved})` : ''}: ${bad.split('\n').slice(0, 6).join('\n  ')}`);
      }
    }
  }
  total += iterations;
  console.log(`${name}: ${iterations} inputs, ${counts.ok} accepted, ${counts.refused} refused with a UserError, ${counts.bad} bad, ${Date.now() - t0} ms`);
}
if (libModel) libModel.dispose();
console.log(`fuzz: ${names.length} readers, ${total} iterations, ${failures} bad outcomes`);
process.exit(failures ? 1 : 0);
