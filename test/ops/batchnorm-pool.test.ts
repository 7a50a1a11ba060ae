// batchNormMaxPool: batch norm with its 2×2 max-pool (and ReLU) in one pass must give
// (relu ∘) maxPool2d ∘ batchNorm bit for bit — values, winners on ties and NaN, every gradient, the
// running statistics — in training and evaluation, at odd sizes, on threads; plus a float64
// gradient check and the errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, ones, zeros, type Tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { batchNorm, batchNormMaxPool } from '../../src/ops/batchnorm.js';
import { maxPool2d } from '../../src/ops/pool.js';
import { relu as reluOp } from '../../src/ops/activation.js';
import { getThreads, setSplitScale, setThreads } from '../../src/threads.js';
import { gradcheck } from '../helpers/gradcheck.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));

function values(rng: Rng, n: number, ties: boolean): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = ties ? Math.floor(rng.uniform(0, 3)) - 1 : rng.normal();
  return v;
}

interface Run { y: number[]; dx: number[]; dg: number[]; db: number[]; rm: number[]; rv: number[] }

/** One forward and backward, fused or the ops one after the other; bits of everything. */
function run(fused: boolean, shape: number[], x0: Float32Array, g0: Float32Array, b0: Float32Array, r: Float32Array | null,
  training: boolean, relu: boolean): Run {
  return tidy(() => {
    const c = shape[3];
    const x = tensor(x0, shape, { requiresGrad: r !== null }), g = tensor(g0, [c], { requiresGrad: r !== null }), b = tensor(b0, [c], { requiresGrad: r !== null });
    const rm = zeros([c]), rv = ones([c]);
    if (!training) { rm.data.set(g0.map((v) => v * 0.1)); rv.data.set(b0.map((v) => 1 + Math.abs(v))); }
    const opts = { training, runningMean: rm, runningVar: rv, momentum: 0.3 };
    const composed = () => { const p = maxPool2d(batchNorm(x, g, b, opts), { size: 2 }); return relu ? reluOp(p) : p; };
    const y = fused ? batchNormMaxPool(x, g, b, { ...opts, relu }) : composed();
    if (r !== null) y.backward(tensor(r, [...y.shape]));
    const gr = (t: Tensor) => (t.grad ? bits(t.grad.data) : []);
    return { y: bits(y.data), dx: gr(x), dg: gr(g), db: gr(b), rm: bits(rm.data), rv: bits(rv.data) };
  });
}

const shapes: Array<[string, number[]]> = [
  ['odd 7×9, 8 channels', [2, 7, 9, 8]],
  ['4 channels', [3, 6, 4, 4]],
  ['12 channels, 5×6', [2, 5, 6, 12]],
  ['2×2 images', [4, 2, 2, 8]],
  ['3 channels (the ops one after the other)', [2, 6, 6, 3]],
];

for (const [name, shape] of shapes) {
  for (const ties of [false, true]) {
    test(`batchNormMaxPool = (relu ∘) maxPool2d ∘ batchNorm bit for bit: ${name}${ties ? ', ties' : ''}`, () => {
      const rng = new Rng(shape.reduce((a, b) => 31 * a + b, ties ? 1 : 0));
      const c = shape[3], n = shape.reduce((a, b) => a * b, 1);
      const x0 = values(rng, n, ties), g0 = values(rng, c, false), b0 = values(rng, c, false);
      const r = values(rng, shape[0] * (shape[1] >> 1) * (shape[2] >> 1) * c, false);
      for (const training of [true, false]) {
        for (const relu of [false, true]) {
          const what = `${training ? 'training' : 'evaluation'}${relu ? ', relu' : ''}`;
          const want = run(false, shape, x0, g0, b0, r, training, relu), got = run(true, shape, x0, g0, b0, r, training, relu);
          assert.equal(got, want, what);
          assert.equal(run(true, shape, x0, g0, b0, null, training, relu).y, want.y, `${what}: without gradients`);
        }
      }
    });
  }
}

test('batchNormMaxPool: a NaN wins its window as in maxPool2d', () => {
  const rng = new Rng(4);
  const shape = [1, 4, 6, 8];
  const x0 = values(rng, 4 * 6 * 8, false), g0 = values(rng, 8, false), b0 = values(rng, 8, false);
  x0[(1 * 6 + 3) * 8 + 2] = NaN;
  const r = values(rng, 2 * 3 * 8, false);
  for (const relu of [false, true]) {
    const want = run(false, shape, x0, g0, b0, r, false, relu), got = run(true, shape, x0, g0, b0, r, false, relu);
    assert.equal(got, want, relu ? 'relu' : 'no relu');
  }
});

test('batchNormMaxPool on threads (every call split) equals one thread bit for bit', () => {
  const before = getThreads();
  const rng = new Rng(8);
  const shape = [5, 8, 6, 16];
  const x0 = values(rng, 5 * 8 * 6 * 16, false), g0 = values(rng, 16, false), b0 = values(rng, 16, false), r = values(rng, 5 * 4 * 3 * 16, false);
  const out: Run[] = [];
  try {
    for (const t of [1, 2, 3]) {
      setThreads(t);
      const prev = setSplitScale(0);
      try { out.push(run(true, shape, x0, g0, b0, r, true, true)); } finally { setSplitScale(prev); }
    }
  } finally {
    setThreads(before);
  }
  assert.equal(out[1], out[0], '2 threads');
  assert.equal(out[2], out[0], '3 threads');
});

/** float64: batch norm with the batch's statistics, the 2×2 max-pool, the ReLU. */
function ref(x: Float64Array, g: Float64Array, b: Float64Array, [N, H, W, c]: number[], relu: boolean): Float64Array {
  const rows = N * H * W, mean = new Float64Array(c), v = new Float64Array(c);
  for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) mean[j] += x[r * c + j] / rows;
  for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) v[j] += (x[r * c + j] - mean[j]) ** 2 / rows;
  const PH = H >> 1, PW = W >> 1, out = new Float64Array(N * PH * PW * c);
  for (let n = 0; n < N; n++) for (let i = 0; i < PH; i++) for (let jw = 0; jw < PW; jw++) for (let j = 0; j < c; j++) {
    let m = -Infinity;
    for (let a = 0; a < 2; a++) for (let s = 0; s < 2; s++) {
      const q = ((n * H + 2 * i + a) * W + 2 * jw + s) * c + j;
      m = Math.max(m, ((x[q] - mean[j]) / Math.sqrt(v[j] + 1e-5)) * g[j] + b[j]);
    }
    out[((n * PH + i) * PW + jw) * c + j] = relu ? Math.max(m, 0) : m;
  }
  return out;
}

test('gradcheck batchNormMaxPool x=[2,4,5,4] (training), without and with relu', () => {
  const shape = [2, 4, 5, 4];
  for (const relu of [false, true]) {
    gradcheck({
      inputs: [{ shape }, { shape: [4] }, { shape: [4] }],
      engine: ([x, g, b]) => batchNormMaxPool(x, g, b, { training: true, relu }),
      reference: ([x, g, b]) => ref(x, g, b, shape, relu),
      eps: 1e-3, atol: 2e-3, rtol: 2e-3,
    });
  }
});

test('batchNormMaxPool errors name the op, the shape and the option', () => {
  const g = ones([4]), b = zeros([4]);
  assert.throws(() => batchNormMaxPool(tensor(new Float32Array(8), [2, 4]), g, b, { training: true }),
    /batchNormMaxPool: expected x of shape \[N,H,W,C\] with H, W ≥ 2 for the 2×2 max-pool, got shape \[2,4\]/);
  assert.throws(() => batchNormMaxPool(tensor(new Float32Array(16), [4, 1, 1, 4]), g, b, { training: true }), /batchNormMaxPool: expected x of shape/);
  assert.throws(() => batchNormMaxPool(tensor(new Float32Array(32), [2, 2, 2, 4]), g, b, { training: true, relu: 'yes' as unknown as boolean }),
    /batchNormMaxPool: expected options.relu to be a boolean/);
  assert.throws(() => batchNormMaxPool(tensor(new Float32Array(32), [2, 2, 2, 4]), ones([3]), b, { training: true }), /batchNormMaxPool: expected gamma of shape \[4\]/);
});

test.run();
