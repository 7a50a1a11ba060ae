// conv2dMaxPool: the convolution with its 2×2 max-pool fused into the kernels (direct path and
// Winograd tiles) must give maxPool2d(conv2d(·)) bit for bit — values, the winners on ties and
// NaN, and every gradient — on every path (direct, Winograd 2×2 and 4×4 tiles, the unfused
// fallback), at edge tiles (odd outputs, partial tiles, channel tails) and on threads; plus a
// float64 gradient check and the errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, type Tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { conv2d, conv2dGeometry, conv2dMaxPool, setConv2dAlgorithm, type Conv2dAlgorithm, type Conv2dOptions } from '../../src/ops/conv2d.js';
import { maxPool2d } from '../../src/ops/pool.js';
import { relu as reluOp } from '../../src/ops/activation.js';
import { getThreads, setSplitScale, setThreads } from '../../src/threads.js';
import { gradcheck } from '../helpers/gradcheck.js';

function withAlgorithm<T>(a: Conv2dAlgorithm, fn: () => T): T {
  const prev = setConv2dAlgorithm(a);
  try { return fn(); } finally { setConv2dAlgorithm(prev); }
}

/** Bits of a float32 array (NaN payloads included). */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));

/** Values in {−1, 0, 1} (many equal sums: ties in the pool) or normals. */
function values(rng: Rng, n: number, ties: boolean): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = ties ? Math.floor(rng.uniform(0, 3)) - 1 : rng.normal();
  return v;
}

interface Run { y: number[]; dx: number[]; dw: number[]; db: number[] }

/** Forward and backward of one path (fused or the ops one after the other) with upstream gradient r; bits of everything. */
function run(fused: boolean, x0: Float32Array, w0: Float32Array, b0: Float32Array, xs: number[], ws: number[], opts: Conv2dOptions, r: Float32Array, relu = false,
  xGrad = true): Run {
  return tidy(() => {
    const x = tensor(x0, xs, { requiresGrad: xGrad }), w = tensor(w0, ws, { requiresGrad: true }), b = tensor(b0, [ws[3]], { requiresGrad: true });
    const pooled = () => maxPool2d(conv2d(x, w, b, opts), { size: 2 });
    const y: Tensor = fused ? conv2dMaxPool(x, w, b, { ...opts, relu }) : relu ? reluOp(pooled()) : pooled();
    y.backward(tensor(r, [...y.shape]));
    return { y: bits(y.data), dx: xGrad ? bits(x.grad!.data) : [], dw: bits(w.grad!.data), db: bits(b.grad!.data) };
  });
}

const cases: Array<[string, number[], number[], Conv2dOptions, Conv2dAlgorithm[]]> = [
  ['Winograd, odd output 9×7 (partial tiles)', [2, 9, 7, 4], [3, 3, 4, 8], { padding: 'same' }, ['winograd2', 'winograd4', 'gemm']],
  ['Winograd, O % 4 = 2 (channel tail)', [1, 8, 8, 4], [3, 3, 4, 6], { padding: 'same' }, ['winograd2', 'winograd4']],
  ['Winograd, 2×2 output', [2, 2, 2, 8], [3, 3, 8, 8], { padding: 'same' }, ['winograd2', 'winograd4']],
  ['direct, C = 1, O = 5, odd width', [3, 6, 11, 1], [3, 3, 1, 5], { padding: 'same' }, ['auto']],
  ['direct, valid 5×5 output, O = 3', [2, 7, 7, 3], [3, 3, 3, 3], { padding: 'valid' }, ['auto']],
  ['direct, stride 2', [1, 11, 9, 2], [5, 5, 2, 4], { stride: 2, padding: 'same' }, ['auto']],
  ['direct, 11 images (backward-filter in chunks of 8)', [11, 6, 7, 1], [3, 3, 1, 9], { padding: 'same' }, ['auto']],
  ['implicit GEMM (unfused fallback), C = 32', [1, 6, 5, 32], [3, 3, 32, 4], { padding: 'same' }, ['gemm']],
];

for (const [name, xs, ws, opts, algorithms] of cases) {
  for (const algorithm of algorithms) {
    for (const ties of [true, false]) {
      test(`conv2dMaxPool = (relu ∘) maxPool2d ∘ conv2d bit for bit, values and gradients: ${name} (${algorithm}${ties ? ', ties' : ''})`, () => withAlgorithm(algorithm, () => {
        const rng = new Rng(xs.reduce((a, b) => 31 * a + b, ws[3]) + (ties ? 1 : 0));
        const x0 = values(rng, xs.reduce((a, b) => a * b, 1), ties), w0 = values(rng, ws.reduce((a, b) => a * b, 1), ties);
        const b0 = values(rng, ws[3], ties);
        const g = conv2dGeometry(xs, ws, opts);
        const r = values(rng, g.N * (g.OH >> 1) * (g.OW >> 1) * g.O, false);
        // xGrad false: a first layer, whose direct backward-filter reads the pool's gradient itself.
        for (const [relu, xGrad] of [[false, true], [true, true], [false, false], [true, false]]) {
          const want = run(false, x0, w0, b0, xs, ws, opts, r, relu, xGrad), got = run(true, x0, w0, b0, xs, ws, opts, r, relu, xGrad);
          const what = `${relu ? 'with relu' : ''}${xGrad ? '' : ' (no dx)'}: `;
          assert.equal(got.y, want.y, `${what}pooled values`);
          assert.equal(got.dx, want.dx, `${what}dx`);
          assert.equal(got.dw, want.dw, `${what}dw`);
          assert.equal(got.db, want.db, `${what}db`);
          // Without gradients (no winners kept): the same values.
          const inf = tidy(() => bits(conv2dMaxPool(tensor(x0, xs), tensor(w0, ws), tensor(b0, [ws[3]]), { ...opts, relu }).data));
          assert.equal(inf, want.y, `${what}values without gradients`);
        }
      }));
    }
  }
}

test('conv2dMaxPool: a NaN in the input wins its windows as in maxPool2d (direct and Winograd paths)', () => {
  const shapes: Array<[number[], number[], Conv2dAlgorithm]> = [[[1, 6, 6, 1], [3, 3, 1, 4], 'auto'], [[1, 8, 8, 4], [3, 3, 4, 8], 'winograd4'], [[1, 8, 8, 4], [3, 3, 4, 8], 'winograd2']];
  for (const [xs, ws, algorithm] of shapes) {
    withAlgorithm(algorithm, () => {
      const rng = new Rng(3);
      const x0 = values(rng, xs.reduce((a, b) => a * b, 1), false), w0 = values(rng, ws.reduce((a, b) => a * b, 1), false);
      x0[(2 * xs[2] + 3) * xs[3]] = NaN;
      const b0 = new Float32Array(ws[3]);
      const r = values(rng, (xs[1] >> 1) * (xs[2] >> 1) * ws[3], false);
      for (const relu of [false, true]) {
        const want = run(false, x0, w0, b0, xs, ws, { padding: 'same' }, r, relu), got = run(true, x0, w0, b0, xs, ws, { padding: 'same' }, r, relu);
        assert.ok(got.y.some((v) => (v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0), `${algorithm}: some pooled value is NaN`);
        assert.equal(got.y, want.y, `${algorithm}${relu ? ' relu' : ''}: values`);
        assert.equal(got.dw, want.dw, `${algorithm}${relu ? ' relu' : ''}: dw`);
        // Without gradients (the kernels' value-only pool): the same NaN wins.
        const inf = tidy(() => bits(conv2dMaxPool(tensor(x0, xs), tensor(w0, ws), tensor(b0, [ws[3]]), { padding: 'same', relu }).data));
        assert.equal(inf, want.y, `${algorithm}${relu ? ' relu' : ''}: values without gradients`);
      }
    });
  }
});

test('conv2dMaxPool on threads (every call split) equals one thread bit for bit', () => {
  const before = getThreads();
  const shapes: Array<[number[], number[], Conv2dAlgorithm]> = [[[3, 8, 8, 1], [3, 3, 1, 8], 'auto'], [[2, 7, 9, 1], [3, 3, 1, 13], 'auto'], [[12, 6, 6, 1], [3, 3, 1, 8], 'auto'],
    [[3, 8, 8, 8], [3, 3, 8, 8], 'winograd4'], [[3, 6, 6, 8], [3, 3, 8, 16], 'winograd2']];
  const once = () => shapes.map(([xs, ws, a]) => withAlgorithm(a, () => {
    const rng = new Rng(1);
    const g = conv2dGeometry(xs, ws, { padding: 'same' });
    const x0 = values(rng, xs.reduce((p, q) => p * q, 1), false), w0 = values(rng, ws.reduce((p, q) => p * q, 1), false);
    const r = values(rng, g.N * (g.OH >> 1) * (g.OW >> 1) * g.O, false), b0 = values(rng, g.O, false);
    return [run(true, x0, w0, b0, xs, ws, { padding: 'same' }, r, true), run(true, x0, w0, b0, xs, ws, { padding: 'same' }, r, true, false)];
  }));
  const out: Run[][][] = [];
  try {
    for (const threads of [1, 2, 3]) {
      setThreads(threads);
      const prev = setSplitScale(0);
      try { out.push(once()); } finally { setSplitScale(prev); }
    }
  } finally {
    setThreads(before);
  }
  assert.equal(out[1], out[0], '2 threads');
  assert.equal(out[2], out[0], '3 threads');
});

/** float64 reference: the convolution (+ bias), then the 2×2 max-pool. */
function refConvPool(x: Float64Array, w: Float64Array, b: Float64Array, xs: number[], ws: number[], opts: Conv2dOptions): Float64Array {
  const g = conv2dGeometry(xs, ws, opts);
  const y = new Float64Array(g.N * g.OH * g.OW * g.O);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) for (let o = 0; o < g.O; o++) {
    let s = b[o];
    for (let kh = 0; kh < g.KH; kh++) for (let kw = 0; kw < g.KW; kw++) {
      const ih = oh * g.strideH - g.padTop + kh, iw = ow * g.strideW - g.padLeft + kw;
      if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
      for (let c = 0; c < g.C; c++) s += x[((n * g.H + ih) * g.W + iw) * g.C + c] * w[((kh * g.KW + kw) * g.C + c) * g.O + o];
    }
    y[((n * g.OH + oh) * g.OW + ow) * g.O + o] = s;
  }
  const PH = g.OH >> 1, PW = g.OW >> 1;
  const p = new Float64Array(g.N * PH * PW * g.O);
  for (let n = 0; n < g.N; n++) for (let i = 0; i < PH; i++) for (let j = 0; j < PW; j++) for (let o = 0; o < g.O; o++) {
    let m = -Infinity;
    for (let r = 0; r < 2; r++) for (let s = 0; s < 2; s++) m = Math.max(m, y[((n * g.OH + 2 * i + r) * g.OW + 2 * j + s) * g.O + o]);
    p[((n * PH + i) * PW + j) * g.O + o] = m;
  }
  return p;
}

for (const [xs, ws, algorithm] of [[[2, 6, 5, 1], [3, 3, 1, 3], 'auto'], [[1, 6, 6, 4], [3, 3, 4, 4], 'winograd4'], [[1, 5, 6, 4], [3, 3, 4, 4], 'winograd2']] as const) {
  test(`gradcheck conv2dMaxPool x=[${xs}] w=[${ws}] (${algorithm}), without and with relu`, () => withAlgorithm(algorithm, () => {
    for (const relu of [false, true]) {
      gradcheck({
        inputs: [{ shape: [...xs] }, { shape: [...ws] }, { shape: [ws[3]] }],
        engine: ([x, w, b]) => conv2dMaxPool(x, w, b, { padding: 'same', relu }),
        reference: ([x, w, b]) => refConvPool(x, w, b, [...xs], [...ws], { padding: 'same' }).map((v) => (relu ? Math.max(v, 0) : v)),
        eps: 1e-3,
      });
    }
  }));
}

test('conv2dMaxPool errors name the op and the shapes', () => {
  assert.throws(() => conv2dMaxPool(tensor(new Float32Array(9), [1, 3, 3, 1]), tensor(new Float32Array(9), [3, 3, 1, 1])),
    /conv2dMaxPool: expected a convolution output of at least 2×2 pixels for the 2×2 max-pool, got 1×1/);
  assert.throws(() => conv2dMaxPool(tensor(new Float32Array(16), [1, 4, 4, 1]), tensor(new Float32Array(18), [3, 3, 1, 2]), tensor([1, 2, 3])),
    /conv2dMaxPool: expected a bias of shape \[2\]/);
  assert.throws(() => conv2dMaxPool(null as unknown as Tensor, tensor([1], [1, 1, 1, 1])), /conv2dMaxPool: expected the input x to be a Tensor/);
  assert.throws(() => conv2dMaxPool(tensor(new Float32Array(16), [1, 4, 4, 1]), tensor(new Float32Array(9), [3, 3, 1, 1]), null, { relu: 1 as unknown as boolean }),
    /conv2dMaxPool: expected options.relu to be a boolean, got/);
});

test.run();
