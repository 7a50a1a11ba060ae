// Tensor: a float32 array in the engine's linear memory with a shape, and what autograd needs
// (requiresGrad, grad, the node that made it). The memory belongs to a Storage; reshape() and
// detach() give tensors that share it.
import { Storage, keep } from './memory.js';
import { describe, fmtShape, rangeError, typeError } from './errors.js';
import { backward as runBackward, type GraphNode } from './autograd.js';
import { kernels, wasmMemory } from './wasm.js';
import { STREAM_MIN_PART, partScratch, partsFor, runParts, runRange, splitRange } from './threads.js';
import type { Rng } from './random.js';

export type Shape = readonly number[];

interface ElementwiseKernels {
  fill_f32(n: number, value: number, y: number): void;
  count_nonfinite_f32(x: number, n: number): number;
}

/** Number of elements of a shape; throws on a bad shape. */
export function sizeOf(shape: Shape, where = 'Tensor'): number {
  if (!Array.isArray(shape)) throw typeError(where, 'a shape (array of non-negative integers)', describe(shape));
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw rangeError(where, 'a shape of non-negative integers', fmtShape(shape));
    n *= d;
  }
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export interface TensorOptions { requiresGrad?: boolean; name?: string }

export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  readonly storage: Storage;
  /** Whether gradients flow to this tensor. Set it on parameters (leaves). */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf after backward(); null before. */
  grad: Tensor | null = null;
  /** The op application that produced this tensor (null for leaves). */
  node: GraphNode | null = null;
  name?: string;

  /** Wraps `storage` (or a fresh, uninitialised block) with `shape`. */
  constructor(shape: Shape, storage?: Storage, opts: TensorOptions = {}) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(this.shape);
    if (storage && storage.length < this.size) {
      throw rangeError('Tensor', `a storage of at least ${this.size} elements for shape ${fmtShape(shape)}`, `${storage.length}`);
    }
    this.storage = storage ?? new Storage(this.size);
    this.requiresGrad = opts.requiresGrad ?? false;
    if (opts.name !== undefined) this.name = opts.name;
  }

  /** Byte offset of the first element in the engine's memory. */
  get ptr(): number { this.storage.check(); return this.storage.ptr; }
  get rank(): number { return this.shape.length; }
  get disposed(): boolean { return this.storage.disposed; }

  /**
   * A live Float32Array view of the values (no copy). It is rebuilt when the engine's memory grows,
   * so do not keep it across calls that may allocate: read `t.data` again.
   */
  get data(): Float32Array {
    const v = this.storage.f32view();
    return v.length === this.size ? v : v.subarray(0, this.size);
  }

  /** A copy of the values. */
  toFloat32Array(): Float32Array { return this.data.slice(); }

  /** The values as a flat array of numbers. */
  toArray(): number[] { return Array.from(this.data); }

  /** The single value of a tensor with one element. */
  item(): number {
    if (this.size !== 1) throw rangeError('Tensor.item', 'a tensor with one element', `shape ${fmtShape(this.shape)}`);
    return this.data[0];
  }

  /** Number of NaN or infinite values. */
  countNonFinite(): number {
    return countNonFinite(this.ptr, this.size);
  }

  /** Frees the memory now (shared with views made by reshape/detach). Safe to call twice. */
  dispose(): void {
    this.storage.dispose();
    if (this.grad && this.grad.storage !== this.storage) this.grad.dispose();
    this.grad = null;
    this.node = null;
  }

  /** Back-propagates from this tensor; a non-scalar needs the gradient of the output. */
  backward(grad?: Tensor): void {
    runBackward(this, grad);
  }

  /** A tensor with the same memory, cut from the graph and without gradient. */
  detach(): Tensor {
    return new Tensor(this.shape, this.storage);
  }

  /** Sets the gradient back to zeros (keeps its memory; a large one on the engine's threads). */
  zeroGrad(): void {
    const g = this.grad;
    if (g) runRange('fill_f32', g.size, 1, STREAM_MIN_PART, 16, (i, n) => [n, 0, g.ptr + 4 * i]);
  }

  toString(): string {
    const head = Array.from(this.data.subarray(0, Math.min(8, this.size)), (v) => +v.toFixed(4));
    return `Tensor(${fmtShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''}) [${head.join(', ')}${this.size > 8 ? ', …' : ''}]`;
  }
}

type Nested = number | readonly Nested[];

function inferShape(v: Nested, where: string): number[] {
  const shape: number[] = [];
  let cur: Nested = v;
  while (Array.isArray(cur)) { shape.push(cur.length); cur = cur[0] as Nested; }
  if (typeof cur !== 'number') throw typeError(where, 'numbers or nested arrays of numbers', describe(cur));
  return shape;
}

function flatten(v: Nested, shape: number[], depth: number, out: number[], where: string): void {
  if (depth === shape.length) {
    if (typeof v !== 'number') throw typeError(where, 'a number at depth ' + depth, describe(v));
    out.push(v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) {
    throw rangeError(where, `a regular nested array of shape ${fmtShape(shape)}`, `a ragged array (length ${Array.isArray(v) ? v.length : describe(v)} at depth ${depth})`);
  }
  for (const x of v) flatten(x as Nested, shape, depth + 1, out, where);
}

/**
 * Creates a tensor from values: nested arrays (shape inferred), or a flat array / Float32Array
 * with an explicit shape.
 */
export function tensor(values: Nested | ArrayLike<number>, shape?: Shape, opts: TensorOptions = {}): Tensor {
  const where = 'tensor';
  let flat: ArrayLike<number>;
  let shp: Shape;
  if (typeof values === 'number') { flat = [values]; shp = shape ?? []; }
  else if (ArrayBuffer.isView(values)) { flat = values as unknown as ArrayLike<number>; shp = shape ?? [flat.length]; }
  else if (Array.isArray(values)) {
    if (shape) { flat = (values as unknown[]).flat(Infinity) as number[]; shp = shape; }
    else { shp = inferShape(values as Nested, where); const out: number[] = []; flatten(values as Nested, shp as number[], 0, out, where); flat = out; }
  } else throw typeError(where, 'a number, an array or a Float32Array', describe(values));
  const n = sizeOf(shp, where);
  if (flat.length !== n) throw rangeError(where, `${n} values for shape ${fmtShape(shp)}`, `${flat.length}`);
  const t = new Tensor(shp, undefined, opts);
  t.data.set(flat);
  return t;
}

/** A tensor filled with `value`. */
export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  const t = new Tensor(shape, undefined, opts);
  kernels<ElementwiseKernels>().fill_f32(t.size, value, t.ptr);
  return t;
}

export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor { return full(shape, 0, opts); }
export function ones(shape: Shape, opts: TensorOptions = {}): Tensor { return full(shape, 1, opts); }

/** Normal values (mean 0, standard deviation `std`) from a seeded generator. */
export function randn(shape: Shape, rng: Rng, std = 1, opts: TensorOptions = {}): Tensor {
  const t = new Tensor(shape, undefined, opts);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.normal(0, std);
  return t;
}

/** Uniform values in [lo, hi) from a seeded generator. */
export function uniform(shape: Shape, rng: Rng, lo = 0, hi = 1, opts: TensorOptions = {}): Tensor {
  const t = new Tensor(shape, undefined, opts);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(lo, hi);
  return t;
}

/** A parameter: a leaf that requires gradient and lives outside every tidy() scope. */
export function parameter(t: Tensor, name?: string): Tensor {
  t.requiresGrad = true;
  if (name !== undefined) t.name = name;
  return keep(t);
}

/** Floats a part of countNonFinite must have for the count to be split over threads. */
const NONFINITE_MIN_PART = 1 << 20;

/**
 * How many of the n floats at ptr in the engine's memory are NaN or ±Inf (the guard that keeps NaN
 * out of models and galleries): one count_nonfinite_f32 call, or ranges of elements on the
 * threads when the block is large, their counts added (the same count either way). Parts of at
 * least 1 M floats: 512 K floats (a gradient of the reference network's size) took 83 µs on one
 * thread and 108 µs split in two, 16 M floats 7.8 ms and 2.2 ms.
 */
export function countNonFinite(ptr: number, n: number): number {
  const parts = Math.min(partsFor(n, NONFINITE_MIN_PART, 2), Math.ceil(n / 4));
  if (parts <= 1) return kernels<ElementwiseKernels>().count_nonfinite_f32(ptr, n);
  const b = splitRange(n, parts, 4);
  const jobs: number[][] = [];
  for (let i = 0; i + 1 < b.length; i++) jobs.push([ptr, b[i], b[i + 1], partScratch('nonfinite', i, 1)]);
  runParts('count_nonfinite_part_f32', jobs);
  const mem = new Int32Array(wasmMemory().buffer);
  let bad = 0;
  for (const j of jobs) bad += mem[j[3] >> 2];
  return bad;
}
