import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  parseSafetensors,
  readSafetensors,
  readSafetensorsMetadata,
  serializeSafetensors,
  toFloat32,
  toInt32,
  writeSafetensors,
} from '../../src/io/safetensors.js';
import { UserError } from '../../src/util/errors.js';
import { fixtureFiles, skipMessage } from '../nn/helpers.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** A file from a raw header object and data bytes. */
function rawFile(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(h.byteLength), true);
  return concat([len, h, data]);
}

test('safetensors: every dtype and the metadata round-trip through a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  try {
    const path = join(dir, 'a.safetensors');
    const tensors = {
      f32: { shape: [2, 3], data: new Float32Array([1, -2.5, 3, 4, 5, 6e-8]) },
      f64: { shape: [2], data: new Float64Array([Math.PI, -1e300]) },
      i32: { shape: [3], data: new Int32Array([-100, 0, 2147483647]) },
      i64: { shape: [2], data: new BigInt64Array([-5n, 1n << 40n]) },
      u8: { shape: [3], data: new Uint8Array([0, 7, 255]) },
      bool: { shape: [2], data: new Uint8Array([1, 0]), dtype: 'BOOL' as const },
      bf16: { shape: [2], data: new Uint16Array([0x3f80, 0xc040]), dtype: 'BF16' as const }, // 1, -3
      f16: { shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x0001]), dtype: 'F16' as const }, // 1, -2, 2^-24
      scalar: { shape: [], data: new Float32Array([42]) },
      empty: { shape: [0, 4], data: new Float32Array(0) },
    };
    writeSafetensors(path, tensors, { info: 'hello', n: '3' });
    assert.deepEqual(readdirSync(dir), ['a.safetensors'], 'no temporary file is left behind');
    const bytes = readFileSync(path);
    const hlen = Number(bytes.readBigUInt64LE(0));
    assert.equal((8 + hlen) % 8, 0, 'data starts 8-byte aligned');
    const f = readSafetensors(path);
    assert.deepEqual(f.metadata, { info: 'hello', n: '3' });
    assert.deepEqual([...f.tensors.keys()], Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      const r = f.tensors.get(name)!;
      assert.deepEqual(r.shape, t.shape, name);
      assert.deepEqual([...r.data], [...t.data], name);
    }
    assert.equal(f.tensors.get('bool')!.dtype, 'BOOL');
    assert.deepEqual([...toFloat32(f.tensors.get('bf16')!)], [1, -3]);
    assert.deepEqual([...toFloat32(f.tensors.get('f16')!)], [1, -2, 2 ** -24]);
    assert.deepEqual([...toInt32({ dtype: 'I64', shape: [2], data: new BigInt64Array([-5n, 7n]) })], [-5, 7]);
    assert.throws(() => toInt32(f.tensors.get('i64')!, path, 'i64'), /does not fit int32/);
    assert.throws(() => toInt32(f.tensors.get('f32')!, path, 'f32'), UserError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('safetensors: bad files throw UserError naming the file and the problem', () => {
  const ok = serializeSafetensors({ x: { shape: [2], data: new Float32Array([1, 2]) } });
  const good = concat(ok);
  assert.equal(parseSafetensors(good, 'g.st').tensors.get('x')!.data[1], 2);
  const cases: [string, Uint8Array, RegExp][] = [
    ['short', new Uint8Array(5), /at least 8/],
    ['huge header', (() => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, 1n << 40n, true); return b; })(), /header length/],
    ['past end', (() => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, BigInt(good.byteLength), true); return b; })(), /past the end/],
    ['json', rawFile('{"x": '), /not valid JSON/],
    ['array header', rawFile([1, 2]), /not a JSON object/],
    ['dtype', rawFile({ x: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /unsupported dtype "F8"/],
    ['shape', rawFile({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /bad shape/],
    ['offsets', rawFile({ x: { dtype: 'F32', shape: [1], data_offsets: [0] } }, new Uint8Array(4)), /bad data_offsets/],
    ['size', rawFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(8)), /needs 8 bytes/],
    ['range', rawFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), /run past the data/],
    [
      'overlap',
      rawFile(
        { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } },
        new Uint8Array(8),
      ),
      /overlap/,
    ],
    ['metadata', rawFile({ __metadata__: { a: 1 } }), /__metadata__\.a is not a string/],
  ];
  for (const [what, bytes, re] of cases) {
    assert.throws(
      () => parseSafetensors(bytes, 'bad.safetensors'),
      (e: unknown) => e instanceof UserError && /^bad\.safetensors: /.test(e.message) && re.test(e.message),
      what,
    );
  }
  assert.throws(() => readSafetensors('/nonexistent/x.safetensors'), (e: unknown) => e instanceof UserError && /x\.safetensors/.test((e as Error).message));
});

test('safetensors: a truncated file on disk is rejected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  try {
    const path = join(dir, 'cut.safetensors');
    const full = concat(serializeSafetensors({ x: { shape: [4], data: new Float32Array(4) } }));
    writeFileSync(path, full.subarray(0, full.byteLength - 3));
    assert.throws(() => readSafetensors(path), (e: unknown) => e instanceof UserError && e.message.includes(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('safetensors: reads the reference fixture', (t) => {
  const [path] = fixtureFiles('layers');
  if (!path) return t.skip(skipMessage('layers'));
  const f = readSafetensors(path);
  const x = f.tensors.get('block/x')!;
  assert.equal(x.dtype, 'F32');
  assert.equal(x.data.length, x.shape.reduce((a, b) => a * b, 1));
  assert.equal(f.tensors.get('loss/labels')!.dtype, 'I32');
  assert.equal(f.tensors.get('loss/stablemax/value')!.dtype, 'F64');
  assert.ok(typeof f.metadata.info === 'string');
  // Writing what we read gives a file that reads back identically.
  const bytes = concat(serializeSafetensors(f.tensors, f.metadata));
  const g = parseSafetensors(bytes, 'copy');
  for (const [name, tt] of f.tensors) assert.deepEqual([...g.tensors.get(name)!.data], [...tt.data], name);
});

test('readSafetensorsMetadata reads only the header: the metadata of a file whose tensor bytes are cut off, and one-line errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-st-meta-'));
  try {
    const p = join(dir, 'm.safetensors');
    writeSafetensors(p, { w: { shape: [1000], data: new Float32Array(1000) } }, { a: '1', b: 'two' });
    assert.deepEqual(readSafetensorsMetadata(p), readSafetensors(p).metadata);
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 100));
    assert.deepEqual(readSafetensorsMetadata(p), { a: '1', b: 'two' });
    assert.throws(() => readSafetensors(p), UserError);
    writeFileSync(p, bytes.subarray(0, 5));
    assert.throws(() => readSafetensorsMetadata(p), /m\.safetensors: not a valid safetensors file: only 5 bytes/);
    assert.throws(() => readSafetensorsMetadata(join(dir, 'missing.safetensors')), /missing\.safetensors: cannot read safetensors file \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
