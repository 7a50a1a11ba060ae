import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tensor, parameter, randn } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { sub, mul, sum } from '../../src/ops/elementwise.js';
import { Adam, AdamW, type AdamOptions } from '../../src/optim/adam.js';
import { close } from '../helpers/close.js';

const sizes = [1, 3, 4, 5, 7, 17, 33];
const STEPS = 6;

function setGrad(p: Tensor, values: ArrayLike<number>): void {
  if (p.grad === null) p.grad = tensor(Array.from(values), p.shape);
  else p.grad.data.set(values);
}

interface Cfg extends Required<AdamOptions> { decoupled: boolean }

/** PyTorch's Adam / AdamW update in float64; returns p, m and v after each step. */
function adamReference(p0: Float32Array, grads: Float32Array[], o: Cfg): Array<{ p: Float64Array; m: Float64Array; v: Float64Array }> {
  const n = p0.length;
  const p = Float64Array.from(p0), m = new Float64Array(n), v = new Float64Array(n);
  const [b1, b2] = o.betas;
  const out = [];
  for (let t = 1; t <= grads.length; t++) {
    const g = grads[t - 1];
    for (let i = 0; i < n; i++) {
      let d = g[i];
      if (o.decoupled) p[i] *= 1 - o.lr * o.weightDecay;
      else d += o.weightDecay * p[i];
      m[i] = b1 * m[i] + (1 - b1) * d;
      v[i] = b2 * v[i] + (1 - b2) * d * d;
      const mHat = m[i] / (1 - b1 ** t);
      const vHat = v[i] / (1 - b2 ** t);
      p[i] -= (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
    }
    out.push({ p: Float64Array.from(p), m: Float64Array.from(m), v: Float64Array.from(v) });
  }
  return out;
}

const combos: Cfg[] = [
  { decoupled: false, lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
  { decoupled: false, lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1 },
  { decoupled: false, lr: 0.05, betas: [0.8, 0.99], eps: 1e-3, weightDecay: 0 },
  { decoupled: true, lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 },
  { decoupled: true, lr: 0.05, betas: [0.5, 0.9], eps: 1e-8, weightDecay: 0.2 },
  { decoupled: true, lr: 0.01, betas: [0, 0.999], eps: 1e-6, weightDecay: 0 },
];

for (const o of combos) {
  for (const n of sizes) {
    const { decoupled, ...options } = o;
    const kind = decoupled ? 'AdamW' : 'Adam';
    test(`adam_step_f32 (${kind}) vs float64 PyTorch rule n=${n} lr=${o.lr} betas=[${o.betas}] eps=${o.eps} wd=${o.weightDecay} ${STEPS} steps`, () => {
      const rng = new Rng(2000 + n);
      const p = parameter(randn([n], rng));
      const p0 = p.toFloat32Array();
      // Gradients of mixed magnitudes (including tiny ones, where eps matters).
      const grads = Array.from({ length: STEPS }, () => Float32Array.from({ length: n }, (_, i) => rng.normal() * (i % 3 === 2 ? 1e-3 : 1)));
      const ref = adamReference(p0, grads, o);
      const opt = decoupled ? new AdamW([p], options) : new Adam([p], options);
      grads.forEach((g, s) => {
        setGrad(p, g);
        opt.step();
        close(p.data, ref[s].p, { atol: 2e-6, rtol: 1e-5 }, `p after step ${s + 1}`);
        close(opt.state(0).buffer('m').data, ref[s].m, { atol: 1e-6, rtol: 1e-5 }, `m after step ${s + 1}`);
        close(opt.state(0).buffer('v').data, ref[s].v, { atol: 1e-9, rtol: 1e-5 }, `v after step ${s + 1}`);
      });
      assert.is(opt.state(0).step, STEPS);
    });
  }
}

test('golden: Adam first step moves each weight by lr·sign(g): p=[1,-2], g=[0.5,-3], lr=0.1 → [0.9,-1.9]', () => {
  const p = parameter(tensor([1, -2]));
  setGrad(p, [0.5, -3]);
  new Adam([p], { lr: 0.1 }).step();
  close(p.data, [0.9, -1.9], { atol: 1e-7, rtol: 0 });
});

test('golden: AdamW first step, wd=0.1 lr=0.1: p·(1 − 0.01) − 0.1·sign(g) → [0.89,-1.88]', () => {
  const p = parameter(tensor([1, -2]));
  setGrad(p, [0.5, -3]);
  new AdamW([p], { lr: 0.1, weightDecay: 0.1 }).step();
  close(p.data, [0.89, -1.88], { atol: 1e-7, rtol: 0 });
});

test('golden: Adam second step with the same gradient is again lr·sign(g) (m̂ = g, v̂ = g²)', () => {
  const p = parameter(tensor([1, -2]));
  setGrad(p, [0.5, -3]);
  const opt = new Adam([p], { lr: 0.1 });
  opt.step();
  opt.step();
  close(p.data, [0.8, -1.8], { atol: 1e-6, rtol: 0 });
  close(opt.state(0).buffer('m').data, [0.5 * 0.19, -3 * 0.19], { atol: 1e-6, rtol: 0 });
});

test('defaults: Adam lr 1e-3, betas [0.9,0.999], eps 1e-8, wd 0; AdamW wd 0.01', () => {
  const a = new Adam([parameter(tensor([1]))]);
  assert.equal(a.options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  const w = new AdamW([parameter(tensor([1]))], { lr: 0.01 });
  assert.equal(w.options, { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
  assert.is(w.name, 'AdamW');
  assert.ok(w instanceof Adam);
});

test('the betas array given is copied, not kept', () => {
  const betas: [number, number] = [0.9, 0.99];
  const a = new Adam([parameter(tensor([1]))], { betas });
  betas[0] = 5;
  assert.equal(a.options.betas, [0.9, 0.99]);
});

test('convergence: Adam lr 0.05 minimises sum((w − t)²) over [17] in 400 steps', () => {
  const rng = new Rng(11);
  const w = parameter(randn([17], rng, 2), 'w');
  const t = randn([17], rng);
  const opt = new Adam([w], { lr: 0.05 });
  let loss = Infinity;
  for (let s = 0; s < 400; s++) {
    opt.zeroGrad();
    loss = tidy(() => { const d = sub(w, t); const l = sum(mul(d, d)); l.backward(); return l.item(); });
    opt.step();
  }
  assert.ok(loss < 1e-3, `loss ${loss}`);
  close(w.data, t.data, { atol: 2e-2, rtol: 0 }, 'w → t');
});

test('Adam option errors name the option', () => {
  const p = () => [parameter(tensor([1]))];
  assert.throws(() => new Adam(p(), { lr: -1 }), /Adam: expected options\.lr to be a finite number >= 0, got -1/);
  assert.throws(() => new Adam(p(), { betas: [1, 0.999] }), /Adam: expected options\.betas\[0\] to be in \[0, 1\), got 1/);
  assert.throws(() => new Adam(p(), { betas: [0.9, -0.1] }), /Adam: expected options\.betas\[1\] to be in \[0, 1\), got -0\.1/);
  assert.throws(() => new Adam(p(), { betas: [0.9, NaN] }), /Adam: expected options\.betas\[1\] to be in \[0, 1\), got NaN/);
  assert.throws(() => new Adam(p(), { betas: [0.9] as unknown as [number, number] }), /Adam: expected options\.betas to be \[beta1, beta2\], got an array of length 1/);
  assert.throws(() => new Adam(p(), { eps: 0 }), /Adam: expected options\.eps to be > 0, got 0/);
  assert.throws(() => new Adam(p(), { weightDecay: -0.1 }), /Adam: expected options\.weightDecay to be a finite number >= 0, got -0\.1/);
  assert.throws(() => new AdamW(p(), { lr: Infinity }), /AdamW: expected options\.lr to be a finite number >= 0, got Infinity/);
  assert.throws(() => new AdamW(p(), { beta1: 0.9 } as unknown as AdamOptions), /AdamW: expected options among lr, betas, eps, weightDecay, got unknown option "beta1"/);
});

test.run();
