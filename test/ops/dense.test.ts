import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, Tensor } from '../../src/tensor.js';
import { Storage, memoryStats, tidy } from '../../src/memory.js';
import { kernels } from '../../src/wasm.js';
import { Rng } from '../../src/random.js';
import { dense, gemmInto, matmul } from '../../src/ops/dense.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { close } from '../helpers/close.js';

interface K {
  gemm_f32(a: number, lda: number, b: number, ldb: number, m: number, n: number, k: number, transA: number, transB: number,
    accumulate: number, work: number, c: number, ldc: number): void;
  gemm_work_size(m: number, n: number, k: number): number;
}
const k = () => kernels<K>();

const GUARD = 16;
const SENTINEL = 12345.5;

interface GemmCase { m: number; n: number; k: number; ta: boolean; tb: boolean; acc: boolean; pad: number }
const label = (c: GemmCase) => `m=${c.m} n=${c.n} k=${c.k} transA=${+c.ta} transB=${+c.tb} acc=${+c.acc} pad=${c.pad}`;

/** Stored shapes and leading dimensions of a case: A is [m,k] or [k,m], B is [k,n] or [n,k]. */
function layout(c: GemmCase) {
  const aRows = c.ta ? c.k : c.m, aCols = c.ta ? c.m : c.k;
  const bRows = c.tb ? c.n : c.k, bCols = c.tb ? c.k : c.n;
  return { aRows, lda: aCols + c.pad, bRows, ldb: bCols + c.pad, ldc: c.n + c.pad };
}

/** float64 reference of C = op(A)·op(B) (+ C0), and the bound Σ|terms| for the rounding error. */
function reference(c: GemmCase, A: Float32Array, B: Float32Array, C0: Float32Array) {
  const { lda, ldb, ldc } = layout(c);
  const ref = new Float64Array(c.m * c.n), mag = new Float64Array(c.m * c.n);
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      let s = c.acc ? C0[i * ldc + j] : 0, t = Math.abs(s);
      for (let p = 0; p < c.k; p++) {
        const v = (c.ta ? A[p * lda + i] : A[i * lda + p]) * (c.tb ? B[j * ldb + p] : B[p * ldb + j]);
        s += v; t += Math.abs(v);
      }
      ref[i * c.n + j] = s; mag[i * c.n + j] = t;
    }
  }
  return { ref, mag };
}

/**
 * Runs gemm_f32 on random data with guards after every buffer (and after the workspace, sized by
 * gemm_work_size); checks C against the float64 reference within the float32 summation bound
 * (k + 1)·2⁻²³·Σ|terms|, and that the padding columns and every guard are untouched.
 */
function checkGemm(c: GemmCase, rng: Rng): void {
  tidy(() => {
    const { aRows, lda, bRows, ldb, ldc } = layout(c);
    const ws = k().gemm_work_size(c.m, c.n, c.k);
    const sa = new Storage(aRows * lda + GUARD), sb = new Storage(bRows * ldb + GUARD);
    const sc = new Storage(c.m * ldc + GUARD), sw = new Storage(ws + GUARD);
    const fill = (v: Float32Array, n: number) => { for (let i = 0; i < v.length; i++) v[i] = i < n ? rng.normal() : SENTINEL; };
    fill(sa.f32view(), aRows * lda); fill(sb.f32view(), bRows * ldb); fill(sc.f32view(), c.m * ldc);
    sw.f32view().fill(SENTINEL);
    const C0 = sc.f32view().slice();
    k().gemm_f32(sa.ptr, lda, sb.ptr, ldb, c.m, c.n, c.k, +c.ta, +c.tb, +c.acc, sw.ptr, sc.ptr, ldc);
    const C = sc.f32view(), W = sw.f32view();
    const { ref, mag } = reference(c, sa.f32view(), sb.f32view(), C0);
    for (let i = 0; i < c.m; i++) {
      for (let j = 0; j < ldc; j++) {
        const got = C[i * ldc + j];
        if (j >= c.n) {
          if (got !== C0[i * ldc + j]) throw new Error(`${label(c)}: padding C[${i},${j}] changed to ${got}`);
          continue;
        }
        const e = ref[i * c.n + j], tol = (c.k + 1) * 2 ** -23 * mag[i * c.n + j];
        if (!(Math.abs(got - e) <= tol)) throw new Error(`${label(c)}: C[${i},${j}] = ${got}, expected ${e} (tolerance ${tol.toExponential(2)})`);
      }
    }
    for (let g = 0; g < GUARD; g++) {
      if (C[c.m * ldc + g] !== SENTINEL) throw new Error(`${label(c)}: wrote past the end of C`);
      if (W[ws + g] !== SENTINEL) throw new Error(`${label(c)}: wrote past gemm_work_size(${c.m},${c.n},${c.k}) = ${ws}`);
    }
  });
}

const SIZES = [1, 3, 4, 5, 7, 8, 9, 17, 33];
for (const ta of [false, true]) {
  for (const tb of [false, true]) {
    for (const acc of [false, true]) {
      test(`gemm_f32 m,n,k each in {${SIZES.join(',')}} transA=${+ta} transB=${+tb} acc=${+acc} (ld = width + 0..2)`, () => {
        const rng = new Rng(11);
        for (const m of SIZES) for (const n of SIZES) for (const kk of SIZES) checkGemm({ m, n, k: kk, ta, tb, acc, pad: (m + n + kk) % 3 }, rng);
      });
    }
  }
}

test('gemm_f32 300×270×520 crosses every block edge (MC=64, KC=256, partial tiles), all transposes, acc=1 pad=3', () => {
  const rng = new Rng(5);
  for (const ta of [false, true]) for (const tb of [false, true]) checkGemm({ m: 300, n: 270, k: 520, ta, tb, acc: true, pad: 3 }, rng);
});

test('gemm_f32 n=1100 crosses the NC=1024 column block: m=13 k=300, transA=0/1 transB=1/0', () => {
  const rng = new Rng(6);
  checkGemm({ m: 13, n: 1100, k: 300, ta: false, tb: true, acc: false, pad: 5 }, rng);
  checkGemm({ m: 13, n: 1100, k: 300, ta: true, tb: false, acc: true, pad: 0 }, rng);
});

test('gemm_f32 k=0 writes zeros (acc=0) or leaves C alone (acc=1); m=0 or n=0 touch nothing', () => {
  const rng = new Rng(2);
  for (const ta of [false, true]) for (const tb of [false, true]) {
    checkGemm({ m: 5, n: 9, k: 0, ta, tb, acc: false, pad: 2 }, rng);
    checkGemm({ m: 5, n: 9, k: 0, ta, tb, acc: true, pad: 1 }, rng);
    checkGemm({ m: 0, n: 9, k: 4, ta, tb, acc: false, pad: 1 }, rng);
    checkGemm({ m: 5, n: 0, k: 4, ta, tb, acc: false, pad: 1 }, rng);
  }
  tidy(() => {
    const c = new Storage(4 + GUARD), w = new Storage(k().gemm_work_size(2, 2, 0));
    c.f32view().fill(7);
    k().gemm_f32(0, 0, 0, 0, 2, 2, 0, 0, 0, 0, w.ptr, c.ptr, 2);
    close(c.f32view().subarray(0, 4), [0, 0, 0, 0], { atol: 0, rtol: 0 }, 'C after k=0');
    assert.is(c.f32view()[4], 7);
  });
});

test('gemm_f32 computed in sub-blocks (rows split at 21, columns at 29, via leading dims) is bit-identical to one call', () => {
  const m = 45, n = 70, kk = 300;
  for (const [ta, tb] of [[0, 0], [1, 1], [0, 1]]) {
    tidy(() => {
      const rng = new Rng(9);
      const lda = ta ? m : kk, ldb = tb ? kk : n;
      const sa = new Storage(m * kk), sb = new Storage(kk * n), whole = new Storage(m * n), parts = new Storage(m * n);
      const w = new Storage(k().gemm_work_size(m, n, kk));
      for (const s of [sa, sb]) { const v = s.f32view(); for (let i = 0; i < v.length; i++) v[i] = rng.normal(); }
      k().gemm_f32(sa.ptr, lda, sb.ptr, ldb, m, n, kk, ta, tb, 0, w.ptr, whole.ptr, n);
      for (const [i0, i1] of [[0, 21], [21, m]]) {
        for (const [j0, j1] of [[0, 29], [29, n]]) {
          const aOff = ta ? i0 : i0 * lda, bOff = tb ? j0 * ldb : j0;
          k().gemm_f32(sa.ptr + 4 * aOff, lda, sb.ptr + 4 * bOff, ldb, i1 - i0, j1 - j0, kk, ta, tb, 0, w.ptr, parts.ptr + 4 * (i0 * n + j0), n);
        }
      }
      const a = whole.f32view(), b = parts.f32view();
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) throw new Error(`transA=${ta} transB=${tb}: element ${i}: ${b[i]} in blocks, ${a[i]} in one call`);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Ops: matmul and dense.

function refMatmul(a: Float64Array, b: Float64Array, m: number, kk: number, n: number, ta: boolean, tb: boolean): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < kk; p++) s += (ta ? a[p * m + i] : a[i * kk + p]) * (tb ? b[j * kk + p] : b[p * n + j]);
    y[i * n + j] = s;
  }
  return y;
}

for (const [m, kk, n] of [[3, 4, 5], [9, 17, 6]]) {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      test(`matmul gradcheck m=${m} k=${kk} n=${n} transA=${transA} transB=${transB}`, () => {
        gradcheck({
          inputs: [{ shape: transA ? [kk, m] : [m, kk] }, { shape: transB ? [n, kk] : [kk, n] }],
          engine: ([a, b]) => matmul(a, b, { transA, transB }),
          reference: ([a, b]) => refMatmul(a, b, m, kk, n, transA, transB),
        });
      });
    }
  }
}

function refDense(x: Float64Array, w: Float64Array, b: Float64Array | null, nRows: number, inF: number, outF: number): Float64Array {
  const y = refMatmul(x, w, nRows, inF, outF, false, false);
  if (b) for (let i = 0; i < nRows; i++) for (let j = 0; j < outF; j++) y[i * outF + j] += b[j];
  return y;
}

for (const [nRows, inF, outF] of [[3, 4, 5], [7, 9, 17]]) {
  test(`dense gradcheck x=[${nRows},${inF}] w=[${inF},${outF}] b=[${outF}]`, () => {
    gradcheck({
      inputs: [{ shape: [nRows, inF] }, { shape: [inF, outF] }, { shape: [outF] }],
      engine: ([x, w, b]) => dense(x, w, b),
      reference: ([x, w, b]) => refDense(x, w, b, nRows, inF, outF),
    });
  });
  test(`dense gradcheck x=[${nRows},${inF}] w=[${inF},${outF}] no bias`, () => {
    gradcheck({
      inputs: [{ shape: [nRows, inF] }, { shape: [inF, outF] }],
      engine: ([x, w]) => dense(x, w, null),
      reference: ([x, w]) => refDense(x, w, null, nRows, inF, outF),
    });
  });
}

test('dense x=[5,3] only w needs a gradient (x a constant input)', () => {
  gradcheck({
    inputs: [{ shape: [5, 3], grad: false }, { shape: [3, 2] }, { shape: [2] }],
    engine: ([x, w, b]) => dense(x, w, b),
    reference: ([x, w, b]) => refDense(x, w, b, 5, 3, 2),
  });
});

test('golden values worked by hand: 2×2 matmul and dense, forward and backward', () => {
  tidy(() => {
    const a = tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
    const b = tensor([[5, 6], [7, 8]], undefined, { requiresGrad: true });
    // [1·5+2·7, 1·6+2·8; 3·5+4·7, 3·6+4·8]
    close(matmul(a, b).data, [19, 22, 43, 50], { atol: 0, rtol: 0 });
    // aᵀ·b = [1·5+3·7, 1·6+3·8; 2·5+4·7, 2·6+4·8]; a·bᵀ = [1·5+2·6, 1·7+2·8; 3·5+4·6, 3·7+4·8]
    close(matmul(a, b, { transA: true }).data, [26, 30, 38, 44], { atol: 0, rtol: 0 });
    close(matmul(a, b, { transB: true }).data, [17, 23, 39, 53], { atol: 0, rtol: 0 });
    const bias = tensor([1, -1], undefined, { requiresGrad: true });
    const y = dense(a, b, bias);
    close(y.data, [20, 21, 44, 49], { atol: 0, rtol: 0 });
    // dL/dy = ones: dx = ones·wᵀ = row sums of w in every row; dw = xᵀ·ones = row sums of xᵀ; db = N.
    y.backward(tensor([[1, 1], [1, 1]]));
    close((a.grad as Tensor).data, [11, 15, 11, 15], { atol: 0, rtol: 0 }, 'dx');
    close((b.grad as Tensor).data, [4, 4, 6, 6], { atol: 0, rtol: 0 }, 'dw');
    close((bias.grad as Tensor).data, [2, 2], { atol: 0, rtol: 0 }, 'db');
  });
});

test('empty sizes: k=0 gives zeros, N=0 gives [0,O] and zero weight gradients', () => {
  tidy(() => {
    close(matmul(new Tensor([2, 0]), new Tensor([0, 3])).data, [0, 0, 0, 0, 0, 0], { atol: 0, rtol: 0 });
    const x = tensor(new Float32Array(0), [0, 3], { requiresGrad: true });
    const w = tensor([1, 2, 3, 4, 5, 6], [3, 2], { requiresGrad: true });
    const y = dense(x, w, tensor([1, 2]));
    assert.equal(y.shape, [0, 2]);
    y.backward(new Tensor([0, 2]));
    close((w.grad as Tensor).data, [0, 0, 0, 0, 0, 0], { atol: 0, rtol: 0 });
  });
});

test('the packing workspace is kept: repeated products allocate only their outputs', () => {
  const a = tensor(new Float32Array(40 * 50).fill(1), [40, 50]);
  const b = tensor(new Float32Array(50 * 60).fill(2), [50, 60]);
  tidy(() => { matmul(a, b); }); // the first call may grow the workspace
  const before = memoryStats().liveBlocks;
  for (let i = 0; i < 3; i++) tidy(() => { const y = matmul(a, b); assert.is(y.data[0], 100); });
  assert.is(memoryStats().liveBlocks, before);
  a.dispose(); b.dispose();
});

test('matmul and dense shape errors name the op, the contract and what was given', () => {
  tidy(() => {
    const t = (shape: number[]) => new Tensor(shape);
    assert.throws(() => dense(t([3, 4, 5]), t([5, 2])), /dense: expected x of rank 2 \[N,I\], got shape \[3,4,5\]/);
    assert.throws(() => dense(t([3, 4]), t([5, 2])), /dense: expected w of shape \[4,O\] \(I=4 from x\), got \[5,2\]/);
    assert.throws(() => dense(t([3, 4]), t([4])), /dense: expected w of shape \[4,O\] \(I=4 from x\), got \[4\]/);
    assert.throws(() => dense(t([3, 4]), t([4, 2]), t([3])), /dense: expected b of shape \[2\] \(O=2 from w\), got \[3\]/);
    assert.throws(() => dense(t([3, 4]), t([4, 2]), [1, 2] as unknown as Tensor), /dense: expected b to be a Tensor, null or undefined, got an array of length 2/);
    assert.throws(() => dense([1] as unknown as Tensor, t([4, 2])), /dense: expected input 0 to be a Tensor/);
    assert.throws(() => matmul(t([2, 3, 4]), t([4, 2])), /matmul: expected a of rank 2, got shape \[2,3,4\]/);
    assert.throws(() => matmul(t([2, 3]), t([3])), /matmul: expected b of rank 2, got shape \[3\]/);
    assert.throws(() => matmul(t([2, 3]), t([4, 5])), /matmul: expected a \[m,k\] and b \[k,n\] with the same k, got a \[2,3\] and b \[4,5\]/);
    assert.throws(() => matmul(t([2, 3]), t([2, 5]), { transA: true, transB: true }), /matmul: expected a \[k,m\] \(transA\) and b \[n,k\] \(transB\) with the same k, got a \[2,3\] and b \[2,5\]/);
    assert.throws(() => matmul(t([2, 3]), t([3, 5]), { transA: 1 as unknown as boolean }), /matmul: expected transA to be a boolean, got 1/);
    assert.throws(() => gemmInto(0, 2, 0, 5, 4, 5, 3, false, false, false, 0, 5), /gemmInto: expected lda >= 3 \(the row width of A \[m,k\]\), got 2/);
    assert.throws(() => gemmInto(0, 4, 0, 2, 4, 5, 3, true, true, false, 0, 5), /gemmInto: expected ldb >= 3 \(the row width of B \[n,k\]\), got 2/);
    assert.throws(() => gemmInto(0, 3, 0, 5, 4, 5, 3, false, false, false, 0, 4), /gemmInto: expected ldc >= 5 \(the row width of C \[m,n\]\), got 4/);
    assert.throws(() => gemmInto(0, 3, 0, 5, -1, 5, 3, false, false, false, 0, 5), /gemmInto: expected m to be an integer >= 0, got -1/);
  });
});

test('gemmInto on sub-matrices: C[1:3, 2:5] += A[1:3, :]·B[:, 2:5] of larger matrices', () => {
  tidy(() => {
    const A = tensor([[1, 2], [3, 4], [5, 6]]);
    const B = tensor([[1, 0, 2, -1, 3], [0, 1, 1, 2, -2]]);
    const C = tensor(new Float32Array(4 * 6).fill(1), [4, 6]);
    gemmInto(A.ptr + 4 * 2, 2, B.ptr + 4 * 2, 5, 2, 3, 2, false, false, true, C.ptr + 4 * (6 + 2), 6);
    // rows [3,4] and [5,6] times columns [2,1], [-1,2], [3,-2], plus 1
    close(C.data, [
      1, 1, 1, 1, 1, 1,
      1, 1, 11, 6, 2, 1,
      1, 1, 17, 8, 4, 1,
      1, 1, 1, 1, 1, 1,
    ], { atol: 0, rtol: 0 });
  });
});

test.run();
