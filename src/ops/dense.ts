// Matrix products: matmul (rank 2, optional transposes) and dense (x·w + b), each with its checks,
// forward and backward side by side; and gemmInto, the low-level wrapper around the packed GEMM
// kernel that owns its packing workspace, for other ops (convolutions, triplet) to reuse.
import { defineOp } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { Storage, keep } from '../memory.js';
import { describe, fmtShape, rangeError, typeError } from '../errors.js';
import { kernels, onLoad } from '../wasm.js';
import { partScratch, partsFor, runParts, splitRange } from '../threads.js';
import { biasAdd, colsum } from './split.js';

interface K {
  gemm_f32(a: number, lda: number, b: number, ldb: number, m: number, n: number, k: number, transA: number, transB: number,
    accumulate: number, work: number, c: number, ldc: number): void;
  gemm_work_size(m: number, n: number, k: number): number;
  bias_add_f32(x: number, rows: number, cols: number, bias: number, y: number): void;
  colsum_f32(x: number, rows: number, cols: number, accumulate: number, y: number): void;
}
const k = () => kernels<K>();

// The packing workspace: one block outside every scope, grown when a call needs more (it is at
// most ~1.1 MiB whatever the sizes, see gemm_work_size).
let workspace: Storage | null = null;
onLoad(() => { workspace = null; }); // a new engine: the old block is gone with its memory

function work(m: number, n: number, kk: number): number {
  const need = k().gemm_work_size(m, n, kk);
  if (workspace === null || workspace.length < need) {
    workspace?.dispose();
    workspace = null;
    workspace = keep(new Storage(need));
  }
  return workspace.ptr;
}

const GEMM = 'gemmInto';

function checkDim(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw rangeError(GEMM, `${name} to be an integer >= 0`, describe(v));
}

/**
 * C[m×n] = op(A)·op(B) (+ C when `accumulate`), on raw pointers into the engine's memory (row-major
 * f32, byte offsets as in `Tensor.ptr`), with leading dimensions (row strides in elements) so that
 * sub-matrices can be addressed. op(A) is m×k: A itself is m×k (lda >= k), or k×m when `transA`
 * (lda >= m); op(B) is k×n: B is k×n (ldb >= n), or n×k when `transB` (ldb >= k); ldc >= n.
 * k = 0 writes zeros (or leaves C alone when accumulating). C must not overlap A or B. The caller
 * vouches for the pointers; sizes and strides are checked here.
 */
export function gemmInto(aPtr: number, lda: number, bPtr: number, ldb: number, m: number, n: number, kk: number,
  transA: boolean, transB: boolean, accumulate: boolean, cPtr: number, ldc: number): void {
  checkDim('m', m); checkDim('n', n); checkDim('k', kk);
  const aw = transA ? m : kk, bw = transB ? kk : n;
  if (!Number.isInteger(lda) || lda < aw) throw rangeError(GEMM, `lda >= ${aw} (the row width of ${transA ? 'A [k,m]' : 'A [m,k]'})`, describe(lda));
  if (!Number.isInteger(ldb) || ldb < bw) throw rangeError(GEMM, `ldb >= ${bw} (the row width of ${transB ? 'B [n,k]' : 'B [k,n]'})`, describe(ldb));
  if (!Number.isInteger(ldc) || ldc < n) throw rangeError(GEMM, `ldc >= ${n} (the row width of C [m,n])`, describe(ldc));
  if (m === 0 || n === 0) return;
  const ta = transA ? 1 : 0, tb = transB ? 1 : 0, acc = accumulate ? 1 : 0;
  const parts = partsFor(m * n * kk, GEMM_MIN_PART, 2);
  if (parts === 1) {
    k().gemm_f32(aPtr, lda, bPtr, ldb, m, n, kk, ta, tb, acc, work(m, n, kk), cPtr, ldc);
    return;
  }
  // Threads: blocks of rows of C (or of columns when C is wide), each a sub-matrix product with
  // its own packing scratch. Every element of C is summed over k in the same order as in one call.
  const jobs: number[][] = [];
  if (m >= n) {
    const b = splitRange(m, parts, 4);
    for (let i = 0; i + 1 < b.length; i++) {
      const r0 = b[i], rows = b[i + 1] - r0;
      const a = aPtr + 4 * (transA ? r0 : r0 * lda);
      jobs.push([a, lda, bPtr, ldb, rows, n, kk, ta, tb, acc, partScratch(GEMM, i, k().gemm_work_size(rows, n, kk)), cPtr + 4 * r0 * ldc, ldc]);
    }
  } else {
    const b = splitRange(n, parts, 8);
    for (let i = 0; i + 1 < b.length; i++) {
      const c0 = b[i], cols = b[i + 1] - c0;
      const bp = bPtr + 4 * (transB ? c0 * ldb : c0);
      jobs.push([aPtr, lda, bp, ldb, m, cols, kk, ta, tb, acc, partScratch(GEMM, i, k().gemm_work_size(m, cols, kk)), cPtr + 4 * c0, ldc]);
    }
  }
  runParts('gemm_f32', jobs);
}

/** Multiply-adds (m·n·k) a gemm part must have for a call to be split over threads. */
const GEMM_MIN_PART = 1 << 18;

// ---------------------------------------------------------------------------------------------

const MATMUL = 'matmul';

interface MatmulAttrs { transA: boolean; transB: boolean }

/** [m, k, n] of op(a)·op(b). */
function matmulDims(a: Tensor, b: Tensor, { transA, transB }: MatmulAttrs): [number, number, number] {
  return [transA ? a.shape[1] : a.shape[0], transA ? a.shape[0] : a.shape[1], transB ? b.shape[0] : b.shape[1]];
}

const matmulOp = defineOp<MatmulAttrs>({
  name: MATMUL,
  check: ([a, b], { transA, transB }) => {
    if (a.rank !== 2) throw rangeError(MATMUL, 'a of rank 2', `shape ${fmtShape(a.shape)}`);
    if (b.rank !== 2) throw rangeError(MATMUL, 'b of rank 2', `shape ${fmtShape(b.shape)}`);
    const ka = transA ? a.shape[0] : a.shape[1], kb = transB ? b.shape[1] : b.shape[0];
    if (ka !== kb) {
      throw rangeError(MATMUL, `${transA ? 'a [k,m] (transA)' : 'a [m,k]'} and ${transB ? 'b [n,k] (transB)' : 'b [k,n]'} with the same k`,
        `a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}`);
    }
  },
  forward({ inputs: [a, b], attrs }) {
    const [m, kk, n] = matmulDims(a, b, attrs);
    const y = new Tensor([m, n]);
    gemmInto(a.ptr, a.shape[1], b.ptr, b.shape[1], m, n, kk, attrs.transA, attrs.transB, false, y.ptr, n);
    return y;
  },
  backward({ inputs: [a, b], attrs, needsInputGrad }, dy) {
    // C = op(A)·op(B): d op(A) = dC·op(B)ᵀ and d op(B) = op(A)ᵀ·dC, transposed back when the
    // stored matrix is the transpose.
    const { transA, transB } = attrs;
    const [m, kk, n] = matmulDims(a, b, attrs);
    const lda = a.shape[1], ldb = b.shape[1];
    let da: Tensor | null = null, db: Tensor | null = null;
    if (needsInputGrad[0]) {
      da = new Tensor(a.shape);
      if (!transA) gemmInto(dy.ptr, n, b.ptr, ldb, m, kk, n, false, !transB, false, da.ptr, lda); // dA = dC·op(B)ᵀ
      else gemmInto(b.ptr, ldb, dy.ptr, n, kk, m, n, transB, true, false, da.ptr, lda); // dA = op(B)·dCᵀ
    }
    if (needsInputGrad[1]) {
      db = new Tensor(b.shape);
      if (!transB) gemmInto(a.ptr, lda, dy.ptr, n, kk, n, m, !transA, false, false, db.ptr, ldb); // dB = op(A)ᵀ·dC
      else gemmInto(dy.ptr, n, a.ptr, lda, n, kk, m, true, transA, false, db.ptr, ldb); // dB = dCᵀ·op(A)
    }
    return [da, db];
  },
});

function checkFlag(name: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw typeError(MATMUL, `${name} to be a boolean`, describe(v));
  return v;
}

/**
 * op(a)·op(b) for rank-2 tensors, op = transpose where `transA` / `transB` is set:
 * a [m,k] (or [k,m] with transA) times b [k,n] (or [n,k] with transB) gives [m,n].
 */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  if (opts === null || typeof opts !== 'object') throw typeError(MATMUL, 'options { transA?, transB? }', describe(opts));
  return matmulOp([a, b], { transA: checkFlag('transA', opts.transA), transB: checkFlag('transB', opts.transB) });
}

// ---------------------------------------------------------------------------------------------

const DENSE = 'dense';

const denseOp = defineOp<undefined>({
  name: DENSE,
  check: ([x, w, b]) => {
    if (x.rank !== 2) throw rangeError(DENSE, 'x of rank 2 [N,I]', `shape ${fmtShape(x.shape)}`);
    const inF = x.shape[1];
    if (w.rank !== 2 || w.shape[0] !== inF) throw rangeError(DENSE, `w of shape [${inF},O] (I=${inF} from x)`, fmtShape(w.shape));
    if (b !== undefined && (b.rank !== 1 || b.shape[0] !== w.shape[1])) {
      throw rangeError(DENSE, `b of shape [${w.shape[1]}] (O=${w.shape[1]} from w)`, fmtShape(b.shape));
    }
  },
  forward({ inputs: [x, w, b] }) {
    const [nRows, inF] = x.shape, outF = w.shape[1];
    const y = new Tensor([nRows, outF]);
    gemmInto(x.ptr, inF, w.ptr, outF, nRows, outF, inF, false, false, false, y.ptr, outF);
    if (b !== undefined) biasAdd(y.ptr, nRows, outF, b.ptr);
    return y;
  },
  backward({ inputs: [x, w, b], needsInputGrad }, dy) {
    const [nRows, inF] = x.shape, outF = w.shape[1];
    let dx: Tensor | null = null, dw: Tensor | null = null, db: Tensor | null = null;
    if (needsInputGrad[0]) { // dx = dy·wᵀ
      dx = new Tensor(x.shape);
      gemmInto(dy.ptr, outF, w.ptr, outF, nRows, inF, outF, false, true, false, dx.ptr, inF);
    }
    if (needsInputGrad[1]) { // dw = xᵀ·dy
      dw = new Tensor(w.shape);
      gemmInto(x.ptr, inF, dy.ptr, outF, inF, outF, nRows, true, false, false, dw.ptr, outF);
    }
    if (b !== undefined && needsInputGrad[2]) { // db = column sums of dy
      db = new Tensor(b.shape);
      colsum(dy.ptr, nRows, outF, db.ptr);
    }
    return [dx, dw, db];
  },
});

/** A fully connected layer: x [N,I] · w [I,O] + b [O] → [N,O] (b may be omitted or null). */
export function dense(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  if (b === undefined || b === null) return denseOp([x, w], undefined);
  if (!(b instanceof Tensor)) throw typeError(DENSE, 'b to be a Tensor, null or undefined', describe(b));
  return denseOp([x, w, b], undefined);
}
