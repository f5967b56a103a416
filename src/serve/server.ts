/**
 * The HTTP server behind `hrm serve`: the built page (dist/web), the WebAssembly kernels
 * (wasm/hrm_kernels.wasm) and the models (GET api/models, then models/<key>/<file>). Only GET and HEAD,
 * only those names: no path from a request ever reaches the file system. A Host header naming another
 * machine is refused (so a web page elsewhere cannot reach this server through DNS rebinding), and the
 * page's Content-Security-Policy lets it load nothing from anywhere but this server.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { ServedModel } from './models.js';

export interface ServeOptions {
  /** the built page (index.html, app.js, worker.js, gpu-worker.js, style.css) */
  webDir: string;
  /** wasm/hrm_kernels.wasm */
  wasmFile: string;
  models: ServedModel[];
  /** listening on another address than loopback (--host): then any Host header is accepted */
  anyHost?: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
};

const PAGE_FILES = ['index.html', 'app.js', 'worker.js', 'gpu-worker.js', 'style.css', 'app.js.map', 'worker.js.map', 'gpu-worker.js.map'];

export const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; " +
  "img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'none'";

function typeOf(name: string): string {
  const i = name.lastIndexOf('.');
  return (i >= 0 && TYPES[name.slice(i)]) || 'application/octet-stream';
}

export function createHrmServer(o: ServeOptions): Server {
  const allowedHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);
  const modelFiles = new Map<string, string>();
  for (const m of o.models) for (const f of m.files) modelFiles.set(`/models/${encodeURIComponent(m.key)}/${encodeURIComponent(f.path)}`, f.file);
  const listing = JSON.stringify({
    models: o.models.map((m) => ({
      key: m.key, name: m.name, task: m.task, vocab: m.vocab, seqLen: m.seqLen, format: m.format, entry: m.entry,
      files: m.files.map((f) => ({ path: f.path, url: `models/${encodeURIComponent(m.key)}/${encodeURIComponent(f.path)}`, bytes: f.bytes })),
    })),
  });

  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!o.anyHost && !allowedHosts.has(host)) return send(403, `hrm serve: requests must name this machine (Host: ${host || 'none'})\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'hrm serve: only GET and HEAD\n');
    const path = (req.url ?? '/').split('?')[0];
    const file = (p: string, name: string): void => {
      if (!existsSync(p)) return send(404, `hrm serve: ${name} is missing on the server\n`);
      const size = statSync(p).size;
      res.writeHead(200, {
        'Content-Type': typeOf(name), 'Content-Length': size, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': CSP, 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Resource-Policy': 'same-origin',
        // with COOP, makes the page cross-origin isolated: the WebGPU backend's threads share memory
        'Cross-Origin-Embedder-Policy': 'require-corp',
      });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(p).on('error', () => res.destroy()).pipe(res);
    };
    if (path === '/' || path === '/index.html') {
      if (!existsSync(join(o.webDir, 'index.html'))) {
        return send(503, 'hrm serve: the web page is not built (dist/web); run npm run build:web (needs the devDependency esbuild)\n');
      }
      return file(join(o.webDir, 'index.html'), 'index.html');
    }
    const name = path.slice(1);
    if (PAGE_FILES.includes(name)) return file(join(o.webDir, name), name);
    if (path === '/hrm_kernels.wasm') return file(o.wasmFile, 'hrm_kernels.wasm');
    if (path === '/api/models') return send(200, listing, TYPES['.json']);
    const m = modelFiles.get(path);
    if (m) return file(m, path);
    return send(404, `hrm serve: no ${path}\n`);
  });
}
