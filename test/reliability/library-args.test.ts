/**
 * #25: the library API given what JavaScript lets a caller pass (null, a number, an object, options of
 * the wrong type, token ids out of range or not whole, a call after dispose(), tensors whose shape
 * does not match their data) throws a UserError with one line naming the call and the argument, never
 * a TypeError or a plain Error from deep inside, and accepts nothing silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, summarize, UserError, writeSafetensors, writeTorchCheckpoint } from '../../src/index.js';

const PUZZLE = '..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..';

/** `f` throws a one-line UserError matching `re`. */
function refuses(f: () => unknown, re: RegExp, what: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof UserError, `${what}: threw ${e instanceof Error ? e.stack : String(e)}`);
    assert.ok(!e.message.includes('\n'), `${what}: ${e.message}`);
    assert.match(e.message, re, what);
    return true;
  }, `${what}: accepted`);
}

test('#25: library calls with arguments of the wrong kind are one-line UserErrors', () => {
  const m = loadModel('sudoku');
  const any = m as any;
  const tokens = new Int32Array(81).fill(1);
  const cases: [string, () => unknown, RegExp][] = [
    ['solveSudoku(null)', () => any.solveSudoku(null), /^solveSudoku: puzzles must be a string or a list of strings, got null$/],
    ['solveSudoku(5)', () => any.solveSudoku(5), /got 5$/],
    ['solveSudoku({})', () => any.solveSudoku({}), /got an object$/],
    ['solveSudoku([null])', () => any.solveSudoku([null]), /^solveSudoku: puzzles\[0\] must be a string, got null$/],
    ['solveSudoku(p, null)', () => any.solveSudoku(PUZZLE, null), /^solveSudoku: options must be an object/],
    ['solveSudoku(p, 5)', () => any.solveSudoku(PUZZLE, 5), /^solveSudoku: options must be an object .*got 5$/],
    ["halt: 'maybe'", () => any.solveSudoku(PUZZLE, { halt: 'maybe' }), /^solveSudoku: halt must be true or false, got the string "maybe"$/],
    ['a misspelt option', () => any.solveSudoku(PUZZLE, { hlat: true }), /^solveSudoku: unknown option "hlat" \(known: segments, halt, trace, batchSize, retries/],
    ['segments: 0', () => any.solveSudoku(PUZZLE, { segments: 0 }), /^solveSudoku: segments must be an integer >= 1, got 0$/],
    ['searchSegments: 1.5', () => any.solveSudoku(PUZZLE, { searchSegments: 1.5 }), /^solveSudoku: searchSegments must be an integer >= 1, got 1.5$/],
    ['searchReuse: -1', () => any.solveSudoku(PUZZLE, { searchReuse: -1 }), /^solveSudoku: searchReuse must be an integer >= 0, got -1$/],
    ['solveMaze(null)', () => any.solveMaze(null), /^solveMaze: mazes must be a string or a list of strings, got null$/],
    ['solveMaze(5)', () => any.solveMaze(5), /got 5$/],
    ['parse(sudoku, null)', () => any.parse('sudoku', null), /^parse: text must be a string, got null$/],
    ['parse(sudoku, {})', () => any.parse('sudoku', {}), /^parse: text must be a string, got an object$/],
    ['parse(5, p)', () => any.parse(5, PUZZLE), /^parse: task must be 'sudoku' or 'maze', got 5$/],
    ['solve(sudoku, null)', () => any.solve('sudoku', null), /^solve: puzzles must be a list of puzzles/],
    ['solve(sudoku, {})', () => any.solve('sudoku', {}), /^solve: puzzles must be a list of puzzles .*got an object$/],
    ['solve(sudoku, [{}])', () => any.solve('sudoku', [{}]), /^solve: puzzles\[0\]\.tokens must be a non-empty Int32Array, got nothing$/],
    ['solve(sudoku, parsed, null)', () => any.solve('sudoku', m.parse('sudoku', PUZZLE), null), /^solve: options must be an object/],
    ['a puzzle of token 999', () => m.solve('sudoku', [{ ...m.parse('sudoku', PUZZLE)[0], tokens: new Int32Array(81).fill(999) }]), /^infer: token 999 outside the vocabulary \[0, 11\)$/],
    ['infer(null, ids)', () => any.infer(null, new Int32Array(1)), /^infer: inputs must be an Int32Array \(or a list of whole numbers\), got null$/],
    ['infer(5, ids)', () => any.infer(5, new Int32Array(1)), /got 5$/],
    ['infer({}, ids)', () => any.infer({}, new Int32Array(1)), /got an object$/],
    ['token 999', () => m.infer(new Int32Array(81).fill(999), new Int32Array(1)), /^infer: inputs\[0\] is 999, expected a whole number in \[0, vocab_size=11\)$/],
    ['token -1', () => m.infer(new Int32Array(81).fill(-1), new Int32Array(1)), /inputs\[0\] is -1/],
    ['token NaN', () => any.infer(new Float32Array(81).fill(NaN), new Int32Array(1)), /inputs\[0\] is NaN/],
    ['a Float32Array of 1.5', () => any.infer(new Float32Array(81).fill(1.5), new Int32Array(1)), /inputs\[0\] is 1\.5, expected a whole number/],
    ['puzzle id out of range', () => m.infer(tokens, new Int32Array([5])), /^infer: puzzleIdentifiers\[0\] is 5, expected a whole number in \[0, num_puzzle_identifiers=1\)$/],
    ['puzzle id -1', () => m.infer(tokens, new Int32Array([-1])), /puzzleIdentifiers\[0\] is -1/],
    ['infer segments: 0', () => m.infer(tokens, new Int32Array(1), { segments: 0 }), /^infer: segments must be an integer >= 1, got 0$/],
    ['infer opts null', () => any.infer(tokens, new Int32Array(1), null), /^infer: options must be an object/],
    ["infer halt: 'maybe'", () => any.infer(tokens, new Int32Array(1), { halt: 'maybe' }), /^infer: halt must be 'all' or 'q'/],
    ['no identifiers', () => m.infer(tokens, new Int32Array(0)), /^infer: 81 input tokens for 0 puzzle identifiers/],
    ['summarize(null)', () => (summarize as any)(null), /^summarize: results must be a list of solve results, got null$/],
    ['summarize(5)', () => (summarize as any)(5), /got 5$/],
    ['summarize([null])', () => (summarize as any)([null]), /^summarize: results\[0\] must be a solve result, got null$/],
    ['loadModel(null)', () => (loadModel as any)(null), /^loadModel: the path or name must be a string, got null$/],
    ['loadModel(name, null)', () => (loadModel as any)('sudoku', null), /^loadModel: options must be an object/],
    ['loadModel(name, 5)', () => (loadModel as any)('sudoku', 5), /got 5$/],
  ];
  try {
    for (const [what, f, re] of cases) refuses(f, re, what);
    // what is accepted still works
    const [r] = m.solveSudoku(PUZZLE, { segments: 2, halt: false, trace: undefined });
    assert.equal(r.answer.length, 81);
    assert.deepEqual(summarize([r]).puzzles, 1);
    assert.equal(m.infer(Array.from(tokens) as unknown as Int32Array, [0] as unknown as Int32Array, { segments: 1 }).preds.length, 81);
  } finally {
    m.dispose();
  }
  for (const [what, f] of [
    ['solveSudoku', () => m.solveSudoku(PUZZLE)],
    ['solveMaze', () => m.solveMaze('#S G')],
    ['parse', () => m.parse('sudoku', PUZZLE)],
    ['solve', () => m.solve('sudoku', [])],
    ['infer', () => m.infer(tokens, new Int32Array(1))],
  ] as const) refuses(f, new RegExp(`^${what}: this model was used after dispose\\(\\); load it again with loadModel$`), `${what} after dispose()`);
});

test('#25: writeSafetensors and writeTorchCheckpoint refuse inconsistent tensors before writing anything', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-lib-'));
  try {
    const st = join(dir, 'x.safetensors');
    const pt = join(dir, 'x.pt');
    const ws = writeSafetensors as any;
    const wt = writeTorchCheckpoint as any;
    const cases: [string, () => unknown, RegExp][] = [
      ['safetensors: 5 values for [2, 3]', () => ws(st, new Map([['a', { shape: [2, 3], data: new Float32Array(5) }]])), /^writeSafetensors: tensor "a": shape \[2, 3\] holds 6 F32 elements \(24 bytes\), the data is a Float32Array of 20 bytes$/],
      ['safetensors: a plain array', () => ws(st, new Map([['a', { shape: [3], data: [1, 2, 3] }]])), /^writeSafetensors: tensor "a": data must be a typed array .*got a list of 3$/],
      ['safetensors: shape null', () => ws(st, new Map([['a', { shape: null, data: new Float32Array(1) }]])), /shape must be a list of whole numbers >= 0, got null$/],
      ['safetensors: shape [-1]', () => ws(st, { a: { shape: [-1], data: new Float32Array(1) } }), /shape must be a list of whole numbers/],
      ['safetensors: unknown dtype', () => ws(st, { a: { shape: [1], data: new Float32Array(1), dtype: 'Q8' } }), /dtype must be one of F32, F64, I32, I64, BOOL, U8, BF16, F16, got the string "Q8"$/],
      ['safetensors: null', () => ws(st, null), /^writeSafetensors: tensors must be a Map/],
      ['safetensors: __metadata__', () => ws(st, { __metadata__: { shape: [1], data: new Float32Array(1) } }), /"__metadata__" is not a tensor name/],
      ['safetensors: metadata of numbers', () => ws(st, { a: { shape: [1], data: new Float32Array(1) } }, { n: 5 }), /metadata must be an object of strings/],
      ['safetensors: path 5', () => ws(5, { a: { shape: [1], data: new Float32Array(1) } }), /^writeSafetensors: the path must be a non-empty string, got 5$/],
      ['torch: 5 values for [2, 3]', () => wt(pt, new Map([['a', { shape: [2, 3], data: new Float32Array(5), dtype: 'F32' }]])), /^writeTorchCheckpoint: tensor "a": shape \[2, 3\] holds 6 F32 elements/],
      ['torch: no dtype', () => wt(pt, new Map([['a', { shape: [1], data: new Float32Array(1) }]])), /^writeTorchCheckpoint: tensor "a": dtype must be one of F32, BF16, F16, I32, I64, BOOL, got nothing$/],
      ['torch: a plain array', () => wt(pt, new Map([['a', { shape: [3], data: [1, 2, 3], dtype: 'F32' }]])), /data must be a typed array/],
      ['torch: bytes for I64', () => wt(pt, new Map([['a', { shape: [2], data: new Uint8Array(16), dtype: 'I64' }]])), /holds 2 I64 elements \(16 bytes\), the data is a Uint8Array of 16 bytes$/],
      ['torch: null', () => wt(pt, null), /^writeTorchCheckpoint: tensors must be a Map/],
    ];
    for (const [what, f, re] of cases) refuses(f, re, what);
    assert.ok(!existsSync(st) && !existsSync(pt), 'a refused write left a file');
    writeSafetensors(st, { a: { shape: [2], data: new Float32Array([1, 2]) } });
    writeTorchCheckpoint(pt, new Map([['a', { shape: [2], data: new BigInt64Array([1n, 2n]), dtype: 'I64' }]]));
    assert.ok(existsSync(st) && existsSync(pt));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
