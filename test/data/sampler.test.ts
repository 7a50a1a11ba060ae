import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PKSampler } from '../../src/data/sampler.js';
import { ArrayDataset } from '../../src/data/dataset.js';

/** Labels with counts[l] photos of person l, interleaved so indices of one person are not contiguous. */
function labelsFor(counts: number[]): number[] {
  const left = [...counts], out: number[] = [];
  while (left.some((c) => c > 0)) left.forEach((c, l) => { if (c > 0) { out.push(l); left[l]--; } });
  return out;
}

/** Checks one epoch's invariants and returns the people of each batch (in order, with repeats). */
function check(s: PKSampler, labels: number[], batches: number[][], p: number, k: number): number[][] {
  const count = new Map<number, number>();
  labels.forEach((l) => count.set(l, (count.get(l) ?? 0) + 1));
  return batches.map((b, bi) => {
    assert.is(new Set(b).size, b.length, `batch ${bi}: no photo twice`);
    const people: number[] = [];
    for (const i of b) if (people[people.length - 1] !== labels[i]) people.push(labels[i]);
    assert.is(new Set(people).size, people.length, `batch ${bi}: each person's photos together`);
    assert.ok(people.length >= 2 && people.length <= p, `batch ${bi}: ${people.length} people`);
    for (const l of people) {
      const n = b.filter((i) => labels[i] === l).length;
      assert.is(n, Math.min(k, count.get(l)!), `batch ${bi}: photos of person ${l}`);
      assert.ok(count.get(l)! >= 2, `person ${l} has one photo and must not be sampled`);
    }
    return people;
  });
}

test('p=4 k=3, people with 1, 2, 3, 5, 8, 2, 4 photos: every eligible person once per epoch, min(K, n) photos each', () => {
  const labels = labelsFor([1, 2, 3, 5, 8, 2, 4]);
  const s = new PKSampler({ labels, p: 4, k: 3, seed: 1 });
  assert.equal(s.people, [1, 2, 3, 4, 5, 6]);
  assert.equal(s.excluded, [0]);
  assert.is(s.batchesPerEpoch, 2);
  for (let e = 0; e < 5; e++) {
    const people = check(s, labels, s.epoch(), 4, 3);
    assert.equal(people.map((t) => t.length), [4, 2]);
    assert.equal(people.flat().sort(), [1, 2, 3, 4, 5, 6]);
  }
});

test('singles: each batch ends with that many single-photo items, walked evenly in a seeded order; the P×K part is unchanged', () => {
  // people 0…5 have one photo each, 6…9 have 3
  const labels = labelsFor([1, 1, 1, 1, 1, 1, 3, 3, 3, 3]);
  const plain = new PKSampler({ labels, p: 2, k: 2, seed: 4 });
  const withSingles = new PKSampler({ labels, p: 2, k: 2, seed: 4, singles: 2 });
  assert.is(withSingles.singles, 2);
  const singleItems = labels.map((l, i) => (l < 6 ? i : -1)).filter((i) => i >= 0);
  const seen = new Map<number, number>();
  for (let e = 0; e < 3; e++) {
    const a = plain.epochAt(e), b = withSingles.epochAt(e);
    assert.is(b.length, a.length);
    b.forEach((batch, bi) => {
      assert.equal(batch.slice(0, a[bi].length), a[bi], 'the P×K part is the same as without singles');
      const extra = batch.slice(a[bi].length);
      assert.is(extra.length, 2);
      for (const i of extra) { assert.ok(singleItems.includes(i), `item ${i} is a single-photo person's`); seen.set(i, (seen.get(i) ?? 0) + 1); }
      assert.is(new Set(batch).size, batch.length, 'no photo twice in a batch');
    });
    // 2 batches × 2 singles = 4 of the 6 per epoch, consecutive in the epoch's order: all different
    const epochExtras = b.flatMap((batch, bi) => batch.slice(a[bi].length));
    assert.is(new Set(epochExtras).size, 4);
  }
  assert.equal(withSingles.epochAt(1), withSingles.epochAt(1), 'deterministic');
  // more singles than there are single-photo people: each is used once per batch
  const many = new PKSampler({ labels, p: 2, k: 2, seed: 4, singles: 50 });
  for (const batch of many.epochAt(0)) assert.is(batch.filter((i) => labels[i] < 6).length, 6);
  assert.throws(() => new PKSampler({ labels, p: 2, k: 2, seed: 4, singles: -1 }), /PKSampler: expected singles \(single-photo people per batch\)/);
});

test('5 eligible people with p=4: the last two batches are rebalanced to 3 + 2', () => {
  const labels = labelsFor([2, 2, 2, 2, 2]);
  const s = new PKSampler({ labels, p: 4, k: 2, seed: 7 });
  const people = check(s, labels, s.epoch(), 4, 2);
  assert.equal(people.map((t) => t.length), [3, 2]);
  assert.equal(people.flat().sort(), [0, 1, 2, 3, 4]);
});

test('5 eligible people with p=2: the lone last person is paired with a person already visited', () => {
  const labels = labelsFor([3, 3, 3, 3, 3]);
  const s = new PKSampler({ labels, p: 2, k: 2, seed: 3 });
  for (let e = 0; e < 4; e++) {
    const people = check(s, labels, s.epoch(), 2, 2);
    assert.equal(people.map((t) => t.length), [2, 2, 2]);
    assert.equal(new Set(people.flat()).size, 5);
    const last = people[2];
    assert.ok(people.slice(0, 2).flat().includes(last[0]) || people.slice(0, 2).flat().includes(last[1]));
  }
});

test('same seed → same batches; epoch(e) = epochAt(e); epochs and seeds differ', () => {
  const labels = labelsFor([4, 6, 2, 9, 3, 5, 2, 2]);
  const a = new PKSampler({ labels, p: 3, k: 4, seed: 11 }), b = new PKSampler({ labels, p: 3, k: 4, seed: 11 });
  const ea = [a.epoch(), a.epoch(), a.epoch()], eb = [b.epoch(), b.epoch(), b.epoch()];
  assert.equal(ea, eb);
  assert.equal(b.epochAt(1), ea[1]);
  assert.equal(b.epoch(), new PKSampler({ labels, p: 3, k: 4, seed: 11 }).epochAt(3));
  assert.not.equal(ea[0], ea[1]);
  assert.not.equal(new PKSampler({ labels, p: 3, k: 4, seed: 12 }).epoch(), ea[0]);
});

test('a person with more than K photos shows different photos across epochs', () => {
  const labels = labelsFor([8, 2]);
  const s = new PKSampler({ labels, p: 2, k: 3, seed: 5 });
  const seen = new Set<number>();
  for (let e = 0; e < 20; e++) for (const i of s.epoch()[0]) if (labels[i] === 0) seen.add(i);
  assert.is(seen.size, 8);
});

test('a FaceDataset as labels', () => {
  const img = { width: 1, height: 1, channels: 1 as const, data: new Float32Array(1) };
  const ds = new ArrayDataset([img, img, img, img, img], [0, 1, 0, 1, 2]);
  const s = new PKSampler({ labels: ds, p: 8, k: 8, seed: 1 });
  assert.equal(s.excluded, [2]);
  const [batch, ...rest] = s.epoch();
  assert.is(rest.length, 0);
  assert.equal([...batch].sort(), [0, 1, 2, 3]);
});

test('errors: p, k, too few people with two photos', () => {
  assert.throws(() => new PKSampler({ labels: [0, 0, 1, 1], p: 1, k: 2, seed: 1 }), /PKSampler: expected p \(people per batch\) to be an integer >= 2, got 1/);
  assert.throws(() => new PKSampler({ labels: [0, 0, 1, 1], p: 2, k: 1, seed: 1 }), /PKSampler: expected k \(photos per person\) to be an integer >= 2, got 1/);
  assert.throws(() => new PKSampler({ labels: [0, 0, 1, 2], p: 2, k: 2, seed: 1 }), /PKSampler: expected at least 2 people with 2 or more photos each, got 1 \(of 3 people\)/);
  assert.throws(() => new PKSampler({ labels: [0, 0.5], p: 2, k: 2, seed: 1 }), /PKSampler: expected labels\[1\] to be an integer >= 0, got 0.5/);
});

test.run();
