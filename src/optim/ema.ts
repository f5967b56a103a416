/**
 * Exponential moving average of the trainable weights (TRM's `ema: true`, `ema_rate`): a shadow per
 * parameter registered from its value at construction, updated after every optimizer step as
 *   shadow = (1 - rate) * param + rate * shadow
 * (TRM's EMAHelper; the puzzle-embedding buffer and H_init/L_init are buffers, not averaged).
 * Evaluation runs on the shadow (`withShadow`), checkpoints carry it (`state`/`loadState`), so a resumed
 * run continues the same average.
 */
import { copy, noGrad, type Tensor } from '../engine/index.js';
import { UserError } from '../util/errors.js';

export class EMA {
  readonly rate: number;
  readonly params: [string, Tensor][];
  private shadow = new Map<string, Tensor>();

  constructor(params: [string, Tensor][], rate: number) {
    if (!(rate >= 0 && rate <= 1)) throw new UserError(`ema_rate must be in [0, 1], got ${rate}`);
    this.rate = rate;
    this.params = params;
    noGrad(() => {
      for (const [name, p] of params) this.shadow.set(name, copy(p).keep());
    });
  }

  /** One update from the current parameters (after the optimizer step). */
  update(): void {
    for (const [name, p] of this.params) {
      const s = this.shadow.get(name)!;
      const k = p.backend.k;
      k.scale(s.ptr, s.ptr, this.rate, s.size);
      k.axpy(s.ptr, p.ptr, 1 - this.rate, s.size);
    }
  }

  /** Runs `fn` with the parameters holding the shadow values, then restores the raw weights. */
  withShadow<T>(fn: () => T): T {
    this.swap();
    try {
      return fn();
    } finally {
      this.swap();
    }
  }

  /** withShadow for an asynchronous `fn` (the weights are swapped back once it settles). */
  async withShadowAsync<T>(fn: () => Promise<T>): Promise<T> {
    this.swap();
    try {
      return await fn();
    } finally {
      this.swap();
    }
  }

  /** Exchanges the parameters' values with the shadow's (twice restores both). */
  private swap(): void {
    for (const [name, p] of this.params) {
      const s = this.shadow.get(name)!;
      const raw = p.toFloat32Array();
      p.set(s.toFloat32Array());
      s.set(raw);
    }
  }

  /** name -> shadow values. */
  state(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const [name] of this.params) out[name] = this.shadow.get(name)!.toFloat32Array();
    return out;
  }

  /** Restores `state()`; `source` names the checkpoint. */
  loadState(state: Record<string, Float32Array>, source: string): void {
    for (const [name, p] of this.params) {
      const a = state[name];
      if (!a) throw new UserError(`${source}: the EMA weights lack parameter '${name}' (saved without ema?)`);
      if (a.length !== p.size) throw new UserError(`${source}: EMA weight '${name}' has ${a.length} values, expected ${p.size}`);
      this.shadow.get(name)!.set(a);
    }
    const known = new Set(this.params.map(([n]) => n));
    for (const name of Object.keys(state)) {
      if (!known.has(name)) throw new UserError(`${source}: EMA weights have unexpected parameter '${name}'`);
    }
  }

  dispose(): void {
    for (const t of this.shadow.values()) t.dispose();
  }
}
