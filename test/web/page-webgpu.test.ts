/**
 * The page on WebGPU: headless Chromium with WebGPU enabled (`--enable-unsafe-webgpu`; its adapter on
 * these machines is SwiftShader, Vulkan on the CPU, which Debian's chromium ships), the page served by
 * `hrm serve` from 127.0.0.1 (a secure context, cross-origin isolated so that the engine's Worker and
 * the GPU thread share memory). The status line must name WebGPU and the adapter, and the bundled
 * model's answer and per-segment predictions must be the CLI's (`hrm solve --json --trace`, native);
 * the Q values agree within float32 summation order (the kernels differ).
 * Under CI (CI set) a missing chromium or a page that falls back to WebAssembly fails the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../fixtures.js';

const ROOT = repoRoot();
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const CHROMIUM = process.env.HRM_CHROMIUM ?? '/usr/bin/chromium';
const BUNDLED = join(ROOT, 'models', 'sudoku.safetensors');
const PUZZLE = '..28.5.4...8....5....93.....7.48..............5.1.32...9.57..83..734.16.4..69.5..';
const FLAGS = ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader',
  '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function startServer(): Promise<{ url: string; proc: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { env: { ...process.env, HRM_THREADS: '1' } });
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /hrm serve: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ url: m[1], proc });
    });
    proc.on('close', (code) => reject(new Error(`hrm serve exited ${code}: ${err}`)));
  });
}

test('web page on WebGPU: the status line names the adapter, the bundled model answers as the CLI', { timeout: 900_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) assert.fail(`${CHROMIUM} is missing (CI installs it: apt-get install -y chromium)`);
    t.skip(`no ${CHROMIUM} (apt-get install -y chromium)`);
    return;
  }
  if (!existsSync(BUNDLED)) return t.skip('no bundled Sudoku model');
  const cli = spawnSync(process.execPath, [CLI, 'solve', 'sudoku', PUZZLE, '--json', '--trace'], { encoding: 'utf8', env: { ...process.env, HRM_BACKEND: 'native' } });
  assert.equal(cli.status, 0, cli.stderr);
  const want = JSON.parse(cli.stdout.trim().split('\n')[0]) as { answer: string; segments: number; trace: { preds: number[]; q_halt: number }[] };
  const { chromium } = await import('playwright-core');
  const tmp = mkdtempSync(join(tmpdir(), 'hrm-webgpu-'));
  let server: ChildProcess | null = null;
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | null = null;
  try {
    const s = await startServer();
    server = s.proc;
    context = await chromium.launchPersistentContext(join(tmp, 'profile'), { executablePath: CHROMIUM, headless: true, args: FLAGS });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${s.url}?sudoku=${PUZZLE}&solve=1`);
    await page.waitForSelector('body[data-ready]', { timeout: 120_000 });
    const engine = (await page.getByTestId('engine').textContent()) ?? '';
    assert.match(engine, /^engine: WebGPU on .+ in a Worker/, `the page runs on WebGPU (status line: ${engine})`);
    await page.waitForFunction(() => document.getElementById('answer')!.textContent !== '' || !document.getElementById('error')!.hidden, null, { timeout: 800_000 });
    assert.equal(((await page.getByTestId('error').textContent()) ?? '').trim(), '', 'no error');
    assert.equal(((await page.getByTestId('answer').textContent()) ?? '').trim(), want.answer, "the page's answer is the CLI's");
    const trace = JSON.parse((await page.getByTestId('trace').textContent()) ?? '{}') as { segments: { preds: number[]; q_halt: number }[] };
    assert.equal(trace.segments.length, want.segments);
    want.trace.forEach((seg, k) => {
      assert.deepEqual(trace.segments[k].preds, seg.preds, `segment ${k + 1}: the CLI's predictions`);
      assert.ok(Math.abs(trace.segments[k].q_halt - seg.q_halt) <= 1e-3 * Math.max(1, Math.abs(seg.q_halt)), `segment ${k + 1}: q_halt ${trace.segments[k].q_halt} vs ${seg.q_halt}`);
    });
    assert.deepEqual(errors, []);
    console.log(`# ${engine}`);
  } finally {
    await context?.close();
    server?.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
});
