import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lectureExample, lectureClosedForm, lectureClosedFormGrad, shortestFloat32 } from '../../src/metric/lecture.js';
import { memoryStats } from '../../src/memory.js';

const near = (a: number, e: number, tol = 1e-6, what = '') =>
  assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what} got ${a}, expected ${e}`);

test('the table at w = 1, b = 0.5 is the lecture\'s, triplet by triplet', () => {
  const r = lectureExample({ w: 1, b: 0.5, steps: 0 });
  const expected = [
    ['A1', 'A2', 'B1', 1, 3, 3, 'w', '3w'], ['A1', 'A2', 'B2', 1, 4, 2, 'w', '4w'],
    ['A2', 'A1', 'B1', 1, 2, 4, 'w', '2w'], ['A2', 'A1', 'B2', 1, 3, 3, 'w', '3w'],
    ['B1', 'B2', 'A1', 1, 3, 3, 'w', '3w'], ['B1', 'B2', 'A2', 1, 2, 4, 'w', '2w'],
    ['B2', 'B1', 'A1', 1, 4, 2, 'w', '4w'], ['B2', 'B1', 'A2', 1, 3, 3, 'w', '3w'],
  ];
  assert.is(r.triplets.length, 8);
  r.triplets.forEach((t, i) => {
    const [a, p, n, dAP, dAN, loss, tAP, tAN] = expected[i];
    assert.equal([t.a, t.p, t.n], [a, p, n]);
    near(t.dAP, dAP as number, 1e-6, `${a}${p}${n} dAP`);
    near(t.dAN, dAN as number, 1e-6, `${a}${p}${n} dAN`);
    near(t.loss, loss as number, 1e-6, `${a}${p}${n} loss`);
    assert.is(t.dAPText, tAP);
    assert.is(t.dANText, tAN);
  });
  assert.is(r.triplets[0].lossText, 'max(w − 3w + 5, 0)');
  near(r.total, 24);
  assert.is(r.closedForm, 24);
});

test('the engine matches the closed form at many w, negative and zero included', () => {
  for (const w of [-3, -1.25, -1, -0.5, 0, 0.5, 1, 1.7, 2, 2.5, 3.3, 4, 5, 6]) {
    const r = lectureExample({ w, b: -0.75, steps: 0 });
    near(r.total, lectureClosedForm(w), 1e-6, `w=${w}`);
    near(r.closedForm, lectureClosedForm(w), 0, `w=${w}`);
  }
  assert.is(lectureClosedForm(0), 40);
  assert.is(lectureClosedForm(-1), 24);
  assert.is(lectureClosedForm(2), 4 * 1 + 0 + 2 * 3);
});

test('for w < 0 the distances are |w|·|Δx| and the table says |w|', () => {
  const r = lectureExample({ w: -1, b: 0.5, steps: 0 });
  assert.is(r.triplets[0].dAPText, '|w|');
  assert.is(r.triplets[1].dANText, '4|w|');
  near(r.triplets[1].dAN, 4);
  near(r.total, 24);
  const z = lectureExample({ w: 0, b: 3, steps: 0 });
  for (const t of z.triplets) { assert.is(t.dAP, 0); assert.is(t.dAN, 0); near(t.loss, 5); }
  near(z.total, 40);
});

test('gradient descent reaches L = 0 with w >= 5; every step follows the closed-form gradient; b never moves', () => {
  const r = lectureExample();
  assert.equal(r.history[0], { step: 0, w: 1, b: 0.5, loss: 24 });
  assert.ok(r.converged);
  assert.is(r.final.loss, 0);
  assert.ok(r.final.w >= 5 - 1e-6, `final w ${r.final.w}`);
  assert.is(r.final.b, 0.5);
  assert.ok(r.bGradAlwaysZero);
  for (let i = 0; i < r.history.length; i++) {
    const h = r.history[i];
    near(h.loss, lectureClosedForm(h.w), 1e-5, `loss at step ${i}`);
    assert.is(h.b, 0.5);
    if (i > 0) {
      const prev = r.history[i - 1];
      near(h.w, shortestFloat32(prev.w - 0.05 * lectureClosedFormGrad(prev.w)), 1e-6, `w at step ${i}`);
    }
  }
  near(r.history[1].w, 1.8);
  near(r.history[1].loss, 12, 1e-5);
});

test('the closed-form gradient matches finite differences away from the kinks', () => {
  for (const w of [-4, -1.3, 0.7, 1.9, 3.1, 6]) {
    const h = 1e-6;
    near(lectureClosedFormGrad(w), (lectureClosedForm(w + h) - lectureClosedForm(w - h)) / (2 * h), 1e-5, `w=${w}`);
  }
});

test('the example leaves no memory behind', () => {
  lectureExample({ steps: 5 });
  const before = memoryStats().liveBlocks;
  lectureExample({ steps: 50 });
  assert.is(memoryStats().liveBlocks, before);
});

test('bad arguments are named', () => {
  assert.throws(() => lectureExample({ alpha: -1 }), /lectureExample: expected alpha to be a finite number >= 0, got -1/);
  assert.throws(() => lectureExample({ w: NaN }), /lectureExample: expected w to be a finite number, got NaN/);
  assert.throws(() => lectureExample({ steps: 1.5 }), /lectureExample: expected steps to be an integer/);
});

test.run();
