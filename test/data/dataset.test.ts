import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Image } from '../../src/data/image.js';
import { ArrayDataset, ConcatDataset, Subset, subsetPeople, splitByPeople, splitByPhotos, type FaceDataset } from '../../src/data/dataset.js';

const img = (v: number): Image => ({ width: 2, height: 1, channels: 1, data: Float32Array.from([v, v]) });

/** People p0…p(n-1); person l has counts[l] photos whose pixel value is 100·l + j. */
function make(counts: number[]): ArrayDataset {
  const images: Image[] = [], labels: number[] = [];
  counts.forEach((c, l) => { for (let j = 0; j < c; j++) { images.push(img(100 * l + j)); labels.push(l); } });
  return new ArrayDataset(images, labels, counts.map((_, l) => `p${l}`));
}
const values = (ds: FaceDataset) => Array.from({ length: ds.size }, (_, i) => ds.get(i).data[0]);
const names = (ds: FaceDataset) => Array.from({ length: ds.size }, (_, i) => ds.people[ds.label(i)]);

test('ArrayDataset: labels, photosOf, default names, preprocess applied once', () => {
  const ds = new ArrayDataset([img(1), img(2), img(3)], [1, 0, 1]);
  assert.equal(ds.people, ['0', '1']);
  assert.is(ds.size, 3);
  assert.equal(ds.photosOf(1), [0, 2]);
  assert.is(ds.label(1), 0);
  assert.is(ds.get(2).data[0], 3);
  assert.is(ds.source(0), 'image 0 (1)');
  const pre = new ArrayDataset([{ width: 4, height: 2, channels: 3, data: new Float32Array(24).fill(0.5) }], [0], ['x'], { preprocess: { size: [2, 1], grey: true, standardize: false } });
  assert.equal([pre.get(0).width, pre.get(0).height, pre.get(0).channels], [2, 1, 1]);
});

test('ArrayDataset errors', () => {
  assert.throws(() => new ArrayDataset([img(1)], [0, 1]), /ArrayDataset: expected one label per image \(1\), got 2 labels/);
  assert.throws(() => new ArrayDataset([img(1)], [2], ['a', 'b']), /ArrayDataset: expected labels below people.length = 2, got label 2/);
  assert.throws(() => new ArrayDataset([img(1)], [-1]), /ArrayDataset: expected labels\[0\] to be an integer >= 0, got -1/);
  assert.throws(() => new ArrayDataset([{ ...img(1), width: 3 }], [0]), /ArrayDataset: expected images\[0\] data of 3×1×1 = 3 values, got 2/);
  assert.throws(() => make([2]).get(2), /ArrayDataset.get: expected an item index to be an integer in \[0, 1\], got 2/);
});

test('subsetPeople by names and by predicate: parent order, relabelled, reads through', () => {
  const ds = make([2, 3, 1, 2]);
  const s = subsetPeople(ds, ['p3', 'p1']);
  assert.equal(s.people, ['p1', 'p3']);
  assert.equal(values(s), [100, 101, 102, 300, 301]);
  assert.equal(Array.from({ length: s.size }, (_, i) => s.label(i)), [0, 0, 0, 1, 1]);
  assert.equal(s.photosOf(1), [3, 4]);
  assert.equal(Array.from(s.indices), [2, 3, 4, 6, 7]);
  const odd = subsetPeople(ds, (_, l) => l % 2 === 0);
  assert.equal(odd.people, ['p0', 'p2']);
  assert.throws(() => subsetPeople(ds, ['p9']), /subsetPeople: expected names of people in the data set, got "p9"; it has 4 people, e.g. "p0", "p1", "p2"/);
  // A subset of a subset.
  const inner = subsetPeople(s, ['p3']);
  assert.equal(values(inner), [300, 301]);
  assert.ok(inner.parent === s);
});

test('ConcatDataset: people one after the other with prefixed names, labels offset, photos read through', () => {
  const a = make([2, 1]), b = make([3]);
  const c = new ConcatDataset([a, b], ['a', 'b']);
  assert.equal(c.people, ['a/p0', 'a/p1', 'b/p0']);
  assert.is(c.size, 6);
  assert.equal(Array.from({ length: 6 }, (_, i) => c.label(i)), [0, 0, 1, 2, 2, 2]);
  assert.equal(values(c), [0, 1, 100, 0, 1, 2]);
  assert.equal(c.photosOf(2), [3, 4, 5]);
  assert.equal(c.photosOf(1), [2]);
  assert.is(c.source(4), 'image 1 (p0)');
  // A subset of one part inside a concatenation, and no prefix for the first part.
  const d = new ConcatDataset([subsetPeople(a, ['p1']), b], ['', 'x']);
  assert.equal(d.people, ['p1', 'x/p0']);
  assert.equal(values(d), [100, 0, 1, 2]);
  assert.throws(() => new ConcatDataset([a, a], ['', '']), /ConcatDataset: expected distinct person names.*"p0" twice/);
  assert.throws(() => new ConcatDataset([a], ['a', 'b']), /ConcatDataset: expected one name \(a string\) per part \(1\)/);
  assert.throws(() => new ConcatDataset([], []), /ConcatDataset: expected a non-empty array of data sets/);
  assert.throws(() => c.get(6), /ConcatDataset.get: expected an item index/);
  assert.throws(() => c.photosOf(3), /ConcatDataset.photosOf: expected label/);
});

test('splitByPeople: disjoint people covering all, deterministic per seed, fraction or count', () => {
  const ds = make([3, 2, 2, 4, 1, 2, 3, 2, 2, 5]);
  const { train, test: held } = splitByPeople(ds, { test: 0.3, seed: 1 });
  assert.is(held.people.length, 3);
  assert.is(train.people.length, 7);
  assert.equal(new Set([...train.people, ...held.people]).size, 10);
  assert.is(train.size + held.size, ds.size);
  for (const part of [train, held]) {
    const own = new Set(part.people);
    assert.ok(names(part).every((n) => own.has(n)));
  }
  // Parent order on each side.
  assert.equal([...held.people], [...held.people].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
  const again = splitByPeople(ds, { test: 0.3, seed: 1 });
  assert.equal(again.test.people, held.people);
  const seeds = new Set(Array.from({ length: 8 }, (_, s) => splitByPeople(ds, { test: 0.3, seed: s }).test.people.join()));
  assert.ok(seeds.size > 1, 'different seeds choose different people');
  assert.is(splitByPeople(ds, { test: 4, seed: 2 }).test.people.length, 4);
  assert.is(splitByPeople(ds, { test: 0.01, seed: 2 }).test.people.length, 1);
  assert.throws(() => splitByPeople(ds, { test: 10, seed: 1 }), /splitByPeople: expected test \(a fraction in \(0, 1\) or a count of people\) to be an integer in \[1, 9\], got 10/);
  assert.throws(() => splitByPeople(make([3]), { test: 0.5, seed: 1 }), /splitByPeople: expected a data set with at least 2 people, got 1/);
});

test('splitByPhotos: same people and labels on both sides, ≥ 1 photo kept for training, deterministic', () => {
  const counts = [1, 2, 3, 10];
  const ds = make(counts);
  const { train, test: held } = splitByPhotos(ds, { test: 0.5, seed: 4 });
  assert.equal(train.people, ds.people);
  assert.equal(held.people, ds.people);
  // round(0.5 · n) capped at n - 1: 0, 1, 2 (round 1.5 = 2), 5.
  assert.equal(counts.map((_, l) => held.photosOf(l).length), [0, 1, 2, 5]);
  assert.equal(counts.map((_, l) => train.photosOf(l).length), [1, 1, 1, 5]);
  const tr = new Set(Array.from(train.indices)), te = Array.from(held.indices);
  assert.ok(te.every((i) => !tr.has(i)));
  assert.is(tr.size + te.length, ds.size);
  for (let i = 0; i < held.size; i++) assert.is(held.label(i), ds.label(held.indices[i]));
  assert.equal(Array.from(splitByPhotos(ds, { test: 0.5, seed: 4 }).test.indices), te);
  const byCount = splitByPhotos(ds, { test: 2, seed: 4 });
  assert.equal(counts.map((_, l) => byCount.test.photosOf(l).length), [0, 1, 2, 2]);
  assert.throws(() => splitByPhotos(ds, { test: 1.5, seed: 4 }), /splitByPhotos: expected test \(a fraction in \(0, 1\) or a count of photos per person\) to be an integer >= 1, got 1.5/);
});

test('Subset errors: an item of a person not chosen', () => {
  const ds = make([2, 2]);
  assert.throws(() => new Subset(ds, [0, 2], [0]), /Subset: expected items of the chosen people only, got item 2 of p1/);
  assert.throws(() => new Subset(ds, [5]), /Subset: expected an item index to be an integer in \[0, 3\], got 5/);
});

test.run();
