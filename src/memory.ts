// The allocator that owns the engine's linear memory. Blocks are 64-byte aligned (one cache line,
// and every f32x4 load aligned). Freed blocks go to an address-ordered free list and are merged
// with free neighbours, so a training loop that asks for the same sizes step after step reuses the
// same blocks and the memory stops growing after the first step. Growing past the 4 GiB that a
// wasm32 memory can address is a RangeError naming the size asked for.
//
// Threads (a later issue): the allocator runs on the main thread only; workers receive pointers.
import { MAX_PAGES, PAGE_BYTES, kernels, onLoad, wasmMemory } from './wasm.js';

const ALIGN = 64;
const MAX_BYTES = MAX_PAGES * PAGE_BYTES;

interface FreeBlock { ptr: number; size: number }

function fmtBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

class Allocator {
  private base = 0;
  private top = 0;
  private free: FreeBlock[] = [];
  private live = new Map<number, number>();
  private liveBytes = 0;
  private peak = 0;

  reset(heapBase: number): void {
    this.base = Math.ceil(heapBase / ALIGN) * ALIGN;
    this.top = this.base;
    this.free = [];
    this.live.clear();
    this.liveBytes = 0;
    this.peak = 0;
  }

  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`facemetric memory: expected a byte count >= 0, got ${bytes}`);
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    // Best fit among the free blocks.
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size >= size && (best < 0 || b.size < this.free[best].size)) {
        best = i;
        if (b.size === size) break;
      }
    }
    let ptr: number;
    if (best >= 0) {
      const b = this.free[best];
      ptr = b.ptr;
      if (b.size === size) this.free.splice(best, 1);
      else { b.ptr += size; b.size -= size; }
    } else {
      ptr = this.top;
      this.ensure(ptr + size, bytes);
      this.top = ptr + size;
    }
    this.live.set(ptr, size);
    this.liveBytes += size;
    if (this.liveBytes > this.peak) this.peak = this.liveBytes;
    return ptr;
  }

  release(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new Error(`facemetric memory: block ${ptr} is not allocated (freed twice?)`);
    this.live.delete(ptr);
    this.liveBytes -= size;
    // Insert in address order, merging with the neighbours.
    let lo = 0, hi = this.free.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.free[mid].ptr < ptr) lo = mid + 1; else hi = mid; }
    let block: FreeBlock = { ptr, size };
    const prev = lo > 0 ? this.free[lo - 1] : undefined;
    if (prev && prev.ptr + prev.size === ptr) { prev.size += size; block = prev; lo--; }
    else this.free.splice(lo, 0, block);
    const next = this.free[lo + 1];
    if (next && block.ptr + block.size === next.ptr) { block.size += next.size; this.free.splice(lo + 1, 1); }
    // A free block at the top goes back to the unused region.
    const last = this.free[this.free.length - 1];
    if (last && last.ptr + last.size === this.top) { this.top = last.ptr; this.free.pop(); }
  }

  private ensure(end: number, asked: number): void {
    const memory = wasmMemory();
    const have = memory.buffer.byteLength;
    if (end <= have) return;
    if (end > MAX_BYTES) {
      throw new RangeError(`facemetric memory: cannot allocate ${asked} bytes (${fmtBytes(asked)}): the engine would need ` +
        `${end} bytes (${fmtBytes(end)}) of linear memory, past the 4 GiB (${MAX_BYTES} bytes) a wasm32 memory can address; ` +
        `${fmtBytes(this.liveBytes)} is in use`);
    }
    const needPages = Math.ceil((end - have) / PAGE_BYTES);
    const havePages = have / PAGE_BYTES;
    // Grow by at least a quarter of the current size, so that a growing workload does not grow page by page.
    const pages = Math.min(MAX_PAGES - havePages, Math.max(needPages, Math.ceil(havePages / 4)));
    try {
      memory.grow(pages);
    } catch {
      try { memory.grow(needPages); } catch (err) {
        throw new RangeError(`facemetric memory: cannot allocate ${asked} bytes (${fmtBytes(asked)}): growing the linear memory to ` +
          `${fmtBytes(end)} failed (${(err as Error).message})`);
      }
    }
  }

  stats(): MemoryStats {
    return {
      memoryBytes: wasmMemory().buffer.byteLength,
      liveBytes: this.liveBytes,
      liveBlocks: this.live.size,
      heapBytes: this.top - this.base,
      freeBlocks: this.free.length,
      peakLiveBytes: this.peak,
    };
  }
}

/** Figures about the engine's linear memory. */
export interface MemoryStats {
  /** Size of the linear memory (grows, never shrinks). */
  memoryBytes: number;
  /** Bytes in blocks handed out and not yet freed. */
  liveBytes: number;
  liveBlocks: number;
  /** Bytes between the start of the heap and its highest block. */
  heapBytes: number;
  freeBlocks: number;
  peakLiveBytes: number;
}

const allocator = new Allocator();
onLoad(() => allocator.reset(kernels<{ heap_base(): number }>().heap_base()));
allocator.reset(kernels<{ heap_base(): number }>().heap_base());

/** Allocates `bytes` (64-byte aligned) in the engine's memory; pair with `free`. */
export function malloc(bytes: number): number {
  return allocator.alloc(bytes);
}

/** Frees a block from `malloc`. */
export function free(ptr: number): void {
  allocator.release(ptr);
}

/** Current figures of the engine's memory. */
export function memoryStats(): MemoryStats {
  return allocator.stats();
}

// ---------------------------------------------------------------------------------------------
// Storage: one allocated block, freed exactly once: explicitly (dispose, tidy) or, for a block
// nobody disposed, by the garbage collector through a FinalizationRegistry.

const finalizer = new FinalizationRegistry<number>((ptr) => allocator.release(ptr));

/** A block of the engine's memory holding `length` elements of 4 bytes (f32 or i32). */
export class Storage {
  readonly ptr: number;
  readonly length: number;
  private freed = false;
  private f32?: Float32Array;
  private i32?: Int32Array;

  constructor(length: number) {
    this.length = length;
    this.ptr = allocator.alloc(length * 4);
    finalizer.register(this, this.ptr, this);
    track(this);
  }

  get disposed(): boolean { return this.freed; }

  /** A Float32Array over the block, rebuilt when the memory has grown (growing detaches views). */
  f32view(): Float32Array {
    this.check();
    const buf = wasmMemory().buffer;
    if (this.f32 === undefined || this.f32.buffer !== buf) this.f32 = new Float32Array(buf, this.ptr, this.length);
    return this.f32;
  }

  /** An Int32Array over the block, rebuilt when the memory has grown. */
  i32view(): Int32Array {
    this.check();
    const buf = wasmMemory().buffer;
    if (this.i32 === undefined || this.i32.buffer !== buf) this.i32 = new Int32Array(buf, this.ptr, this.length);
    return this.i32;
  }

  check(): void {
    if (this.freed) throw new Error('facemetric: this tensor was disposed (by dispose() or by the tidy() that created it)');
  }

  dispose(): void {
    if (this.freed) return;
    this.freed = true;
    finalizer.unregister(this);
    allocator.release(this.ptr);
    this.f32 = undefined;
    this.i32 = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Scopes: tidy(fn) frees every block created inside fn, except the blocks of what fn returns and
// what was passed to keep(). Parameters and gradients created outside any scope live until
// dispose() or garbage collection. Scopes track storages; tensors are views onto them.

const scopes: Array<Set<Storage>> = [];

/** Records a new block in the innermost open scope. */
export function track(s: Storage): void {
  if (scopes.length > 0) scopes[scopes.length - 1].add(s);
}

/** Something that holds a block of the engine's memory: a Storage or a tensor. */
export interface HasStorage { readonly storage: Storage }

function storageOf(v: unknown): Storage | null {
  if (v instanceof Storage) return v;
  if (v !== null && typeof v === 'object' && (v as { storage?: unknown }).storage instanceof Storage) return (v as HasStorage).storage;
  return null;
}

/** Takes `t` (a tensor or a Storage) out of every open scope so that tidy() leaves it alone. */
export function keep<T extends HasStorage | Storage>(t: T): T {
  const s = storageOf(t);
  if (s) for (const scope of scopes) scope.delete(s);
  return t;
}

function collect(value: unknown, out: Set<Storage>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  const s = storageOf(value);
  if (s) { out.add(s); return; }
  if (Array.isArray(value)) { for (const x of value) collect(x, out, depth + 1); return; }
  if (Object.getPrototypeOf(value) === Object.prototype) for (const x of Object.values(value)) collect(x, out, depth + 1);
}

/**
 * Runs fn and then frees every tensor created inside it, except those it returns (directly, in
 * an array, or as values of a plain object), which move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Storage>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const s of scope) s.dispose();
    throw err;
  }
  scopes.pop();
  if (result instanceof Promise) throw new TypeError('tidy: expected a synchronous function, got one that returned a Promise');
  const kept = new Set<Storage>();
  collect(result, kept);
  for (const s of scope) {
    if (kept.has(s)) track(s);
    else s.dispose();
  }
  return result;
}

/** Number of open tidy() scopes (for tests). */
export function scopeDepth(): number {
  return scopes.length;
}
