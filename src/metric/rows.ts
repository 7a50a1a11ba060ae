// Internal: embeddings given as a Tensor or a Float32Array, seen as rows of `dim` floats in the
// engine's memory (a tensor is used in place; an array is copied into a temporary block that the
// caller releases). Not part of the public API.
import { Tensor, countNonFinite } from '../tensor.js';
import { Storage } from '../memory.js';
import { wasmMemory } from '../wasm.js';
import { describe, fmtShape, rangeError, typeError } from '../errors.js';

/** Embeddings accepted by the metric functions: a tensor [dim] or [n, dim], or n·dim floats. */
export type Embeddings = Tensor | Float32Array;

export interface Rows {
  /** Byte offset of the first row in the engine's memory. */
  ptr: number;
  /** Number of rows. */
  rows: number;
  /** Floats per row. */
  dim: number;
  /** Frees the temporary copy (no-op for a tensor). */
  release(): void;
}


/**
 * Rows of `dim` floats from x. dim undefined: a tensor's last axis, or the whole array as one row.
 * `what` names the argument in error messages ("embeddings", "query", "a").
 */
export function toRows(where: string, what: string, x: unknown, dim?: number): Rows {
  if (x instanceof Tensor) {
    if (x.disposed) throw rangeError(where, `${what} to be a live tensor`, 'a disposed tensor');
    if (x.rank !== 1 && x.rank !== 2) throw rangeError(where, `${what} of shape [dim] or [n, dim]`, `shape ${fmtShape(x.shape)}`);
    const d = x.shape[x.rank - 1];
    if (dim !== undefined && d !== dim) {
      throw rangeError(where, `${what} of dimension ${dim} (shape [${dim}] or [n, ${dim}])`, `shape ${fmtShape(x.shape)}`);
    }
    if (d === 0) throw rangeError(where, `${what} of dimension >= 1`, `shape ${fmtShape(x.shape)}`);
    return { ptr: x.ptr, rows: x.rank === 1 ? 1 : x.shape[0], dim: d, release: () => {} };
  }
  if (x instanceof Float32Array) {
    const d = dim ?? x.length;
    if (d === 0 || x.length % d !== 0) {
      throw rangeError(where, `${what} as a Float32Array of n·${dim ?? 'dim'} values (rows of dimension ${dim ?? '>= 1'})`, `length ${x.length}`);
    }
    const s = new Storage(x.length);
    s.f32view().set(x);
    return { ptr: s.ptr, rows: x.length / d, dim: d, release: () => s.dispose() };
  }
  throw typeError(where, `${what} as a Tensor or a Float32Array`, describe(x));
}

/** Throws naming the first row (of rows r0.. in the error's numbering) holding a NaN or ±Inf. */
export function checkFinite(where: string, what: string, ptr: number, rows: number, dim: number, r0 = 0): void {
  if (countNonFinite(ptr, rows * dim) === 0) return;
  const v = f32At(ptr, rows * dim);
  for (let i = 0; i < rows * dim; i++) {
    if (!Number.isFinite(v[i])) {
      const r = Math.floor(i / dim);
      throw rangeError(where, `finite ${what}`, `${v[i]} in row ${r + r0} (column ${i - r * dim})`);
    }
  }
}

/** A Float32Array over n floats at ptr (rebuild after anything that may grow the memory). */
export function f32At(ptr: number, n: number): Float32Array {
  return new Float32Array(wasmMemory().buffer, ptr, n);
}
