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
import { parseTorchCheckpoint } from '../../src/io/torch-checkpoint.js';
import { UserError } from '../../src/util/errors.js';
import { repoRoot } from '../fixtures.js';
import { hostileCheckpoint } from './hostile-zip.js';

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
