/**
 * Seeded fuzzing of every parser that reads a user's file: CSV (Sudoku, Maze, plain puzzle lists),
 * ARC task JSON, .npy (whole and row by row), dataset.json with its arrays (through the loader),
 * identifiers.json, safetensors, YAML/JSON training configs and a run's all_config.yaml, the resume
 * checkpoint reader, and metrics.jsonl. Valid files are mutated (bytes flipped, cut, spliced,
 * duplicated, numbers made huge or negative); the only outcomes allowed are success or a UserError of
 * one line: no other exception, no hang, no allocation beyond what the file's size allows.
 * HRM_FUZZ_SCALE=N multiplies the iterations (CI default 1: a few thousand per parser).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/random.js';
import { UserError } from '../../src/util/errors.js';
import { readSudokuSource } from '../../src/data/builders/sudoku.js';
import { readMazeSource } from '../../src/data/builders/maze.js';
import { readArcTask } from '../../src/data/builders/arc.js';
import { readArcTestTask } from '../../src/solve/arc.js';
import { readVotesFile, renderHtml, renderTerminal, VOTES_FORMAT } from '../../src/arc/report.js';
import { NpyRowReader, npyBytes, readNpy } from '../../src/io/npy.js';
import { readDatasetMetadata, readIdentifiers } from '../../src/data/dataset-format.js';
import { PuzzleDataset } from '../../src/data/loader.js';
import { parseSafetensors, readSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';
import { applyConfigFile, configToYaml, defaultConfig, finalizeConfig, loadTrainConfig, readRunConfig } from '../../src/train/config.js';
import { loadCheckpoint, RESUME_FORMAT, resumeFile, weightsFile } from '../../src/train/checkpoint.js';
import { readMetrics } from '../../src/train/metrics-log.js';
import { generateSudokuDataset } from '../../src/data/builders/generated.js';
import { repoRoot } from '../fixtures.js';

const SCALE = Number(process.env.HRM_FUZZ_SCALE ?? '1');
const TOKENS = ['9999999999999', '-1', '0', 'null', 'true', '[', ']', '{', '}', '"', "'", ',', ':', '\n', '\r\n', '\x00', '1e309', 'NaN', '-0', '\\u0000', '\xff\xfe', ' ', '(', ')', 'True', 'False', '<i8', '|u1', '>f4', 'fortran_order', 'shape', '18446744073709551615', '4294967296', '2147483648', '# ', 'SG', 'o', '#'];

/** One mutant of `src`: 1-4 random edits. */
function mutate(src: Buffer, rng: Rng): Buffer {
  let b = Buffer.from(src);
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = b.length ? rng.int(b.length + 1) : 0;
    switch (rng.int(7)) {
      case 0: // flip a byte
        if (b.length) b[Math.min(at, b.length - 1)] = rng.int(256);
        break;
      case 1: { // delete a range
        const n = 1 + rng.int(Math.max(1, Math.min(64, b.length >> 2)));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
        break;
      }
      case 2: // insert a token
        b = Buffer.concat([b.subarray(0, at), Buffer.from(TOKENS[rng.int(TOKENS.length)], 'latin1'), b.subarray(at)]);
        break;
      case 3: // truncate
        b = b.subarray(0, at);
        break;
      case 4: { // duplicate a range
        const n = 1 + rng.int(Math.max(1, Math.min(256, b.length)));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + n), b.subarray(at)]);
        break;
      }
      case 5: { // make a number in the text huge, negative or fractional
        const s = b.toString('latin1');
        const nums = [...s.matchAll(/\d+/g)];
        if (nums.length) {
          const m = nums[rng.int(nums.length)];
          const rep = ['99999999999', '-7', '0', '1.5', '4294967297', '65536'][rng.int(6)];
          b = Buffer.from(s.slice(0, m.index) + rep + s.slice(m.index! + m[0].length), 'latin1');
        }
        break;
      }
      default: // set a little-endian u32 somewhere to a large value (binary headers, lengths)
        if (b.length >= 4) b.writeUInt32LE([0xffffffff, 0x7fffffff, 1 << 20, 0][rng.int(4)], Math.min(at, b.length - 4));
    }
  }
  return b;
}

interface Target {
  name: string;
  seed: Buffer;
  /** Parses the mutant (written to `path` first, unless `inMemory`). */
  parse(path: string, bytes: Buffer): void;
  inMemory?: boolean;
  iterations: number;
}

function fuzz(t: Target, dir: string, seed: number): { ok: number; userErrors: number; ms: number } {
  const rng = new Rng(seed);
  const path = join(dir, `fuzz-${t.name.replace(/\W+/g, '_')}`);
  let ok = 0;
  let userErrors = 0;
  const t0 = Date.now();
  // The unmutated seed must parse.
  if (!t.inMemory) writeFileSync(path, t.seed);
  t.parse(path, t.seed);
  for (let i = 0; i < t.iterations * SCALE; i++) {
    const m = mutate(t.seed, rng);
    if (!t.inMemory) writeFileSync(path, m);
    try {
      t.parse(path, m);
      ok++;
    } catch (e) {
      if (!(e instanceof UserError)) {
        writeFileSync(`${path}.crash`, m);
        assert.fail(`${t.name}: mutant ${i} (seed ${seed}, saved as ${path}.crash) threw ${e instanceof Error ? e.stack : String(e)}`);
      }
      assert.ok(!e.message.includes('\n') && e.message.length < 2000, `${t.name}: mutant ${i}: the error is not one line: ${e.message.slice(0, 300)}`);
      // a file's bytes never reach the terminal raw (escape sequences, bidi overrides)
      assert.ok(!/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(e.message), `${t.name}: mutant ${i}: a control character in ${JSON.stringify(e.message.slice(0, 300))}`);
      userErrors++;
    }
  }
  return { ok, userErrors, ms: Date.now() - t0 };
}

test('fuzz: every user-file parser gives success or a one-line UserError', async () => {
  // Thousands of small files: in memory (/dev/shm) where there is one.
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'hrm-fuzz-'));
  try {
    const sudokuRow = '..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..,483921657967345821251876493548132976729564138136798245372689514814253769695417382';
    const maze = { q: '#S  ' + '# # ' + '#  G' + '####', a: '#Soo' + '# #o' + '#  G' + '####' };
    // A small dataset to mutate dataset.json, identifiers.json and the index arrays in place.
    const ds = join(dir, 'ds');
    await generateSudokuDataset({ count: 12, outputDir: ds, clues: [50, 60], testFraction: 0.25, numAug: 1, seed: 1, quiet: true });
    const dsFuzz = join(dir, 'ds-fuzz');
    cpSync(ds, dsFuzz, { recursive: true });
    const openDataset = () => {
      new PuzzleDataset({ dataPath: dsFuzz, split: 'train', globalBatchSize: 4, testSetMode: false, epochsPerIter: 1, rank: 0, numReplicas: 1, seed: 0 }).close();
    };
    const inDataset = (rel: string): Pick<Target, 'seed' | 'parse'> => ({
      seed: readFileSync(join(ds, rel)),
      parse: (_p, bytes) => {
        writeFileSync(join(dsFuzz, rel), bytes);
        try {
          readDatasetMetadata(dsFuzz, 'train');
          readIdentifiers(dsFuzz);
          openDataset();
        } finally {
          writeFileSync(join(dsFuzz, rel), readFileSync(join(ds, rel)));
        }
      },
    });
    const st = Buffer.concat(serializeSafetensors(
      new Map([
        ['a', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
        ['b', { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, 2n]) }],
        ['c', { dtype: 'BF16', shape: [1], data: new Uint16Array([0x3f80]) }],
      ]) as never,
      { format: 'pt' },
    ));
    // A resume point: weights and the sidecar with its JSON metadata.
    const run = join(dir, 'run');
    mkdirSync(run);
    const meta = { format: RESUME_FORMAT, step: 3, total_steps: 10, iteration: 0, batches_done: 3, rng: [1, 2, 3, 4], optimizer_step: 3, metrics_bytes: 0, carry: null, elapsed_s: 1, last_eval: null, transient: false, supersedes: null };
    writeFileSync(weightsFile(run, 3), Buffer.concat(serializeSafetensors(new Map([['w', { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }]]) as never, { format: 'pt' })));
    const sidecar = Buffer.concat(serializeSafetensors(new Map([['optim/m/w', { dtype: 'F32', shape: [2], data: new Float32Array([0, 0]) }]]) as never, { [RESUME_FORMAT]: JSON.stringify(meta) }));
    const quickstart = readFileSync(join(repoRoot(), 'configs', 'quickstart.yaml'));
    const runCfg = loadTrainConfig({ overrides: ['data_path=data/x', 'arch.hidden_size=64', 'arch.num_heads=2'] });

    const targets: Target[] = [
      { name: 'sudoku csv', seed: Buffer.from(`source,question,answer,rating\nx,${sudokuRow},3\ny,${sudokuRow},0\n`), parse: (p) => void readSudokuSource(p, { quiet: true }), iterations: 1500 },
      { name: 'sudoku puzzle list', seed: Buffer.from(`# puzzles\n${sudokuRow.slice(0, 81)}\n`), parse: (p) => void readSudokuSource(p, { quiet: true }), iterations: 800 },
      { name: 'maze csv', seed: Buffer.from(`question,answer\n${maze.q},${maze.a}\n${maze.q},${maze.a}\n`), parse: (p) => void readMazeSource(p), iterations: 1500 },
      { name: 'arc task json', seed: Buffer.from(JSON.stringify({ train: [{ input: [[1, 2], [3, 4]], output: [[4, 3], [2, 1]] }], test: [{ input: [[0]], output: [[9]] }] })), parse: (p) => void readArcTask(p, true), iterations: 3000 },
      { name: 'arc task json (hrm solve arc)', seed: Buffer.from(JSON.stringify({ train: [{ input: [[1, 2], [3, 4]], output: [[4, 3], [2, 1]] }], test: [{ input: [[0, 5]] }] })), parse: (p) => void readArcTestTask(p), iterations: 1500 },
      {
        name: 'arc_votes.json', seed: Buffer.from(JSON.stringify({
          format: VOTES_FORMAT, step: 3, scores: { official: { 1: 0.5, 2: 1 }, allTests: { 1: 0, 2: 1 }, tasks: 1 },
          tasks: [{ task: 'abc', tests: [{ input: [[1, 2]], label: [[3]], copies: 2, candidates_total: 2, votes_total: 2, right_rank: 1, candidates: [{ grid: [[3]], votes: 1, mean_q: 0.5 }, { grid: [[4]], votes: 1, mean_q: 0.25 }] }] }],
        })),
        parse: (p) => {
          const v = readVotesFile(p);
          renderTerminal(v, { colour: true });
          renderHtml(v);
        },
        iterations: 2000,
      },
      {
        name: 'npy', seed: Buffer.from(npyBytes(Uint8Array.from({ length: 3 * 81 }, (_, i) => i % 11), [3, 81])),
        parse: (p) => {
          readNpy(p);
          const r = new NpyRowReader(p);
          try {
            if (r.rows > 0) r.readRowBytes(0, new Uint8Array(r.rowLen * 8));
          } finally {
            r.close();
          }
        },
        iterations: 3000,
      },
      { name: 'npy int64', seed: Buffer.from(npyBytes(new BigInt64Array([0n, 5n, 9n, 12n]), [4])), parse: (p) => void readNpy(p), iterations: 1500 },
      { name: 'dataset.json', ...inDataset('train/dataset.json'), iterations: 2000 },
      { name: 'identifiers.json', ...inDataset('identifiers.json'), iterations: 1000 },
      { name: 'puzzle_indices.npy', ...inDataset('train/all__puzzle_indices.npy'), iterations: 1500 },
      { name: 'group_indices.npy', ...inDataset('train/all__group_indices.npy'), iterations: 1000 },
      { name: 'inputs.npy', ...inDataset('train/all__inputs.npy'), iterations: 1000 },
      { name: 'safetensors', seed: Buffer.from(st), parse: (_p, b) => void parseSafetensors(b, 'fuzz.safetensors'), inMemory: true, iterations: 4000 },
      { name: 'safetensors file', seed: Buffer.from(st), parse: (p) => void readSafetensors(p), iterations: 1000 },
      {
        name: 'resume checkpoint', seed: sidecar,
        parse: (_p, b) => {
          writeFileSync(resumeFile(run, 3), b);
          loadCheckpoint(run, 3);
        },
        iterations: 2000,
      },
      {
        name: 'yaml config', seed: quickstart,
        parse: (p) => {
          const cfg = defaultConfig();
          applyConfigFile(cfg, p);
          finalizeConfig(cfg, p);
        },
        iterations: 1000,
      },
      {
        name: 'json config', seed: Buffer.from(JSON.stringify({ data_path: 'd', epochs: 10, eval_interval: 5, arch: { hidden_size: 64, num_heads: 4, loss: { loss_type: 'softmax_cross_entropy' } }, eval_save_outputs: ['logits'] })),
        parse: (p) => {
          const cfg = defaultConfig();
          applyConfigFile(cfg, p);
          finalizeConfig(cfg, p);
        },
        iterations: 2000,
      },
      { name: 'all_config.yaml', seed: Buffer.from(configToYaml(runCfg)), parse: (p) => void readRunConfig(p), iterations: 1000 },
      { name: 'metrics.jsonl', seed: Buffer.from('{"step": 1, "kind": "train", "train/lm_loss": 1.5}\n{"step": 2, "kind": "eval", "all/accuracy": 0.5}\n'), parse: (p) => void readMetrics(p), iterations: 1500 },
    ];
    let total = 0;
    for (const [i, t] of targets.entries()) {
      const r = fuzz(t, dir, 1000 + i);
      total += r.ok + r.userErrors;
      console.log(`${t.name}: ${r.ok + r.userErrors} mutants, ${r.ok} parsed, ${r.userErrors} one-line UserErrors, ${r.ms} ms`);
    }
    console.log(`fuzz total: ${total} mutants`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
