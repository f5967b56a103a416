import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NpyRowReader, NpyStreamWriter, npyBytes, npyHeaderBytes, readNpy, readNpyHeader, writeNpy } from '../../src/io/npy.js';
import { UserError } from '../../src/util/errors.js';
import { withTempDir } from '../data/helpers.js';

/** Builds a .npy file by hand (any version, any descr) to test the reader against other writers. */
function handMade(version: 1 | 2 | 3, descr: string, shape: string, data: Uint8Array, fortran = false): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
  const lenBytes = version === 1 ? 2 : 4;
  const pre = 8 + lenBytes;
  const pad = (16 - ((pre + dict.length + 1) % 16)) % 16; // older NumPy aligned to 16
  const header = dict + ' '.repeat(pad) + '\n';
  const out = Buffer.alloc(pre + header.length + data.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(out, 0);
  if (version === 1) out.writeUInt16LE(header.length, 8);
  else out.writeUInt32LE(header.length, 8);
  out.write(header, pre, version === 3 ? 'utf8' : 'latin1');
  Buffer.from(data).copy(out, pre + header.length);
  return out;
}

test('header bytes are what NumPy >= 1.24 writes (64-byte aligned, growth padding)', () => {
  const h = npyHeaderBytes('u1', [1000, 81]);
  assert.equal(h.length % 64, 0);
  const text = Buffer.from(h.subarray(10)).toString('latin1');
  assert.equal(text, "{'descr': '|u1', 'fortran_order': False, 'shape': (1000, 81), }" + ' '.repeat(54) + '\n');
  const h1 = Buffer.from(npyHeaderBytes('i4', [1001]).subarray(10)).toString('latin1');
  assert.ok(h1.startsWith("{'descr': '<i4', 'fortran_order': False, 'shape': (1001,), }"));
  assert.equal(h1.length + 10, 128);
});

test('write then read round-trips every dtype', async () => {
  await withTempDir((d) => {
    const cases = [
      Uint8Array.of(0, 1, 255), Int8Array.of(-128, 0, 127), Uint16Array.of(0, 65535, 7), Int16Array.of(-32768, 5, 32767),
      Uint32Array.of(0, 4294967295, 3), Int32Array.of(-2147483648, 0, 2147483647), Float32Array.of(1.5, -0, Infinity),
      Float64Array.of(Math.PI, -1e300, 5e-324), BigInt64Array.of(-(2n ** 63n), 0n, 2n ** 62n), BigUint64Array.of(0n, 2n ** 64n - 1n, 9n),
    ];
    for (const [i, a] of cases.entries()) {
      const p = join(d, `a${i}.npy`);
      writeNpy(p, a, [3]);
      const r = readNpy(p);
      assert.deepEqual(r.shape, [3]);
      assert.deepEqual(Array.from(r.data as ArrayLike<unknown>), Array.from(a as ArrayLike<unknown>), `dtype ${r.dtype}`);
      assert.equal(r.data.constructor, a.constructor);
    }
    const m = new Int32Array(12).map((_, i) => i * 3 - 7);
    writeNpy(join(d, 'm.npy'), m, [3, 4]);
    const r = readNpy(join(d, 'm.npy'));
    assert.deepEqual(r.shape, [3, 4]);
    assert.deepEqual(Array.from(r.data as Int32Array), Array.from(m));
  });
});

test('reads versions 2 and 3, big-endian data, unaligned headers and Fortran order', async () => {
  await withTempDir((d) => {
    const be = Buffer.alloc(12);
    [1, -2, 70000].forEach((v, i) => be.writeInt32BE(v, i * 4));
    writeFileSync(join(d, 'be.npy'), handMade(2, '>i4', '(3,)', be));
    assert.deepEqual(Array.from(readNpy(join(d, 'be.npy')).data as Int32Array), [1, -2, 70000]);

    const f8 = Buffer.alloc(16);
    f8.writeDoubleBE(2.5, 0);
    f8.writeDoubleBE(-1e-9, 8);
    writeFileSync(join(d, 'f8.npy'), handMade(3, '>f8', '(2,)', f8));
    const r = readNpy(join(d, 'f8.npy'));
    assert.equal(r.dtype, 'f8');
    assert.deepEqual(Array.from(r.data as Float64Array), [2.5, -1e-9]);

    // A 16-byte-aligned v1 header whose data offset is not a multiple of 8.
    const le = Buffer.alloc(16);
    le.writeBigInt64LE(-5n, 0);
    le.writeBigInt64LE(123456789012n, 8);
    writeFileSync(join(d, 'i8.npy'), handMade(1, '<i8', '(2,)', le));
    assert.deepEqual(Array.from(readNpy(join(d, 'i8.npy')).data as BigInt64Array), [-5n, 123456789012n]);

    // Fortran order: the 2x3 matrix [[0,1,2],[3,4,5]] is stored column by column.
    writeFileSync(join(d, 'f.npy'), handMade(1, '|u1', '(2, 3)', Uint8Array.of(0, 3, 1, 4, 2, 5), true));
    assert.deepEqual(Array.from(readNpy(join(d, 'f.npy')).data as Uint8Array), [0, 1, 2, 3, 4, 5]);

    writeFileSync(join(d, 'bool.npy'), handMade(1, '|b1', '(2,)', Uint8Array.of(1, 0)));
    assert.equal(readNpy(join(d, 'bool.npy')).dtype, 'b1');
    assert.equal(readNpyHeader(join(d, 'bool.npy')).version, 1);
  });
});

test('bad files raise UserError naming the file and the problem', async () => {
  await withTempDir((d) => {
    const p = join(d, 'x.npy');
    writeFileSync(p, 'hello world, not numpy');
    assert.throws(() => readNpy(p), (e: unknown) => e instanceof UserError && /x\.npy.*magic/.test(e.message));
    writeFileSync(p, handMade(1, '<c16', '(1,)', new Uint8Array(16)));
    assert.throws(() => readNpy(p), (e: unknown) => e instanceof UserError && /unsupported dtype '<c16'/.test(e.message));
    writeFileSync(p, handMade(1, '<i4', '(10,)', new Uint8Array(8)));
    assert.throws(() => readNpy(p), (e: unknown) => e instanceof UserError && /truncated/.test(e.message));
    writeFileSync(p, handMade(1, "[('a', '<i4')]", '(1,)', new Uint8Array(4)).toString('latin1').replace("'descr': '[(", "'descr': [('"));
    assert.throws(() => readNpy(p), UserError);
    assert.throws(() => readNpy(join(d, 'missing.npy')), (e: unknown) => e instanceof UserError && /no such file/.test(e.message));
  });
});

test('stream writer and row reader agree with whole-array I/O', async () => {
  await withTempDir((d) => {
    const rows = 37;
    const len = 900;
    const all = new Uint8Array(rows * len).map((_, i) => (i * 7) % 13);
    const p = join(d, 's.npy');
    const w = new NpyStreamWriter(p, 'u1', [rows, len]);
    for (let r = 0; r < rows; r++) w.append(all.subarray(r * len, (r + 1) * len));
    w.close();
    assert.deepEqual(readFileSync(p), Buffer.from(npyBytes(all, [rows, len])));
    const rr = new NpyRowReader(p);
    const buf = new Uint8Array(len);
    rr.readRowBytes(20, buf);
    assert.deepEqual(buf, all.subarray(20 * len, 21 * len));
    rr.close();
    // An incomplete stream never appears under its name.
    const w2 = new NpyStreamWriter(join(d, 'short.npy'), 'u1', [2, 3]);
    w2.append(Uint8Array.of(1, 2, 3));
    assert.throws(() => w2.close(), /wrote 3 of 6 bytes/);
    assert.throws(() => readNpyHeader(join(d, 'short.npy')), UserError);
  });
});
