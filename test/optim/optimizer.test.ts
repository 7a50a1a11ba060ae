import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tensor, parameter, randn, zeros } from '../../src/tensor.js';
import { tidy, memoryStats } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { sub, mul, sum } from '../../src/ops/elementwise.js';
import { Optimizer, ParamState, type OptimizerStateDict } from '../../src/optim/optimizer.js';
import { SGD } from '../../src/optim/sgd.js';
import { Adam, AdamW } from '../../src/optim/adam.js';
import { close } from '../helpers/close.js';

function setGrad(p: Tensor, values: ArrayLike<number>): void {
  if (p.grad === null) p.grad = tensor(Array.from(values), p.shape);
  else p.grad.data.set(values);
}

/** Trains sum((w − t)²) for `steps` steps and returns the last loss. */
function trainQuadratic(w: Tensor, t: Tensor, opt: Optimizer<{ lr: number }>, steps: number): number {
  let loss = Infinity;
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    loss = tidy(() => { const d = sub(w, t); const l = sum(mul(d, d)); l.backward(); return l.item(); });
    opt.step();
  }
  return loss;
}

// A custom optimizer in five lines: sign-SGD.
class SignSGD extends Optimizer<{ lr: number }> {
  protected update(p: Tensor, g: Tensor): void {
    const pd = p.data, gd = g.data;
    for (let i = 0; i < p.size; i++) pd[i] -= this.lr * Math.sign(gd[i]);
  }
}

// One with state and an option of its own: sign-SGD with momentum ("signum").
class Signum extends Optimizer<{ lr: number; beta: number }> {
  protected override checkOptions(o: { lr: number; beta: number }): void {
    super.checkOptions(o);
    if (!(o.beta >= 0 && o.beta < 1)) throw new RangeError(`Signum: expected options.beta in [0, 1), got ${o.beta}`);
  }
  protected update(p: Tensor, g: Tensor, state: ParamState): void {
    const m = state.buffer('m').data, pd = p.data, gd = g.data, { lr, beta } = this.options;
    for (let i = 0; i < p.size; i++) { m[i] = beta * m[i] + (1 - beta) * gd[i]; pd[i] -= lr * Math.sign(m[i]); }
  }
}

test('custom optimizer by extending the base: sign-SGD moves by lr·sign(g) and minimises a quadratic', () => {
  const p = parameter(tensor([1, -2, 3]));
  setGrad(p, [0.5, -7, 0]);
  const opt = new SignSGD([p], { lr: 0.25 });
  opt.step();
  close(p.data, [0.75, -1.75, 3], { atol: 0, rtol: 0 });
  assert.is(opt.name, 'SignSGD');
  assert.is(opt.stepCount, 1);

  const rng = new Rng(3);
  const w = parameter(randn([5], rng, 2));
  const t = randn([5], rng);
  const lossSign = trainQuadratic(w, t, new SignSGD([w], { lr: 0.01 }), 600);
  assert.ok(lossSign < 5 * 0.01 ** 2, `sign-SGD loss ${lossSign}`);
});

test('custom optimizer with state and its own option: Signum trains, checks its option, saves its state', () => {
  const rng = new Rng(5);
  const w = parameter(randn([4], rng, 2), 'w');
  const t = randn([4], rng);
  assert.throws(() => new Signum([w], { lr: 0.1, beta: 1 }), /Signum: expected options\.beta in \[0, 1\), got 1/);
  const opt = new Signum([w], { lr: 0.01, beta: 0.9 });
  const loss = trainQuadratic(w, t, opt, 800);
  assert.ok(loss < 4 * 0.02 ** 2, `signum loss ${loss}`);
  const sd = opt.stateDict();
  assert.equal(Object.keys(sd.state[0].buffers), ['m']);
  assert.is(sd.kind, 'Signum');
  assert.is(sd.state[0].step, 800);
});

test('NaN gradient: the error names the parameter (by name) and nothing changes', () => {
  const a = parameter(tensor([1, 2]), 'a');
  const b = parameter(tensor([3, 4, 5]), 'conv1.w');
  setGrad(a, [1, 1]);
  setGrad(b, [1, NaN, 2]);
  for (const opt of [new SGD([a, b], { lr: 0.1, momentum: 0.9 }), new Adam([a, b], { lr: 0.1 })]) {
    assert.throws(() => opt.step(), new RegExp(`${opt.name}\\.step: expected finite gradients, got 1 NaN/Inf value in the gradient of parameter "conv1\\.w" \\[3\\]; no parameter was changed`));
    close(a.data, [1, 2], { atol: 0, rtol: 0 }, 'a unchanged (it comes before the bad one)');
    close(b.data, [3, 4, 5], { atol: 0, rtol: 0 }, 'b unchanged');
    assert.is(opt.stepCount, 0);
    assert.is(opt.state(0).step, 0);
    assert.equal(opt.state(0).keys(), [], 'no state buffer was created');
  }
});

test('Inf gradients: an unnamed parameter is named by its index and shape', () => {
  const a = parameter(tensor([1, 2]));
  const b = parameter(zeros([2, 2]));
  setGrad(a, [0, 0]);
  setGrad(b, [Infinity, 0, -Infinity, 1]);
  const opt = new SGD([a, b], { lr: 0.1 });
  assert.throws(() => opt.step(), /SGD\.step: expected finite gradients, got 2 NaN\/Inf values in the gradient of parameter #1 \[2,2\]/);
  close(b.data, [0, 0, 0, 0], { atol: 0, rtol: 0 });
  // Once the gradient is fixed the step goes through.
  setGrad(b, [1, 1, 1, 1]);
  opt.step();
  close(b.data, [-0.1, -0.1, -0.1, -0.1]);
});

function runSteps(opt: Optimizer<{ lr: number }>, params: Tensor[], from: number, to: number): void {
  for (let s = from; s < to; s++) {
    const rng = new Rng(100 + s);
    for (const p of params) setGrad(p, Float32Array.from({ length: p.size }, () => rng.normal()));
    opt.step();
  }
}

const makers: Array<[string, (ps: Tensor[]) => Optimizer<{ lr: number }>]> = [
  ['SGD momentum 0.9 nesterov wd 0.01', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['Adam wd 0.1', (ps) => new Adam(ps, { lr: 0.01, weightDecay: 0.1 })],
  ['AdamW', (ps) => new AdamW(ps, { lr: 0.01, betas: [0.8, 0.99] })],
];

for (const [label, make] of makers) {
  test(`stateDict round trip resumes bit-identically: ${label}, 10 steps vs 5 + save/load + 5, shapes [3,5] and [7]`, () => {
    const init = (): Tensor[] => { const rng = new Rng(9); return [parameter(randn([3, 5], rng), 'w'), parameter(randn([7], rng), 'b')]; };
    const straight = init();
    runSteps(make(straight), straight, 0, 10);

    const first = init();
    const opt1 = make(first);
    runSteps(opt1, first, 0, 5);
    const sd = structuredClone(opt1.stateDict()); // plain data: survives a structured clone
    const saved = first.map((p) => p.toFloat32Array());
    opt1.dispose();

    const resumed = saved.map((d, i) => parameter(tensor(d, first[i].shape)));
    const opt2 = make(resumed);
    opt2.lr = 123; // overwritten by the loaded options
    opt2.loadStateDict(sd);
    assert.is(opt2.stepCount, 5);
    assert.is(opt2.lr, sd.options.lr as number);
    runSteps(opt2, resumed, 5, 10);
    resumed.forEach((p, i) => assert.equal(Array.from(p.data), Array.from(straight[i].data), `param ${i} bit-identical`));
  });
}

test('stateDict is a copy; loadStateDict checks kind, count, shapes and options, naming the mismatch, and changes nothing on error', () => {
  const w = parameter(tensor([1, 2, 3]), 'w');
  setGrad(w, [1, 1, 1]);
  const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
  opt.step();
  const sd = opt.stateDict();
  assert.equal(sd.options, { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 });
  sd.state[0].buffers.momentum.data[0] = 99;
  assert.is(opt.state(0).buffer('momentum').data[0], 1, 'the dict holds copies');

  const bad = (change: (d: OptimizerStateDict) => void): OptimizerStateDict => { const d = structuredClone(opt.stateDict()); change(d); return d; };
  assert.throws(() => opt.loadStateDict(new Adam([w]).stateDict()), /SGD\.loadStateDict: expected a state dict saved by SGD, got one saved by "Adam"/);
  assert.throws(() => opt.loadStateDict(bad((d) => d.state.push(d.state[0]))), /SGD\.loadStateDict: expected state for 1 parameters, got 2/);
  assert.throws(() => opt.loadStateDict(bad((d) => { d.state[0].buffers.momentum.shape = [4]; d.state[0].buffers.momentum.data = new Float32Array(4); })),
    /SGD\.loadStateDict: expected buffer "momentum" of parameter "w" \[3\] to have shape \[3\], got \[4\]/);
  assert.throws(() => opt.loadStateDict(bad((d) => { d.state[0].buffers.momentum.data = new Float32Array(2); })), /SGD\.loadStateDict: expected 3 values in buffer "momentum"/);
  assert.throws(() => opt.loadStateDict(bad((d) => { d.options.momentum = -1; d.stepCount = 7; })), /SGD: expected options\.momentum to be a finite number >= 0, got -1/);
  assert.throws(() => opt.loadStateDict(bad((d) => { d.options.lr_ = 1; })), /SGD\.loadStateDict: expected options among lr, momentum, dampening, nesterov, weightDecay, got unknown option "lr_"/);
  assert.throws(() => opt.loadStateDict(bad((d) => { d.stepCount = -1; })), /SGD\.loadStateDict: expected stepCount to be an integer >= 0, got -1/);
  assert.is(opt.stepCount, 1);
  assert.is(opt.options.momentum, 0.9);
  close(opt.state(0).buffer('momentum').data, [1, 1, 1]);
});

test('state buffers survive the tidy() scope a step runs in; dispose frees them', () => {
  const w = parameter(tensor([1, 2, 3, 4, 5]));
  setGrad(w, [1, 2, 3, 4, 5]);
  const opt = new Adam([w], { lr: 0.1 });
  tidy(() => { opt.step(); });
  const m = opt.state(0).buffer('m');
  assert.not.ok(m.disposed);
  tidy(() => { opt.step(); });
  assert.is(opt.state(0).buffer('m'), m, 'the same buffer, allocated once');
  const before = memoryStats().liveBlocks;
  opt.dispose();
  assert.is(memoryStats().liveBlocks, before - 2, 'm and v freed');
  assert.ok(m.disposed);
  assert.throws(() => opt.step(), /Adam\.step: this optimizer was disposed/);
});

test('steps allocate nothing after the first one (memory stays flat)', () => {
  const w = parameter(randn([33], new Rng(1)));
  setGrad(w, new Float32Array(33).fill(0.5));
  const opt = new SGD([w], { lr: 0.01, momentum: 0.9 });
  opt.step();
  const live = memoryStats().liveBytes;
  for (let i = 0; i < 20; i++) opt.step();
  assert.is(memoryStats().liveBytes, live);
});

test('constructor errors: params must be distinct live tensors that require grad', () => {
  assert.throws(() => new SGD([], { lr: 0.1 }), /SGD: expected at least one parameter, got an empty list/);
  assert.throws(() => new SGD(tensor([1]) as unknown as Tensor[], { lr: 0.1 }), /SGD: expected params to be an array of tensors, got Tensor/);
  assert.throws(() => new SGD([[1, 2]] as unknown as Tensor[], { lr: 0.1 }), /SGD: expected params\[0\] to be a Tensor, got an array of length 2/);
  assert.throws(() => new Adam([parameter(tensor([1])), tensor([1, 2])]), /Adam: expected params\[1\] \(#1 \[2\]\) to require a gradient, got requiresGrad false; create it with parameter\(\)/);
  const p = parameter(tensor([1]), 'w');
  assert.throws(() => new Adam([p, p]), /Adam: expected each parameter once, got params\[1\] is the same tensor as params\[0\]/);
  const gone = parameter(tensor([1]));
  gone.dispose();
  assert.throws(() => new SGD([gone], { lr: 1 }), /SGD: expected params\[0\] to be a live tensor, got a disposed one/);
  assert.throws(() => new SignSGD([p], { lr: -1 }), /SignSGD: expected options\.lr to be a finite number >= 0, got -1/);
  assert.throws(() => new SGD([p], { lr: 1 }).state(1), /SGD\.state: expected the parameter index to be an integer in \[0, 0\], got 1/);
});

test('a gradient of the wrong shape is refused before any update', () => {
  const p = parameter(tensor([1, 2]), 'w');
  p.grad = tensor([1, 2, 3]);
  assert.throws(() => new SGD([p], { lr: 1 }).step(), /SGD\.step: expected the gradient of parameter "w" \[2\] to have its shape, got \[3\]/);
  close(p.data, [1, 2]);
});

test.run();
