/**
 * The harness of the long fuzzers (test/fuzz/*.fuzz.ts, run by `node scripts/fuzz-readers.mjs`, not by the
 * default test run): seeded mutations of valid inputs, each handed to a reader, for a time budget. The
 * only outcomes allowed are success or a UserError. Everything else is counted and its input saved: other
 * exceptions, an iteration slower than `slowMs`, the process's memory past `rssLimitMB`. Messages of more
 * than one line (a first line, then details) are counted and saved too, for review. The input under test
 * is written to `<out>/current-<target>.bin` first and the counts so far to `<out>/<target>.progress.json`
 * after each iteration, so that a hang (the runner kills the process) leaves both behind. The result is
 * one JSON line on stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

export type Mutator = (b: Buffer, rng: Rng) => Buffer;

export interface FuzzTarget {
  name: string;
  seeds: Buffer[];
  /** reads one input; refusals are UserErrors */
  run(bytes: Buffer): void;
  /** mutators that know the format (re-zipping a mutated member, editing a YAML value), besides the byte ones */
  mutators?: Mutator[];
}

export interface FuzzCounts {
  target: string;
  seed: number;
  iterations: number;
  ok: number;
  userErrors: number;
  /** exceptions other than UserError (crashes of the reader) */
  otherThrows: number;
  multiLine: number;
  slow: number;
  maxMs: number;
  /** the process's resident set, most seen after an iteration */
  maxRssMB: number;
  overRss: number;
  saved: string[];
}

const TOKENS = ['-1', '0', '1e309', 'NaN', '1e12', '4294967296', '65536', '1000000000', 'null', 'true', '[', ']', '{', '}', '"', ':', ',', '\n', '\x00', '\xff', '  ', '- ', '#', '&a', '*a', '!!binary'];

/** 1-4 edits of raw bytes: flips, cuts, insertions of tokens, duplicated ranges, numbers changed, u32 fields set. */
export function mutateBytes(src: Buffer, rng: Rng): Buffer {
  let b = Buffer.from(src);
  for (let e = 1 + rng.int(4); e > 0; e--) {
    const at = b.length ? rng.int(b.length + 1) : 0;
    switch (rng.int(7)) {
      case 0:
        if (b.length) b[Math.min(at, b.length - 1)] ^= 1 << rng.int(8);
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rng.int(Math.max(1, Math.min(64, b.length >> 2))))]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(TOKENS[rng.int(TOKENS.length)], 'latin1'), b.subarray(at)]);
        break;
      case 3:
        b = b.subarray(0, at);
        break;
      case 4: {
        const n = 1 + rng.int(Math.max(1, Math.min(256, b.length)));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + n), b.subarray(at)]);
        break;
      }
      case 5:
        b = Buffer.from(mutateNumber(b.toString('latin1'), rng), 'latin1');
        break;
      default:
        if (b.length >= 4) b.writeUInt32LE([0xffffffff, 0x7fffffff, 1 << 20, 0, 1][rng.int(5)], Math.min(at, b.length - 4));
    }
  }
  return b;
}

/** One number in `s` replaced by a huge, negative, zero or fractional one. */
export function mutateNumber(s: string, rng: Rng): string {
  const nums = [...s.matchAll(/\d+/g)];
  if (nums.length === 0) return s;
  const m = nums[rng.int(nums.length)];
  const rep = ['1000000000', '99999999999', '-7', '0', '1.5', '4294967297', '65536', '1025', '1e12'][rng.int(9)];
  return s.slice(0, m.index) + rep + s.slice(m.index! + m[0].length);
}

export interface FuzzOptions {
  seconds: number;
  seed: number;
  out: string;
  slowMs: number;
  rssLimitMB: number;
}

export function fuzz(t: FuzzTarget, o: FuzzOptions): FuzzCounts {
  const rng = new Rng(o.seed);
  const c: FuzzCounts = { target: t.name, seed: o.seed, iterations: 0, ok: 0, userErrors: 0, otherThrows: 0, multiLine: 0, slow: 0, maxMs: 0, maxRssMB: 0, overRss: 0, saved: [] };
  mkdirSync(o.out, { recursive: true });
  const kept = new Map<string, number>();
  const save = (why: string, bytes: Buffer, detail: string): void => {
    // at most 10 inputs of each kind: many multi-line messages may not crowd out a crash
    if ((kept.get(why) ?? 0) >= 10) return;
    kept.set(why, (kept.get(why) ?? 0) + 1);
    const file = join(o.out, `${t.name}-${why}-${c.iterations}.bin`);
    writeFileSync(file, bytes);
    writeFileSync(`${file}.txt`, detail);
    c.saved.push(file);
  };
  for (const s of t.seeds) t.run(s); // every seed must be read
  const mutators: Mutator[] = [mutateBytes, ...(t.mutators ?? [])];
  const end = Date.now() + o.seconds * 1000;
  while (Date.now() < end) {
    const base = t.seeds[rng.int(t.seeds.length)];
    let m = mutators[rng.int(mutators.length)](base, rng);
    if (rng.int(4) === 0) m = mutators[rng.int(mutators.length)](m, rng);
    writeFileSync(join(o.out, `current-${t.name}.bin`), m);
    c.iterations++;
    const t0 = performance.now();
    try {
      t.run(m);
      c.ok++;
    } catch (e) {
      if (e instanceof UserError) {
        c.userErrors++;
        if (e.message.includes('\n')) {
          c.multiLine++;
          save('multiline', m, e.message);
        }
      } else {
        c.otherThrows++;
        save('throw', m, e instanceof Error ? e.stack ?? e.message : String(e));
      }
    }
    const ms = performance.now() - t0;
    c.maxMs = Math.max(c.maxMs, Math.round(ms));
    if (ms > o.slowMs) {
      c.slow++;
      save('slow', m, `${ms.toFixed(0)} ms`);
    }
    const rss = process.memoryUsage.rss() / 2 ** 20;
    c.maxRssMB = Math.max(c.maxRssMB, Math.round(rss));
    if (rss > o.rssLimitMB) {
      c.overRss++;
      save('memory', m, `${rss.toFixed(0)} MB resident after this input`);
    }
    writeFileSync(join(o.out, `${t.name}.progress.json`), JSON.stringify(c));
  }
  return c;
}

/** Parses the fuzzer's arguments (--seconds N --seed S --out DIR --slow-ms N --rss-limit-mb N), runs every target, prints one JSON line each. */
export function main(targets: FuzzTarget[]): void {
  const arg = (name: string, def: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
  };
  const o: FuzzOptions = {
    seconds: Number(arg('seconds', '30')),
    seed: Number(arg('seed', '1')),
    out: arg('out', 'test-output/fuzz'),
    slowMs: Number(arg('slow-ms', '20000')),
    rssLimitMB: Number(arg('rss-limit-mb', '2048')),
  };
  const only = arg('target', '');
  const chosen = targets.filter((t) => !only || t.name.includes(only));
  for (const t of chosen) console.log(JSON.stringify(fuzz(t, { ...o, seconds: o.seconds / chosen.length })));
}
