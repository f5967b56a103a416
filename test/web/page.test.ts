/**
 * The web page end to end in a real headless Chromium (Debian's chromium, driven by playwright-core; no
 * browser download): `hrm serve` on an ephemeral 127.0.0.1 port with the reference checkpoint fixtures
 * (HRM_CHECKPOINT_FIXTURES_DIR), the bundled Sudoku model (models/sudoku.safetensors, what the page
 * opens with) and two tiny models trained here for a second (a Sudoku and a 30x30 maze run); the page
 * solves in its Worker on the WebAssembly backend and every answer, segment count and per-segment
 * prediction and Q value must equal `HRM_BACKEND=wasm hrm solve --json --trace` for the same model and
 * puzzle, bit for bit. The bundled model's answer must be a valid solution that keeps the clues (the
 * tiny models' validity is only printed: they are untrained). Also: stepping through segments, each
 * view showing only its own answer when switching tabs, bad inputs, a dataset folder through the file
 * picker (Sudoku with augmentations, Maze, ARC), a run's metrics.jsonl, model files given on the page,
 * and that nothing is requested outside the server. Screenshots go to test-output/web/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../fixtures.js';
import { checkpointFixtures } from '../solve/helpers.js';

const ROOT = repoRoot();
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const CHROMIUM = process.env.HRM_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'web');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const TINY = ['arch.hidden_size=32', 'arch.num_heads=2', 'arch.expansion=2', 'arch.H_layers=1', 'arch.L_layers=1', 'arch.H_cycles=1',
  'arch.L_cycles=1', 'arch.halt_max_steps=2', 'lr=1e-3', 'puzzle_emb_lr=1e-2', 'lr_warmup_steps=2', 'eval_interval=1'];
/** a generated puzzle (web/src/examples.ts, medium) */
const PUZZLE = '..28.5.4...8....5....93.....7.48..............5.1.32...9.57..83..734.16.4..69.5..';

/** Runs `hrm <args>`; resolves with stdout, rejects with stderr on a non-zero exit. */
function hrm(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, HRM_THREADS: '1', ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`hrm ${args.slice(0, 2).join(' ')} exited ${code}: ${err}`))));
  });
}

interface CliResult {
  answer: string;
  valid: boolean;
  shortest?: boolean;
  segments: number;
  q_halt: number;
  q_continue: number;
  trace: { segment: number; preds: number[]; q_halt: number; q_continue: number }[];
}

async function cliSolve(task: 'sudoku' | 'maze', puzzleArg: string, model: string, extra: string[] = []): Promise<CliResult> {
  const out = await hrm(['solve', task, puzzleArg, '--checkpoint', model, '--json', '--trace', ...extra], { HRM_BACKEND: 'wasm' });
  return JSON.parse(out.trim().split('\n')[0]) as CliResult;
}

function startServer(models: string[]): Promise<{ url: string; proc: ChildProcess; listing: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...models.flatMap((m) => ['--model', m])], { env: { ...process.env, HRM_THREADS: '1' } });
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /hrm serve: (http:\/\/127\.0\.0\.1:\d+\/)\n[^\n]*\n/.exec(out);
      if (m) resolve({ url: m[1], proc, listing: out });
    });
    proc.on('close', (code) => reject(new Error(`hrm serve exited ${code}: ${err}`)));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

test('web page: hrm serve + headless Chromium, answers bit-exact with the CLI, every view', { timeout: 180_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) assert.fail(`${CHROMIUM} is missing (CI installs it: apt-get install -y chromium)`);
    t.skip(`no ${CHROMIUM} (apt-get install -y chromium); set CI=1 to make this a failure`);
    return;
  }
  assert.ok(existsSync(join(ROOT, 'dist', 'web', 'index.html')), 'dist/web is not built (node scripts/build-web.mjs; npm ci and npm test build it)');
  const { chromium } = await import('playwright-core');
  const tStart = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), 'hrm-web-'));
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  let server: ChildProcess | null = null;
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | null = null;
  try {
    // ---- datasets and two tiny runs, built as a user builds them (in parallel) ----
    const arcSrc = join(tmp, 'arc-src', 'training');
    mkdirSync(arcSrc, { recursive: true });
    const arcTasks = join(ROOT, '..', 'shared', 'data', 'arc-agi-1', 'training');
    const haveArc = existsSync(arcTasks);
    if (haveArc) for (const f of readdirSync(arcTasks).sort().slice(0, 2)) cpSync(join(arcTasks, f), join(arcSrc, f));
    const sudokuData = join(tmp, 'sudoku-data');
    const mazeData = join(tmp, 'maze-data');
    const arcData = join(tmp, 'arc-data');
    await Promise.all([
      hrm(['data', 'sudoku', '--generate', '24', '--clues', '50-60', '--test-fraction', '0.25', '--num-aug', '2', '--output-dir', sudokuData, '--quiet']),
      hrm(['data', 'maze', '--generate', '10', '--size', '30', '--min-path', '40', '--output-dir', mazeData, '--save-csv', join(tmp, 'mazes.csv')]),
      haveArc ? hrm(['data', 'arc', '--dataset-dirs', join(tmp, 'arc-src'), '--num-aug', '2', '--output-dir', arcData, '--quiet']) : Promise.resolve(''),
    ]);
    const sudokuRun = join(tmp, 'sudoku-run');
    const mazeRun = join(tmp, 'maze-run');
    await Promise.all([
      hrm(['train', ...TINY, 'global_batch_size=8', 'epochs=2', `data_path=${sudokuData}`, `checkpoint_path=${sudokuRun}`]),
      hrm(['train', ...TINY, 'arch.hidden_size=16', 'global_batch_size=4', 'epochs=1', `data_path=${mazeData}`, `checkpoint_path=${mazeRun}`]),
    ]);
    const [header, row] = readFileSync(join(tmp, 'mazes.csv'), 'utf8').split('\n').map((l) => l.split(','));
    const maze = row[header.indexOf('question')];
    assert.equal(maze.length, 900);
    const mazeFile = join(tmp, 'maze.txt');
    writeFileSync(mazeFile, Array.from({ length: 30 }, (_, r) => maze.slice(r * 30, r * 30 + 30)).join('\n') + '\n');
    const fixtures = checkpointFixtures();
    const bundledFile = join(ROOT, 'models', 'sudoku.safetensors');
    const haveBundled = existsSync(bundledFile);
    const prepMs = Date.now() - tStart;

    // ---- what the CLI answers (wasm backend: the same kernels as the page), while the server starts ----
    const [srv, cliFixtures, cliRun, cliMaze, cliBundled, cliBundledHalt] = await Promise.all([
      startServer([...fixtures, sudokuRun, mazeRun]),
      Promise.all(fixtures.map((f) => cliSolve('sudoku', PUZZLE, f).catch(() => null))),
      cliSolve('sudoku', PUZZLE, sudokuRun),
      cliSolve('maze', mazeFile, mazeRun),
      haveBundled ? cliSolve('sudoku', PUZZLE, bundledFile) : Promise.resolve(null),
      haveBundled ? cliSolve('sudoku', PUZZLE, bundledFile, ['--halt']) : Promise.resolve(null),
    ]);
    server = srv.proc;
    const base = srv.url;
    const listing = (await (await fetch(`${base}api/models`)).json()) as { models: { key: string; task: string; name: string }[] };
    const keyOf = (name: string) => listing.models.find((m) => m.name === name)!.key;

    // ---- the browser ----
    context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 },
    });
    const foreign: string[] = [];
    context.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(base) && !u.startsWith('blob:') && !u.startsWith('data:')) foreign.push(u);
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const byId = (id: string) => page.getByTestId(id);
    const text = async (id: string) => ((await byId(id).textContent()) ?? '').trim();
    const waitDone = () =>
      page.waitForFunction(() => document.getElementById('answer')!.textContent !== '' || !document.getElementById('error')!.hidden, null, { timeout: 30_000 });
    /** waits for `fn` in the page; a timeout says what the page's error line holds */
    const until = async (fn: () => boolean, what: string) => {
      try {
        await page.waitForFunction(fn, null, { timeout: 30_000 });
      } catch (e) {
        throw new Error(`${what}: ${(e as Error).message.split('\n')[0]}; the page's error line: '${await text('error')}'`);
      }
    };
    const samePage = async (cli: CliResult, what: string) => {
      assert.equal(await text('error'), '', `${what}: no error`);
      assert.equal(await text('answer'), cli.answer, `${what}: the page's answer is the CLI's`);
      assert.equal(Number(await text('segments')), cli.segments, `${what}: segments`);
      const trace = JSON.parse(await text('trace')) as { segments: CliResult['trace'] };
      assert.equal(trace.segments.length, cli.trace.length, `${what}: trace length`);
      cli.trace.forEach((s, k) => {
        assert.deepEqual(trace.segments[k].preds, s.preds, `${what}: segment ${k + 1} predictions`);
        assert.equal(trace.segments[k].q_halt, s.q_halt, `${what}: segment ${k + 1} q_halt`);
        assert.equal(trace.segments[k].q_continue, s.q_continue, `${what}: segment ${k + 1} q_continue`);
      });
    };

    // first load: page, engine (wasm compiled in the Worker), model list
    const sudokuModels = listing.models.filter((m) => m.task === 'sudoku');
    // the page opens with the bundled model when the package has one (hrm serve lists models/ first)
    const first = sudokuModels[0];
    assert.equal(first.name === 'sudoku.safetensors', haveBundled, 'the bundled Sudoku model is listed first');
    const t0 = Date.now();
    await page.goto(`${base}?model=${first.key}`);
    await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
    const firstLoadMs = Date.now() - t0;
    await page.waitForSelector(`body[data-model="${first.key}"]`, { timeout: 30_000 });
    const modelLoadedMs = Date.now() - t0;
    assert.match(await text('engine'), /WebAssembly \(wasm-simd128\) in a Worker/);
    if (haveBundled) assert.match(await text('model-status'), /^sudoku\.safetensors: sudoku model \(trm\), hidden 64, layers 2 \(one network\), cycles H x L 3x4, 8 segments at most/);

    // ---- Sudoku: type a puzzle, solve, compare with the CLI, time it ----
    await byId('sudoku-input').fill(PUZZLE.slice(0, 80));
    const cell = page.locator('#sudoku-grid input').nth(80);
    await cell.fill('7');
    assert.equal(await byId('sudoku-input').inputValue(), PUZZLE.slice(0, 80) + '7', 'typing in the grid writes the text field');
    await cell.fill('');
    assert.equal(await byId('sudoku-input').inputValue(), PUZZLE, 'a cleared cell is a blank');
    const solveMs: number[] = [];
    const inPageMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s0 = Date.now();
      await byId('solve').click();
      await waitDone();
      solveMs.push(Date.now() - s0);
      inPageMs.push(Number(await page.evaluate(() => document.body.dataset.solveMs)));
    }
    const fixtureCli = cliBundled ?? cliFixtures[fixtures.findIndex((f) => f.endsWith(first.name))] ?? cliRun;
    await samePage(first.name === 'sudoku-run' ? cliRun : fixtureCli, `Sudoku with ${first.name}`);
    const sudokuVerdict = await text('verdict');
    assert.match(sudokuVerdict, fixtureCli.valid ? /valid solution/ : /not valid/);
    if (cliBundled) {
      assert.ok(cliBundled.valid, `the bundled model solves the medium example (${PUZZLE}): got ${cliBundled.answer}`);
      const kept = [...PUZZLE].every((c, i) => c === '.' || c === cliBundled.answer[i]);
      assert.ok(kept, 'and keeps every clue');
    }
    const pageSolveMs = Number((await text('solve-ms')).replace(/ ms$/, ''));
    // the same with "stop when the model halts": the page's answer is hrm solve --halt's
    const haltMs: number[] = [];
    if (cliBundledHalt) {
      await byId('sudoku-halt').check();
      for (let i = 0; i < 5; i++) {
        await byId('solve').click();
        await waitDone();
        haltMs.push(Number(await page.evaluate(() => document.body.dataset.solveMs)));
      }
      await samePage(cliBundledHalt, 'Sudoku with the bundled model, halting');
      await byId('sudoku-halt').uncheck();
      await byId('solve').click();
      await waitDone();
    }

    // step through the segments: the board shows each segment's prediction
    const trace = JSON.parse(await text('trace')) as { segments: { preds: number[] }[] };
    const nSeg = trace.segments.length;
    assert.equal(await text('sudoku-segment-label'), `segment ${nSeg} of ${nSeg}`);
    await byId('sudoku-segment-slider').fill('1');
    assert.equal(await text('sudoku-segment-label'), `segment 1 of ${nSeg}`);
    const boardDigits = async () => (await page.locator('#sudoku-board .cell').allTextContents()).map((s) => s || '.').join('');
    const decode = (p: number[]) => p.map((v) => (v >= 2 && v <= 10 ? String(v - 1) : '.')).join('');
    assert.equal(await boardDigits(), decode(trace.segments[0].preds), 'segment 1 on the board');
    if (nSeg > 1) {
      await byId('sudoku-next').click();
      assert.equal(await text('sudoku-segment-label'), `segment 2 of ${nSeg}`);
      assert.equal(await boardDigits(), decode(trace.segments[1].preds), 'segment 2 on the board');
    }
    assert.equal(await page.locator('[data-testid=sudoku-segment-table] tbody tr').count(), nSeg);
    // confidence shading: the probability of the chosen digit, so at least 1/vocab and at most 1
    const conf = await page.$$eval('#sudoku-board .cell', (cells) => cells.map((c) => Number((c as HTMLElement).style.getPropertyValue('--conf'))));
    assert.equal(conf.length, 81);
    assert.ok(conf.every((c) => c >= 1 / 11 - 1e-6 && c <= 1 + 1e-6), `confidences in [1/11, 1]: ${conf.slice(0, 5).join(', ')}...`);
    await page.screenshot({ path: join(SHOTS, 'sudoku.png'), fullPage: true });

    // ---- each view shows only its own results: the Maze tab after a Sudoku solve, and back ----
    // the trace without its per-segment times (a second solve of the same puzzle differs only there)
    const resultArea = async () => ({
      answer: await text('answer'), segments: await text('segments'), verdict: await text('verdict'),
      trace: (await text('trace')).replace(/"ms":[^,}]*/g, ''),
    });
    const emptyArea = { answer: '', segments: '', verdict: '', trace: '' };
    const sudokuArea = await resultArea();
    await byId('tab-maze').click();
    assert.deepEqual(await resultArea(), emptyArea, 'the Maze view shows no answer before a maze is solved (not the Sudoku one)');
    await byId('tab-sudoku').click();
    assert.deepEqual(await resultArea(), sudokuArea, "back on the Sudoku view: its own answer again");
    // a Sudoku solve that finishes while the Maze view is open stays in the Sudoku view
    await page.evaluate(() => delete document.body.dataset.solveMs);
    await byId('solve').click();
    await byId('tab-maze').click();
    await until(() => document.body.dataset.solveMs !== undefined, 'the Sudoku solve');
    assert.deepEqual(await resultArea(), emptyArea, 'a Sudoku answer arriving on the Maze view is not shown there');
    await byId('tab-sudoku').click();
    assert.deepEqual(await resultArea(), sudokuArea, 'and is shown on the Sudoku view');

    // ---- bad inputs: one clear line each, no answer ----
    for (const [input, want] of [
      [PUZZLE.slice(0, 70), /a Sudoku has 81 cells, got 70 characters/],
      [PUZZLE.slice(0, 40) + 'x' + PUZZLE.slice(41), /column 41: bad character 'x' in a Sudoku question/],
    ] as const) {
      await byId('sudoku-input').fill(input);
      await byId('solve').click();
      await waitDone();
      assert.match(await text('error'), want);
      assert.equal(await text('answer'), '');
    }
    await page.screenshot({ path: join(SHOTS, 'sudoku-error.png') });
    await byId('tab-maze').click();
    assert.equal(await text('error'), '', "the Sudoku view's error is not shown on the Maze view");
    await byId('tab-sudoku').click();

    // ---- a model the server does not list ----
    await page.goto(`${base}?model=no-such-model`);
    await page.waitForSelector('body[data-ready]');
    assert.match(await text('error'), /\?model=no-such-model: hrm serve lists no such model \(have: /);

    // ---- the preload hook, with the run folder trained above ----
    await page.goto(`${base}?sudoku=${PUZZLE}&solve=1&model=${keyOf('sudoku-run')}`);
    await page.waitForSelector('body[data-ready]');
    await waitDone();
    await samePage(cliRun, 'Sudoku ?sudoku=&solve=1 with the trained run');

    // ---- model files given on the page (the drop / file-picker path): the run's weights + all_config.yaml ----
    await byId('model-files').setInputFiles([join(sudokuRun, 'all_config.yaml'), join(sudokuRun, 'step_4.safetensors')]);
    await page.waitForSelector('body[data-model^="drop"]', { timeout: 30_000 });
    assert.match(await text('model-status'), /step_4\.safetensors: sudoku model \(hrm_v1\), hidden 32, layers H\+L 1\+1/);
    await byId('sudoku-input').fill(PUZZLE);
    await byId('solve').click();
    await waitDone();
    await samePage(cliRun, 'Sudoku with model files given on the page');

    // ---- a whole run folder through the folder picker (its newest step, as hrm solve takes it) ----
    await page.locator('#model-folder').setInputFiles(sudokuRun);
    await page.waitForSelector('body[data-model="drop2"]', { timeout: 30_000 });
    assert.match(await text('model-status'), /^sudoku-run: sudoku model \(hrm_v1\)/);
    await byId('solve').click();
    await waitDone();
    await samePage(cliRun, 'Sudoku with the run folder given on the page');
    // the baked examples fill the puzzle
    await byId('sudoku-examples').selectOption({ label: 'hard (22 clues)' });
    assert.equal((await byId('sudoku-input').inputValue()).replace(/[^1-9]/g, '').length, 22);

    // ---- Maze: preload, solve, compare; generate; a maze without S ----
    await page.goto(`${base}?maze=${encodeURIComponent(maze)}&solve=1&model=${keyOf('maze-run')}`);
    await page.waitForSelector('body[data-ready]');
    await waitDone();
    await samePage(cliMaze, 'Maze with the trained maze run');
    const mazeVerdict = await text('verdict');
    await byId('maze-segment-slider').fill('1');
    assert.equal(await text('maze-segment-label'), `segment 1 of ${cliMaze.segments}`);
    const mazeArea = await resultArea();
    await byId('tab-sudoku').click();
    assert.deepEqual(await resultArea(), emptyArea, 'the Sudoku view shows no maze answer');
    await byId('tab-maze').click();
    assert.deepEqual(await resultArea(), mazeArea, "back on the Maze view: its own answer again");
    await page.screenshot({ path: join(SHOTS, 'maze.png'), fullPage: true });
    await page.locator('details summary').click();
    await byId('maze-generate').click();
    await page.waitForFunction(() => {
      const v = (document.getElementById('maze-text') as HTMLTextAreaElement).value;
      return v.split('\n').length === 30 && !v.includes('?') && v !== '';
    });
    const generated = (await byId('maze-input').inputValue()).split('\n');
    assert.ok(generated.every((r) => r.length === 30), 'a generated maze has 30 rows of 30');
    assert.equal(generated.join('').split('S').length, 2, 'one S');
    await byId('maze-input').fill(maze.replace('S', ' '));
    await byId('maze-solve').click();
    await waitDone();
    assert.match(await text('error'), /the maze has no 'S'/);

    // ---- Datasets: folders through the file picker ----
    await byId('tab-datasets').click();
    await byId('dataset-input').setInputFiles(sudokuData);
    await until(() => document.querySelectorAll('[data-testid=dataset-puzzle]').length > 0, 'the Sudoku dataset');
    assert.match(await text('dataset-summary'), /train \(sudoku, vocab 11, seq_len 81; all: 18 groups, 54 puzzles, 54 examples\)/);
    assert.equal(await page.getByTestId('dataset-puzzle').count(), 3, 'a group: the puzzle and its 2 augmentations');
    await byId('dataset-next').click();
    await page.waitForFunction(() => (document.getElementById('ds-group') as HTMLInputElement).value === '1');
    await page.screenshot({ path: join(SHOTS, 'datasets-sudoku.png'), fullPage: true });
    await byId('dataset-input').setInputFiles(mazeData);
    await until(() => /maze, vocab 6/.test(document.getElementById('ds-summary')!.textContent ?? '') && document.querySelectorAll('#ds-view canvas.maze').length === 2, 'the maze dataset');
    await page.screenshot({ path: join(SHOTS, 'datasets-maze.png'), fullPage: true });
    if (haveArc) {
      await byId('dataset-input').setInputFiles(arcData);
      await until(() => /arc, vocab 12/.test(document.getElementById('ds-summary')!.textContent ?? '') && document.querySelectorAll('#ds-view canvas.arc').length > 0, 'the ARC dataset');
      assert.match(await text('dataset-summary'), /train \(arc, vocab 12, seq_len 900; all: 2 groups, 6 puzzles/, 'two tasks, each with 2 augmentations');
      await page.screenshot({ path: join(SHOTS, 'datasets-arc.png'), fullPage: true });
    }

    // ---- A run: metrics.jsonl ----
    await byId('tab-run').click();
    await byId('metrics-input').setInputFiles(join(sudokuRun, 'metrics.jsonl'));
    await page.waitForSelector('#run-plot img');
    assert.match(await text('run-summary'), /metrics\.jsonl: \d+ lines \(\d+ training, 2 evaluation\)/);
    await page.waitForFunction(() => (document.querySelector('#run-plot img') as HTMLImageElement).naturalWidth > 0);
    await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });

    assert.deepEqual(foreign, [], 'nothing requested outside the server');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    const fx = cliFixtures.map((r, i) => (r ? `${fixtures[i].split('/').pop()} ${r.valid ? 'valid' : 'not valid'}` : '')).filter(Boolean);
    console.log(
      `web: first load ${firstLoadMs} ms (page + engine + model list), model loaded at ${modelLoadedMs} ms; ` +
        `Sudoku solve after the model loaded: median ${median(inPageMs)} ms from the click handler to the answer drawn (${inPageMs.join(', ')}), ` +
        `median ${median(solveMs)} ms as Playwright sees it, ${pageSolveMs} ms inference in the worker (last), ${nSeg} segments, ${first.name}; ` +
        `${haltMs.length ? `halting: median ${median(haltMs)} ms (${haltMs.join(', ')}), ${cliBundledHalt!.segments} segments; ` : ''}answers valid: ${fx.join(', ') || 'no fixture'}, ` +
        `${cliBundled ? `bundled sudoku ${cliBundled.valid ? 'valid' : 'not valid'}, ` : ''}sudoku-run ${cliRun.valid ? 'valid' : 'not valid'}, maze-run: ${mazeVerdict}; page says "${sudokuVerdict}"; ` +
        `set-up ${prepMs} ms, total ${Date.now() - tStart} ms; screenshots in ${SHOTS}`,
    );
  } finally {
    await context?.close();
    server?.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
});
