import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tensor, parameter, randn } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { sub, mul, sum } from '../../src/ops/elementwise.js';
import { SGD, type SGDOptions } from '../../src/optim/sgd.js';
import { close } from '../helpers/close.js';

const sizes = [1, 3, 4, 5, 7, 17, 33];
const STEPS = 6;

function setGrad(p: Tensor, values: ArrayLike<number>): void {
  if (p.grad === null) p.grad = tensor(Array.from(values), p.shape);
  else p.grad.data.set(values);
}

/** PyTorch's SGD update in float64 over a sequence of gradients; returns p and the momentum buffer after each step. */
function sgdReference(p0: Float32Array, grads: Float32Array[], o: Required<SGDOptions>): Array<{ p: Float64Array; buf: Float64Array | null }> {
  const p = Float64Array.from(p0);
  let buf: Float64Array | null = null;
  const out = [];
  for (const g of grads) {
    const d = Float64Array.from(g, (gi, i) => gi + o.weightDecay * p[i]);
    if (o.momentum !== 0) {
      if (buf === null) buf = Float64Array.from(d);
      else for (let i = 0; i < d.length; i++) buf[i] = o.momentum * buf[i] + (1 - o.dampening) * d[i];
      for (let i = 0; i < d.length; i++) d[i] = o.nesterov ? d[i] + o.momentum * buf[i] : buf[i];
    }
    for (let i = 0; i < d.length; i++) p[i] -= o.lr * d[i];
    out.push({ p: Float64Array.from(p), buf: buf && Float64Array.from(buf) });
  }
  return out;
}

const combos: Array<Required<SGDOptions>> = [
  { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
  { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.05 },
  { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
  { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0.05 },
  { lr: 0.1, momentum: 0.8, dampening: 0.3, nesterov: false, weightDecay: 0 },
  { lr: 0.1, momentum: 0.8, dampening: 0.3, nesterov: false, weightDecay: 0.01 },
  { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0 },
  { lr: 0.02, momentum: 0.5, dampening: 0, nesterov: true, weightDecay: 0.1 },
];

for (const o of combos) {
  for (const n of sizes) {
    test(`sgd_momentum_step_f32 vs float64 PyTorch rule n=${n} lr=${o.lr} mu=${o.momentum} damp=${o.dampening} nesterov=${o.nesterov} wd=${o.weightDecay} ${STEPS} steps`, () => {
      const rng = new Rng(1000 + n);
      const p = parameter(randn([n], rng));
      const p0 = p.toFloat32Array();
      const grads = Array.from({ length: STEPS }, () => Float32Array.from({ length: n }, () => rng.normal()));
      const ref = sgdReference(p0, grads, o);
      const opt = new SGD([p], o);
      grads.forEach((g, s) => {
        setGrad(p, g);
        opt.step();
        close(p.data, ref[s].p, { atol: 1e-5, rtol: 1e-5 }, `p after step ${s + 1}`);
        if (o.momentum === 0) assert.not.ok(opt.state(0).has('momentum'), 'no momentum buffer without momentum');
        else close(opt.state(0).buffer('momentum').data, ref[s].buf as Float64Array, { atol: 1e-5, rtol: 1e-5 }, `buf after step ${s + 1}`);
      });
      assert.is(opt.stepCount, STEPS);
    });
  }
}

test('golden: one SGD step on p=[1,-2], g=[0.5,1], lr=0.1 → [0.95,-2.1]', () => {
  const p = parameter(tensor([1, -2]));
  setGrad(p, [0.5, 1]);
  new SGD([p], { lr: 0.1 }).step();
  close(p.data, [0.95, -2.1], { atol: 1e-7, rtol: 0 });
});

test('golden: weight decay 0.1: d = g + 0.1·p = [0.6, 0.8] → p = [0.94, -2.08]', () => {
  const p = parameter(tensor([1, -2]));
  setGrad(p, [0.5, 1]);
  new SGD([p], { lr: 0.1, weightDecay: 0.1 }).step();
  close(p.data, [0.94, -2.08], { atol: 1e-7, rtol: 0 });
});

test('golden: momentum 0.9, same gradient twice: buf = g, then 0.9·g + g → p = [0.855, -2.29]', () => {
  const p = parameter(tensor([1, -2]));
  setGrad(p, [0.5, 1]);
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
  opt.step();
  close(p.data, [0.95, -2.1], { atol: 1e-7, rtol: 0 });
  opt.step();
  close(opt.state(0).buffer('momentum').data, [0.95, 1.9], { atol: 1e-7, rtol: 0 });
  close(p.data, [0.855, -2.29], { atol: 1e-6, rtol: 0 });
});

test('golden: nesterov 0.9, first step uses g + 0.9·g = [0.95, 1.9] → p = [0.905, -2.19]', () => {
  const p = parameter(tensor([1, -2]));
  setGrad(p, [0.5, 1]);
  new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }).step();
  close(p.data, [0.905, -2.19], { atol: 1e-6, rtol: 0 });
});

test('convergence: SGD momentum 0.9 minimises sum((w − t)²) over [7] in 200 steps', () => {
  const rng = new Rng(7);
  const w = parameter(randn([7], rng, 2), 'w');
  const t = randn([7], rng);
  const opt = new SGD([w], { lr: 0.05, momentum: 0.9 });
  let loss = Infinity;
  for (let s = 0; s < 200; s++) {
    opt.zeroGrad();
    loss = tidy(() => { const d = sub(w, t); const l = sum(mul(d, d)); l.backward(); return l.item(); });
    opt.step();
  }
  assert.ok(loss < 1e-6, `loss ${loss}`);
  close(w.data, t.data, { atol: 1e-3, rtol: 0 }, 'w → t');
});

test('a parameter without gradient is skipped; zeroGrad zeroes gradients', () => {
  const a = parameter(tensor([1, 2]));
  const b = parameter(tensor([3]));
  setGrad(a, [1, 1]);
  const opt = new SGD([a, b], { lr: 0.5, momentum: 0.5 });
  opt.step();
  close(a.data, [0.5, 1.5]);
  close(b.data, [3]);
  assert.not.ok(opt.state(1).has('momentum'));
  assert.is(opt.state(1).step, 0);
  opt.zeroGrad();
  close((a.grad as Tensor).data, [0, 0]);
});

test('SGD option errors name the option', () => {
  const p = () => [parameter(tensor([1]))];
  assert.throws(() => new SGD(p(), {} as SGDOptions), /SGD: expected options\.lr to be a finite number >= 0, got undefined/);
  assert.throws(() => new SGD(p(), { lr: -0.1 }), /SGD: expected options\.lr to be a finite number >= 0, got -0\.1/);
  assert.throws(() => new SGD(p(), { lr: NaN }), /SGD: expected options\.lr .* got NaN/);
  assert.throws(() => new SGD(p(), { lr: 0.1, momentum: -0.5 }), /SGD: expected options\.momentum to be a finite number >= 0, got -0\.5/);
  assert.throws(() => new SGD(p(), { lr: 0.1, dampening: 2 }), /SGD: expected options\.dampening to be a finite number in \[0, 1\], got 2/);
  assert.throws(() => new SGD(p(), { lr: 0.1, weightDecay: -1 }), /SGD: expected options\.weightDecay/);
  assert.throws(() => new SGD(p(), { lr: 0.1, nesterov: true }), /SGD: expected momentum > 0 and dampening 0 with nesterov: true, got momentum 0, dampening 0/);
  assert.throws(() => new SGD(p(), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /SGD: expected momentum > 0 and dampening 0 with nesterov/);
  assert.throws(() => new SGD(p(), { lr: 0.1, nesterov: 1 as unknown as boolean }), /SGD: expected options\.nesterov to be a boolean, got 1/);
  assert.throws(() => new SGD(p(), { lr: 0.1, weight_decay: 0.1 } as unknown as SGDOptions), /SGD: expected options among lr, momentum, dampening, nesterov, weightDecay, got unknown option "weight_decay"/);
  assert.throws(() => new SGD(p(), undefined as unknown as SGDOptions), /SGD: expected options to be an object, got undefined/);
  const opt = new SGD(p(), { lr: 0.1 });
  assert.throws(() => { opt.lr = -1; }, /SGD\.lr: expected the learning rate to be a finite number >= 0, got -1/);
  opt.lr = 0.25;
  assert.is(opt.lr, 0.25);
  assert.is(opt.options.lr, 0.25);
});

test.run();
