/**
 * Reverse-mode autodiff: ops record a GradNode on their output when an input requires grad;
 * `backward(loss)` visits the nodes reachable from the loss in reverse creation order (creation order
 * is a topological order), accumulates into `.grad` of leaves that require grad, and disposes every
 * intermediate gradient and saved tensor as soon as it has been used.
 *
 * Scopes: `tidy(fn)` disposes every tensor made inside that fn does not return (returned tensors move
 * to the enclosing scope), and releases the recorded nodes no surviving tensor depends on.
 * `noGrad(fn)` runs fn without recording.
 */
import { empty, scopes, type GradNode, type Scope, type Tensor } from './tensor.js';

let gradEnabled = true;
let nextNodeId = 1;

/** Runs fn with recording off: results have no grad history and require no grad. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** True when an op on these inputs must record a node. */
export function needsGrad(...ts: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of ts) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Records `op` on `out`: `inputs` are the op's inputs (null where none is differentiable), `saved` the
 * tensors backward reads (the node takes its own handle on each, so callers may dispose theirs).
 * `fn(g, saved)` returns one gradient per input, or null.
 */
export function record(
  op: string,
  out: Tensor,
  inputs: (Tensor | null)[],
  saved: Tensor[],
  fn: (g: Tensor, saved: Tensor[], acc: (i: number) => Tensor | null) => (Tensor | null)[],
): void {
  const ins = inputs.map((t) => (t && t.requiresGrad ? t : null));
  const sv = saved.map((t) => t.share());
  const node: GradNode = {
    id: nextNodeId++,
    op,
    inputs: ins,
    saved: sv,
    backward: (g, acc) => fn(g, sv, acc),
    released: false,
  };
  out.node = node;
  out.requiresGrad = true;
  if (scopes.length > 0) scopes[scopes.length - 1].nodes.push(node);
}

function releaseNode(node: GradNode): void {
  if (node.released) return;
  node.released = true;
  for (const s of node.saved) s.dispose();
  node.saved = [];
  node.inputs = [];
  node.backward = null;
}


function collect(root: GradNode, strict: boolean): GradNode[] {
  const seen = new Set<GradNode>([root]);
  const stack = [root];
  const out: GradNode[] = [];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.released) {
      if (!strict) continue;
      throw new Error(
        `backward: the graph through '${n.op}' was already released (backward called twice on one graph, ` +
          'or a tensor escaped the tidy scope that made it)',
      );
    }
    out.push(n);
    for (const t of n.inputs) {
      const m = t?.node;
      if (m && !seen.has(m)) {
        seen.add(m);
        stack.push(m);
      }
    }
  }
  return out.sort((a, b) => b.id - a.id);
}

// Out-of-place sum of two gradients. Gradients may be views sharing storage, so the engine writes into
// one in place only when its storage has a single reference (see `owned`).
function addGrads(a: Tensor, b: Tensor): Tensor {
  const r = emptyLike(a);
  a.backend.k.add(r.ptr, a.ptr, b.ptr, a.size);
  return r;
}

function emptyLike(t: Tensor): Tensor {
  return empty(t.shape, t.dtype, t.backend);
}

/** A copy with its own storage (backward runs unrecorded, so no node). */
function copyOf(t: Tensor): Tensor {
  const y = emptyLike(t);
  if (t.size > 0) t.backend.k.copy2d(y.ptr, t.size, t.ptr, t.size, 1, t.size);
  return y;
}

// Adds g into leaf.grad. A new .grad may still share storage with another gradient: the leaf goes into
// `pending` and is given its own copy at the end of backward if it still shares.
function accumulateLeaf(leaf: Tensor, g: Tensor, pending: Set<Tensor>): void {
  if (g.shape.length !== leaf.shape.length || g.shape.some((d, i) => d !== leaf.shape[i])) {
    if (g.size !== leaf.size) {
      throw new Error(`backward: gradient [${g.shape}] does not fit ${leaf.describe()}`);
    }
    const v = g.share(leaf.shape, g.offset, true);
    g.dispose();
    g = v;
  }
  if (leaf.grad === g) return; // the op added into it in place
  if (leaf.grad === null) {
    g.kept = true;
    leaf.grad = g;
    pending.add(leaf);
  } else {
    const s = addGrads(leaf.grad, g);
    leaf.grad.dispose();
    g.dispose();
    s.kept = true;
    leaf.grad = s;
  }
}

/** An existing gradient that only its holder references (safe to add into in place). */
function owned(t: Tensor | null | undefined): Tensor | null {
  return t && !t.disposed && t.storage.refs === 1 ? t : null;
}

/**
 * Back-propagates from `loss` (a single value unless `seed`, the gradient of the output, is given) and
 * accumulates into `.grad` of every leaf that requires grad. The graph is released afterwards.
 */
export function backward(loss: Tensor, seed?: Tensor): void {
  loss.assertLive('backward');
  if (!loss.requiresGrad) {
    throw new Error(
      `backward: ${loss.describe()} does not require grad (no tensor with requiresGrad reached it, or it was made under noGrad)`,
    );
  }
  if (seed) {
    seed.assertLive('backward');
    if (seed.size !== loss.size || seed.dtype !== 'float32') {
      throw new Error(`backward: seed ${seed.describe()} does not match loss ${loss.describe()}`);
    }
  } else if (loss.size !== 1) {
    throw new Error(`backward: loss ${loss.describe()} has ${loss.size} elements; pass a seed gradient`);
  }
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    const nodes = loss.node ? collect(loss.node, true) : [];
    let g0: Tensor;
    if (seed) g0 = seed.share(loss.shape, seed.offset, true);
    else {
      g0 = emptyLike(loss);
      loss.backend.k.fill(g0.ptr, 1, 1);
    }
    const pending = new Set<Tensor>();
    if (!loss.node) accumulateLeaf(loss, g0, pending);
    else {
      const grads = new Map<GradNode, Tensor>();
      grads.set(loss.node, g0);
      let inputs: (Tensor | null)[] = [];
      const acc = (i: number): Tensor | null => {
        const inp = inputs[i];
        if (!inp) return null;
        if (inp.node) return owned(grads.get(inp.node));
        return inp.requiresGrad && !inp.disposed ? owned(inp.grad) : null;
      };
      for (const node of nodes) {
        const g = grads.get(node);
        if (!g) {
          releaseNode(node);
          continue;
        }
        grads.delete(node);
        inputs = node.inputs;
        const gs = node.backward!(g, acc);
        g.dispose();
        releaseNode(node);
        for (let i = 0; i < gs.length; i++) {
          const gi = gs[i];
          if (!gi) continue;
          const inp = inputs[i];
          if (!inp) {
            gi.dispose();
            continue;
          }
          if (inp.node) {
            const have = grads.get(inp.node);
            if (have === gi) continue; // added in place
            if (have) {
              grads.set(inp.node, addGrads(have, gi));
              have.dispose();
              gi.dispose();
            } else grads.set(inp.node, gi);
          } else if (inp.requiresGrad && !inp.disposed) accumulateLeaf(inp, gi, pending);
          else gi.dispose();
        }
      }
      for (const g of grads.values()) g.dispose();
    }
    // A leaf's .grad must own its storage: callers (optimizers) may write it or read it much later.
    for (const leaf of pending) {
      const g = leaf.grad;
      if (g && g.storage.refs > 1) {
        const c = copyOf(g);
        c.kept = true;
        g.dispose();
        leaf.grad = c;
      }
    }
  } finally {
    gradEnabled = prev;
  }
}

function collectTensors(v: unknown, out: Set<Tensor>, depth = 0): void {
  if (v === null || typeof v !== 'object' || depth > 8) return;
  if ((v as Tensor).storage !== undefined && (v as Tensor).shape !== undefined && 'disposed' in (v as object)) {
    out.add(v as Tensor);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectTensors(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) collectTensors(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collectTensors(x, out, depth + 1);
}

/**
 * Runs fn (synchronous) and disposes every tensor made inside it that it does not return (tensors
 * inside returned arrays and plain objects count as returned) and that was not `keep()`-ed.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { tensors: [], nodes: [] };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope.tensors) if (!t.kept) t.dispose();
    for (const n of scope.nodes) releaseNode(n);
    throw e;
  }
  scopes.pop();
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    throw new Error('tidy: fn must be synchronous (it returned a promise)');
  }
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors);
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : null;
  const roots = new Set<Tensor>(survivors);
  for (const t of scope.tensors) {
    if (survivors.has(t)) {
      if (parent) parent.tensors.push(t);
    } else if (t.kept) roots.add(t);
    else t.dispose();
  }
  if (scope.nodes.length > 0) {
    // Keep the graph behind surviving tensors (backward may run outside); release the rest.
    const live = new Set<GradNode>();
    const stack: GradNode[] = [];
    for (const t of roots) if (t.node && !t.disposed) stack.push(t.node);
    while (stack.length) {
      const n = stack.pop()!;
      if (live.has(n) || n.released) continue;
      live.add(n);
      for (const i of n.inputs) if (i?.node) stack.push(i.node);
    }
    for (const n of scope.nodes) {
      if (live.has(n)) {
        if (parent) parent.nodes.push(n);
      } else releaseNode(n);
    }
  }
  return result;
}

/** Number of open tidy scopes (for tests). */
export function scopeDepth(): number {
  return scopes.length;
}
