import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatLogTick, formatTick, logLimits, logMinorTicks, logTicks, niceLimits, niceStep, niceTicks } from '../../src/plot/ticks.js';

test('niceStep rounds up to 1, 2 or 5 × 10^k and forgives rounding (0.20000000000000004 → 0.2)', () => {
  assert.equal([0.2, 0.21, 7.4, 1, 3, 0.0031, 45].map(niceStep), [0.2, 0.5, 10, 1, 5, 0.005, 50]);
  // 0.1 + 0.2 − 0.1 is 0.20000000000000004 and (0.1 + 0.2) / 0.6 is 0.5000000000000001 in doubles.
  assert.is(niceStep(0.1 + 0.2 - 0.1), 0.2);
  assert.is(niceStep((0.1 + 0.2) / 0.6), 0.5);
});

test('niceTicks 0..0.7 target 7 keeps 0.7 although 0.7 / 0.1 = 6.999999999999999', () => {
  assert.equal(niceTicks(0, 0.7, 7).ticks, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
});

test('niceTicks 0..1 → 0, 0.2, …, 1 (exact decimals)', () => {
  assert.equal(niceTicks(0, 1), { ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], step: 0.2 });
});

test('niceTicks 0..37 → 0, 10, 20, 30', () => {
  assert.equal(niceTicks(0, 37).ticks, [0, 10, 20, 30]);
});

test('niceTicks -0.3..0.7 target 5 → -0.2 … 0.6 by 0.2 with 0 not -0', () => {
  const { ticks } = niceTicks(-0.3, 0.7);
  assert.equal(ticks, [-0.2, 0, 0.2, 0.4, 0.6]);
  assert.ok(!Object.is(ticks[1], -0));
});

test('niceTicks with minStep 1 (epochs 1..3) → 1, 2, 3', () => {
  assert.equal(niceTicks(1, 3, 5, 1).ticks, [1, 2, 3]);
});

test('niceLimits widens to ticks: 0.05..0.93 → 0..1, 3..37 → 0..40, a single value gets a margin', () => {
  assert.equal(niceLimits(0.05, 0.93), [0, 1]);
  assert.equal(niceLimits(3, 37), [0, 40]);
  assert.equal(niceLimits(5, 5), [4.5, 5.5]);
  assert.equal(niceLimits(0, 0), [-1, 1]);
  assert.equal(niceLimits(2, 2, 5, 1), [1, 3]);
});

test('logTicks 1e-3..1 → 1e-3, 1e-2, 1e-1, 1 (exact doubles)', () => {
  assert.equal(logTicks(1e-3, 1), [1e-3, 1e-2, 1e-1, 1]);
});

test('logTicks 1e-9..1 with at most 4 ticks → every 3rd decade', () => {
  assert.equal(logTicks(1e-9, 1, 4), [1e-9, 1e-6, 1e-3, 1]);
});

test('logLimits 6.7e-4..1 → 1e-4..1; logMinorTicks 0.01..0.1 → 0.02 … 0.09', () => {
  assert.equal(logLimits(6.7e-4, 1), [1e-4, 1]);
  assert.equal(logMinorTicks(0.01, 0.1), [0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09]);
});

test('tick labels: decimals of the step, exponents at the extremes, decades written out between 0.01 and 1000', () => {
  assert.is(formatTick(0.6000000000000001, 0.2), '0.6');
  assert.is(formatTick(30, 10), '30');
  assert.is(formatTick(0.25, 0.05), '0.25');
  assert.is(formatTick(-0, 1), '0');
  assert.is(formatTick(2e-5, 1e-5), '2e-5');
  assert.is(formatTick(3000000, 1000000), '3e6');
  assert.equal([1e-4, 1e-3, 0.01, 0.1, 1, 1000, 1e4].map(formatLogTick), ['1e-4', '1e-3', '0.01', '0.1', '1', '1000', '1e4']);
});

test.run();
