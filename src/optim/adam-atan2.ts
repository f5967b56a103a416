/**
 * AdamATan2 (REFERENCE.md section 4): Adam without epsilon, the update direction is
 * atan2(m, sqrt(v)/sqrt(1 - b2^t)), with decoupled weight decay. Per step t (from 1):
 *   p *= 1 - lr*wd;  m += (1-b1)(g - m);  v += (1-b2)(g^2 - v);
 *   p -= (lr / (1 - b1^t)) * atan2(m, sqrt(v) / sqrt(1 - b2^t))
 * One fused kernel per parameter (`adam_atan2`). Parameters whose .grad is null are skipped (as torch
 * does), but the step counter is shared, as the reference's per-parameter counters all advance together
 * when every parameter has a gradient each step.
 */
import { zeros, type Tensor } from '../engine/index.js';
import { UserError } from '../util/errors.js';

export interface AdamATan2Options {
  betas?: [number, number];
  weightDecay?: number;
}

export interface AdamATan2State {
  step: number;
  /** per parameter name: first and second moments */
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export class AdamATan2 {
  readonly params: [string, Tensor][];
  readonly b1: number;
  readonly b2: number;
  readonly weightDecay: number;
  private m = new Map<string, Tensor>();
  private v = new Map<string, Tensor>();
  /** number of steps taken */
  stepCount = 0;

  constructor(params: [string, Tensor][], opts: AdamATan2Options = {}) {
    this.params = params;
    [this.b1, this.b2] = opts.betas ?? [0.9, 0.95];
    this.weightDecay = opts.weightDecay ?? 0;
    for (const [name, p] of params) {
      this.m.set(name, zeros(p.shape).keep());
      this.v.set(name, zeros(p.shape).keep());
    }
  }

  /** One update of every parameter with a gradient, at learning rate `lr`. */
  step(lr: number): void {
    this.stepCount++;
    const t = this.stepCount;
    const bc1 = 1 - Math.pow(this.b1, t);
    const bc2 = 1 - Math.pow(this.b2, t);
    for (const [name, p] of this.params) {
      const g = p.grad;
      if (!g) continue;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      p.backend.k.adam_atan2(p.ptr, g.ptr, m.ptr, v.ptr, p.size, lr, this.weightDecay, this.b1, this.b2, bc1, bc2);
    }
  }

  /** Clears every gradient (disposes them). */
  zeroGrad(): void {
    for (const [, p] of this.params) {
      if (p.grad) {
        p.grad.dispose();
        p.grad = null;
      }
    }
  }

  state(): AdamATan2State {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const [name] of this.params) {
      m[name] = this.m.get(name)!.toFloat32Array();
      v[name] = this.v.get(name)!.toFloat32Array();
    }
    return { step: this.stepCount, m, v };
  }

  /** Restores `state()`; `source` names the checkpoint for error messages. */
  loadState(state: AdamATan2State, source: string): void {
    if (!state || !Number.isInteger(state.step) || state.step < 0) {
      throw new UserError(`${source}: optimizer state has no valid 'step'`);
    }
    for (const [name, p] of this.params) {
      for (const [which, map, src] of [['m', this.m, state.m], ['v', this.v, state.v]] as const) {
        const a = src?.[name];
        if (!a) throw new UserError(`${source}: optimizer state is missing '${which}' for parameter '${name}'`);
        if (a.length !== p.size) {
          throw new UserError(`${source}: optimizer '${which}' for '${name}' has ${a.length} values, expected ${p.size}`);
        }
        map.get(name)!.set(a);
      }
    }
    const known = new Set(this.params.map(([n]) => n));
    for (const name of Object.keys(state.m ?? {})) {
      if (!known.has(name)) throw new UserError(`${source}: optimizer state has unexpected parameter '${name}'`);
    }
    this.stepCount = state.step;
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
  }
}
