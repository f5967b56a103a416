#!/usr/bin/env node
// The long fuzzers (test/fuzz/*.fuzz.ts, compiled to dist/test/fuzz/*.fuzz.js; not part of npm test):
//   node scripts/fuzz-readers.mjs [NAME...] [--seconds N] [--seed S] [--out DIR] [--slow-ms N] [--rss-limit-mb N]
// runs each fuzzer (those whose file name contains a NAME; all by default) in its own process for N
// seconds (default 60), under `nice`, and prints its counts: iterations, successes, UserErrors, other
// exceptions, slow iterations, the most memory the process held, and messages of several lines (first
// line, then details: allowed, saved for review). Inputs that broke a rule are saved under DIR (default
// test-output/fuzz) with what happened; a fuzzer that overruns its time by two minutes (a quarter more
// for long runs) is killed as hung, its last input left in DIR/current-<target>.bin and its counts so far
// in DIR/<target>.progress.json. Exit 1 when any rule broke (other exceptions, slow, memory, hangs).
// Build first: npx tsc -p tsconfig.json
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist', 'test', 'fuzz');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const names = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
const seconds = Number(opt('seconds', '60'));
const pass = ['seed', 'out', 'slow-ms', 'rss-limit-mb'].flatMap((k) => (opt(k) === undefined ? [] : [`--${k}`, opt(k)]));
if (!existsSync(dir)) {
  console.error(`no ${dir}: build first (npx tsc -p tsconfig.json)`);
  process.exit(1);
}
const fuzzers = readdirSync(dir).filter((f) => f.endsWith('.fuzz.js') && (names.length === 0 || names.some((n) => f.includes(n)))).sort();
if (fuzzers.length === 0) {
  console.error(`no fuzzer matches ${names.join(', ')} (have: ${readdirSync(dir).filter((f) => f.endsWith('.fuzz.js')).join(', ')})`);
  process.exit(1);
}
let broken = false;
for (const f of fuzzers) {
  const t0 = Date.now();
  const r = spawnSync('nice', ['-n', '10', process.execPath, join(dir, f), '--seconds', String(seconds), ...pass], {
    encoding: 'utf8',
    cwd: root,
    timeout: (seconds + Math.max(120, seconds / 4)) * 1000,
    maxBuffer: 64 << 20,
  });
  const wall = ((Date.now() - t0) / 1000).toFixed(0);
  if (r.error || r.status !== 0) {
    broken = true;
    const out = resolve(root, opt('out', 'test-output/fuzz'));
    // this fuzzer's files only: those written since it started (older ones are other runs')
    const mine = (suffix) => (existsSync(out) ? readdirSync(out).filter((n) => n.endsWith(suffix) && statSync(join(out, n)).mtimeMs >= t0) : []);
    const last = mine('.bin').filter((n) => n.startsWith('current-')).map((n) => join(out, n));
    const why = r.error?.code === 'ETIMEDOUT' ? `hung (killed; its last input: ${last.join(', ') || 'none written'})` : `exited ${r.status ?? r.signal}`;
    console.log(`${f}: ${why} after ${wall} s\n${(r.stderr || '').split('\n').slice(-15).join('\n')}`);
    for (const p of mine('.progress.json')) console.log(`  ${p}: ${readFileSync(join(out, p), 'utf8')}`);
    continue;
  }
  for (const line of r.stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const c = JSON.parse(line);
    const bad = c.otherThrows + c.slow + c.overRss;
    if (bad) broken = true;
    console.log(
      `${c.target}: ${c.iterations} iterations in ${wall} s (seed ${c.seed}): ${c.ok} read, ${c.userErrors} UserErrors, ` +
        `${c.otherThrows} other exceptions, ${c.multiLine} multi-line messages, ${c.slow} slow (max ${c.maxMs} ms), ` +
        `max RSS ${c.maxRssMB} MB${c.overRss ? ` (${c.overRss} over the limit)` : ''}${c.saved.length ? `\n  saved: ${c.saved.join('\n  saved: ')}` : ''}`,
    );
  }
}
process.exit(broken ? 1 : 0);
