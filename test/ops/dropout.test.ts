import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, ones, Tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { kernels } from '../../src/wasm.js';
import { dropout, dropoutThreshold } from '../../src/ops/dropout.js';
import { sum } from '../../src/ops/elementwise.js';
import { gradcheck } from '../helpers/gradcheck.js';

// The scalar definition of the mask (see assembly/kernels/dropout.ts).
function mix(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
function hashRef(seed: number, i: number): number {
  return mix((mix((i ^ mix(seed)) >>> 0) + mix((seed ^ 0x9e3779b9) >>> 0)) >>> 0);
}
function maskRef(n: number, rate: number, seed: number): Float64Array {
  const t = dropoutThreshold(rate), s = 1 / (1 - rate);
  return Float64Array.from({ length: n }, (_, i) => (hashRef(seed, i) >= t ? s : 0));
}

test('dropout_hash kernel equals the TypeScript definition', () => {
  const k = kernels<{ dropout_hash(seed: number, i: number): number }>();
  for (const seed of [0, 1, 12345, 0x7fffffff, 0xffffffff]) {
    for (const i of [0, 1, 2, 3, 1000, 2 ** 31 - 1]) assert.is(k.dropout_hash(seed, i) >>> 0, hashRef(seed, i), `seed ${seed} i ${i}`);
  }
});

for (const n of [1, 3, 4, 5, 7, 17, 33]) {
  for (const [rate, seed] of [[0.5, 1], [0.2, 0xdeadbeef], [0.9, 77]] as const) {
    test(`kernel vs scalar reference n=${n} rate=${rate} seed=${seed}: bit for bit`, () => tidy(() => {
      const rng = new Rng(n);
      const xv = Float32Array.from({ length: n }, () => rng.normal());
      const y = dropout(tensor(xv, [n]), { rate, seed });
      const m = maskRef(n, rate, seed);
      const s = Math.fround(1 / (1 - rate));
      assert.equal(Array.from(y.data), Array.from(xv, (v, i) => (m[i] !== 0 ? Math.fround(v * s) : 0)));
    }));
  }
  test(`gradient n=${n} x=[${n},3] rate=0.3`, () => gradcheck({
    inputs: [{ shape: [n, 3] }],
    engine: ([x]) => dropout(x, { rate: 0.3, seed: 42 + n }),
    reference: ([x]) => { const m = maskRef(3 * n, 0.3, 42 + n); return x.map((v, i) => v * m[i]); },
  }));
}

test('kept fraction over 100,000 elements is close to 1 − rate; kept values are scaled by 1/(1 − rate)', () => tidy(() => {
  for (const rate of [0.1, 0.5, 0.8]) {
    const y = dropout(ones([100000]), { rate, seed: 3 });
    let kept = 0;
    for (const v of y.data) if (v !== 0) { kept++; assert.is(v, Math.fround(1 / (1 - rate))); }
    assert.ok(Math.abs(kept / 100000 - (1 - rate)) < 0.01, `rate ${rate}: kept ${kept}`);
  }
}));

test('same seed → same mask; another seed → another mask; the gradient uses the forward mask', () => tidy(() => {
  const x = ones([64], { requiresGrad: true });
  const a = dropout(x, { rate: 0.5, seed: 7 }).toArray();
  const b = dropout(x, { rate: 0.5, seed: 7 });
  const c = dropout(x, { rate: 0.5, seed: 8 }).toArray();
  assert.equal(a, b.toArray());
  assert.not.equal(a, c);
  sum(b).backward();
  assert.equal((x.grad as Tensor).toArray(), a);
}));

test('identity in evaluation and at rate 0 (the same tensor)', () => tidy(() => {
  const x = tensor([1, 2, 3]);
  assert.is(dropout(x, { rate: 0.5, seed: 1, training: false }), x);
  assert.is(dropout(x, { rate: 0, seed: 1 }), x);
}));

test('errors name the op, the contract and what was given', () => {
  const x = tensor([1, 2, 3]);
  assert.throws(() => dropout(x, { rate: 1, seed: 1 }), /dropout: expected options.rate to be in \[0, 1\), got 1/);
  assert.throws(() => dropout(x, { rate: -0.1, seed: 1 }), /dropout: expected options.rate to be a finite number >= 0, got -0.1/);
  assert.throws(() => dropout(x, { rate: 0.5, seed: 1.5 }), /dropout: expected options.seed to be an integer in \[0, 2\^32\), got 1.5/);
  assert.throws(() => dropout(x, { rate: 0.5, seed: 2 ** 32 }), /dropout: expected options.seed/);
  assert.throws(() => dropout(x, { rate: 0.5, seed: 1, training: 1 as never }), /dropout: expected options.training to be a boolean/);
});

test.run();
