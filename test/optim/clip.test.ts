import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tensor, parameter, randn } from '../../src/tensor.js';
import { Rng } from '../../src/random.js';
import { clipGradNorm, clipGradValue } from '../../src/optim/clip.js';
import { close } from '../helpers/close.js';

const sizes = [1, 3, 4, 5, 7, 17, 33];

function withGrad(values: number[], shape = [values.length]): Tensor {
  const p = parameter(tensor(values.map(() => 0), shape));
  p.grad = tensor(values, shape);
  return p;
}

test('clipGradNorm golden: grads [3,0] and [4] → norm 5, clipped to norm 1: [0.6,0,0.8]', () => {
  const a = withGrad([3, 0]), b = withGrad([4]), c = parameter(tensor([1])); // c has no gradient
  const norm = clipGradNorm([a, b, c], 1);
  close([norm], [5], { atol: 1e-12, rtol: 0 });
  const s = 1 / (5 + 1e-6);
  close((a.grad as Tensor).data, [3 * s, 0], { atol: 1e-7, rtol: 0 });
  close((b.grad as Tensor).data, [4 * s], { atol: 1e-7, rtol: 0 });
  assert.is(c.grad, null);
});

test('clipGradNorm below the limit returns the norm and leaves gradients bit-identical', () => {
  const a = withGrad([3, 0]), b = withGrad([4]);
  assert.is(clipGradNorm([a, b], 10), 5);
  assert.equal(Array.from((a.grad as Tensor).data), [3, 0]);
  assert.is(clipGradNorm([a, b], Infinity), 5);
  assert.is(clipGradNorm([], 1), 0);
});

for (const n of sizes) {
  test(`clipGradNorm vs float64 global norm, grads of sizes n=${n} and ${n + 2}, maxNorm 0.5`, () => {
    const rng = new Rng(300 + n);
    const ps = [n, n + 2].map((m) => { const p = parameter(tensor(new Float32Array(m))); p.grad = randn([m], rng); return p; });
    const before = ps.map((p) => Float64Array.from((p.grad as Tensor).data));
    const ref = Math.sqrt(before.reduce((s, g) => s + g.reduce((t, v) => t + v * v, 0), 0));
    const norm = clipGradNorm(ps, 0.5);
    close([norm], [ref], { atol: 0, rtol: 1e-6 }, 'norm');
    ps.forEach((p, i) => close((p.grad as Tensor).data, before[i].map((v) => v * 0.5 / (ref + 1e-6)), { atol: 1e-7, rtol: 1e-5 }, `grad ${i}`));
    const after = Math.sqrt(ps.reduce((s, p) => s + (p.grad as Tensor).toArray().reduce((t, v) => t + v * v, 0), 0));
    close([after], [0.5], { atol: 1e-5, rtol: 0 }, 'norm after');
  });

  test(`grad_clamp_f32 (clipGradValue) vs reference n=${n} clip 0.7, NaN kept`, () => {
    const rng = new Rng(400 + n);
    const values = Array.from({ length: n }, () => rng.normal());
    if (n > 2) values[n - 1] = NaN;
    const p = withGrad(values);
    clipGradValue([p], 0.7);
    close((p.grad as Tensor).data, values.map((v) => Math.fround(Math.min(Math.max(v, -0.7), 0.7))), { atol: 0, rtol: 0 });
  });
}

test('clipGradValue golden: [-3, 0.5, 2, -0.25] clipped at 1 → [-1, 0.5, 1, -0.25]', () => {
  const p = withGrad([-3, 0.5, 2, -0.25]);
  clipGradValue([p, parameter(tensor([1]))], 1);
  close((p.grad as Tensor).data, [-1, 0.5, 1, -0.25], { atol: 0, rtol: 0 });
});

test('clipGradNorm with a NaN gradient returns NaN and scales nothing', () => {
  const a = withGrad([3, NaN]);
  assert.ok(Number.isNaN(clipGradNorm([a], 1)));
  assert.is((a.grad as Tensor).data[0], 3);
});

test('clipping errors name the function and the argument', () => {
  const p = withGrad([1]);
  assert.throws(() => clipGradNorm([p], 0), /clipGradNorm: expected maxNorm to be a number > 0, got 0/);
  assert.throws(() => clipGradNorm([p], NaN), /clipGradNorm: expected maxNorm to be a number > 0, got NaN/);
  assert.throws(() => clipGradNorm(p as unknown as Tensor[], 1), /clipGradNorm: expected params to be an array of tensors, got Tensor/);
  assert.throws(() => clipGradValue([p], -1), /clipGradValue: expected clip to be a finite number > 0, got -1/);
  assert.throws(() => clipGradValue([p], Infinity), /clipGradValue: expected clip to be a finite number > 0, got Infinity/);
  assert.throws(() => clipGradValue([p, 3] as unknown as Tensor[], 1), /clipGradValue: expected params\[1\] to be a Tensor, got 3/);
});

test.run();
