// A training loop of a small truncated CNN in steady state must not grow the engine's memory:
// conv → ReLU → max-pool → dense → L2-normalise → batch-hard triplet loss → Adam, 1,000 steps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryStats, tidy } from '../src/memory.js';
import { parameter, randn, zeros } from '../src/tensor.js';
import { Rng } from '../src/random.js';
import { reshape } from '../src/ops/elementwise.js';
import { conv2d } from '../src/ops/conv2d.js';
import { relu } from '../src/ops/activation.js';
import { maxPool2d } from '../src/ops/pool.js';
import { dense } from '../src/ops/dense.js';
import { l2Normalize } from '../src/ops/normalize.js';
import { tripletLoss } from '../src/ops/triplet.js';
import { Adam } from '../src/optim/adam.js';

test('1,000 training steps of a small CNN: memory flat, loss finite and falling', () => {
  const rng = new Rng(3);
  const k = parameter(randn([3, 3, 1, 4], rng, 0.5), 'conv.w');
  const kb = parameter(zeros([4]), 'conv.b');
  const w = parameter(randn([64, 8], rng, 0.15), 'dense.w');
  const b = parameter(zeros([8]), 'dense.b');
  const opt = new Adam([k, kb, w, b], { lr: 3e-3 });
  const labels = [0, 0, 1, 1, 2, 2, 3, 3];
  const x = randn([8, 8, 8, 1], rng);
  const step = () => tidy(() => {
    opt.zeroGrad();
    const h = maxPool2d(relu(conv2d(x, k, kb, { padding: 'same' })), { size: 2 });
    const e = l2Normalize(dense(reshape(h, [8, 64]), w, b));
    const { loss } = tripletLoss(e, labels, { margin: 0.5, miner: 'hard' });
    loss.backward();
    opt.step();
    return loss.item();
  });
  const first = step();
  for (let i = 0; i < 9; i++) step();
  const after10 = memoryStats();
  let last = first;
  for (let i = 0; i < 1000; i++) last = step();
  const after1010 = memoryStats();
  assert.is(after1010.memoryBytes, after10.memoryBytes, 'linear memory grew');
  assert.is(after1010.liveBytes, after10.liveBytes, 'live bytes grew');
  assert.is(after1010.heapBytes, after10.heapBytes, 'heap grew');
  assert.ok(Number.isFinite(last));
  assert.ok(last < first, `loss ${first} → ${last}`);
  opt.dispose();
  for (const p of [k, kb, w, b, x]) p.dispose();
});

test.run();
