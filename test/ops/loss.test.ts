import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, Tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { kernels } from '../../src/wasm.js';
import { Rng } from '../../src/random.js';
import { mseLoss, type Reduction } from '../../src/ops/loss.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { close } from '../helpers/close.js';

interface K {
  mse_fwd_f32(pred: number, target: number, n: number): number;
  mse_bwd_f32(pred: number, target: number, n: number, a: number, d: number): void;
}
const k = () => kernels<K>();
const rng = new Rng(9);

const refSum = (p: ArrayLike<number>, t: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i] - t[i]) ** 2;
  return s;
};

for (const n of [1, 3, 4, 5, 7, 17, 1031, 4099]) {
  test(`mse_fwd_f32 / mse_bwd_f32 vs float64 reference n=${n}`, () => tidy(() => {
    const pv = Float32Array.from({ length: n }, () => rng.normal());
    const tv = Float32Array.from({ length: n }, () => rng.normal());
    const p = tensor(pv), t = tensor(tv), d = new Tensor([n]);
    const s = k().mse_fwd_f32(p.ptr, t.ptr, n);
    close([s], [refSum(pv, tv)], { atol: 1e-6, rtol: 1e-6 }, 'sum of squares');
    k().mse_bwd_f32(p.ptr, t.ptr, n, -0.75, d.ptr);
    close(d.data, Array.from(pv, (v, i) => -0.75 * (v - tv[i])), { atol: 1e-7, rtol: 1e-6 }, 'backward');
  }));
}

for (const n of [1, 3, 4, 5, 7, 17]) {
  for (const reduction of ['mean', 'sum'] as const) {
    test(`mseLoss gradcheck pred=[${n}] target=[${n}] reduction=${reduction}, both inputs`, () => gradcheck({
      inputs: [{ shape: [n] }, { shape: [n] }],
      engine: ([p, t]) => mseLoss(p, t, { reduction }),
      reference: ([p, t]) => [refSum(p, t) / (reduction === 'mean' ? n : 1)],
    }));
  }
}

test('mseLoss gradcheck pred=[2,3,3,5] target without gradient (default mean)', () => gradcheck({
  inputs: [{ shape: [2, 3, 3, 5] }, { shape: [2, 3, 3, 5], grad: false }],
  engine: ([p, t]) => mseLoss(p, t),
  reference: ([p, t]) => [refSum(p, t) / 90],
}));

test('golden: mse of [1,2,3] and [1,0,5] is 8/3 (mean), 8 (sum); gradients 2(p−t)/n', () => {
  const p = tensor([1, 2, 3], [3], { requiresGrad: true });
  const t = tensor([1, 0, 5], [3], { requiresGrad: true });
  const m = mseLoss(p, t);
  assert.equal([...m.shape], []);
  assert.is(m.item(), Math.fround(8 / 3));
  m.backward();
  close((p.grad as Tensor).data, [0, 4 / 3, -4 / 3], { atol: 1e-7, rtol: 1e-6 });
  close((t.grad as Tensor).data, [0, -4 / 3, 4 / 3], { atol: 1e-7, rtol: 1e-6 });
  assert.is(mseLoss(tensor([1, 2, 3]), tensor([1, 0, 5]), { reduction: 'sum' }).item(), 8);
  // A target that needs no gradient gets none; pred alone gets 2(p−t) with 'sum'.
  const p2 = tensor([0.5, -1], [2], { requiresGrad: true });
  const t2 = tensor([1.5, 1]);
  mseLoss(p2, t2, { reduction: 'sum' }).backward();
  assert.equal((p2.grad as Tensor).toArray(), [-2, -4]);
  assert.is(t2.grad, null);
});

test('mseLoss over many elements keeps f64 precision in the sum (n = 1,000,003 of 0.1 errors)', () => {
  const n = 1_000_003;
  const p = tensor(new Float32Array(n).fill(0.1)), t = tensor(new Float32Array(n));
  const e = Math.fround(0.1) * Math.fround(0.1);
  close([mseLoss(p, t, { reduction: 'sum' }).item()], [n * Math.fround(e)], { atol: 0, rtol: 1e-6 });
  close([mseLoss(p, t).item()], [Math.fround(e)], { atol: 0, rtol: 1e-6 });
  p.dispose(); t.dispose();
});

test('errors: shapes, reduction (options listed), empty, types', () => {
  const a = tensor([1, 2, 3]);
  assert.throws(() => mseLoss(a, tensor([1, 2])), /mseLoss: expected pred and target of the same shape, got \[3\] and \[2\]/);
  assert.throws(() => mseLoss(a, tensor([1, 2, 3], [3, 1])), /mseLoss: expected pred and target of the same shape, got \[3\] and \[3,1\]/);
  assert.throws(() => mseLoss(a, a, { reduction: 'max' as Reduction }), /mseLoss: expected reduction to be one of 'mean', 'sum', got "max"/);
  assert.throws(() => mseLoss(tensor([], [0]), tensor([], [0])), /mseLoss: expected pred and target with at least one element, got shape \[0\]/);
  assert.throws(() => mseLoss(a, null as unknown as Tensor), /mseLoss: expected input 1 to be a Tensor, got null/);
  assert.throws(() => mseLoss(a, a, 'sum' as unknown as { reduction: Reduction }), /mseLoss: expected options \{ reduction\? \}, got "sum"/);
});

test.run();
