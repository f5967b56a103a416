/**
 * `npm run bench`: runs every benchmark module and prints one JSON line per figure.
 * Usage: node dist/bench/main.js [--only gemm,block,memory,hrm,solve,trm,step-host,threads,webgpu] [--backend native|wasm|webgpu|all] [--torch] [--slow]
 *   --torch   also run ../shared/bench/torch_block.py (needs python3 with torch) and print ratios
 * Each module exports `run(opts)`.
 */
export interface BenchOptions {
  backends: string[];
  torch: boolean;
  quick: boolean;
}

const MODULES: Record<string, () => Promise<{ run(o: BenchOptions): Promise<void> }>> = {
  gemm: () => import('./gemm.js'),
  block: () => import('./block.js'),
  memory: () => import('./memory.js'),
  hrm: () => import('./hrm.js'),
  solve: () => import('./solve.js'),
  trm: () => import('./trm.js'),
  'step-host': () => import('./step-host.js'),
  threads: () => import('./threads.js'),
  webgpu: () => import('./webgpu.js'),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const only = get('--only')?.split(',') ?? Object.keys(MODULES);
  const { availableBackends } = await import('../src/engine/index.js');
  const backendArg = get('--backend') ?? 'all';
  const backends = backendArg === 'all' ? availableBackends() : backendArg.split(',');
  const opts: BenchOptions = { backends, torch: args.includes('--torch'), quick: args.includes('--quick') };
  for (const name of only) {
    const load = MODULES[name];
    if (!load) throw new Error(`unknown benchmark '${name}' (have: ${Object.keys(MODULES).join(', ')})`);
    let mod;
    try {
      mod = await load();
    } catch (e) {
      process.stderr.write(`bench: skipping '${name}': ${(e as Error).message}\n`);
      continue;
    }
    await mod.run(opts);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
