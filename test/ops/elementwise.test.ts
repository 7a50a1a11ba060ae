import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, Tensor } from '../../src/tensor.js';
import { add, sub, mul, scale, sum, mean, reshape } from '../../src/ops/elementwise.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { close } from '../helpers/close.js';
import { Storage } from '../../src/memory.js';
import { kernels } from '../../src/wasm.js';
import { Rng } from '../../src/random.js';

const sizes = [1, 3, 4, 5, 7, 17, 33];

for (const n of sizes) {
  test(`add n=${n}`, () => gradcheck({ inputs: [{ shape: [n] }, { shape: [n] }], engine: ([a, b]) => add(a, b), reference: ([a, b]) => a.map((v, i) => v + b[i]) }));
  test(`sub n=${n}`, () => gradcheck({ inputs: [{ shape: [n] }, { shape: [n] }], engine: ([a, b]) => sub(a, b), reference: ([a, b]) => a.map((v, i) => v - b[i]) }));
  test(`mul n=${n}`, () => gradcheck({ inputs: [{ shape: [n] }, { shape: [n] }], engine: ([a, b]) => mul(a, b), reference: ([a, b]) => a.map((v, i) => v * b[i]) }));
  test(`scale n=${n} a=-2.5`, () => gradcheck({ inputs: [{ shape: [n] }], engine: ([a]) => scale(a, -2.5), reference: ([a]) => a.map((v) => -2.5 * v) }));
  test(`sum n=${n}`, () => gradcheck({ inputs: [{ shape: [n] }], engine: ([a]) => sum(a), reference: ([a]) => [a.reduce((p, v) => p + v, 0)] }));
  test(`mean n=${n}`, () => gradcheck({ inputs: [{ shape: [n] }], engine: ([a]) => mean(a), reference: ([a]) => [a.reduce((p, v) => p + v, 0) / n] }));
}

test('reshape shares memory, infers -1 and passes the gradient back in the input shape', () => {
  gradcheck({ inputs: [{ shape: [2, 3, 4] }], engine: ([a]) => mul(reshape(a, [4, -1]), reshape(a, [4, 6])), reference: ([a]) => a.map((v) => v * v) });
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  const y = reshape(x, [3, 2]);
  assert.equal(y.shape, [3, 2]);
  x.data[0] = 9;
  assert.is(y.data[0], 9);
});

test('golden values worked by hand', () => {
  const a = tensor([1, 2, 3]);
  const b = tensor([4, -5, 6]);
  close(add(a, b).data, [5, -3, 9]);
  close(mul(a, b).data, [4, -10, 18]);
  assert.is(sum(a).item(), 6);
  assert.is(mean(b).item(), Math.fround(5 / 3));
});

test('a value used twice accumulates both gradients', () => {
  const x = tensor([2, -3], [2], { requiresGrad: true });
  const y = sum(add(mul(x, x), x)); // d/dx = 2x + 1
  y.backward();
  close((x.grad as Tensor).data, [5, -5]);
  // A second backward accumulates (+=).
  sum(x).backward();
  close((x.grad as Tensor).data, [6, -4]);
});

test('shape errors name the op, the contract and what was given', () => {
  assert.throws(() => add(tensor([1, 2]), tensor([1, 2, 3])), /add: expected two tensors of the same shape, got \[2\] and \[3\]/);
  assert.throws(() => reshape(tensor([1, 2, 3]), [2, 2]), /reshape: expected a shape with 3 elements \(from \[3\]\), got \[2,2\] with 4/);
  assert.throws(() => scale(tensor([1]), NaN), /scale: expected the factor to be a finite number, got NaN/);
  assert.throws(() => tensor([[1, 2], [3]]), /tensor: expected a regular nested array/);
  assert.throws(() => mean(tensor([], [0])), /mean: expected a tensor with at least one element/);
});

for (const n of [1, 3, 4, 5, 7, 17, 33]) {
  test(`countNonFinite n=${n}`, () => {
    const v = new Float32Array(n).map((_, i) => i - 3);
    const bad = [0, n - 1, Math.floor(n / 2)].filter((i, j, a) => a.indexOf(i) === j);
    const vals = [NaN, Infinity, -Infinity];
    bad.forEach((i, j) => { v[i] = vals[j % 3]; });
    assert.is(tensor(v, [n]).countNonFinite(), bad.length);
    v.fill(1e38);
    assert.is(tensor(v, [n]).countNonFinite(), 0);
  });
}


test('colsum_part_f32: each column summed row by row in f32 (the bits of a sequential sum) across row blocks, column ranges and accumulate', () => {
  const K = kernels<{ colsum_part_f32(x: number, rows: number, cols: number, c0: number, c1: number, accumulate: number, y: number): void }>();
  const rng = new Rng(21);
  // Widths past one row block (16 KiB of x) and below it; every column-block shape (32, 16, 4, scalar).
  for (const [rows, cols] of [[0, 5], [1, 3], [9, 64], [300, 128], [1031, 67], [77, 1000], [5000, 7]]) {
    const x = new Storage(Math.max(1, rows * cols)), y = new Storage(Math.max(1, cols));
    const xv = x.f32view();
    for (let i = 0; i < rows * cols; i++) xv[i] = rng.normal() * 10 ** rng.uniform(-3, 3);
    for (const [c0, c1, acc] of [[0, cols, 0], [1, cols, 1], [Math.floor(cols / 3), cols - 1, 0]]) {
      if (c1 < c0) continue;
      const yv = y.f32view();
      for (let j = 0; j < cols; j++) yv[j] = j + 0.25;
      const before = Float32Array.from(yv);
      K.colsum_part_f32(x.ptr, rows, cols, c0, c1, acc, y.ptr);
      const got = y.f32view();
      for (let j = 0; j < cols; j++) {
        let want = j >= c0 && j < c1 ? (acc ? before[j] : 0) : before[j];
        if (j >= c0 && j < c1) for (let i = 0; i < rows; i++) want = Math.fround(want + xv[i * cols + j]);
        assert.is(got[j], want, `rows=${rows} cols=${cols} [${c0}, ${c1}) accumulate=${acc}: column ${j}`);
      }
    }
    x.dispose(); y.dispose();
  }
});

test.run();
