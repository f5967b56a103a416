/**
 * The worker thread that runs one `hrm data <build command>` (see runBuildInWorker in data.ts): it
 * reports each temporary build folder it makes and how the command ended. Builds run here so that
 * the main thread stays free to act on Ctrl-C and SIGTERM while the build computes synchronously.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildFolderListeners } from '../data/builders/output-dir.js';
import { UserError } from '../util/errors.js';
import { runCommand } from './data.js';

const port = parentPort!;
const data = workerData as { args: string[]; stderrTTY: boolean; columns?: number };
// A worker's stderr is a pipe to the main thread's: let progress bars draw as on the terminal behind it.
if (data.stderrTTY) Object.assign(process.stderr, { isTTY: true, columns: data.columns });
buildFolderListeners.add((tmp, out) => port.postMessage({ kind: 'tmp', tmp, out }));
runCommand(data.args).then(
  (code) => port.postMessage({ kind: 'done', code }),
  (e: unknown) => {
    if (e instanceof UserError) port.postMessage({ kind: 'user', message: e.message });
    else port.postMessage({ kind: 'internal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  },
);
