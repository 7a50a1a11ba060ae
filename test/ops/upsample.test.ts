import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { upsampleNearest } from '../../src/ops/upsample.js';
import { gradcheck } from '../helpers/gradcheck.js';

/** Float64 nearest upsampling of x [n,h,w,c] by fh × fw. */
function upRef(x: ArrayLike<number>, [n, h, w, c]: number[], fh: number, fw: number): Float64Array {
  const oh = h * fh, ow = w * fw;
  const y = new Float64Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let k = 0; k < c; k++) {
    y[((b * oh + i) * ow + j) * c + k] = x[((b * h + Math.floor(i / fh)) * w + Math.floor(j / fw)) * c + k];
  }
  return y;
}

for (const c of [1, 3, 4, 5, 7, 17]) {
  for (const [fh, fw] of [[2, 2], [2, 3], [1, 1], [3, 1]]) {
    const shape = [2, 3, 2, c];
    test(`x=[${shape}] factor=[${fh},${fw}]: forward bit for bit, gradient`, () => {
      tidy(() => {
        const rng = new Rng(c * 10 + fh);
        const xv = Float32Array.from({ length: 12 * c }, () => rng.normal());
        const y = upsampleNearest(tensor(xv, shape), { factor: [fh, fw] });
        assert.equal(y.shape, [2, 3 * fh, 2 * fw, c]);
        assert.equal(Array.from(y.data), Array.from(upRef(xv, shape, fh, fw)));
      });
      gradcheck({ inputs: [{ shape }], engine: ([x]) => upsampleNearest(x, { factor: [fh, fw] }), reference: ([x]) => upRef(x, shape, fh, fw) });
    });
  }
}

test('golden values by hand: [[1,2],[3,4]] factor 2', () => tidy(() => {
  const y = upsampleNearest(tensor([1, 2, 3, 4], [1, 2, 2, 1]), { factor: 2 });
  assert.equal(y.shape, [1, 4, 4, 1]);
  assert.equal(y.toArray(), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  const x = tensor([1, 2, 3, 4], [1, 2, 2, 1], { requiresGrad: true });
  upsampleNearest(x, { factor: 2 }).backward(tensor(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]));
  // dx[0,0] = 0 + 1 + 4 + 5, dx[0,1] = 2 + 3 + 6 + 7, dx[1,0] = 8 + 9 + 12 + 13, dx[1,1] = 10 + 11 + 14 + 15.
  assert.equal(x.grad?.toArray(), [10, 18, 42, 50]);
}));

test('errors name the op, the contract and what was given', () => {
  assert.throws(() => upsampleNearest(tensor([1, 2]), { factor: 2 }), /upsampleNearest: expected input of rank 4 \[N,H,W,C\], got shape \[2\]/);
  assert.throws(() => upsampleNearest(tensor([1], [1, 1, 1, 1]), { factor: 0 }), /upsampleNearest: expected factor to be an integer >= 1, got 0/);
  assert.throws(() => upsampleNearest(tensor([1], [1, 1, 1, 1]), { factor: [2, 2, 2] as never }), /upsampleNearest: expected factor to be an integer >= 1 or a pair/);
  assert.throws(() => upsampleNearest(tensor([1], [1, 1, 1, 1]), 2 as never), /upsampleNearest: expected options \{ factor \}/);
});

test.run();
