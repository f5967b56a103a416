/**
 * Memory over many training-like iterations: a small HRM block forward + backward + an SGD-like
 * update, inside tidy, per backend. Prints the pool's bytes (in use and cached) and the process RSS
 * every tenth of the run ({bench:'memory', iteration, ...}), then one {bench:'memory-growth'} line:
 * growth from the first report to the last. Deterministic release shows as zero pool growth and flat
 * RSS. Iterations: 10,000 (2,000 with --quick); HRM_MEMORY_ITERS overrides. Runs on one thread: the
 * shapes are tiny (thread wake-ups would dominate) and memory does not depend on threads.
 */
import type { BenchOptions } from './main.js';
import { emit, round } from './util.js';
import * as E from '../src/engine/index.js';
import { HRMBlock } from '../src/nn/block.js';
import { RotaryEmbedding } from '../src/nn/rotary.js';
import { Rng } from '../src/util/random.js';

const CONFIG = { hidden: 64, heads: 2, expansion: 4, batch: 4, seq: 16, lr: 1e-3 };

export async function run(opts: BenchOptions): Promise<void> {
  const iters = Number(process.env.HRM_MEMORY_ITERS ?? (opts.quick ? 2000 : 10000));
  const every = Math.max(1, Math.round(iters / 10));
  const prev = E.getBackend().name;
  try {
    for (const name of opts.backends) {
      E.setBackend(name as 'native' | 'wasm');
      const be = E.getBackend();
      const threads = be.threads;
      be.setThreads(1);
      const { hidden, heads, expansion, batch, seq, lr } = CONFIG;
      const rng = new Rng(0);
      const block = new HRMBlock(rng, { hidden, heads, expansion });
      const rope = new RotaryEmbedding(hidden / heads, seq);
      const x = E.tensor(Float32Array.from({ length: batch * seq * hidden }, () => rng.normal()), [batch, seq, hidden]);
      const target = E.tensor(Float32Array.from({ length: batch * seq * hidden }, () => rng.normal()), [batch, seq, hidden]);
      const params = block.parameters().map(([, p]) => p);
      const step = (): number =>
        E.tidy(() => {
          const y = block.forward(x, rope);
          const loss = E.mean(E.mul(E.sub(y, target), E.sub(y, target)));
          E.backward(loss);
          for (const p of params) {
            be.k.axpy(p.ptr, p.grad!.ptr, -lr, p.size);
            p.grad!.dispose();
            p.grad = null;
          }
          return loss.item();
        });
      const reports: { pool: number; rss: number }[] = [];
      const t0 = process.hrtime.bigint();
      let loss = 0;
      for (let i = 1; i <= iters; i++) {
        loss = step();
        // Node frees the native backend's JS views (external ArrayBuffers) only when the event loop turns,
        // as it does between steps of a real training loop.
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
        if (i % every === 0) {
          const st = be.stats();
          const mem = process.memoryUsage();
          reports.push({ pool: st.bytesInUse + st.bytesCached, rss: mem.rss });
          emit({
            bench: 'memory',
            backend: name,
            threads: be.threads,
            iteration: i,
            pool_bytes_in_use: st.bytesInUse,
            pool_bytes_cached: st.bytesCached,
            pool_allocs_from_kernels: st.misses,
            rss_bytes: mem.rss,
            heap_used_bytes: mem.heapUsed,
            loss: round(loss, 5),
          });
        }
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const first = reports[0];
      const last = reports[reports.length - 1];
      emit({
        bench: 'memory-growth',
        backend: name,
        threads: be.threads,
        iterations: iters,
        ms_per_iteration: round(ms / iters, 3),
        pool_growth_bytes: last.pool - first.pool,
        rss_growth_bytes: last.rss - first.rss,
        config: CONFIG,
      });
      x.dispose();
      target.dispose();
      rope.dispose();
      block.dispose();
      be.trim();
      be.setThreads(threads);
    }
  } finally {
    E.setBackend(prev);
  }
}
