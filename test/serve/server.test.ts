/**
 * hrm serve's HTTP side without a browser: only the page's files, the kernels and the listed models are
 * served (by key, never by a client's path), a Host naming another machine is refused, only GET/HEAD,
 * the page gets a CSP allowing nothing but this server, and a bad model entry is skipped with a line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverModels } from '../../src/serve/models.js';
import { createHrmServer } from '../../src/serve/server.js';
import { repoRoot } from '../fixtures.js';
import { checkpointFixtures } from '../solve/helpers.js';

function get(port: number, path: string, opts: { method?: string; host?: string } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: opts.host ?? `127.0.0.1:${port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('hrm serve: routes, Host check, methods, CSP, model files by key', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hrm-serve-'));
  try {
    const web = join(tmp, 'web');
    mkdirSync(web);
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(web, 'app.js'), 'console.log(1)');
    const wasm = join(repoRoot(), 'wasm', 'hrm_kernels.wasm');
    const models = join(tmp, 'models');
    mkdirSync(join(models, 'not-a-model'), { recursive: true });
    const warnings: string[] = [];
    const fixtures = checkpointFixtures();
    const served = discoverModels(models, fixtures.slice(0, 1), (l) => warnings.push(l));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /skipping .*not-a-model: .*no all_config\.yaml/);
    assert.equal(served.length, fixtures.length > 0 ? 1 : 0);
    const server = createHrmServer({ webDir: web, wasmFile: wasm, models: served });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const home = await get(port, '/');
      assert.equal(home.status, 200);
      assert.match(String(home.headers['content-security-policy']), /default-src 'self'/);
      assert.equal(String(home.headers['content-type']), 'text/html; charset=utf-8');
      const w = await get(port, '/hrm_kernels.wasm');
      assert.equal(w.headers['content-type'], 'application/wasm');
      assert.deepEqual(w.body, readFileSync(wasm));
      assert.equal((await get(port, '/app.js', { method: 'HEAD' })).status, 200);
      for (const p of ['/../package.json', '/%2e%2e/package.json', '/models/../all_config.yaml', '/etc/passwd', '/worker.js']) {
        assert.equal((await get(port, p)).status, 404, p); // worker.js: listed but not built in this folder
      }
      assert.equal((await get(port, '/', { host: 'evil.example:80' })).status, 403, 'DNS rebinding: a foreign Host');
      assert.equal((await get(port, '/', { method: 'POST' })).status, 405);
      const list = JSON.parse((await get(port, '/api/models')).body.toString()) as { models: { key: string; task: string; files: { path: string; url: string; bytes: number }[] }[] };
      assert.equal(list.models.length, served.length);
      for (const m of list.models) {
        assert.deepEqual(m.files.map((f) => f.path).sort(), ['all_config.yaml', 'checkpoint']);
        for (const f of m.files) {
          const r = await get(port, `/${f.url}`);
          assert.equal(r.status, 200, f.url);
          assert.deepEqual(r.body, readFileSync(join(fixtures[0], f.path)));
        }
      }
    } finally {
      server.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('hrm serve: bad flags and a missing --model are one line each', () => {
  const cli = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  for (const [args, want] of [
    [['--port', 'abc'], /--port needs an integer in 0\.\.65535, got 'abc'/],
    [['--model', '/nonexistent/run'], /--model \/nonexistent\/run: no such run folder/],
    [['--frobnicate'], /unknown argument '--frobnicate'/],
  ] as const) {
    const r = spawnSync(process.execPath, [cli, 'serve', ...args], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
