import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../src/random.js';

test('same seed, same numbers; different seeds differ', () => {
  const a = new Rng(5), b = new Rng(5), c = new Rng(6);
  const xs = Array.from({ length: 10 }, () => a.nextU32());
  assert.equal(Array.from({ length: 10 }, () => b.nextU32()), xs);
  assert.not.equal(Array.from({ length: 10 }, () => c.nextU32()), xs);
});

test('uniform, int and normal have the right ranges and moments', () => {
  const r = new Rng(1);
  let s = 0, s2 = 0, lo = Infinity, hi = -Infinity;
  const n = 20000;
  for (let i = 0; i < n; i++) { const v = r.normal(); s += v; s2 += v * v; }
  assert.ok(Math.abs(s / n) < 0.03, `mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 0.05, `var ${s2 / n}`);
  for (let i = 0; i < n; i++) { const v = r.next(); lo = Math.min(lo, v); hi = Math.max(hi, v); }
  assert.ok(lo >= 0 && hi < 1);
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) counts[r.int(3)]++;
  assert.ok(counts.every((c) => c > 900), `${counts}`);
});

test('getState/setState resume the sequence exactly, normals included', () => {
  const a = new Rng(9);
  a.normal();
  const st = a.getState();
  const next = [a.normal(), a.nextU32(), a.normal()];
  const b = new Rng(1);
  b.setState(st);
  assert.equal([b.normal(), b.nextU32(), b.normal()], next);
  assert.throws(() => b.setState([1, 2]), /Rng.setState: expected/);
});

test('shuffle is a permutation', () => {
  const a = new Rng(2).shuffle(Array.from({ length: 50 }, (_, i) => i));
  assert.equal([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
});

test.run();
