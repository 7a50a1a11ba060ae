// Define-by-run autograd. An op is defined once, with its forward, what it saves, and its
// backward, side by side (defineOp). Applying an op while gradients are enabled and some input
// requires a gradient links the output to a GraphNode; backward() walks those nodes in reverse
// topological order, skips inputs that need no gradient, checks every gradient's shape against its
// input (naming the op and the input), and accumulates: leaves' `.grad` += , intermediate
// gradients are summed and freed as soon as they have been used.
import { Tensor, sameShape } from './tensor.js';
import { fmtShape, rangeError } from './errors.js';
import { keep, tidy, type Storage } from './memory.js';
import { kernels } from './wasm.js';
import { STREAM_MIN_PART, runRange } from './threads.js';

interface GradKernels {
  add_f32(x: number, z: number, n: number, y: number): void;
  fill_f32(n: number, value: number, y: number): void;
}

let noGradDepth = 0;

/** Runs fn without recording anything for backward. */
export function noGrad<T>(fn: () => T): T {
  noGradDepth++;
  try { return fn(); } finally { noGradDepth--; }
}

/** Whether ops applied now are recorded for backward. */
export function isGradEnabled(): boolean {
  return noGradDepth === 0;
}

/** What an op's forward and backward share: its inputs, attributes and what forward saved. */
export class Ctx<A, S> {
  /**
   * Which inputs need a gradient: backward may skip the others (return null for them). All false
   * while gradients are off (noGrad), so a forward saves nothing for a backward that cannot come
   * (the fused convolution + pool, for one, then neither computes nor stores the pool's winners).
   */
  readonly needsInputGrad: readonly boolean[];
  /** Set by forward: whatever backward needs (tensors, scratch buffers, numbers). */
  saved!: S;
  constructor(readonly inputs: readonly Tensor[], readonly attrs: A) {
    const on = isGradEnabled();
    this.needsInputGrad = inputs.map((t) => on && t.requiresGrad);
  }
}

/** The definition of one differentiable op. */
export interface OpDef<A, S> {
  /** The op's name, used in every error message about it. */
  readonly name: string;
  /** Validates inputs and attributes; throws `name: expected …, got …`. */
  check?(inputs: readonly Tensor[], attrs: A): void;
  /** Computes the output from ctx.inputs and ctx.attrs; may set ctx.saved. */
  forward(ctx: Ctx<A, S>): Tensor;
  /** Gradients for every input (null where none is needed), given dOut = dL/dOutput. */
  backward(ctx: Ctx<A, S>, dOut: Tensor): ReadonlyArray<Tensor | null>;
}

/** A recorded application of an op. */
export interface GraphNode {
  readonly op: OpDef<unknown, unknown>;
  readonly ctx: Ctx<unknown, unknown>;
}

/** Turns a definition into a function `(inputs, attrs) → output` that records itself for backward. */
export function defineOp<A, S = undefined>(def: OpDef<A, S>): (inputs: readonly Tensor[], attrs: A) => Tensor {
  return (inputs, attrs) => {
    for (let i = 0; i < inputs.length; i++) {
      if (!(inputs[i] instanceof Tensor)) throw new TypeError(`${def.name}: expected input ${i} to be a Tensor, got ${inputs[i] === null ? 'null' : typeof inputs[i]}`);
      inputs[i].storage.check();
    }
    def.check?.(inputs, attrs);
    const ctx = new Ctx<A, S>(inputs, attrs);
    const record = ctx.needsInputGrad.some(Boolean);
    const out = noGrad(() => def.forward(ctx));
    if (record) {
      out.requiresGrad = true;
      out.node = { op: def as unknown as OpDef<unknown, unknown>, ctx: ctx as unknown as Ctx<unknown, unknown> };
    }
    return out;
  };
}

function topoOrder(root: Tensor): Tensor[] {
  // Iterative depth-first search: deep graphs must not overflow the JS stack.
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node ? t.node.ctx.inputs : [];
    if (i < inputs.length) {
      top[1]++;
      const x = inputs[i];
      if (x.requiresGrad && !seen.has(x)) { seen.add(x); stack.push([x, 0]); }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Back-propagates from `root`. A scalar root gets dL/droot = 1; any other root needs `grad` of the
 * same shape. Leaves that require a gradient get it added to their `.grad`.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw rangeError('backward', 'a tensor that requires grad (computed from a parameter)', 'one that does not');
  if (grad === undefined && root.size !== 1) {
    throw rangeError('backward', 'a scalar root, or the gradient of a non-scalar root', `root of shape ${fmtShape(root.shape)} and no gradient`);
  }
  if (grad !== undefined && !sameShape(grad.shape, root.shape)) {
    throw rangeError('backward', `a gradient of the root's shape ${fmtShape(root.shape)}`, fmtShape(grad.shape));
  }
  const k = kernels<GradKernels>();
  noGrad(() => {
    const order = topoOrder(root);
    const grads = new Map<Tensor, Tensor>();
    // Several gradients may share one block (an op may hand dOut on unchanged): count holders.
    const holders = new Map<Storage, number>();
    const hold = (g: Tensor) => holders.set(g.storage, (holders.get(g.storage) ?? 0) + 1);
    const drop = (g: Tensor) => {
      const n = (holders.get(g.storage) ?? 0) - 1;
      if (n > 0) { holders.set(g.storage, n); return; }
      holders.delete(g.storage);
      if (g !== grad && g.storage !== grad?.storage) g.dispose();
    };
    const seed = grad ?? keep(new Tensor(root.shape));
    if (grad === undefined) k.fill_f32(1, 1, seed.ptr);
    grads.set(root, seed);
    hold(seed);

    for (let idx = order.length - 1; idx >= 0; idx--) {
      const t = order[idx];
      const g = grads.get(t);
      if (g === undefined) continue;
      if (t.node === null) {
        // A leaf: add the gradient into .grad (its own block, outside every scope).
        // Element-wise, so a large one (a dense layer's weights) is split over the engine's threads.
        if (t.grad === null) {
          const own = keep(new Tensor(t.shape));
          runRange('copy_f32', g.size, 1, STREAM_MIN_PART, 16, (i, n) => [g.ptr + 4 * i, n, own.ptr + 4 * i]);
          t.grad = own;
        } else {
          const acc = t.grad;
          runRange('axpy_f32', g.size, 1, STREAM_MIN_PART, 16, (i, n) => [g.ptr + 4 * i, n, 1, acc.ptr + 4 * i]);
        }
        grads.delete(t);
        drop(g);
        continue;
      }
      const { op, ctx } = t.node;
      const inputGrads = tidy(() => op.backward(ctx, g));
      for (let i = 0; i < ctx.inputs.length; i++) {
        const x = ctx.inputs[i];
        const gi = inputGrads[i];
        if (!ctx.needsInputGrad[i] || !x.requiresGrad) continue;
        if (gi === null || gi === undefined) {
          throw new Error(`${op.name} backward: returned no gradient for input ${i}, which requires one`);
        }
        if (!sameShape(gi.shape, x.shape)) {
          throw rangeError(`${op.name} backward`, `the gradient of input ${i} to have the input's shape ${fmtShape(x.shape)}`, fmtShape(gi.shape));
        }
        const prev = grads.get(x);
        if (prev === undefined) {
          grads.set(x, gi);
          hold(gi);
        } else {
          const sum = new Tensor(x.shape);
          k.add_f32(prev.ptr, gi.ptr, gi.size, sum.ptr);
          grads.set(x, sum);
          hold(sum);
          drop(prev);
          if (!holders.has(gi.storage) && gi.storage !== g.storage) gi.dispose();
        }
      }
      grads.delete(t);
      drop(g);
    }
  });
}
