/**
 * torch.save state dicts: the reader against the reference fixture, write -> read round trips of every
 * dtype, and the restricted unpickler's refusals (GLOBALs of os.system / builtins.eval /
 * subprocess.Popen, REDUCE on what may not be called, truncated and bit-flipped archives, huge declared
 * lengths, storages shorter than their tensors, member names escaping the archive's folder, legacy
 * files), then a seeded fuzz run in which every mutation of a valid archive ends in success or a
 * UserError, never another exception. torch.load(weights_only=True) of our file runs when python3 has torch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PickleWriter } from '../../src/io/pickle.js';
import { parseTorchCheckpoint, readTorchCheckpoint, serializeTorchCheckpoint, writeTorchCheckpoint, type TorchTensorInput } from '../../src/io/torch-checkpoint.js';
import { readZip, writeZip } from '../../src/io/zip.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { checkpointFixtures } from '../solve/helpers.js';

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
};

function sample(): Map<string, TorchTensorInput> {
  const m = new Map<string, TorchTensorInput>();
  m.set('_orig_mod.model.inner.H_init', { shape: [4], dtype: 'BF16', data: Uint16Array.of(0x3f80, 0xbf80, 0x4000, 0x0000) });
  m.set('w', { shape: [2, 3], dtype: 'F32', data: Float32Array.of(1, -2, 3.5, 1e-30, Infinity, -0) });
  m.set('h', { shape: [2], dtype: 'F16', data: Uint16Array.of(0x3c00, 0xc000) });
  m.set('i', { shape: [3], dtype: 'I32', data: Int32Array.of(-1, 0, 2147483647) });
  m.set('l', { shape: [1, 2], dtype: 'I64', data: BigInt64Array.of(-5n, 1n << 40n) });
  m.set('b', { shape: [2], dtype: 'BOOL', data: Uint8Array.of(1, 0) });
  m.set('empty', { shape: [0, 3], dtype: 'F32', data: new Float32Array(0) });
  return m;
}

/** An archive with the given members (default: a valid data.pkl + version) under `checkpoint/`. */
function archive(pkl: Uint8Array, extra: { name: string; data: Uint8Array }[] = []): Uint8Array {
  return concat(writeZip([{ name: 'checkpoint/data.pkl', data: pkl }, ...extra, { name: 'checkpoint/version', data: new TextEncoder().encode('3\n') }]));
}

/** A pickle from raw pieces: numbers are bytes, strings are latin-1 text. */
function raw(...parts: (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else for (const ch of p) out.push(ch.charCodeAt(0));
  }
  return Uint8Array.from(out);
}

const refuses = (bytes: Uint8Array, re: RegExp): void => {
  assert.throws(() => parseTorchCheckpoint(bytes, 'evil.pt'), (e: unknown) => e instanceof UserError && re.test(e.message) && e.message.startsWith('evil.pt'));
};

test('reads the reference fixture: names, shapes, the bfloat16 buffers widened', () => {
  const dirs = checkpointFixtures();
  if (dirs.length === 0) return;
  for (const d of dirs) {
    const c = readTorchCheckpoint(join(d, 'checkpoint'));
    assert.equal(c.archiveName, 'checkpoint');
    const h = c.tensors.get('_orig_mod.model.inner.H_init')!;
    assert.equal(h.dtype, 'F32');
    assert.equal(c.storedDtypes.get('_orig_mod.model.inner.H_init'), 'BF16');
    // widened bfloat16: the low 16 bits are zero
    const u = new Uint32Array((h.data as Float32Array).buffer);
    assert.ok(u.every((x) => (x & 0xffff) === 0));
    const emb = c.tensors.get('_orig_mod.model.inner.embed_tokens.embedding_weight')!;
    assert.equal(emb.shape.length, 2);
    assert.ok((emb.data as Float32Array).some((x) => x !== 0));
  }
});

test('write -> read round trip of every dtype (bfloat16/float16 widened exactly)', () => {
  const src = sample();
  const back = parseTorchCheckpoint(concat(serializeTorchCheckpoint(src, 'archive')), 'mem');
  assert.equal(back.archiveName, 'archive');
  assert.deepEqual([...back.tensors.keys()], [...src.keys()]);
  assert.deepEqual(Array.from(back.tensors.get('_orig_mod.model.inner.H_init')!.data as Float32Array), [1, -1, 2, 0]);
  assert.deepEqual(Array.from(back.tensors.get('h')!.data as Float32Array), [1, -2]);
  assert.deepEqual(Array.from(back.tensors.get('w')!.data as Float32Array), [1, -2, 3.5, Math.fround(1e-30), Infinity, -0]);
  assert.deepEqual(back.tensors.get('w')!.shape, [2, 3]);
  assert.deepEqual(Array.from(back.tensors.get('i')!.data as Int32Array), [-1, 0, 2147483647]);
  assert.deepEqual(Array.from(back.tensors.get('l')!.data as BigInt64Array), [-5n, 1n << 40n]);
  assert.deepEqual(Array.from(back.tensors.get('b')!.data as Uint8Array), [1, 0]);
  assert.equal(back.tensors.get('b')!.dtype, 'BOOL');
  assert.deepEqual(back.tensors.get('empty')!.shape, [0, 3]);
  assert.equal(back.storedDtypes.get('h'), 'F16');
});

/** A one-tensor state dict pickle with a chosen storage numel, size and stride. */
function tensorPickle(numel: number, size: number[], stride: number[], offset = 0): Uint8Array {
  const w = new PickleWriter().proto();
  w.global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  w.str('t').global('torch._utils', '_rebuild_tensor_v2').mark();
  w.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(numel).tupleFromMark().binpersid();
  w.int(offset).tuple(size).tuple(stride).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tupleFromMark().reduce();
  w.setitems();
  return w.stop();
}
const floats = (n: number): Uint8Array => new Uint8Array(Float32Array.from({ length: n }, (_, i) => i).buffer);

test('strided (non-contiguous) tensors are gathered in row-major order', () => {
  const c = parseTorchCheckpoint(archive(tensorPickle(6, [3, 2], [1, 3]), [{ name: 'checkpoint/data/0', data: floats(6) }]), 'mem');
  assert.deepEqual(Array.from(c.tensors.get('t')!.data as Float32Array), [0, 3, 1, 4, 2, 5]);
  const o = parseTorchCheckpoint(archive(tensorPickle(6, [2], [2], 1), [{ name: 'checkpoint/data/0', data: floats(6) }]), 'mem');
  assert.deepEqual(Array.from(o.tensors.get('t')!.data as Float32Array), [1, 3]);
});

test('accepts what torch really writes: an OrderedDict with its _metadata state (BUILD), parameters, memo gets', () => {
  // OrderedDict() REDUCE, BUILD {'_metadata': OrderedDict {'': {'version': 1}}}, then items; one tensor wrapped in
  // _rebuild_parameter and the same storage used twice through the memo
  const w = new PickleWriter().proto();
  w.global('collections', 'OrderedDict').emptyTuple().reduce();
  const head = w.stop().slice(0, -1); // drop STOP
  const mid = raw('}', 'X', 9, 0, 0, 0, '_metadata', 'c', 'collections\nOrderedDict\n', ')', 'R', 'X', 0, 0, 0, 0, '}', 'X', 7, 0, 0, 0, 'version', 'K', 1, 's', 's', 's', 'b');
  const t = new PickleWriter();
  t.mark();
  t.str('p').global('torch._utils', '_rebuild_parameter').mark().global('torch._utils', '_rebuild_tensor_v2').mark();
  t.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(4).tupleFromMark().binpersid();
  t.int(0).tuple([4]).tuple([1]).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tupleFromMark().reduce();
  t.bool(true).global('collections', 'OrderedDict').emptyTuple().reduce().tupleFromMark().reduce();
  t.setitems();
  const tail = t.stop();
  const c = parseTorchCheckpoint(archive(concat([head, mid, tail]), [{ name: 'checkpoint/data/0', data: floats(4) }]), 'mem');
  assert.deepEqual([...c.tensors.keys()], ['p']);
  assert.deepEqual(Array.from(c.tensors.get('p')!.data as Float32Array), [0, 1, 2, 3]);
});

test('refuses GLOBALs that are not on the allow-list, naming them, and runs nothing', () => {
  const marker = join(tmpdir(), `hrm-pickle-marker-${process.pid}`);
  rmSync(marker, { force: true });
  refuses(archive(raw(0x80, 2, 'c', 'os\nsystem\n', 'X', 4 + marker.length + 6, 0, 0, 0, `touch ${marker}`, 0x85, 'R', '.')), /global 'os\.system' is not allowed/);
  assert.equal(existsSync(marker), false);
  refuses(archive(raw(0x80, 2, 'c', 'builtins\neval\n', 'X', 4, 0, 0, 0, '1+1)', 0x85, 'R', '.')), /'builtins\.eval' is not allowed/);
  refuses(archive(raw(0x80, 2, 'c', 'subprocess\nPopen\n', ')', 'R', '.')), /'subprocess\.Popen' is not allowed/);
  // protocol 4's STACK_GLOBAL too
  refuses(archive(raw(0x80, 4, 0x8c, 2, 'os', 0x8c, 6, 'system', 0x93, ')', 'R', '.')), /'os\.system' is not allowed/);
  refuses(archive(raw(0x80, 2, 'c', 'torch\nload\n', '.')), /'torch\.load' is not allowed/);
});

test('refuses REDUCE on anything but an allow-listed callable, and object-building opcodes', () => {
  refuses(archive(raw(0x80, 2, 'c', 'torch\nFloatStorage\n', ')', 'R', '.')), /'torch\.FloatStorage' may not be called/);
  refuses(archive(raw(0x80, 2, 'X', 3, 0, 0, 0, 'abc', ')', 'R', '.')), /REDUCE on something that is not an allowed global/);
  refuses(archive(raw(0x80, 2, 'c', 'collections\nOrderedDict\n', ')', 0x81, '.')), /NEWOBJ/);
  refuses(archive(raw(0x80, 2, '(', 'i', 'os\nsystem\n', '.')), /INST/);
  refuses(archive(raw(0x80, 2, 'N', '}', 'b', '.')), /BUILD/);
  refuses(archive(raw(0x80, 2, 0xff, '.')), /unknown opcode 0xff/);
});

test('refuses huge declared lengths without allocating them', () => {
  refuses(archive(raw(0x80, 2, 'X', 0xf0, 0xff, 0xff, 0xff, 'ab', '.')), /runs past the end/);
  refuses(archive(raw(0x80, 4, 0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '.')), /runs past the end/);
  refuses(archive(raw(0x80, 4, 0x8e, 0, 0, 0, 0, 0, 1, 0, 0, '.')), /runs past the end/);
  refuses(archive(raw(0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0x7f, '.')), /an integer of/);
  refuses(archive(raw(0x80, 2, 0x95, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, '.')), /runs past the end/);
  // a storage that claims 2^40 elements
  refuses(archive(tensorPickle(2 ** 40, [4], [1]), [{ name: 'checkpoint/data/0', data: floats(4) }]), /holds only 16 bytes/);
});

test('refuses a storage shorter than its tensor, and tensors reaching past their storage', () => {
  refuses(archive(tensorPickle(6, [4], [1]), [{ name: 'checkpoint/data/0', data: floats(2) }]), /declares 6 F32 elements \(24 bytes\) but its member holds only 8 bytes/);
  refuses(archive(tensorPickle(4, [10], [1]), [{ name: 'checkpoint/data/0', data: floats(4) }]), /more elements than its storage/);
  refuses(archive(tensorPickle(4, [2, 2], [4, 1]), [{ name: 'checkpoint/data/0', data: floats(4) }]), /reaching element 5 of storage '0', which has 4/);
  refuses(archive(tensorPickle(4, [4], [1], 1), [{ name: 'checkpoint/data/0', data: floats(4) }]), /reaching element 4/);
  refuses(archive(tensorPickle(4, [4], [1])), /has no member checkpoint\/data\/0/);
});

test('refuses truncated and bit-flipped archives', () => {
  const good = concat(serializeTorchCheckpoint(sample()));
  assert.ok(parseTorchCheckpoint(good, 'ok.pt').tensors.size === 7);
  for (const cut of [1, 10, 100, 500, good.length - 23, good.length - 1]) {
    assert.throws(() => parseTorchCheckpoint(good.subarray(0, good.length - cut), 'cut.pt'), (e: unknown) => e instanceof UserError && /^cut\.pt: /.test(e.message), `cut ${cut}`);
  }
  // a flipped bit inside a storage fails its CRC-32
  const flipped = good.slice();
  const at = Buffer.from(flipped).indexOf(Buffer.from(new Uint8Array(Float32Array.of(3.5).buffer)));
  assert.ok(at > 0);
  flipped[at] ^= 0x10;
  refuses(flipped, /fails its CRC-32 check/);
});

test('refuses zip records whose declared sizes or offsets the file cannot hold', () => {
  const good = concat(serializeTorchCheckpoint(sample()));
  const dv = new DataView(good.buffer);
  const eocd = good.length - 22;
  const cd = dv.getUint32(eocd + 16, true);
  const patched = (at: number, v: number): Uint8Array => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(at, v, true);
    return b;
  };
  // the first member's sizes in the central directory: 2 GiB stored bytes
  refuses(patched(cd + 20, 0x7fffffff), /has size \d+ but 2147483647 stored bytes|runs past the data/);
  refuses(patched(cd + 24, 0x7fffffff), /has size 2147483647 but/);
  // its local-header offset far beyond the file, and a central directory beyond its end record
  refuses(patched(cd + 42, 0x7ffffff0), /no local header at 2147483632/);
  refuses(patched(eocd + 16, 0x7ffffff0), /central directory .* runs past its end record/);
  refuses(patched(eocd + 12, 0x7ffffff0), /runs past its end record/);
  const many = good.slice();
  new DataView(many.buffer).setUint16(eocd + 10, 0xfffe, true);
  refuses(many, /entries cannot fit/);
});

test('refuses member names that escape the archive folder, and members outside it', () => {
  const good = concat(serializeTorchCheckpoint(sample()));
  const name = 'checkpoint/data/1';
  const evil = '../../../../etc/x';
  assert.equal(evil.length, name.length);
  const b = Buffer.from(good);
  let i = b.indexOf(name);
  while (i >= 0) {
    b.write(evil, i, 'latin1');
    i = b.indexOf(name, i + 1);
  }
  refuses(b, /entry name '\.\.\/\.\.\/\.\.\/\.\.\/etc\/x' escapes the archive's folder/);
  refuses(concat(writeZip([{ name: 'checkpoint/data.pkl', data: tensorPickle(1, [1], [1]) }, { name: 'other/data/0', data: floats(1) }])), /'other\/data\/0' lies outside the archive's folder/);
  refuses(concat(writeZip([{ name: 'a/data.pkl', data: tensorPickle(1, [1], [1]) }, { name: 'b/data.pkl', data: tensorPickle(1, [1], [1]) }])), /expected one '<name>\/data\.pkl'/);
});

test('a legacy (non-zip) torch file gets the re-save message; other files a clear one', () => {
  const legacy = raw(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.');
  refuses(legacy, /legacy \(non-zip\) PyTorch file is not supported.*_use_new_zipfile_serialization=True/);
  refuses(new TextEncoder().encode('hello'), /not a PyTorch checkpoint/);
  refuses(new Uint8Array(0), /not a PyTorch checkpoint/);
  // a state dict holding something other than tensors
  refuses(archive(raw(0x80, 2, '}', 'X', 1, 0, 0, 0, 'a', 'K', 5, 's', '.')), /entry 'a' is not a tensor/);
  refuses(archive(raw(0x80, 2, ']', '.')), /no dict of tensors/);
});

test('fuzz: thousands of seeded mutations end in success or a UserError (no crash, no hang, no stack trace)', () => {
  const rng = new Rng(1234);
  const src = sample();
  const good = concat(serializeTorchCheckpoint(src));
  const pkl = parseFirstMember(good);
  const storages = [...src.values()].map((t, k) => ({ name: `checkpoint/data/${k}`, data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) }));
  // the reference fixture's own pickle (memo puts and gets, protocol 2 as torch writes it), when present
  const fx = checkpointFixtures()[0];
  let fxPkl: Uint8Array | null = null;
  let fxMembers: { name: string; data: Uint8Array }[] = [];
  if (fx) {
    const z = readZip(readFileSync(join(fx, 'checkpoint')), 'fixture');
    const names = [...z.entries.keys()];
    fxPkl = z.read(names.find((n) => n.endsWith('/data.pkl'))!);
    fxMembers = names.filter((n) => !n.endsWith('/data.pkl')).map((n) => ({ name: n.replace(/^[^/]+\//, 'checkpoint/'), data: z.read(n) }));
  }
  const t0 = Date.now();
  const counts = { ok: 0, refused: 0 };
  const mutate = (b: Uint8Array): Uint8Array => {
    let out: Uint8Array = b.slice();
    const kind = rng.intRange(0, 5);
    const n = rng.intRange(1, 8);
    for (let k = 0; k < n && out.length > 0; k++) {
      const at = rng.intRange(0, out.length - 1);
      if (kind === 0) out[at] ^= 1 << rng.intRange(0, 7);
      else if (kind === 1) out[at] = rng.intRange(0, 255);
      else if (kind === 2) out = out.subarray(0, at).slice();
      else if (kind === 3) out = concat([out.subarray(0, at), Uint8Array.of(rng.intRange(0, 255)), out.subarray(at)]);
      else if (kind === 4) out = concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + rng.intRange(1, 16)))]);
      else out[at] = [0xff, 0x00, 0x7f, 0x80][rng.intRange(0, 3)];
    }
    return out;
  };
  for (let i = 0; i < 6000; i++) {
    // half the time the archive's bytes; half the time the pickle inside a valid archive (so the
    // unpickler, not the CRC check, meets the damage)
    const bytes =
      i % 2 === 0 ? mutate(good) : i % 4 === 3 && fxPkl ? concat(writeZip([{ name: 'checkpoint/data.pkl', data: mutate(fxPkl) }, ...fxMembers])) : archive(mutate(pkl), storages);
    try {
      parseTorchCheckpoint(bytes, 'fuzz.pt');
      counts.ok++;
    } catch (e) {
      if (!(e instanceof UserError)) assert.fail(`mutation ${i}: ${(e as Error).stack}`);
      assert.ok(e.message.startsWith('fuzz.pt') && !e.message.includes('\n    at '), e.message);
      counts.refused++;
    }
  }
  const ms = Date.now() - t0;
  console.log(`fuzz: 6000 mutations in ${ms} ms: ${counts.ok} parsed, ${counts.refused} refused with a UserError`);
  assert.ok(counts.refused > 3000 && counts.ok > 0);
});

function parseFirstMember(zip: Uint8Array): Uint8Array {
  // the data.pkl member is first: its local header is at 0
  const dv = new DataView(zip.buffer, zip.byteOffset);
  const size = dv.getUint32(18, true);
  const start = 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
  return zip.slice(start, start + size);
}

const hasTorch = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

test('torch.load(weights_only=True) reads our file', { skip: hasTorch ? false : 'python3 cannot import torch' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-torch-'));
  try {
    const path = join(dir, 'checkpoint');
    writeTorchCheckpoint(path, sample());
    const py = `import torch, json, sys
sd = torch.load(sys.argv[1], weights_only=True)
print(json.dumps({k: [str(v.dtype), list(v.shape), v.float().flatten().tolist()] for k, v in sd.items()}))`;
    const r = spawnSync('python3', ['-c', py, path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as Record<string, [string, number[], number[]]>;
    assert.deepEqual(got['w'][0], 'torch.float32');
    assert.deepEqual(got['w'][2].slice(0, 3), [1, -2, 3.5]);
    assert.deepEqual(got['_orig_mod.model.inner.H_init'], ['torch.bfloat16', [4], [1, -1, 2, 0]]);
    assert.deepEqual(got['l'][0], 'torch.int64');
    assert.deepEqual(got['b'], ['torch.bool', [2], [1, 0]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
