/**
 * Module: the base of the nn layers. Parameters and buffers are found by walking the module's own
 * properties in definition order, so property names ARE the state-dict names of the reference
 * (`self_attn.qkv_proj.weight`, `layers.0.mlp.down_proj.weight`). Properties starting with `_` are
 * private (not part of the state).
 */
import { Tensor } from '../engine/index.js';

export abstract class Module {
  /** Every tensor of the state (parameters and persistent buffers) with its dotted name. */
  stateDict(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const visit = (name: string, v: unknown): void => {
      if (v instanceof Tensor) out.push([name, v]);
      else if (v instanceof Module) out.push(...v.stateDict(`${name}.`));
      else if (Array.isArray(v)) v.forEach((x, i) => visit(`${name}.${i}`, x));
    };
    for (const [k, v] of Object.entries(this)) {
      if (!k.startsWith('_')) visit(prefix + k, v);
    }
    return out;
  }

  /** The trainable tensors (requiresGrad) with their dotted names. */
  parameters(prefix = ''): [string, Tensor][] {
    return this.stateDict(prefix).filter(([, t]) => t.requiresGrad);
  }

  /** Sets every gradient to null (disposing it). */
  zeroGrad(): void {
    for (const [, t] of this.parameters()) {
      t.grad?.dispose();
      t.grad = null;
    }
  }

  /** Releases every tensor of the state. */
  dispose(): void {
    for (const [, t] of this.stateDict()) t.dispose();
  }
}
