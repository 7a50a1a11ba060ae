import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, Tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { kernels } from '../../src/wasm.js';
import { Rng } from '../../src/random.js';
import { mseLoss, softmaxCrossEntropy, type Reduction } from '../../src/ops/loss.js';
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

// ---- softmaxCrossEntropy (plain softmax loss; NormFace / CosFace on cosines) ----

/** Float64 reference: Σ_i −log softmax(s·(x_i − m·onehot_i))[y_i], over n rows of c. */
function refXent(x: ArrayLike<number>, labels: number[], c: number, s: number, m: number, mean: boolean): number {
  const n = labels.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: c }, (_, j) => s * (x[i * c + j] - (j === labels[i] ? m : 0)));
    const mx = Math.max(...z);
    const lse = mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0));
    total += lse - z[labels[i]];
  }
  return mean ? total / n : total;
}

for (const [n, c] of [[1, 1], [1, 3], [3, 5], [4, 7], [6, 17]] as const) {
  for (const [s, m, reduction] of [[1, 0, 'mean'], [4, 0.35, 'mean'], [2.5, 0.2, 'sum']] as const) {
    test(`softmaxCrossEntropy gradcheck x=[${n},${c}] scale ${s} margin ${m} ${reduction}`, () => {
      const labels = Array.from({ length: n }, (_, i) => (i * 5 + 2) % c);
      gradcheck({
        inputs: [{ shape: [n, c] }],
        engine: ([x]) => softmaxCrossEntropy(x, labels, { scale: s, margin: m, reduction }),
        reference: ([x]) => [refXent(x, labels, c, s, m, reduction === 'mean')],
        fwd: { atol: 1e-5, rtol: 1e-5 },
      });
    });
  }
}

test('golden: two classes with logits [0, 0] cost log 2; a margin of 0.5 at scale 2 costs log(1 + e)', () => {
  const x = tensor([0, 0], [1, 2], { requiresGrad: true });
  const l = softmaxCrossEntropy(x, [1]);
  close([l.item()], [Math.LN2], { atol: 1e-7, rtol: 1e-6 });
  l.backward();
  close((x.grad as Tensor).data, [0.5, -0.5], { atol: 1e-7, rtol: 1e-6 }); // p − onehot
  // z = 2·([0, 0] − [0, 0.5]) = [0, −1] → loss = log(1 + e^1) − 0·… = log(e^0 + e^−1) + 1
  close([softmaxCrossEntropy(tensor([0, 0], [1, 2]), [1], { scale: 2, margin: 0.5 }).item()], [Math.log(1 + Math.E)], { atol: 1e-6, rtol: 1e-6 });
});

test('softmaxCrossEntropy: large scales do not overflow; a confident right answer costs ~0, a wrong one ~s·gap', () => {
  const x = tensor([1, -1, 0.5, -1, 1, 0.5], [2, 3]);
  const l = softmaxCrossEntropy(x, [0, 0], { scale: 64, reduction: 'sum' }).item();
  // row 0: right by 0.5 at scale 64 → ~e^−32; row 1: wrong by 2 → ~128
  close([l], [refXent([1, -1, 0.5, -1, 1, 0.5], [0, 0], 3, 64, 0, false)], { atol: 1e-3, rtol: 1e-6 });
  assert.ok(Number.isFinite(l) && l > 127 && l < 129, `${l}`);
});

test('softmaxCrossEntropy errors: labels out of range name the row and the classes, NaN logits are refused', () => {
  const x = tensor([0, 1, 2, 3, 4, 5], [2, 3]);
  assert.throws(() => softmaxCrossEntropy(x, [0, 3]), /softmaxCrossEntropy: expected labels to be class numbers 0…2 \(logits \[2,3\]\), got labels\[1\] = 3/);
  assert.throws(() => softmaxCrossEntropy(x, [0, 1.5]), /labels\[1\] = 1\.5/);
  assert.throws(() => softmaxCrossEntropy(x, [0]), /softmaxCrossEntropy: expected one label per row \(2\), got 1 labels/);
  assert.throws(() => softmaxCrossEntropy(tensor([1, 2, 3]), [0]), /softmaxCrossEntropy: expected logits of rank 2 \[N,C\] with N, C ≥ 1, got shape \[3\]/);
  assert.throws(() => softmaxCrossEntropy(x, [0, 1], { scale: 0 }), /softmaxCrossEntropy: expected scale/);
  assert.throws(() => softmaxCrossEntropy(x, [0, 1], { margin: -0.1 }), /softmaxCrossEntropy: expected margin/);
  assert.throws(() => softmaxCrossEntropy(tensor([0, NaN, 1, 2, 3, Infinity], [2, 3]), [0, 1]), /softmaxCrossEntropy: expected finite logits, got 2 NaN or infinite values in the \[2,3\] logits/);
});

test.run();
