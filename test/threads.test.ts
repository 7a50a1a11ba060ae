// Kernels split over worker threads give the bits of one thread: gemm by row or column blocks,
// conv2d by images and by blocks of dW, kNN by query or gallery ranges, diameters by people;
// and a few training steps give the same weights at 1 and 2 threads. setSplitScale(0) makes
// every call split, so that small and awkward sizes run split.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Storage, tidy } from '../src/memory.js';
import { parameter, randn, tensor, Tensor } from '../src/tensor.js';
import { Rng } from '../src/random.js';
import { gemmInto } from '../src/ops/dense.js';
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

test('a trap on a worker is an Error on the calling thread, and the pool still works after', () => {
  setThreads(2);
  const out = new Storage(4);
  try {
    // Part 1 reads far past the end of the memory (4 GiB − 64): a trap on the worker.
    const bad = 0xffffffc0;
    assert.throws(() => runParts('knn_f32', [[out.ptr, 0, out.ptr, 0, 0, 1, 1, out.ptr, out.ptr], [bad, 1, bad, 0, 1, 16, 1, out.ptr, out.ptr + 8]]),
      /knn_f32 failed on worker 1/);
    const [one, two] = atBoth(() => gemmCase(33, 20, 19, false, false, false, 0));
    sameBits(one, two, 'C after a failed job');
  } finally {
    out.dispose();
  }
});

test('restore the default thread count', () => {
  setThreads(initialThreads);
  assert.is(getThreads(), initialThreads);
});

test.run();
