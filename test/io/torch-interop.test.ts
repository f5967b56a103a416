/**
 * PyTorch reads what we write and we read what PyTorch writes, bit for bit, checked with torch itself
 * (Debian's python3-torch, 1.13; `torch.load(..., weights_only=True)`):
 *  - every storage our torch reader and writer claim (float32, bfloat16, float16, int64 with its
 *    extremes, a 0-d int64, int32, bool, a view at an offset into a storage another tensor shares):
 *    torch.save -> readTorchCheckpoint gives torch's values exactly, and writeTorchCheckpoint of them in
 *    their stored dtypes -> torch.load gives the same dtypes, shapes and bytes;
 *  - `hrm convert` both ways: each reference checkpoint folder (HRM_CHECKPOINT_FIXTURES_DIR; the
 *    reference's state dicts hold float32 and bfloat16 H_init/L_init) -> our run folder, whose
 *    safetensors hold torch's values exactly, -> back, which torch.load reads as the same names,
 *    dtypes, shapes and bytes as the reference's file; and the bundled model (models/sudoku.safetensors)
 *    -> torch.load (our bytes) -> back to the same bytes.
 * Under CI (CI set) a missing torch fails the test (.ci/run installs python3-torch); elsewhere it skips
 * saying how to install it. HRM_PYTHON names the interpreter; else python3, then /usr/bin/python3 (the
 * one apt's torch belongs to when another python3 comes first on PATH).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readSafetensors, type SafeTensor } from '../../src/io/safetensors.js';
import { exactBfloat16, readTorchCheckpoint, writeTorchCheckpoint, type TorchTensorInput } from '../../src/io/torch-checkpoint.js';
import { repoRoot } from '../fixtures.js';
import { checkpointFixtures } from '../solve/helpers.js';

const CLI = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');

/**
 * `dump PATH`: torch.load(PATH, weights_only=True) as JSON {name: [dtype, shape, sha256 of the raw
 * little-endian bytes, sha256 of the values as float32 (floats) or of the raw bytes (others)]}.
 * `storages OUT`: torch.save of one tensor per storage type, to OUT.
 */
const PY = `
import sys, json, hashlib, torch
SAME_SIZE_INT = {torch.bfloat16: torch.int16, torch.float16: torch.int16, torch.float32: torch.int32, torch.float64: torch.int64}
def raw(t):
    t = t.detach().contiguous()
    if t.dtype in SAME_SIZE_INT: t = t.view(SAME_SIZE_INT[t.dtype])
    return t.numpy().tobytes()
def h(b): return hashlib.sha256(b).hexdigest()
if sys.argv[1] == 'dump':
    sd = torch.load(sys.argv[2], map_location='cpu', weights_only=True)
    print(json.dumps({k: [str(v.dtype).replace('torch.', ''), list(v.shape), h(raw(v)), h(raw(v.float()) if v.is_floating_point() else raw(v))] for k, v in sd.items()}))
elif sys.argv[1] == 'storages':
    g = torch.Generator().manual_seed(0)
    base = torch.randn(4, 5, generator=g)
    sd = {
        'f32': torch.randn(3, 4, generator=g),
        'f32_special': torch.tensor([0.0, -0.0, float('inf'), -float('inf'), 1e-45, 3.4028235e38]),
        'bf16': torch.randn(2, 8, generator=g).to(torch.bfloat16),
        'f16': torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6e-8, 1e-4, float('inf')], dtype=torch.float16),
        'i64': torch.tensor([0, -1, 2**53 + 1, 2**62 + 3, -(2**63), 2**63 - 1], dtype=torch.int64),
        'i64_scalar': torch.tensor(123456789012345, dtype=torch.int64),
        'i32': torch.tensor([[1, -2], [2**31 - 1, -(2**31)]], dtype=torch.int32),
        'bool': torch.tensor([True, False, True]),
        'shared_base': base,
        'shared_view': base[1:3],
    }
    torch.save(sd, sys.argv[2])
`;

type Dump = Record<string, [string, number[], string, string]>;

/** The first interpreter that imports torch, with its version; else what was tried. */
function findTorch(): { python: string; version: string } | { tried: string } {
  const tried: string[] = [];
  for (const python of [process.env.HRM_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!python) continue;
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
    tried.push(`${python}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}`);
  }
  return { tried: tried.join('; ') };
}

function py(python: string, args: string[]): string {
  const r = spawnSync(python, ['-c', PY, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `python ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const dump = (python: string, path: string): Dump => JSON.parse(py(python, ['dump', path])) as Dump;

function hrm(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `hrm ${args.join(' ')}: ${r.stderr}`);
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (t: { data: ArrayBufferView }): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const TORCH_DTYPE: Record<string, string> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16', I64: 'int64', I32: 'int32', BOOL: 'bool' };

/** The float16 bits of a float32 value that float16 holds exactly (what our reader widened). */
function f16Bits(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === 0) return sign;
  if (a === Infinity) return sign | 0x7c00;
  if (Number.isNaN(a)) return 0x7e00;
  const e = Math.max(Math.floor(Math.log2(a)), -15);
  // subnormals: multiples of 2^-24
  const bits = e < -14 ? a / 2 ** -24 : ((e + 15) << 10) | ((a / 2 ** e - 1) * 1024);
  assert.ok(Number.isInteger(bits) && bits < 0x7c00, `${x} is not a float16 value`);
  return sign | bits;
}

/** Our tensor (floats widened to F32) in torch's dtype `stored`, for writeTorchCheckpoint. */
function asStored(t: SafeTensor, stored: string): TorchTensorInput {
  if (stored === 'BF16') return { shape: t.shape, data: exactBfloat16(t.data as Float32Array)!, dtype: 'BF16' };
  if (stored === 'F16') return { shape: t.shape, data: Uint16Array.from(t.data as Float32Array, f16Bits), dtype: 'F16' };
  return { shape: t.shape, data: t.data as TorchTensorInput['data'], dtype: t.dtype };
}

/** Our tensors (floats as F32) against a torch dump (names without torch.compile's prefix): [] when equal. */
function compareToTorch(ours: Map<string, SafeTensor>, torchDump: Dump, what: string): string[] {
  const problems: string[] = [];
  const names = Object.keys(torchDump).map((k) => k.replace(/^_orig_mod\./, ''));
  assert.deepEqual([...ours.keys()].sort(), names.sort(), `${what}: the same tensor names`);
  for (const [k, [dtype, shape, , values]] of Object.entries(torchDump)) {
    const t = ours.get(k.replace(/^_orig_mod\./, ''))!;
    if (t.shape.join(',') !== shape.join(',')) problems.push(`${what} ${k}: shape [${t.shape}] vs torch's [${shape}]`);
    const floating = dtype.startsWith('float') || dtype === 'bfloat16';
    // floats: ours are float32, exactly torch's values widened; others: the same dtype and bytes
    if (floating ? t.dtype !== 'F32' : TORCH_DTYPE[t.dtype] !== dtype) problems.push(`${what} ${k}: ours ${t.dtype}, torch's ${dtype}`);
    else if (sha(bytesOf(t)) !== values) problems.push(`${what} ${k}: values differ from torch's ${dtype}`);
  }
  return problems;
}

const found = findTorch();
const fixtures = checkpointFixtures();

/** Skips (or, under CI, fails) without torch; else runs `fn` with the interpreter and a scratch folder. */
function withTorch(t: { skip(m: string): void }, fn: (python: string, tmp: string) => void): void {
  if (!('python' in found)) {
    if (process.env.CI) assert.fail(`no python with torch (${found.tried}); CI installs it: apt-get install -y python3-torch`);
    t.skip(`no python with torch (${found.tried}); apt-get install -y python3-torch, or set HRM_PYTHON; CI=1 makes this a failure`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'hrm-torch-'));
  try {
    fn(found.python, tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

test('every torch storage we claim: torch.save -> readTorchCheckpoint and writeTorchCheckpoint -> torch.load, bit for bit', { timeout: 120_000 }, (t) => {
  withTorch(t, (python, tmp) => {
    const theirs = join(tmp, 'theirs.pt');
    py(python, ['storages', theirs]);
    const want = dump(python, theirs);
    const read = readTorchCheckpoint(theirs);
    assert.deepEqual(compareToTorch(read.tensors, want, 'torch -> ours'), []);
    assert.deepEqual(Object.fromEntries([...read.storedDtypes].map(([k, d]) => [k, TORCH_DTYPE[d]])), Object.fromEntries(Object.entries(want).map(([k, [d]]) => [k, d])));
    const ours = join(tmp, 'ours.pt');
    writeTorchCheckpoint(ours, new Map([...read.tensors].map(([k, v]) => [k, asStored(v, read.storedDtypes.get(k)!)])));
    assert.deepEqual(dump(python, ours), want, 'torch.load of ours: the same dtypes, shapes and bytes');
    console.log(`torch ${'version' in found ? found.version : ''} (${python}): ${Object.keys(want).length} tensors of ${new Set(Object.values(want).map(([d]) => d)).size} dtypes, bit for bit both ways`);
  });
});

test('hrm convert: a reference checkpoint -> ours -> torch.load, and ours -> torch.load -> ours, bit for bit', { timeout: 120_000 }, (t) => {
  withTorch(t, (python, tmp) => {
    assert.ok(fixtures.length > 0, 'a reference checkpoint folder to start from (HRM_CHECKPOINT_FIXTURES_DIR)');
    for (const fixture of fixtures) {
      const name = basename(fixture);
      const written = dump(python, join(fixture, 'checkpoint'));
      const dtypes = new Set(Object.values(written).map(([d]) => d));
      assert.deepEqual([...dtypes].sort(), ['bfloat16', 'float32'], `${name}: the reference saves float32 weights and bfloat16 H_init/L_init`);
      const ours = join(tmp, `${name}-ours`);
      hrm(['convert', fixture, ours]);
      assert.deepEqual(compareToTorch(readSafetensors(join(ours, 'step_0.safetensors')).tensors, written, `${name} reference -> ours`), []);
      const back = join(tmp, `${name}-back`);
      hrm(['convert', ours, back]);
      assert.deepEqual(dump(python, join(back, 'checkpoint')), written, `${name}: torch.load of reference -> ours -> reference is the reference's file`);
    }
    const bundled = join(repoRoot(), 'models', 'sudoku.safetensors');
    if (existsSync(bundled)) {
      const asTorch = join(tmp, 'bundled-torch');
      hrm(['convert', bundled, asTorch]);
      const original = readSafetensors(bundled).tensors;
      assert.deepEqual(compareToTorch(original, dump(python, join(asTorch, 'checkpoint')), 'bundled -> torch'), []);
      const again = join(tmp, 'bundled-again');
      hrm(['convert', asTorch, again]);
      const round = readSafetensors(join(again, 'step_0.safetensors')).tensors;
      assert.deepEqual([...round.keys()].sort(), [...original.keys()].sort());
      for (const [k, v] of original) {
        const u = round.get(k)!;
        assert.equal(`${u.dtype} [${u.shape}]`, `${v.dtype} [${v.shape}]`, k);
        assert.equal(sha(bytesOf(u)), sha(bytesOf(v)), `${k}: the same bytes after ours -> torch -> ours`);
      }
    }
  });
});
