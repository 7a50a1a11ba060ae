import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, Tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { kernels } from '../../src/wasm.js';
import { Rng } from '../../src/random.js';
import { relu } from '../../src/ops/activation.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { close } from '../helpers/close.js';

interface K {
  relu_fwd_f32(x: number, n: number, y: number): void;
  relu_bwd_f32(x: number, dy: number, n: number, dx: number): void;
}
const k = () => kernels<K>();

const rng = new Rng(5);
/** Normal values with a few exact zeros and negative zeros, so the kink is hit on purpose. */
const withZeros = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 3 === 1 ? (i % 2 ? 0 : -0) : rng.normal()));

for (const n of [1, 3, 4, 5, 7, 17]) {
  test(`relu_fwd_f32 / relu_bwd_f32 vs float64 reference n=${n}`, () => tidy(() => {
    const xv = withZeros(n);
    const dyv = Float32Array.from({ length: n }, () => rng.normal());
    const x = tensor(xv), dy = tensor(dyv), y = new Tensor([n]), dx = new Tensor([n]);
    k().relu_fwd_f32(x.ptr, n, y.ptr);
    close(y.data, Array.from(xv, (v) => Math.max(v, 0)), { atol: 0, rtol: 0 }, 'forward');
    k().relu_bwd_f32(x.ptr, dy.ptr, n, dx.ptr);
    close(dx.data, Array.from(xv, (v, i) => (v > 0 ? dyv[i] : 0)), { atol: 0, rtol: 0 }, 'backward');
    // In place (y aliases x) gives the same values.
    k().relu_fwd_f32(x.ptr, n, x.ptr);
    close(x.data, y.data, { atol: 0, rtol: 0 }, 'in place');
  }));

  test(`relu gradcheck n=${n} (inputs kept at least 0.1 away from 0)`, () => {
    const values = Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (0.1 + Math.abs(rng.normal())));
    gradcheck({ inputs: [{ shape: [n], values }], engine: ([x]) => relu(x), reference: ([x]) => x.map((v) => Math.max(v, 0)) });
  });
}

test('relu gradcheck x=[2,3,3,5] (any shape)', () => {
  const values = Array.from({ length: 90 }, () => { const v = rng.normal(); return v + (v >= 0 ? 0.1 : -0.1); });
  gradcheck({ inputs: [{ shape: [2, 3, 3, 5], values }], engine: ([x]) => relu(x), reference: ([x]) => x.map((v) => Math.max(v, 0)) });
});

test('golden: relu([-2, -0.5, 0, 0.5, 3]), gradient 0 at exactly 0, NaN stays NaN', () => {
  const x = tensor([-2, -0.5, 0, 0.5, 3], [5], { requiresGrad: true });
  const y = relu(x);
  assert.equal([...y.shape], [5]);
  assert.equal(y.toArray(), [0, 0, 0, 0.5, 3]);
  y.backward(tensor([10, 20, 30, 40, 50]));
  assert.equal((x.grad as Tensor).toArray(), [0, 0, 0, 40, 50]);
  const z = relu(tensor([NaN, -1, 2, NaN, 1]));
  assert.ok(Number.isNaN(z.data[0]) && Number.isNaN(z.data[3]));
  assert.equal([z.data[1], z.data[2], z.data[4]], [0, 2, 1]);
  assert.ok(Object.is(relu(tensor([-0])).data[0], 0), '-0 gives +0');
});

test('errors: relu names itself for a non-tensor', () => {
  assert.throws(() => relu([1, 2] as unknown as Tensor), /relu: expected input 0 to be a Tensor, got object/);
  assert.throws(() => relu(undefined as unknown as Tensor), /relu: expected input 0 to be a Tensor, got undefined/);
});

test.run();
