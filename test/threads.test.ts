// Kernels split over worker threads give the bits of one thread: gemm by row or column blocks,
// conv2d by images and by blocks of dW, kNN by query or gallery ranges, diameters by people;
// and a few training steps give the same weights at 1 and 2 threads. setSplitScale(0) makes
// every call split, so that small and awkward sizes run split.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { Storage, tidy } from '../src/memory.js';
import { unshareMemoryImport } from '../src/wasm.js';
import { countNonFinite, parameter, randn, tensor, Tensor } from '../src/tensor.js';
import { Rng } from '../src/random.js';
import { gemmInto } from '../src/ops/dense.js';
import { conv2d, setConv2dAlgorithm, type Conv2dAlgorithm } from '../src/ops/conv2d.js';
import { mul, sum } from '../src/ops/elementwise.js';
import { relu } from '../src/ops/activation.js';
import { maxPool2d } from '../src/ops/pool.js';
import { dense } from '../src/ops/dense.js';
import { batchNorm } from '../src/ops/batchnorm.js';
import { zeros, ones } from '../src/tensor.js';
import { noGrad } from '../src/autograd.js';
import { backward } from '../src/autograd.js';
import { Gallery } from '../src/metric/gallery.js';
import { EmbeddingNet } from '../src/nn/embedding-net.js';
import { tripletLoss } from '../src/ops/triplet.js';
import { Adam } from '../src/optim/adam.js';
import { getThreads, runParts, setSplitScale, setThreads, splitRange, partsFor } from '../src/threads.js';
import { setThreads as publicSetThreads, getThreads as publicGetThreads } from '../src/index.js';

const initialThreads = getThreads();

/**
 * Runs fn whole (no call split) and with every call split over `threads` threads; returns both.
 * Leaves the thread count at `threads` (a change restarts the workers, so tests share counts).
 */
function atBoth<T>(fn: () => T, threads = 2): [T, T] {
  if (getThreads() !== threads) setThreads(threads);
  const prev = setSplitScale(Infinity);
  try {
    const one = fn();
    setSplitScale(0);
    const many = fn();
    return [one, many];
  } finally {
    setSplitScale(prev);
  }
}

/** Asserts two float arrays are bit-identical, naming the first index that differs. */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.is(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.unreachable(`${what}: index ${i}: ${a[i]} (1 thread) vs ${b[i]} (threads)`);
  }
}

test('setThreads/getThreads: default the core count, 1 allowed, errors', () => {
  assert.ok(initialThreads >= 1);
  assert.is(publicSetThreads, setThreads);
  assert.is(publicGetThreads, getThreads);
  setThreads(1);
  assert.is(getThreads(), 1);
  setThreads(3);
  assert.is(getThreads(), 3);
  assert.throws(() => setThreads(0), /setThreads: expected n/);
  assert.throws(() => setThreads(1.5), /setThreads: expected n/);
  assert.throws(() => setThreads(1000), /setThreads: expected n <= 64/);
  setThreads(initialThreads);
});

test('splitRange and partsFor', () => {
  assert.equal(splitRange(10, 2), [0, 5, 10]);
  assert.equal(splitRange(10, 3, 4), [0, 4, 8, 10]);
  assert.equal(splitRange(3, 2, 4), [0, 3]);
  assert.equal(splitRange(1, 4), [0, 1]);
  setThreads(2);
  assert.is(partsFor(100, 60), 1);
  assert.is(partsFor(120, 60), 2);
  setThreads(1);
  assert.is(partsFor(1e12, 1), 1);
  setThreads(initialThreads);
});

function gemmCase(m: number, n: number, k: number, transA: boolean, transB: boolean, accumulate: boolean, pad: number): Float32Array {
  return tidy(() => {
    const rng = new Rng(m * 1000 + n * 10 + k);
    const lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
    const a = randn([(transA ? k : m) * lda], rng), b = randn([(transB ? n : k) * ldb], rng);
    const c = randn([m * ldc], rng);
    gemmInto(a.ptr, lda, b.ptr, ldb, m, n, k, transA, transB, accumulate, c.ptr, ldc);
    return c.data.slice();
  });
}

for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [17, 4, 9], [5, 17, 3], [64, 33, 300], [130, 9, 17], [9, 130, 257]]) {
  for (const [transA, transB, accumulate, pad] of [[false, false, false, 0], [true, false, true, 3], [false, true, false, 1], [true, true, true, 0]] as const) {
    test(`gemm m=${m} n=${n} k=${k} transA=${transA} transB=${transB} acc=${accumulate} pad=${pad}: 2 and 3 threads = 1 thread, bitwise`, () => {
      const [one, two] = atBoth(() => gemmCase(m, n, k, transA, transB, accumulate, pad), 2);
      sameBits(one, two, 'C at 2 threads');
    });
  }
}

for (const [m, n, k] of [[3, 5, 7], [130, 9, 17], [9, 130, 257]]) {
  test(`gemm m=${m} n=${n} k=${k} transA=true: 3 threads = 1 thread, bitwise`, () => {
    const [one, three] = atBoth(() => gemmCase(m, n, k, true, false, false, 2), 3);
    sameBits(one, three, 'C at 3 threads');
  });
}

test('gemm 256x384x512 at the default threshold (split): 1 thread = 2 threads, bitwise', () => {
  setThreads(1);
  const one = gemmCase(256, 384, 512, false, false, false, 0);
  setThreads(2);
  assert.is(partsFor(256 * 384 * 512, 1 << 18), 2);
  const two = gemmCase(256, 384, 512, false, false, false, 0);
  sameBits(one, two, 'C');
});

type ConvCase = [x: number[], w: number[], stride: number, padding: 'same' | 'valid' | number, note: string, algorithm?: Conv2dAlgorithm];
const convCases: ConvCase[] = [
  [[3, 9, 7, 1], [3, 3, 1, 5], 1, 'same', 'direct fwd, dot bwd-input, direct bwd-filter'],
  [[2, 8, 8, 32], [3, 3, 32, 9], 1, 'same', 'igemm fwd, igemm bwd-input, packed bwd-filter', 'gemm'],
  [[5, 11, 13, 36], [3, 2, 36, 17], 2, 'valid', 'stride 2, packed bwd-filter, O % 8 = 1'],
  [[3, 17, 13, 3], [5, 5, 3, 7], 3, 1, 'stride 3 > pad, dot bwd-input'],
  [[4, 6, 5, 8], [3, 3, 8, 12], 2, 'same', 'C = 8: igemm bwd-input, direct bwd-filter'],
  [[1, 7, 7, 40], [3, 3, 40, 4], 1, 'same', 'N = 1: fwd unsplit, bwd-filter split', 'gemm'],
  [[3, 12, 10, 32], [3, 3, 32, 24], 1, 'same', 'Winograd 4×4: fwd and bwd-input by images, bwd-filter by output channels'],
  [[2, 7, 8, 40], [3, 3, 40, 16], 1, 'valid', 'Winograd 2×2 (5×6 output): bwd-filter by input channels (C > O); bwd-input 4×4'],
  [[9, 15, 13, 8], [3, 3, 8, 16], 1, 'same', 'Winograd 4×4, 144 tiles: bwd-filter in two fixed halves (128 + 16), each split by output channels'],
];

function convRun([xs, ws, stride, padding, , algorithm]: ConvCase): Float32Array[] {
  const prev = setConv2dAlgorithm(algorithm ?? 'auto');
  try {
    return convRunAs([xs, ws, stride, padding, '']);
  } finally {
    setConv2dAlgorithm(prev);
  }
}

function convRunAs([xs, ws, stride, padding]: ConvCase): Float32Array[] {
  return tidy(() => {
    const rng = new Rng(xs[0] * 31 + ws[3]);
    const x = parameter(randn(xs, rng)), w = parameter(randn(ws, rng, 0.3)), b = parameter(randn([ws[3]], rng, 0.1));
    const y = conv2d(x, w, b, { stride, padding });
    backward(sum(mul(y, randn(y.shape, rng))));
    const out = [y.data.slice(), x.grad!.data.slice(), w.grad!.data.slice(), b.grad!.data.slice()];
    for (const t of [x, w, b]) t.dispose();
    return out;
  });
}

for (const threads of [2, 3]) {
  for (const c of convCases) {
    const [xs, ws, stride, padding, note] = c;
    test(`conv2d x=[${xs}] w=[${ws}] s=${stride} pad=${padding} (${note}): y, dx, dw, db at ${threads} threads = 1 thread, bitwise`, () => {
      const [one, many] = atBoth(() => convRun(c), threads);
      ['y', 'dx', 'dw', 'db'].forEach((name, i) => sameBits(one[i], many[i], name));
    });
  }
}

for (const shape of [[1], [5], [17], [3, 7, 5, 6], [1001]]) {
  test(`relu x=[${shape}]: forward and backward at 2 threads = 1 thread, bitwise`, () => {
    const run = () => tidy(() => {
      const rng = new Rng(shape.length + shape[0]);
      const x = parameter(randn(shape, rng));
      const y = relu(x);
      backward(sum(mul(y, randn(shape, rng))));
      const out = [y.data.slice(), x.grad!.data.slice()];
      x.dispose();
      return out;
    });
    const [one, two] = atBoth(run);
    sameBits(one[0], two[0], 'y');
    sameBits(one[1], two[1], 'dx');
  });
}

for (const [shape, size, stride, padding] of [[[3, 7, 5, 6], 2, 2, 'same'], [[5, 9, 9, 3], 3, 2, 'valid'], [[1, 4, 4, 1], 2, 1, 'valid']] as const) {
  test(`maxPool2d x=[${shape}] k=${size} s=${stride} pad=${padding}: forward (with and without grad) and backward at 2 threads = 1 thread, bitwise`, () => {
    const run = () => tidy(() => {
      const rng = new Rng(shape[0] * 7 + size);
      const x = parameter(randn([...shape], rng));
      const y = maxPool2d(x, { size, stride, padding });
      const yi = noGrad(() => maxPool2d(x, { size, stride, padding }));
      backward(sum(mul(y, randn(y.shape, rng))));
      const out = [y.data.slice(), yi.data.slice(), x.grad!.data.slice()];
      x.dispose();
      return out;
    });
    const [one, two] = atBoth(run);
    ['y', 'y (no grad)', 'dx'].forEach((name, i) => sameBits(one[i], two[i], name));
  });
}

for (const [shape, training] of [[[5, 3, 3, 7], true], [[4, 6, 5, 32], true], [[3, 4, 4, 37], false], [[9, 6], true]] as const) {
  test(`batchNorm x=[${shape}] ${training ? 'training' : 'evaluation'}: y, running stats, dx, dgamma, dbeta at 2 threads = 1 thread, bitwise`, () => {
    const run = () => tidy(() => {
      const rng = new Rng(shape[0] * 13 + shape.length);
      const c = shape[shape.length - 1];
      const x = parameter(randn([...shape], rng, 2)), gamma = parameter(randn([c], rng)), beta = parameter(randn([c], rng));
      const runningMean = zeros([c]), runningVar = ones([c]);
      const y = batchNorm(x, gamma, beta, { training, runningMean, runningVar });
      backward(sum(mul(y, randn(y.shape, rng))));
      const out = [y.data.slice(), runningMean.data.slice(), runningVar.data.slice(), x.grad!.data.slice(), gamma.grad!.data.slice(), beta.grad!.data.slice()];
      for (const t of [x, gamma, beta, runningMean, runningVar]) t.dispose();
      return out;
    });
    const [one, two] = atBoth(run);
    ['y', 'running mean', 'running var', 'dx', 'dgamma', 'dbeta'].forEach((name, i) => sameBits(one[i], two[i], name));
  });
}

for (const [rows, inF, outF] of [[1, 3, 1], [7, 5, 3], [33, 17, 37], [64, 40, 130]]) {
  test(`dense x=[${rows},${inF}] w=[${inF},${outF}] with bias: y, dx, dw, db at 2 threads = 1 thread, bitwise`, () => {
    const run = () => tidy(() => {
      const rng = new Rng(rows + outF);
      const x = parameter(randn([rows, inF], rng)), w = parameter(randn([inF, outF], rng)), b = parameter(randn([outF], rng));
      const y = dense(x, w, b);
      backward(sum(mul(y, randn(y.shape, rng))));
      const out = [y.data.slice(), x.grad!.data.slice(), w.grad!.data.slice(), b.grad!.data.slice()];
      for (const t of [x, w, b]) t.dispose();
      return out;
    });
    const [one, two] = atBoth(run);
    ['y', 'dx', 'dw', 'db'].forEach((name, i) => sameBits(one[i], two[i], name));
  });
}

function randomRows(rows: number, dim: number, seed: number, ties = false): Float32Array {
  const rng = new Rng(seed);
  const v = new Float32Array(rows * dim);
  // With ties: values on a coarse grid, so that many distances are equal.
  for (let i = 0; i < v.length; i++) v[i] = ties ? rng.int(3) : rng.normal();
  return v;
}

type KnnCase = [n: number, dim: number, nq: number, k: number, ties: boolean];
for (const [n, dim, nq, kk, ties] of [[1, 3, 1, 1, false], [7, 5, 1, 3, false], [37, 17, 3, 5, true], [100, 4, 9, 7, true], [257, 33, 2, 10, false], [50, 8, 1, 25, true]] as KnnCase[]) {
  test(`kNN n=${n} dim=${dim} queries=${nq} k=${kk}${ties ? ' (tied distances)' : ''}: 2 and 3 threads = 1 thread`, () => {
    const run = () => {
      const g = new Gallery({ dim });
      try {
        g.add(randomRows(n, dim, n, ties), Array.from({ length: n }, (_, i) => `p${i % 5}`));
        return g.search(randomRows(nq, dim, 7, ties), kk);
      } finally {
        g.dispose();
      }
    };
    for (const threads of [2, 3]) {
      const [one, many] = atBoth(run, threads);
      assert.equal(many, one, `${threads} threads`);
    }
  });
}

test('kNN 2,000 × 64, one query and a batch of 40, at the default thresholds: 2 threads = 1 thread', () => {
  const g = new Gallery({ dim: 64 });
  try {
    g.add(randomRows(2000, 64, 3), Array.from({ length: 2000 }, (_, i) => `p${i % 50}`));
    for (const nq of [1, 40]) {
      const q = randomRows(nq, 64, nq);
      setThreads(1);
      const one = g.search(q, 10);
      setThreads(2);
      assert.ok(partsFor(nq * 2000 * 64, 1 << 19) === 2 || nq === 1);
      assert.equal(g.search(q, 10), one, `${nq} queries`);
    }
  } finally {
    g.dispose();
  }
});

test('countNonFinite over 1,000,003 floats: NaN and ±Inf at the parts\' edges counted once at 1, 2 and 3 threads', () => {
  const n = 1_000_003, s = new Storage(n);
  try {
    const v = s.f32view();
    v.fill(0.5);
    // Around every cut of 2 and 3 parts (4-aligned), at both ends, and in the scalar tail.
    const at = [0, 1, 3, 4, n - 1, n - 2, n - 3];
    for (const parts of [2, 3]) for (const c of splitRange(n, parts, 4).slice(1, -1)) at.push(c - 1, c, c + 1);
    const marks = [...new Set(at)];
    marks.forEach((i, t) => { v[i] = t % 3 === 0 ? NaN : t % 3 === 1 ? Infinity : -Infinity; });
    const before = getThreads(), scale = setSplitScale(0); // split at any size
    try {
      for (const th of [1, 2, 3]) {
        setThreads(th);
        assert.is(countNonFinite(s.ptr, n), marks.length, `${th} threads`);
        assert.is(countNonFinite(s.ptr + 4 * 10, 5), marks.filter((i) => i >= 10 && i < 15).length, `${th} threads, 5 floats`);
      }
    } finally {
      setThreads(before);
      setSplitScale(scale);
    }
  } finally {
    s.dispose();
  }
});

type DiamCase = [people: number, photos: number, dim: number, ties: boolean];
for (const [people, photos, dim, ties] of [[1, 2, 3, false], [1, 40, 5, true], [3, 17, 7, false], [9, 6, 4, true], [2, 90, 16, false]] as DiamCase[]) {
  test(`diameters ${people} people × ${photos} photos dim=${dim}${ties ? ' (tied distances)' : ''}, added in 2 batches and after a removal: 2 and 3 threads = 1 thread`, () => {
    const run = () => {
      const g = new Gallery({ dim });
      try {
        const n = people * photos, half = Math.floor(n / 2);
        const rows = randomRows(n, dim, people * 100 + photos, ties);
        const labels = Array.from({ length: n }, (_, i) => `p${(i * 7) % people}`);
        g.add(rows.subarray(0, half * dim), labels.slice(0, half));
        const first = g.diameters();
        g.add(rows.subarray(half * dim), labels.slice(half));
        const second = g.diameters();
        g.removeAt([0, Math.floor(n / 3)].filter((i) => i < n && n > 2));
        return [first, second, g.diameters()];
      } finally {
        g.dispose();
      }
    };
    for (const threads of [2, 3]) {
      const [one, many] = atBoth(run, threads);
      assert.equal(many, one, `${threads} threads`);
    }
  });
}

for (const batchNorm of [false, true]) test(`training steps of an embedding net (conv 8/16, dense 16, batch-hard, Adam${batchNorm ? ', batch norm' : ''}): weights at 2 threads = 1 thread, bitwise`, () => {
  const train = () => {
    const net = new EmbeddingNet({ inputShape: [16, 16, 1], blocks: [8, 16], embeddingDim: 16, seed: 5, batchNorm });
    const params = net.parameters();
    const opt = new Adam(params, { lr: 1e-3 });
    const rng = new Rng(11);
    const x = randn([12, 16, 16, 1], rng);
    const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3];
    try {
      for (let step = 0; step < 3; step++) {
        tidy(() => {
          opt.zeroGrad();
          const { loss } = tripletLoss(net.forward(x), labels, { margin: 0.5, miner: 'hard' });
          loss.backward();
          opt.step();
        });
      }
      return params.map((p) => p.data.slice());
    } finally {
      opt.dispose();
      x.dispose();
      net.dispose();
    }
  };
  const [one, two] = atBoth(train);
  one.forEach((w, i) => sameBits(w, two[i], `parameter ${i}`));
  setThreads(1);
  const plain = train();
  setThreads(2);
  const plainTwo = train();
  one.forEach((w, i) => { sameBits(w, plain[i], `parameter ${i} (default thresholds, 1 thread)`); sameBits(w, plainTwo[i], `parameter ${i} (default thresholds, 2 threads)`); });
});

test('a trap on a worker is an Error on the calling thread, and the pool still works after', () => {
  setThreads(2);
  const out = new Storage(4);
  try {
    // Part 1 reads far past the end of the memory (4 GiB − 64): a trap on the worker.
    const bad = 0xffffffc0;
    assert.throws(() => runParts('knn_f32', [[out.ptr, 0, out.ptr, 0, 0, 1, 1, out.ptr, out.ptr], [bad, 1, bad, 0, 1, 16, 1, out.ptr, out.ptr + 8]]),
      /knn_f32 failed on a worker thread|memory access out of bounds/);
    const [one, two] = atBoth(() => gemmCase(33, 20, 19, false, false, false, 0));
    sameBits(one, two, 'C after a failed job');
  } finally {
    out.dispose();
  }
});

test('unshareMemoryImport: the module loads on an unshared memory (a browser page without cross-origin isolation)', () => {
  const bytes = readFileSync(new URL('../../build/facemetric.wasm', import.meta.url));
  const imports = (memory: WebAssembly.Memory) => ({ env: { memory, abort() {}, seed: () => 42 } });
  const plain = () => new WebAssembly.Memory({ initial: 16, maximum: 65536 });
  assert.throws(() => new WebAssembly.Instance(new WebAssembly.Module(bytes), imports(plain())), /memory|shared/i);
  const memory = plain();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(unshareMemoryImport(bytes)), imports(memory));
  new Float32Array(memory.buffer, 1024, 5).set([1, 2, 3, 4, 5.5]);
  assert.is((instance.exports.sum_f32 as (x: number, n: number) => number)(1024, 5), 15.5);
  // The bytes passed in are left as they were (still a shared import).
  assert.throws(() => new WebAssembly.Instance(new WebAssembly.Module(bytes), imports(plain())), /memory|shared/i);
});

test('restore the default thread count', () => {
  setThreads(initialThreads);
  assert.is(getThreads(), initialThreads);
});

test.run();
