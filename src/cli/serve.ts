/**
 * `hrm serve [--port N] [--host H] [--open] [--model PATH ...]`: serves the web page (the model reasoning
 * segment by segment, run in the browser on the WebAssembly backend) and the models on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../engine/backends/package-root.js';
import { wasmPath } from '../engine/backends/wasm.js';
import { discoverModels } from '../serve/models.js';
import { createHrmServer } from '../serve/server.js';
import { UserError } from '../util/errors.js';

const HELP = `usage: hrm serve [--port N] [--host H] [--open] [--model PATH ...]

Serves the web page that runs a model in the browser (WebAssembly, in a Web Worker) and shows its
reasoning segment by segment: Sudoku, Maze, dataset browsing and a run's curves.
  --port N       the port (default 8765; 0 picks a free one)
  --host H       the address to listen on (default 127.0.0.1: this machine only). Another address
                 makes the page and the models reachable from the network.
  --open         open the page in the default browser
  --model PATH   also offer this model: a run folder, a step_N.safetensors (with all_config.yaml beside
                 it) or a reference checkpoint folder; may be repeated. The bundled models in the
                 package's models/ folder are always offered.
The first line printed is the page's address. Stop with Ctrl-C.`;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  let port = 8765;
  let host = '127.0.0.1';
  let open = false;
  const given: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UserError(`${a} needs a value (see hrm serve --help)`);
      return v;
    };
    if (a === '--port') {
      const v = value();
      port = Number(v);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port needs an integer in 0..65535, got '${v}'`);
    } else if (a === '--host') host = value();
    else if (a === '--open') open = true;
    else if (a === '--model') given.push(value());
    else throw new UserError(`hrm serve: unknown argument '${a}' (see hrm serve --help)`);
  }
  const root = packageRoot();
  const models = discoverModels(join(root, 'models'), given, (l) => console.error(l));
  const server = createHrmServer({ webDir: join(root, 'dist', 'web'), wasmFile: wasmPath(), models, anyHost: !LOOPBACK.has(host) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new UserError(`--port ${port}: the port is in use (try another, or --port 0)`)
        : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? new UserError(`--host ${host}: not an address of this machine`) : e));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const p = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${p}/`;
  console.log(`hrm serve: ${url}`);
  console.log(models.length === 0
    ? 'hrm serve: no models (the package has none bundled yet; add --model PATH or drop a model folder on the page)'
    : `hrm serve: models: ${models.map((m) => `${m.key} (${m.task})`).join(', ')}`);
  if (!LOOPBACK.has(host)) console.log(`hrm serve: listening on ${host}: reachable from other machines`);
  if (open) {
    const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => console.error(`hrm serve: could not start ${cmd}; open ${url} yourself`));
    child.unref();
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      server.close();
      server.closeAllConnections();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
