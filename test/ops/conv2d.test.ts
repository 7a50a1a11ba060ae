import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, Tensor } from '../../src/tensor.js';
import { tidy, memoryStats } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { conv2d, conv2dGeometry, conv2dOutputShape, setConv2dAlgorithm, type Conv2dAlgorithm, type Conv2dGeometry, type Conv2dOptions } from '../../src/ops/conv2d.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { getThreads, setSplitScale, setThreads } from '../../src/threads.js';
import { close } from '../helpers/close.js';

// ---------------------------------------------------------------------------------------------
// float64 references: direct loops over the definition.

function refForward(x: ArrayLike<number>, w: ArrayLike<number>, g: Conv2dGeometry): Float64Array {
  const y = new Float64Array(g.N * g.OH * g.OW * g.O);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
    const yo = ((n * g.OH + oh) * g.OW + ow) * g.O;
    for (let kh = 0; kh < g.KH; kh++) {
      const ih = oh * g.strideH - g.padTop + kh;
      if (ih < 0 || ih >= g.H) continue;
      for (let kw = 0; kw < g.KW; kw++) {
        const iw = ow * g.strideW - g.padLeft + kw;
        if (iw < 0 || iw >= g.W) continue;
        for (let c = 0; c < g.C; c++) {
          const xv = x[((n * g.H + ih) * g.W + iw) * g.C + c];
          const wo = ((kh * g.KW + kw) * g.C + c) * g.O;
          for (let o = 0; o < g.O; o++) y[yo + o] += xv * w[wo + o];
        }
      }
    }
  }
  return y;
}

/** dx and dw of L = sum(y · dy), by the same loops. */
function refBackward(x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>, g: Conv2dGeometry): { dx: Float64Array; dw: Float64Array } {
  const dx = new Float64Array(g.N * g.H * g.W * g.C);
  const dw = new Float64Array(g.KH * g.KW * g.C * g.O);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
    const yo = ((n * g.OH + oh) * g.OW + ow) * g.O;
    for (let kh = 0; kh < g.KH; kh++) {
      const ih = oh * g.strideH - g.padTop + kh;
      if (ih < 0 || ih >= g.H) continue;
      for (let kw = 0; kw < g.KW; kw++) {
        const iw = ow * g.strideW - g.padLeft + kw;
        if (iw < 0 || iw >= g.W) continue;
        for (let c = 0; c < g.C; c++) {
          const xi = ((n * g.H + ih) * g.W + iw) * g.C + c;
          const wo = ((kh * g.KW + kw) * g.C + c) * g.O;
          let s = 0;
          for (let o = 0; o < g.O; o++) { s += dy[yo + o] * w[wo + o]; dw[wo + o] += dy[yo + o] * x[xi]; }
          dx[xi] += s;
        }
      }
    }
  }
  return { dx, dw };
}

function normals(rng: Rng, n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return v;
}

const fmtOpts = (o: Conv2dOptions) => {
  const s = o.stride ?? 1, p = o.padding ?? 'valid';
  return `s=${Array.isArray(s) ? s.join('x') : s} pad=${Array.isArray(p) ? `[${p.join(',')}]` : p}`;
};

/**
 * Runs the three kernels (forward, backward-input, backward-filter) through the op and compares
 * them with the float64 references; tolerances grow with the length of each sum, and by `spread`
 * for an algorithm whose transforms amplify rounding (Winograd F(4×4): its matrices hold 4s, 8s and
 * 1/24ths, and the error it adds is several times a direct sum's).
 */
function checkKernels(xs: number[], ws: number[], opts: Conv2dOptions, seed: number, spread = 1): void {
  const g = conv2dGeometry(xs, ws, opts);
  const rng = new Rng(seed);
  const xv = normals(rng, xs.reduce((a, b) => a * b, 1));
  const wv = normals(rng, ws.reduce((a, b) => a * b, 1));
  const dyv = normals(rng, g.N * g.OH * g.OW * g.O);
  const tol = (terms: number) => ({ atol: 2e-6 * Math.sqrt(terms) * 4 * spread, rtol: 1e-4 });
  tidy(() => {
    const x = tensor(xv, xs, { requiresGrad: true });
    const w = tensor(wv, ws, { requiresGrad: true });
    const y = conv2d(x, w, null, opts);
    assert.equal([...y.shape], [g.N, g.OH, g.OW, g.O]);
    close(y.data, refForward(xv, wv, g), tol(g.KH * g.KW * g.C), 'forward');
    y.backward(tensor(dyv, [...y.shape]));
    const { dx, dw } = refBackward(xv, wv, dyv, g);
    close((x.grad as Tensor).data, dx, tol(g.KH * g.KW * g.O), 'backward-input');
    close((w.grad as Tensor).data, dw, tol(g.N * g.OH * g.OW), 'backward-filter');
    x.grad?.dispose(); w.grad?.dispose();
  });
}

// ---------------------------------------------------------------------------------------------
// Kernels against the references at awkward sizes.

const chans = [1, 3, 4, 5, 7, 8, 9, 17];
const cases: Array<[number[], number[], Conv2dOptions]> = [];
const kernelsList = [1, 2, 3, 5];
const paddings: Conv2dOptions['padding'][] = ['same', 'valid', [2, 0, 1, 3], 1];
for (let i = 0; i < chans.length * 3; i++) {
  const C = chans[i % chans.length];
  const O = chans[(i * 3 + 1 + (i >> 3)) % chans.length];
  const k = kernelsList[(i + (i >> 3)) % kernelsList.length];
  const kw = i % 5 === 4 ? Math.max(1, k - 1) : k; // a few non-square filters
  const s = 1 + (i % 3);
  const N = 1 + ((i >> 2) % 3);
  const H = 5 + 2 * (i % 4), W = 7 + 2 * ((i + 1) % 3);
  const padding = paddings[(i + (i >> 2)) % paddings.length];
  cases.push([[N, H, W, C], [k, kw, C, O], { stride: i % 7 === 6 ? [s, 1] : s, padding }]);
}
cases.push([[1, 1, 1, 3], [1, 1, 3, 5], {}]);
cases.push([[2, 9, 8, 32], [3, 2, 32, 5], { stride: 2, padding: [2, 0, 1, 3] }]); // packed filter gradient, strided, padded
cases.push([[2, 4, 4, 2], [3, 3, 2, 3], { stride: 4, padding: 'same' }]); // stride > kernel: pixels no tap reaches

for (const [xs, ws, opts] of cases) {
  test(`kernels x=[${xs}] w=[${ws}] ${fmtOpts(opts)}`, () => checkKernels(xs, ws, opts, xs[3] * 31 + ws[3]));
}

// Large enough to cross every blocking boundary: more than 64 output rows and 256 pixels, a
// reduction longer than 256 in forward and backward-input, channel tails of both panels.
test('kernels x=[2,19,21,33] w=[3,3,33,29] s=1 pad=same (every block boundary)', () => checkKernels([2, 19, 21, 33], [3, 3, 33, 29], { padding: 'same' }, 1));
// (forced to the implicit GEMM: 'auto' would take Winograd F(4×4) here, whose rounding the Winograd tests below bound)
test('kernels x=[2,19,21,32] w=[3,3,32,20] s=1 pad=same (every block boundary, packed filter gradient)', () => withAlgorithm('gemm', () => checkKernels([2, 19, 21, 32], [3, 3, 32, 20], { padding: 'same' }, 4)));
test('kernels x=[1,37,35,9] w=[5,5,9,29] s=2 pad=same (every block boundary, phases)', () => checkKernels([1, 37, 35, 9], [5, 5, 9, 29], { stride: 2, padding: 'same' }, 2));
test('kernels x=[3,33,31,1] w=[3,3,1,32] s=1 pad=same (one input channel)', () => checkKernels([3, 33, 31, 1], [3, 3, 1, 32], { padding: 'same' }, 3));

// ---------------------------------------------------------------------------------------------
// Winograd F(2×2, 3×3) and F(4×4, 3×3) (3×3 filters, stride 1, channels a multiple of 4) and the
// implicit GEMM on the same shapes, each forced: tile edges (odd output sizes), blocks of 64 tiles across images,
// channel tails of the 8-column panels (O % 8, O % 4), padding on one side only, 1×1 images, and
// backward-input falling back to the GEMM when O % 4 ≠ 0.

function withAlgorithm<T>(a: Conv2dAlgorithm, fn: () => T): T {
  const prev = setConv2dAlgorithm(a);
  try { return fn(); } finally { setConv2dAlgorithm(prev); }
}

const winoCases: Array<[number[], number[], Conv2dOptions]> = [
  [[1, 4, 4, 4], [3, 3, 4, 8], { padding: 'same' }],
  [[2, 7, 9, 8], [3, 3, 8, 5], { padding: 'same' }],
  [[3, 19, 21, 32], [3, 3, 32, 20], { padding: 'same' }],
  [[2, 9, 8, 4], [3, 3, 4, 28], { padding: [2, 0, 1, 3] }],
  [[2, 9, 8, 12], [3, 3, 12, 6], { padding: 'valid' }],
  [[2, 5, 6, 8], [3, 3, 8, 12], { padding: [0, 2, 2, 0] }],
  [[1, 1, 1, 4], [3, 3, 4, 4], { padding: 'same' }],
  [[1, 3, 3, 16], [3, 3, 16, 9], { padding: 'valid' }],
  [[1, 6, 5, 20], [3, 3, 20, 36], { padding: 1 }],
  // ≥ 128 tiles for both tile sizes: backward-filter sums two fixed halves of the tiles (144 = 128 + 16 at m = 4).
  [[9, 15, 13, 4], [3, 3, 4, 8], { padding: 'same' }],
];
for (const algorithm of ['winograd2', 'winograd4', 'gemm'] as const) {
  for (const [xs, ws, opts] of winoCases) {
    test(`${algorithm}: kernels x=[${xs}] w=[${ws}] ${fmtOpts(opts)}`, () => withAlgorithm(algorithm, () => checkKernels(xs, ws, opts, xs[3] * 7 + ws[3], algorithm === 'winograd4' ? 4 : 1)));
  }
}

for (const [algorithm, bound] of [['winograd2', 2e-6], ['winograd4', 2e-5]] as const) test(`${algorithm} agrees with the implicit GEMM at the network's layer-3 shape (batch 4)`, () => {
  const rng = new Rng(9);
  const xs = [4, 16, 16, 64], ws = [3, 3, 64, 128];
  const xv = normals(rng, 4 * 16 * 16 * 64), wv = normals(rng, 9 * 64 * 128).map((v) => v * 0.05), dyv = normals(rng, 4 * 16 * 16 * 128);
  const run = (a: Conv2dAlgorithm) => withAlgorithm(a, () => tidy(() => {
    const x = tensor(xv, xs, { requiresGrad: true }), w = tensor(wv, ws, { requiresGrad: true });
    const y = conv2d(x, w, null, { padding: 'same' });
    y.backward(tensor(dyv, [...y.shape]));
    const out = [y.data.slice(), (x.grad as Tensor).data.slice(), (w.grad as Tensor).data.slice()];
    x.grad?.dispose(); w.grad?.dispose();
    return out;
  }));
  const [gy, gdx, gdw] = run('gemm'), [wy, wdx, wdw] = run(algorithm);
  // Relative to each output's scale: f32 rounding of a 576- (forward, dx) or 1,024-term (dW) sum.
  const rel = (a: Float32Array, b: Float32Array) => {
    let m = 0, s = 0;
    for (let i = 0; i < a.length; i++) { m = Math.max(m, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(b[i])); }
    return m / s;
  };
  for (const [name, a, b] of [['y', wy, gy], ['dx', wdx, gdx], ['dw', wdw, gdw]] as const) {
    const r = rel(a, b);
    assert.ok(r < bound, `${name}: max |winograd − gemm| / max |gemm| = ${r}`);
    assert.ok(r > 0, `${name}: bit-identical, so Winograd did not run`);
  }
});

// The bias is added by the kernels as they store the finished sums: y(x, w, b) must be
// y(x, w) + b bit for bit on every path (direct, implicit GEMM, both Winograd tiles), at
// awkward sizes (O % 8, O % 4, pixel tails).
for (const [xs, ws, algorithm, path] of [
  [[2, 7, 9, 3], [3, 3, 3, 13], 'auto', 'direct'],
  [[2, 9, 7, 36], [3, 3, 36, 13], 'gemm', 'implicit GEMM'],
  [[2, 9, 7, 8], [3, 3, 8, 13], 'winograd2', 'Winograd 2×2'],
  [[2, 9, 7, 8], [3, 3, 8, 13], 'winograd4', 'Winograd 4×4'],
  [[3, 12, 10, 32], [3, 3, 32, 22], 'auto', 'Winograd 4×4, split over threads'],
] as const) {
  test(`bias added in the kernel (${path}): y(x, w, b) = y(x, w) + b bit for bit, x=[${xs}] w=[${ws}]`, () => withAlgorithm(algorithm, () => tidy(() => {
    const rng = new Rng(ws[3] + xs[3]);
    const x = tensor(normals(rng, xs.reduce((a, b) => a * b, 1)), [...xs]);
    const w = tensor(normals(rng, ws.reduce((a, b) => a * b, 1)), [...ws]);
    const bv = normals(rng, ws[3]);
    const plain = conv2d(x, w, null, { padding: 'same' }).data.slice();
    const got = conv2d(x, w, tensor(bv, [ws[3]]), { padding: 'same' }).data;
    const want = new Float32Array(plain.length);
    for (let i = 0; i < plain.length; i++) want[i] = plain[i] + bv[i % ws[3]];
    assert.equal(Array.from(new Uint32Array(got.buffer, got.byteOffset, got.length)), Array.from(new Uint32Array(want.buffer)));
  })));
}

const prod = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);

// db is summed by the direct backward-filter kernel while it reads dy (or by colsum on the other
// paths): either way each channel's sum runs over the pixels in order, in f32 — checked bit for bit
// against that sum done in JS (Math.fround after every add).
for (const [xs, ws, stride, path, algorithm] of [
  [[2, 9, 7, 1], [3, 3, 1, 13], 1, 'direct, O % 8 = 5', 'auto'],
  [[3, 17, 13, 3], [5, 5, 3, 7], 3, 'direct, strided', 'auto'],
  [[2, 64, 64, 1], [3, 3, 1, 32], 1, 'direct, layer 1 (strips, dy read in place)', 'auto'],
  [[2, 8, 8, 32], [3, 3, 32, 9], 1, 'packed (colsum)', 'gemm'],
  [[2, 9, 7, 8], [3, 3, 8, 20], 1, 'Winograd (colsum)', 'auto'],
] as const) {
  test(`db = Σ dy over the pixels in order, bit for bit (${path}) x=[${xs}] w=[${ws}]`, () => withAlgorithm(algorithm, () => tidy(() => {
    const rng = new Rng(xs[1] + ws[3]);
    const x = tensor(normals(rng, prod(xs)), [...xs], { requiresGrad: true });
    const w = tensor(normals(rng, prod(ws)), [...ws], { requiresGrad: true });
    const b = tensor(normals(rng, ws[3]), [ws[3]], { requiresGrad: true });
    const y = conv2d(x, w, b, { stride, padding: 'same' });
    const dyv = normals(rng, y.size);
    y.backward(tensor(dyv, [...y.shape]));
    const O = ws[3], want = new Float32Array(O);
    for (let i = 0; i < dyv.length; i++) want[i % O] = Math.fround(want[i % O] + dyv[i]);
    const got = (b.grad as Tensor).data;
    assert.equal(Array.from(new Uint32Array(got.buffer, got.byteOffset, O)), Array.from(new Uint32Array(want.buffer)));
  })));
}

// Past 8 images the direct backward-filter sums dW and db per chunk of 8 images, then adds the
// chunks' sums in order (the same bits at any thread count): db checked bit for bit against that
// sum in JS, dW against float64, both bit for bit at 1, 2 and 3 threads.
for (const [xs, ws, stride] of [[[19, 6, 5, 1], [3, 3, 1, 13], 1], [[17, 9, 8, 3], [5, 5, 3, 7], 2]] as const) {
  test(`direct backward-filter past 8 images, in chunks of 8: db bit for bit, dW, threads x=[${xs}] w=[${ws}] stride ${stride}`, () => {
    const before = getThreads();
    const rng = new Rng(xs[0]);
    const xv = normals(rng, prod(xs)), wv = normals(rng, prod(ws)), bv = normals(rng, ws[3]);
    const g = conv2dGeometry(xs, ws, { stride, padding: 'same' });
    const dyv = normals(rng, g.N * g.OH * g.OW * g.O);
    const run = () => tidy(() => {
      const x = tensor(xv, [...xs]), w = tensor(wv, [...ws], { requiresGrad: true }), b = tensor(bv, [ws[3]], { requiresGrad: true });
      conv2d(x, w, b, { stride, padding: 'same' }).backward(tensor(dyv, [g.N, g.OH, g.OW, g.O]));
      return { dw: Array.from((w.grad as Tensor).data), db: Array.from((b.grad as Tensor).data) };
    });
    const runs: Array<{ dw: number[]; db: number[] }> = [];
    try {
      for (const t of [1, 2, 3]) {
        setThreads(t);
        const prev = setSplitScale(0);
        try { runs.push(run()); } finally { setSplitScale(prev); }
      }
    } finally {
      setThreads(before);
    }
    assert.equal(runs[1], runs[0], '2 threads');
    assert.equal(runs[2], runs[0], '3 threads');
    // db: per chunk of 8 images the pixels in order, then the chunks in order.
    const O = g.O, per = g.OH * g.OW * O, chunks: Float32Array[] = [];
    for (let n0 = 0; n0 < g.N; n0 += 8) {
      const c = new Float32Array(O);
      for (let i = n0 * per; i < Math.min(g.N, n0 + 8) * per; i++) c[i % O] = Math.fround(c[i % O] + dyv[i]);
      chunks.push(c);
    }
    const want = Float32Array.from(chunks[0]);
    for (let c = 1; c < chunks.length; c++) for (let o = 0; o < O; o++) want[o] = Math.fround(want[o] + chunks[c][o]);
    assert.equal(runs[0].db, Array.from(want), 'db');
    close(runs[0].dw, refBackward(xv, wv, dyv, g).dw, { atol: 1e-4, rtol: 1e-4 }, 'dW against float64');
  });
}

test('setConv2dAlgorithm refuses an unknown name and returns the previous choice', () => {
  assert.throws(() => setConv2dAlgorithm('fft' as Conv2dAlgorithm), /setConv2dAlgorithm: expected one of 'auto', 'gemm', 'winograd2', 'winograd4', got "fft"/);
  assert.is(setConv2dAlgorithm('gemm'), 'auto');
  assert.is(setConv2dAlgorithm('auto'), 'gemm');
});

// ---------------------------------------------------------------------------------------------
// Gradient checks (x, w and b) against central differences of the float64 reference.

const gradCases: Array<[number[], number[], Conv2dOptions]> = [
  [[2, 5, 5, 3], [3, 3, 3, 4], { padding: 'same' }],
  [[1, 6, 7, 2], [3, 3, 2, 5], { stride: 2, padding: 'same' }],
  [[2, 7, 6, 3], [2, 3, 3, 2], { stride: [2, 3], padding: [1, 0, 2, 1] }],
  [[1, 5, 5, 1], [5, 5, 1, 3], { padding: 'valid' }],
];
const winoGrad: [number[], number[], Conv2dOptions] = [[2, 5, 5, 4], [3, 3, 4, 4], { padding: 'same' }];
for (const [xs, ws, opts, algorithm] of [...gradCases.map((c) => [...c, 'auto'] as const), [...winoGrad, 'winograd2'] as const, [...winoGrad, 'winograd4'] as const]) {
  test(`gradcheck x=[${xs}] w=[${ws}] b=[${ws[3]}] ${fmtOpts(opts)}${algorithm === 'auto' ? '' : ` (${algorithm})`}`, () => withAlgorithm(algorithm, () => {
    const g = conv2dGeometry(xs, ws, opts);
    gradcheck({
      inputs: [{ shape: xs }, { shape: ws }, { shape: [ws[3]] }],
      engine: ([x, w, b]) => conv2d(x, w, b, opts),
      reference: ([x, w, b]) => {
        const y = refForward(x, w, g);
        for (let i = 0; i < y.length; i++) y[i] += b[i % g.O];
        return y;
      },
      eps: 1e-3,
    });
  }));
}

// ---------------------------------------------------------------------------------------------
// Golden values worked out by hand.

test('golden x=[1,3,3,1] w=[2,2,1,1] s=1 pad=valid, with bias and every gradient', () => {
  // x = 1..9 row by row, w = [[1,2],[3,4]]: y[0,0] = 1·1 + 2·2 + 4·3 + 5·4 = 37, then 47, 67, 77.
  const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1], { requiresGrad: true });
  const w = tensor([1, 2, 3, 4], [2, 2, 1, 1], { requiresGrad: true });
  const b = tensor([0.5], [1], { requiresGrad: true });
  const y = conv2d(x, w, b);
  assert.equal([...y.shape], [1, 2, 2, 1]);
  close(y.data, [37.5, 47.5, 67.5, 77.5]);
  y.backward(tensor([1, 1, 1, 1], [1, 2, 2, 1]));
  // dx: how many windows cover each pixel, weighted by the filter tap that covers it.
  close((x.grad as Tensor).data, [1, 3, 2, 4, 10, 6, 3, 7, 4]);
  // dw[kh, kw]: sum of the 2×2 block of x the tap sees.
  close((w.grad as Tensor).data, [12, 16, 24, 28]);
  close((b.grad as Tensor).data, [4]);
});

test('golden x=[1,3,3,1] w=[2,2,1,1] s=2 pad=same (bottom/right padding)', () => {
  // OH = ceil(3/2) = 2, total padding (2−1)·2 + 2 − 3 = 1: top 0, bottom 1 (left 0, right 1).
  const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
  const w = tensor([1, 2, 3, 4], [2, 2, 1, 1]);
  const y = conv2d(x, w, null, { stride: 2, padding: 'same' });
  assert.equal([...y.shape], [1, 2, 2, 1]);
  // [1·1+2·2+4·3+5·4, 3·1+6·3, 7·1+8·2, 9·1]
  close(y.data, [37, 21, 23, 9]);
});

test('output shapes: same, valid, explicit, strided', () => {
  assert.equal(conv2dOutputShape([1, 32, 32, 3], [3, 3, 3, 8], { padding: 'same', stride: 2 }), [1, 16, 16, 8]);
  assert.equal(conv2dOutputShape([4, 31, 30, 3], [3, 3, 3, 8], { padding: 'same', stride: 2 }), [4, 16, 15, 8]);
  assert.equal(conv2dOutputShape([1, 32, 32, 3], [5, 5, 3, 8]), [1, 28, 28, 8]);
  assert.equal(conv2dOutputShape([1, 10, 10, 3], [3, 3, 3, 8], { padding: [1, 2, 0, 3], stride: [2, 3] }), [1, 6, 4, 8]);
  assert.equal(conv2dOutputShape([2, 5, 5, 1], [1, 1, 1, 2], { padding: 2 }), [2, 9, 9, 2]);
});

test('same inputs give bit-identical outputs and gradients', () => {
  const run = () => tidy(() => {
    const rng = new Rng(5);
    const x = tensor(normals(rng, 2 * 9 * 11 * 6), [2, 9, 11, 6], { requiresGrad: true });
    const w = tensor(normals(rng, 3 * 3 * 6 * 10), [3, 3, 6, 10], { requiresGrad: true });
    const y = conv2d(x, w, null, { padding: 'same', stride: 2 });
    y.backward(tensor(normals(rng, y.size), [...y.shape]));
    const out = [y.toArray(), (x.grad as Tensor).toArray(), (w.grad as Tensor).toArray()];
    x.grad?.dispose(); w.grad?.dispose();
    return out;
  });
  assert.equal(run(), run());
});

test('an empty batch gives an empty output and zero filter gradient', () => {
  tidy(() => {
    const x = tensor(new Float32Array(0), [0, 5, 5, 2], { requiresGrad: true });
    const w = tensor(new Float32Array(3 * 3 * 2 * 4).fill(1), [3, 3, 2, 4], { requiresGrad: true });
    const y = conv2d(x, w, null, { padding: 'same' });
    assert.equal([...y.shape], [0, 5, 5, 4]);
    y.backward(tensor(new Float32Array(0), [0, 5, 5, 4]));
    close((w.grad as Tensor).data, new Float32Array(w.size));
    w.grad?.dispose(); x.grad?.dispose();
  });
});

test('the packing workspace lives outside scopes, is reused, and grows for a larger layer', () => {
  const rng = new Rng(9);
  const small = () => tidy(() => {
    const x = tensor(normals(rng, 2 * 8 * 8 * 16), [2, 8, 8, 16]);
    const w = tensor(normals(rng, 3 * 3 * 16 * 16), [3, 3, 16, 16]);
    return conv2d(x, w, null, { padding: 'same' }).toArray().length;
  });
  small();
  const live = memoryStats().liveBlocks;
  small();
  assert.is(memoryStats().liveBlocks, live, 'no block left behind by a second call');
  checkKernels([1, 12, 12, 40], [3, 3, 40, 24], { padding: 'same' }, 10); // needs a larger workspace
  small();
});

// ---------------------------------------------------------------------------------------------
// Error contracts.

test('errors name the op, the contract and what was given', () => {
  const x = tensor(new Float32Array(1 * 5 * 5 * 3), [1, 5, 5, 3]);
  const w = tensor(new Float32Array(3 * 3 * 3 * 4), [3, 3, 3, 4]);
  assert.throws(() => conv2d(tensor(new Float32Array(3 * 32 * 32), [3, 32, 32]), w), /conv2d: expected input of rank 4 \[N,H,W,C\], got shape \[3,32,32\]/);
  assert.throws(() => conv2d(x, tensor(new Float32Array(27), [3, 3, 3])), /conv2d: expected filter of rank 4 \[KH,KW,C,O\], got shape \[3,3,3\]/);
  assert.throws(() => conv2d(x, tensor(new Float32Array(3 * 3 * 2 * 4), [3, 3, 2, 4])), /conv2d: expected the filter's input channels .* got x \[1,5,5,3\] and w \[3,3,2,4\]/);
  assert.throws(() => conv2d(x, tensor(new Float32Array(6 * 6 * 3), [6, 6, 3, 1])), /conv2d: expected an output of at least 1×1 pixels, got 0×0/);
  assert.throws(() => conv2d(x, w, null, { stride: 0 }), /conv2d: expected stride to be an integer in \[1, 1048576\] or \[strideH, strideW\] of such integers, got 0/);
  assert.throws(() => conv2d(x, w, null, { stride: [1, 2 ** 31] }), /conv2d: expected stride .* got \[1,2147483648\]/);
  assert.throws(() => conv2d(x, w, null, { padding: [0, 0, 0, 1e10] }), /conv2d: expected padding .* got \[0,0,0,10000000000\]/);
  assert.throws(() => conv2d(x, w, null, { stride: 1.5 }), /conv2d: expected stride .* got 1.5/);
  assert.throws(() => conv2d(x, w, null, { stride: [1] as unknown as [number, number] }), /conv2d: expected stride .* got \[1\]/);
  assert.throws(() => conv2d(x, w, null, { padding: 'full' as 'same' }), /conv2d: expected padding to be 'same', 'valid'.* got "full"/);
  assert.throws(() => conv2d(x, w, null, { padding: -1 }), /conv2d: expected padding .* got -1/);
  assert.throws(() => conv2d(x, w, null, { padding: [1, 1, 1] as unknown as [number, number, number, number] }), /conv2d: expected padding .* got \[1,1,1\]/);
  assert.throws(() => conv2d(x, w, tensor([1, 2, 3])), /conv2d: expected a bias of shape \[4\] .* got shape \[3\]/);
  assert.throws(() => conv2d(x, w, tensor([[1, 2, 3, 4]])), /conv2d: expected a bias of shape \[4\] .* got shape \[1,4\]/);
  assert.throws(() => conv2d([1, 2] as unknown as Tensor, w), (e: unknown) => e instanceof TypeError && /conv2d: expected the input x to be a Tensor/.test((e as Error).message));
  assert.throws(() => conv2d(x, tensor(new Float32Array(0), [3, 0, 3, 4])), /conv2d: expected filter \[KH,KW,C,O\] with every dimension >= 1, got shape \[3,0,3,4\]/);
});

test.run();
