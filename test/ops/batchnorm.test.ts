import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, ones, zeros, Tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { batchNorm } from '../../src/ops/batchnorm.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { close } from '../helpers/close.js';

const EPS = 1e-5;

/** Float64 batch statistics of x [rows × c]: mean and biased variance per channel. */
function statsRef(x: ArrayLike<number>, rows: number, c: number): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(c), variance = new Float64Array(c);
  for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) mean[j] += x[r * c + j];
  for (let j = 0; j < c; j++) mean[j] /= rows;
  for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) variance[j] += (x[r * c + j] - mean[j]) ** 2;
  for (let j = 0; j < c; j++) variance[j] /= rows;
  return { mean, variance };
}

/** Float64 batch norm with the given statistics. */
function applyRef(x: ArrayLike<number>, rows: number, c: number, mean: ArrayLike<number>, variance: ArrayLike<number>,
  gamma: ArrayLike<number>, beta: ArrayLike<number>, eps = EPS): Float64Array {
  const y = new Float64Array(rows * c);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < c; j++) y[r * c + j] = ((x[r * c + j] - mean[j]) / Math.sqrt(variance[j] + eps)) * gamma[j] + beta[j];
  }
  return y;
}

function trainRef(x: ArrayLike<number>, rows: number, c: number, gamma: ArrayLike<number>, beta: ArrayLike<number>): Float64Array {
  const { mean, variance } = statsRef(x, rows, c);
  return applyRef(x, rows, c, mean, variance, gamma, beta);
}

const channels = [1, 3, 4, 5, 7, 17];

for (const c of channels) {
  for (const shape of [[3, c], [2, 2, 3, c]]) {
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    test(`training x=[${shape}] gradients to x, gamma, beta`, () => gradcheck({
      inputs: [{ shape }, { shape: [c] }, { shape: [c] }],
      engine: ([x, g, b]) => batchNorm(x, g, b, { training: true }),
      reference: ([x, g, b]) => trainRef(x, rows, c, g, b),
      fwd: { atol: 1e-4, rtol: 1e-4 },
      atol: 2e-3, rtol: 2e-3,
    }));
  }
  test(`evaluation x=[2,3,2,${c}] with running statistics: gradients to x, gamma, beta`, () => {
    const rng = new Rng(c);
    const rm = Array.from({ length: c }, () => rng.normal());
    const rv = Array.from({ length: c }, () => 0.5 + rng.next());
    gradcheck({
      inputs: [{ shape: [2, 3, 2, c] }, { shape: [c] }, { shape: [c] }, { shape: [c], values: rm, grad: false }, { shape: [c], values: rv, grad: false }],
      engine: ([x, g, b, m, v]) => batchNorm(x, g, b, { training: false, runningMean: m, runningVar: v }),
      reference: ([x, g, b, m, v]) => applyRef(x, 12, c, m, v, g, b),
    });
  });
  test(`kernel vs scalar reference x=[5,${c}] and [4,3,3,${c}]: outputs and running statistics (momentum 0.25)`, () => tidy(() => {
    for (const shape of [[5, c], [4, 3, 3, c]]) {
      const rng = new Rng(100 + c);
      const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const xv = Float32Array.from({ length: rows * c }, () => 3 + 2 * rng.normal());
      const gv = Float32Array.from({ length: c }, () => rng.normal());
      const bv = Float32Array.from({ length: c }, () => rng.normal());
      const rm0 = Float32Array.from({ length: c }, () => rng.normal());
      const rv0 = Float32Array.from({ length: c }, () => 1 + rng.next());
      const rm = tensor(rm0, [c]), rv = tensor(rv0, [c]);
      const y = batchNorm(tensor(xv, shape), tensor(gv, [c]), tensor(bv, [c]), { training: true, runningMean: rm, runningVar: rv, momentum: 0.25 });
      close(y.data, trainRef(xv, rows, c, gv, bv), { atol: 1e-5, rtol: 1e-5 }, 'y');
      const { mean, variance } = statsRef(xv, rows, c);
      close(rm.data, Array.from(mean, (m, j) => 0.75 * rm0[j] + 0.25 * m), { atol: 1e-6, rtol: 1e-6 }, 'running mean');
      close(rv.data, Array.from(variance, (v, j) => 0.75 * rv0[j] + 0.25 * v * rows / (rows - 1)), { atol: 1e-6, rtol: 1e-5 }, 'running var');
      const ye = batchNorm(tensor(xv, shape), tensor(gv, [c]), tensor(bv, [c]), { training: false, runningMean: rm, runningVar: rv });
      close(ye.data, applyRef(xv, rows, c, rm.data, rv.data, gv, bv), { atol: 1e-5, rtol: 1e-5 }, 'y in evaluation');
    }
  }));
}

test('golden values by hand: x=[[1],[3]] gamma=2 beta=1', () => tidy(() => {
  const rm = zeros([1]), rv = ones([1]);
  const y = batchNorm(tensor([[1], [3]]), tensor([2]), tensor([1]), { training: true, runningMean: rm, runningVar: rv });
  // mean 2, biased var 1 → x̂ = ∓1/sqrt(1 + 1e-5); y = 2·x̂ + 1.
  const xh = 1 / Math.sqrt(1 + 1e-5);
  close(y.data, [1 - 2 * xh, 1 + 2 * xh], { atol: 1e-7, rtol: 0 });
  // running mean 0.9·0 + 0.1·2; running var 0.9·1 + 0.1·2 (the unbiased variance of {1, 3} is 2).
  close(rm.data, [0.2], { atol: 1e-7, rtol: 0 });
  close(rv.data, [1.1], { atol: 1e-7, rtol: 0 });
  // Evaluation with these running statistics: (x − 0.2)/sqrt(1.1 + 1e-5)·2 + 1.
  const ye = batchNorm(tensor([[1], [3]]), tensor([2]), tensor([1]), { training: false, runningMean: rm, runningVar: rv });
  close(ye.data, [1 + 2 * 0.8 / Math.sqrt(1.1 + 1e-5), 1 + 2 * 2.8 / Math.sqrt(1.1 + 1e-5)], { atol: 1e-6, rtol: 0 });
}));

test('x=[10000,3] around 1000: the f64 sums keep the variance accurate', () => tidy(() => {
  const rng = new Rng(5);
  const xv = Float32Array.from({ length: 30000 }, () => 1000 + 0.01 * rng.normal());
  const rm = zeros([3]), rv = zeros([3]);
  batchNorm(tensor(xv, [10000, 3]), ones([3]), zeros([3]), { training: true, runningMean: rm, runningVar: rv, momentum: 1 });
  const { mean, variance } = statsRef(xv, 10000, 3);
  close(rm.data, mean, { atol: 0, rtol: 1e-7 }, 'mean');
  close(rv.data, Array.from(variance, (v) => v * 10000 / 9999), { atol: 0, rtol: 1e-3 }, 'variance');
}));

test('deterministic: the same input twice gives identical bits, forward and backward', () => tidy(() => {
  const rng = new Rng(9);
  const xv = Float32Array.from({ length: 4 * 5 * 5 * 6 }, () => rng.normal());
  const run = () => tidy(() => {
    const x = tensor(xv, [4, 5, 5, 6], { requiresGrad: true });
    const g = tensor([1, 2, 3, 4, 5, 6], [6], { requiresGrad: true });
    const y = batchNorm(x, g, zeros([6]), { training: true });
    y.backward(tensor(xv, [4, 5, 5, 6]));
    return [...y.data, ...(x.grad as Tensor).data, ...(g.grad as Tensor).data];
  });
  assert.equal(run(), run());
}));

test('only the inputs that need a gradient get one', () => tidy(() => {
  const x = tensor([[1, 2], [3, 5], [0, 1]]);
  const g = tensor([1, 1], [2], { requiresGrad: true });
  const b = tensor([0, 0], [2]);
  batchNorm(x, g, b, { training: true }).backward(ones([3, 2]));
  assert.ok(g.grad);
  assert.is(x.grad, null);
  assert.is(b.grad, null);
}));

test('errors name the op, the contract and what was given', () => tidy(() => {
  const g = ones([3]), b = zeros([3]);
  assert.throws(() => batchNorm(tensor([1, 2, 3]), g, b, { training: true }), /batchNorm: expected x of rank >= 2 .*got shape \[3\]/);
  assert.throws(() => batchNorm(zeros([2, 4]), g, b, { training: true }), /batchNorm: expected gamma of shape \[4\] .*got shape \[3\]/);
  assert.throws(() => batchNorm(zeros([2, 3]), g, ones([4]), { training: true }), /batchNorm: expected beta of shape \[3\]/);
  assert.throws(() => batchNorm(zeros([1, 3]), g, b, { training: true }), /batchNorm: expected at least 2 values per channel in training/);
  assert.throws(() => batchNorm(zeros([1, 1, 1, 3]), g, b, { training: true }), /batchNorm: expected at least 2 values per channel/);
  assert.throws(() => batchNorm(zeros([2, 3]), g, b, { training: false }), /batchNorm: expected runningMean and runningVar in evaluation/);
  assert.throws(() => batchNorm(zeros([2, 3]), g, b, { training: false, runningMean: zeros([3]) }), /batchNorm: expected runningMean and runningVar both given/);
  assert.throws(() => batchNorm(zeros([2, 3]), g, b, { training: false, runningMean: zeros([3]), runningVar: ones([2]) }), /batchNorm: expected runningVar of shape \[3\]/);
  assert.throws(() => batchNorm(zeros([2, 3]), g, b, { training: true, momentum: 2 }), /batchNorm: expected options.momentum to be a finite number in \[0, 1\], got 2/);
  assert.throws(() => batchNorm(zeros([2, 3]), g, b, { training: true, eps: 0 }), /batchNorm: expected options.eps to be > 0/);
  assert.throws(() => batchNorm(zeros([2, 3]), g, b, {} as never), /batchNorm: expected options.training to be a boolean/);
}));

test.run();
