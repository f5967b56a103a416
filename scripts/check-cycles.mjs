#!/usr/bin/env node
// Import cycles in src/ (npm run check:cycles): reads the import / export-from specifiers of every
// src/**/*.ts, follows the relative ones, prints every elementary cycle and exits 1 if there is any.
// Plain Node and no dependency, so that it runs right after `npm ci` (madge would add ~100 packages).
// Type-only imports count too (they are erased at run time but still tie the two files' designs
// together); such edges are marked "(type)". `--runtime` ignores them. `--folders` checks the folders
// directly under src/ instead of files (src/models -> src/losses -> src/models is a cycle of layers even
// when no two files import each other). `--dir <folder>` checks another folder (default src).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runtimeOnly = args.includes('--runtime');
const byFolder = args.includes('--folders');
const dirArg = args.indexOf('--dir');
const srcDir = resolve(root, dirArg >= 0 ? args[dirArg + 1] ?? 'src' : 'src');
const MAX_CYCLES = 1000; // enumeration stops here (a tangle that large needs no full list)

function walk(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** The source with comments and (other than specifiers) string contents blanked, so that neither fakes an import. */
function stripComments(src) {
  let out = '';
  for (let i = 0; i < src.length; ) {
    const c = src[i], d = src[i + 1];
    if (c === '/' && d === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && d === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '"' || c === "'" || c === '`') {
      // a string right after `from` or `import` is a specifier and stays; any other is blanked (an
      // escaped quote does not end it)
      let j = i + 1;
      while (j < src.length && src[j] !== c && !(c !== '`' && src[j] === '\n')) j += src[j] === '\\' ? 2 : 1;
      const text = src.slice(i, j + 1);
      out += /\b(from|import)\s*$/.test(out.slice(-40)) ? text : c + text.slice(1, -1).replace(/[^\n]/g, ' ') + c;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** [{ spec, typeOnly }] for each static import, export-from and side-effect import. */
function specifiers(src) {
  const code = stripComments(src);
  const found = [];
  // import x from '...', import { a, type B } from '...', import type T from '...', export * from '...', export { a } from '...'
  const re = /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?([^'"`;]*?)\s*from\s*(['"])([^'"]+)\4/g;
  for (const m of code.matchAll(re)) {
    const clause = m[3];
    const braces = clause.match(/\{([^}]*)\}/);
    const allTypes =
      braces !== null &&
      !clause.replace(braces[0], '').replace(/[\s,]/g, '') &&
      braces[1].split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '));
    found.push({ spec: m[5], typeOnly: Boolean(m[2]) || allTypes });
  }
  for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(['"])([^'"]+)\1/g)) found.push({ spec: m[2], typeOnly: false });
  return found;
}

/** The .ts file a relative specifier names ('./x.js' -> x.ts, './dir' -> dir/index.ts), or null. */
function resolveSpec(from, spec) {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.(m?js)$/, (e) => (e === '.mjs' ? '.mts' : '.ts')), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((p) => p.endsWith('.ts') && existsSync(p) && statSync(p).isFile()) ?? null;
}

if (!existsSync(srcDir)) {
  console.error(`check-cycles: ${relative(root, srcDir) || srcDir}: no such folder`);
  process.exit(2);
}
const sources = walk(srcDir);
/** The graph's node for a file: the file, or with --folders the folder directly under srcDir (files at its top stay files). */
const nodeOf = (f) => {
  if (!byFolder) return f;
  const parts = relative(srcDir, f).split(/[\\/]/);
  return parts.length > 1 ? join(srcDir, parts[0]) : f;
};
const files = [...new Set(sources.map(nodeOf))];
const edges = new Map(files.map((f) => [f, new Map()])); // node -> (target -> typeOnly)
for (const f of sources) {
  for (const { spec, typeOnly } of specifiers(readFileSync(f, 'utf8'))) {
    if (runtimeOnly && typeOnly) continue;
    const to = resolveSpec(f, spec);
    if (!to || !sources.includes(to)) continue;
    const [a, b] = [nodeOf(f), nodeOf(to)];
    if (a === b && byFolder) continue; // imports inside one folder are the file-level check's business
    const out = edges.get(a);
    out.set(b, (out.get(b) ?? true) && typeOnly); // one runtime import makes the edge a runtime edge
  }
}

// Elementary cycles (Johnson's idea in its simplest form): for each start file s in order, depth-first
// paths through files after s that come back to s. Each cycle is then found once, from its first file.
const order = new Map(files.map((f, i) => [f, i]));
const cycles = [];
let truncated = false;
for (const s of files) {
  const path = [s];
  const onPath = new Set([s]);
  const dfs = (v) => {
    for (const w of edges.get(v).keys()) {
      if (cycles.length >= MAX_CYCLES) { truncated = true; return; }
      if (w === s) cycles.push([...path]);
      else if (order.get(w) > order.get(s) && !onPath.has(w)) {
        path.push(w); onPath.add(w);
        dfs(w);
        path.pop(); onPath.delete(w);
      }
    }
  };
  dfs(s);
}

const name = (f) => relative(root, f);
const scope = `${name(srcDir)}/ (${files.length} ${byFolder ? 'folders' : 'files'}${runtimeOnly ? ', run-time imports only' : ''})`;
if (cycles.length === 0) {
  console.log(`check-cycles: no import cycle in ${scope}`);
  process.exit(0);
}
console.log(`check-cycles: ${cycles.length}${truncated ? '+' : ''} import cycle(s) in ${scope}:`);
for (const c of cycles) {
  const hops = c.map((f, i) => {
    const next = c[(i + 1) % c.length];
    return `${name(f)} ->${edges.get(f).get(next) ? ' (type)' : ''}`;
  });
  console.log(`  ${hops.join(' ')} ${name(c[0])}`);
}
if (truncated) console.log(`  ... stopped after ${MAX_CYCLES}`);
process.exit(1);
