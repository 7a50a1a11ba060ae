import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { malloc, free, memoryStats, tidy, keep, Storage, scopeDepth } from '../src/memory.js';
import { wasmMemory } from '../src/wasm.js';
import { Tensor, tensor, zeros } from '../src/tensor.js';
import { add, mul, sum, scale } from '../src/ops/elementwise.js';

test('blocks are 64-byte aligned and a freed block is reused for the same size', () => {
  const a = malloc(100);
  assert.is(a % 64, 0);
  free(a);
  const b = malloc(100);
  assert.is(b, a);
  free(b);
});

test('freed neighbours merge, so a larger block fits where two small ones were', () => {
  const guard = malloc(64); // keeps the region below the top
  const a = malloc(256), b = malloc(256), top = malloc(64);
  free(a); free(b);
  const c = malloc(512);
  assert.is(c, a, 'merged block reused');
  free(c); free(top); free(guard);
});

test('freeing twice is an error naming the block', () => {
  const a = malloc(64);
  free(a);
  assert.throws(() => free(a), /block \d+ is not allocated/);
});

test('views are rebuilt after memory.grow detaches the old buffer', () => {
  const t = tensor([1, 2, 3]);
  const before = t.data;
  const big = malloc(64 * 1024 * 1024); // forces growth
  assert.ok(before.length === 0 || before.buffer !== wasmMemory().buffer, 'old view detached by grow');
  assert.equal(Array.from(t.data), [1, 2, 3]);
  free(big);
  t.dispose();
});

test('going past 4 GiB is a clear RangeError naming the size asked for', () => {
  assert.throws(() => malloc(5 * 2 ** 30), (e: Error) => e instanceof RangeError && /cannot allocate 5368709120 bytes \(5\.00 GiB\).*past the 4 GiB/.test(e.message));
  assert.throws(() => new Tensor([70000, 70000]), /cannot allocate 19600000000 bytes/);
});

test('tidy frees what it created except what it returns; keep() protects a tensor', () => {
  const live0 = memoryStats().liveBlocks;
  let kept!: Tensor;
  const out = tidy(() => {
    const a = tensor([1, 2]);
    const b = add(a, a);
    kept = keep(scale(b, 3));
    assert.is(scopeDepth(), 1);
    return { b, total: sum(b) };
  });
  assert.is(scopeDepth(), 0);
  assert.equal(Array.from(out.b.data), [2, 4]);
  assert.is(out.total.item(), 6);
  assert.equal(Array.from(kept.data), [6, 12]);
  assert.is(memoryStats().liveBlocks, live0 + 3);
  out.b.dispose(); out.total.dispose(); kept.dispose();
  assert.is(memoryStats().liveBlocks, live0);
  assert.throws(() => out.b.data, /disposed/);
});

test('tidy frees everything when fn throws', () => {
  const live0 = memoryStats().liveBlocks;
  assert.throws(() => tidy(() => { zeros([10]); throw new Error('boom'); }), /boom/);
  assert.is(memoryStats().liveBlocks, live0);
});

test('a loop of 1,000 forward/backward steps inside tidy does not grow memory', () => {
  const w = tensor([0.5, -0.25, 0.125, 2, 3], [5], { requiresGrad: true });
  const x = tensor([1, 2, 3, 4, 5]);
  const step = () => tidy(() => {
    w.zeroGrad();
    const loss = sum(mul(mul(w, x), add(w, x)));
    loss.backward();
    return loss.item();
  });
  for (let i = 0; i < 10; i++) step();
  const after10 = memoryStats();
  for (let i = 0; i < 1000; i++) step();
  const after1010 = memoryStats();
  assert.is(after1010.memoryBytes, after10.memoryBytes);
  assert.is(after1010.liveBytes, after10.liveBytes);
  assert.is(after1010.heapBytes, after10.heapBytes);
});

test('a Storage of length 0 is valid and disposable', () => {
  const s = new Storage(0);
  assert.is(s.f32view().length, 0);
  s.dispose();
  s.dispose();
});

test.run();
