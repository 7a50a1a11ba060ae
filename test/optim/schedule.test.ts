import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, parameter } from '../../src/tensor.js';
import { SGD } from '../../src/optim/sgd.js';
import { Adam } from '../../src/optim/adam.js';
import { StepLR, CosineLR, type LRSchedule, type HasLR } from '../../src/optim/schedule.js';
import { close } from '../helpers/close.js';

const sgd = (lr: number) => new SGD([parameter(tensor([1]))], { lr });

/** The optimizer's lr at t = 0 and after each of `steps` calls to step(). */
function sequence(opt: HasLR, sched: LRSchedule, steps: number): number[] {
  const out = [opt.lr];
  for (let i = 0; i < steps; i++) { sched.step(); assert.is(opt.lr, sched.lr, 'the schedule set the optimizer lr'); out.push(opt.lr); }
  return out;
}

test('StepLR golden: base 0.1, stepSize 2, gamma 0.5 → 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125', () => {
  const opt = sgd(0.1);
  close(sequence(opt, new StepLR(opt, { stepSize: 2, gamma: 0.5 }), 6), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125], { atol: 1e-15, rtol: 0 });
});

test('StepLR default gamma 0.1, stepSize 1', () => {
  const opt = sgd(1);
  close(sequence(opt, new StepLR(opt, { stepSize: 1 }), 3), [1, 0.1, 0.01, 0.001], { atol: 1e-15, rtol: 0 });
});

test('CosineLR golden: base 1, tMax 6, warmup 2 → 1/3, 2/3, 1, 0.853553, 0.5, 0.146447, 0, 0', () => {
  const opt = sgd(1);
  close(sequence(opt, new CosineLR(opt, { tMax: 6, warmup: 2 }), 7), [1 / 3, 2 / 3, 1, 0.8535533905932737, 0.5, 0.14644660940672624, 0, 0], { atol: 1e-12, rtol: 0 });
});

test('CosineLR golden: base 1, tMax 4, minLr 0.1, no warm-up → 1, 0.868198, 0.55, 0.231802, 0.1, 0.1', () => {
  const opt = new Adam([parameter(tensor([1]))], { lr: 1 });
  close(sequence(opt, new CosineLR(opt, { tMax: 4, minLr: 0.1 }), 5), [1, 0.8681980515339464, 0.55, 0.2318019484660536, 0.1, 0.1], { atol: 1e-12, rtol: 0 });
});

test('a user-written schedule: exponential decay implementing LRSchedule', () => {
  class ExpLR implements LRSchedule {
    private t = 0;
    private readonly base: number;
    constructor(private readonly opt: HasLR, private readonly gamma: number) { this.base = opt.lr; }
    get lr(): number { return this.base * this.gamma ** this.t; }
    step(): void { this.t++; this.opt.lr = this.lr; }
  }
  const opt = sgd(2);
  close(sequence(opt, new ExpLR(opt, 0.5), 3), [2, 1, 0.5, 0.25]);
});

test('schedule stateDict: a new schedule on a new optimizer resumes the same sequence', () => {
  const a = sgd(0.5);
  const s1 = new CosineLR(a, { tMax: 10, warmup: 3, minLr: 0.01 });
  for (let i = 0; i < 4; i++) s1.step();
  const sd = s1.stateDict();
  assert.equal(sd, { t: 4, baseLr: 0.5 });
  const b = sgd(0.5);
  const s2 = new CosineLR(b, { tMax: 10, warmup: 3, minLr: 0.01 });
  s2.loadStateDict(sd);
  assert.is(b.lr, a.lr);
  s1.step(); s2.step();
  assert.is(b.lr, a.lr);
  assert.is(s2.t, 5);
  assert.throws(() => s2.loadStateDict({ t: 1, baseLr: 0.7 }), /CosineLR\.loadStateDict: expected a state saved with base lr 0\.5, got base lr 0\.7/);
  assert.throws(() => s2.loadStateDict({ t: -1, baseLr: 0.5 }), /CosineLR\.loadStateDict: expected t to be an integer >= 0, got -1/);
});

test('schedule option errors name the option', () => {
  const opt = sgd(0.1);
  assert.throws(() => new StepLR(opt, { stepSize: 0 }), /StepLR: expected options\.stepSize to be an integer >= 1, got 0/);
  assert.throws(() => new StepLR(opt, { stepSize: 1.5 }), /StepLR: expected options\.stepSize to be an integer >= 1, got 1\.5/);
  assert.throws(() => new StepLR(opt, { stepSize: 2, gamma: 0 }), /StepLR: expected options\.gamma to be > 0, got 0/);
  assert.throws(() => new StepLR(opt, { stepSize: 2, gamma: NaN }), /StepLR: expected options\.gamma to be a finite number >= 0, got NaN/);
  assert.throws(() => new CosineLR(opt, { tMax: 0 }), /CosineLR: expected options\.tMax to be an integer >= 1, got 0/);
  assert.throws(() => new CosineLR(opt, { tMax: 5, warmup: 5 }), /CosineLR: expected options\.warmup to be an integer in \[0, 4\], got 5/);
  assert.throws(() => new CosineLR(opt, { tMax: 5, minLr: 0.2 }), /CosineLR: expected options\.minLr to be a finite number in \[0, 0\.1\], got 0\.2/);
  assert.throws(() => new CosineLR(null as unknown as HasLR, { tMax: 5 }), /CosineLR: expected an optimizer \(an object with a numeric lr\), got null/);
  assert.is(opt.lr, 0.1, 'a refused schedule leaves the lr alone');
});

test.run();
