/**
 * torch.save files built to exhaust memory: a few kilobytes whose state dict names one large deflated
 * storage hundreds of times. The reader decompresses each storage once, gives keys that name the same
 * view one shared copy, refuses distinct views that would expand past twice what the storages hold, and
 * refuses storages whose declared size is not their member's. The full-size file of the sweep (66 KB,
 * 200 keys, one 64 MB storage) is read in a child process whose peak memory is checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { PickleWriter } from '../../src/io/pickle.js';
import { parseTorchCheckpoint } from '../../src/io/torch-checkpoint.js';
import { crc32 } from '../../src/io/zip.js';
import { UserError } from '../../src/util/errors.js';
import { repoRoot } from '../fixtures.js';

/** A zip archive whose members are deflated (torch writes stored ones; a hostile file need not). */
export function deflatedZip(members: { name: string; data: Uint8Array }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let off = 0;
  for (const m of members) {
    const name = Buffer.from(m.name);
    const comp = deflateRawSync(m.data, { level: 9 });
    const crc = crc32(m.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(m.data.byteLength, 22);
    lh.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(comp.length, 20);
    cd.writeUInt32LE(m.data.byteLength, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(off, 42);
    locals.push(lh, name, comp);
    central.push(cd, name);
    off += 30 + name.length + comp.length;
  }
  const cdSize = central.reduce((s, b) => s + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, ...central, end]);
}

/**
 * A state dict of `keys` float tensors over one storage '0' of `numel` elements: key i views
 * elements [offset(i), offset(i) + size) (`numel` zeros, deflated).
 */
export function hostileCheckpoint(keys: number, numel: number, size: number, offset: (i: number) => number, memberBytes = numel * 4): Buffer {
  const w = new PickleWriter().proto();
  w.global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (let i = 0; i < keys; i++) {
    w.str(`model.inner.w${i}`).global('torch._utils', '_rebuild_tensor_v2').mark();
    w.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(numel).tupleFromMark().binpersid();
    w.int(offset(i)).tuple([size]).tuple([1]).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tupleFromMark().reduce();
  }
  w.setitems();
  return deflatedZip([
    { name: 'checkpoint/data.pkl', data: w.stop() },
    { name: 'checkpoint/data/0', data: new Uint8Array(memberBytes) },
    { name: 'checkpoint/version', data: new TextEncoder().encode('3\n') },
  ]);
}

test('keys naming one view of one storage share a single copy of it', () => {
  const numel = 1 << 18; // 1 MiB
  const c = parseTorchCheckpoint(hostileCheckpoint(200, numel, numel, () => 0), 'evil.pt');
  assert.equal(c.tensors.size, 200);
  const buffers = new Set([...c.tensors.values()].map((t) => t.data.buffer));
  assert.equal(buffers.size, 1, 'the 200 keys must share one materialized copy');
});

test('distinct overlapping views may not expand past twice what their storages hold', () => {
  const numel = 1 << 18;
  // 200 views each one element further along: 200x the storage, were each copied
  assert.throws(
    () => parseTorchCheckpoint(hostileCheckpoint(200, numel, numel - 200, (i) => i), 'evil.pt'),
    (e: unknown) => e instanceof UserError && /^evil\.pt \(checkpoint\/data\.pkl\): .*expand to more than 2x/.test(e.message) && !e.message.includes('\n'),
  );
  // two views that overlap almost wholly (under 2x) are still read
  const c = parseTorchCheckpoint(hostileCheckpoint(2, 64, 63, (i) => i), 'ok.pt');
  assert.equal(c.tensors.size, 2);
});

test('a storage member larger than its declared size is refused', () => {
  assert.throws(
    () => parseTorchCheckpoint(hostileCheckpoint(1, 16, 16, () => 0, 1 << 20), 'evil.pt'),
    (e: unknown) => e instanceof UserError && /declares 16 F32 elements \(64 bytes\) but its member holds 1048576 bytes/.test(e.message),
  );
});

test("the sweep's 66 KB file of 200 keys over one 64 MB deflated storage stays within a few hundred MB", () => {
  const dir = mkdtempSync(join(tmpdir(), 'hrm-hostile-'));
  try {
    const file = join(dir, 'checkpoint');
    const numel = 16 << 20; // 64 MiB of float32
    const bytes = hostileCheckpoint(200, numel, numel, () => 0);
    assert.ok(bytes.length < 100_000, `the hostile file is ${bytes.length} bytes`);
    writeFileSync(file, bytes);
    const mod = join(repoRoot(), 'dist', 'src', 'io', 'torch-checkpoint.js');
    const script = `import(${JSON.stringify(mod)}).then((m) => { const c = m.readTorchCheckpoint(${JSON.stringify(file)}); console.log(JSON.stringify({ n: c.tensors.size, rss: process.resourceUsage().maxRSS })); });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { n: number; rss: number };
    assert.equal(out.n, 200);
    // before: every key copied the storage (200 x 64 MiB); now the storage once and one shared copy
    assert.ok(out.rss < 512 * 1024, `peak RSS ${(out.rss / 1024).toFixed(0)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
