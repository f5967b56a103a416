/** The page's side of the Worker: one promise per request (protocol.ts). */
import type { Reply, Request } from './protocol.js';

export class Engine {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(url: string) {
    this.worker = new Worker(url, { type: 'module' });
    this.worker.onmessage = (ev: MessageEvent<Reply>) => {
      const r = ev.data;
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(r.error));
    };
    this.worker.onerror = (ev) => {
      const e = new Error(`the engine's worker failed: ${ev.message || 'could not start'}`);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
  }

  call<T>(req: Request): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, req });
    });
  }
}
