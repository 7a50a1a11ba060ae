import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ArrayDataset, type FaceDataset, type Image } from '../../src/data/index.js';
import { memoryStats } from '../../src/memory.js';
import {
  protocolPairs, enrolmentSplit, orlSplit, evaluateProtocol, pixelEmbeddings, itemNames, protocolTable,
  type ProtocolPairs, type ProtocolSplit,
} from '../../src/metric/protocol.js';
import { close } from '../helpers/close.js';

// The hand-made fixture: nine 1-D embeddings, three people.
//   A: 0, 2 (enrolled), 1 (probe)      B: 10, 13 (enrolled), 11 (probe)      C: 20, 21 (enrolled), 14 (probe)
// C's probe at 14 is nearer B's 13 (1) than C's 20 (6): rank 2. Diameters A 2, B 3, C 1 → D = 3 (B).
const X = [0, 2, 1, 10, 13, 11, 20, 21, 14];
const NAMES = ['A', 'A', 'A', 'B', 'B', 'B', 'C', 'C', 'C'];
const E = { dim: 1, count: 9, data: Float32Array.from(X) };
// Pairs: same (0,1) d2, (3,5) d1, (6,8) d6, (3,4) d3; different (2,3) d9, (4,8) d1, (1,3) d8, (5,7) d10;
// folds alternate 0, 1 within each kind.
const PAIRS: ProtocolPairs = {
  a: Int32Array.from([0, 3, 6, 3, 2, 4, 1, 5]),
  b: Int32Array.from([1, 5, 8, 4, 3, 8, 3, 7]),
  same: [true, true, true, true, false, false, false, false],
  fold: Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]),
};
const SPLIT: ProtocolSplit = {
  gallery: [0, 1, 3, 4, 6, 7], probes: [2, 5, 8], pairs: PAIRS,
  // Open set: A and B enrolled; probes A's 1, B's 11 (known) and all of C (unknown: nearest 7, 8, 1).
  openSet: { gallery: [0, 1, 3, 4], probes: [2, 5, 6, 7, 8] },
};

test('evaluateProtocol by hand: rank-1 2/3 (C\'s probe is nearer B), rank-5 1, 3 people, 6 enrolled, 3 probes', () => {
  const r = evaluateProtocol(E, NAMES, SPLIT);
  assert.is(r.dim, 1);
  assert.equal(r.identification, { gallery: 6, probes: 3, people: 3, rank1: 2 / 3, rank5: 1, cmc: { ranks: [1, 5], rates: [2 / 3, 1] } });
  assert.equal(evaluateProtocol(E, NAMES, SPLIT, { ranks: [2, 1] }).identification.cmc, { ranks: [1, 2, 5], rates: [2 / 3, 1, 1] });
});

test('evaluateProtocol by hand: the D rule — D = 3 (B), a genuine pair at exactly 3 is "different" (strict); accuracy 5/8', () => {
  const v = evaluateProtocol(E, NAMES, SPLIT).verification;
  // Accepted (d < 3): genuine d2, d1 (not d6, not d3); impostor d1 → TP 2/4, FP 1/4, correct 2 + 3 of 8.
  assert.equal(v.dRule, { D: 3, person: 'B', accuracy: 5 / 8, tar: 0.5, far: 0.25 });
});

test('evaluateProtocol by hand: 2-fold accuracy 0.875 ± 0.125, AUC 12.5/16, EER 0.25 at 4.5, best 7/8 at 7', () => {
  const v = evaluateProtocol(E, NAMES, SPLIT).verification;
  assert.equal(v.pairs, { genuine: 4, impostor: 4, folds: 2 });
  // Fold 0 (d2 T, d6 T, d9 F, d8 F) tested at 6.5, chosen on fold 1 (d1 T, d3 T, d1 F, d10 F): 4/4.
  // Fold 1 tested at 7, chosen on fold 0: the impostor at 1 is accepted: 3/4.
  assert.equal(v.foldAccuracies, [1, 0.75]);
  assert.is(v.accuracy, 0.875);
  close([v.stderr], [0.125], { atol: 1e-12, rtol: 0 }, 'stderr');
  // Genuine {1,2,3,6} vs impostor {1,8,9,10}: 3.5 + 3 + 3 + 3 of 16 (the tie at 1 counts ½).
  assert.is(v.auc, 12.5 / 16);
  // FAR = FRR = 1/4 exactly after accepting 1, 1, 2, 3: threshold midway between 3 and 6.
  assert.is(v.eer, 0.25);
  assert.is(v.eerThreshold, 4.5);
  assert.is(v.bestAccuracy, 7 / 8);
  assert.is(v.bestThreshold, 7);
  // 4 impostor pairs cannot measure FAR = 0.1; at FAR ≤ 0.25 every genuine pair is accepted (threshold 7).
  assert.ok(Number.isNaN(v.tar) && v.targetFar === 0.1);
  const w = evaluateProtocol(E, NAMES, SPLIT, { far: 0.25 }).verification;
  assert.equal([w.tar, w.tarThreshold, w.targetFar], [1, 7, 0.25]);
});

test('evaluateProtocol by hand: open set — unknown C nearest at 1, 7, 8; FAR 1/3 → threshold 7, DIR 1; FAR 0.1 → threshold 1, DIR 0', () => {
  assert.equal(evaluateProtocol(E, NAMES, SPLIT, { openSetFar: 1 / 3 }).openSet,
    { people: 2, gallery: 4, known: 2, unknown: 3, dir: 1, threshold: 7, far: 1 / 3, targetFar: 1 / 3 });
  // Known probes are at distance 1 from their person: not < 1.
  const o = evaluateProtocol(E, NAMES, SPLIT).openSet!;
  assert.equal([o.dir, o.threshold, o.far], [0, 1, 0]);
  assert.is(evaluateProtocol(E, NAMES, { ...SPLIT, openSet: undefined }).openSet, undefined);
});

test('evaluateProtocol leaves no engine memory behind', () => {
  evaluateProtocol(E, NAMES, SPLIT);
  const before = memoryStats().liveBlocks;
  for (let i = 0; i < 5; i++) evaluateProtocol(E, NAMES, SPLIT);
  assert.is(memoryStats().liveBlocks, before);
});

test('evaluateProtocol errors: names, indices, pairs that lie about their people, non-finite embeddings', () => {
  assert.throws(() => evaluateProtocol(E, NAMES.slice(1), SPLIT), /evaluateProtocol: expected one person name per embedding \(9\)/);
  assert.throws(() => evaluateProtocol(E, NAMES, { ...SPLIT, probes: [2, 9] }), /evaluateProtocol: expected split\.probes\[1\]/);
  assert.throws(() => evaluateProtocol(E, NAMES, { ...SPLIT, pairs: { ...PAIRS, same: [...PAIRS.same].reverse() } }),
    /evaluateProtocol: expected split\.pairs\.same to match the people of the pair, got pair 0 \(A, A\) marked different/);
  assert.throws(() => evaluateProtocol({ ...E, data: Float32Array.from(X, (x, i) => (i === 4 ? NaN : x)) }, NAMES, SPLIT), /evaluateProtocol: expected finite embeddings/);
  assert.throws(() => evaluateProtocol({ dim: 2, count: 9, data: new Float32Array(9) }, NAMES, SPLIT), /evaluateProtocol: expected embeddings\.data of count·dim = 18/);
  assert.throws(() => evaluateProtocol(E, NAMES, { ...SPLIT, probes: [] }), /evaluateProtocol: expected a split with gallery photos and probes/);
});

// 10 people × 10 photos, the ORL test set's shape.
const labels100 = Array.from({ length: 100 }, (_, i) => Math.floor(i / 10));
const all100 = Array.from({ length: 100 }, (_, i) => i);

test('protocolPairs: 10 people × 10 photos → 450 same + 450 different, 10 folds of 45 + 45, a < b, no repeats', () => {
  const p = protocolPairs(labels100, all100, { seed: 3 });
  assert.is(p.a.length, 900);
  assert.is(p.same.filter(Boolean).length, 450);
  const keys = new Set<number>();
  for (let k = 0; k < 900; k++) {
    assert.ok(p.a[k] < p.b[k]);
    assert.is(labels100[p.a[k]] === labels100[p.b[k]], p.same[k], `pair ${k}`);
    keys.add(p.a[k] * 100 + p.b[k]);
  }
  assert.is(keys.size, 900);
  for (let f = 0; f < 10; f++) {
    const inFold = [...p.fold.keys()].filter((k) => p.fold[k] === f);
    assert.is(inFold.filter((k) => p.same[k]).length, 45, `fold ${f} same`);
    assert.is(inFold.filter((k) => !p.same[k]).length, 45, `fold ${f} different`);
  }
  // Seeded: the same seed gives the same pairs, another seed other different-person pairs.
  assert.equal(protocolPairs(labels100, all100, { seed: 3 }), p);
  const q = protocolPairs(labels100, all100, { seed: 4 });
  assert.not.equal(Array.from(q.a.slice(450)), Array.from(p.a.slice(450)));
});

test('protocolPairs: a subset of items, maxSame, folds=3, and fewer different pairs than same ones (all taken)', () => {
  const p = protocolPairs(labels100, [0, 1, 2, 10, 11], { folds: 3 });
  // Same: (0,1) (0,2) (1,2) (10,11); different: 6 exist, 4 wanted.
  assert.is(p.same.filter(Boolean).length, 4);
  assert.is(p.a.length, 8);
  assert.equal(Array.from(p.fold), [0, 1, 2, 0, 0, 1, 2, 0]);
  for (let k = 0; k < 8; k++) assert.ok([0, 1, 2, 10, 11].includes(p.a[k]) && [0, 1, 2, 10, 11].includes(p.b[k]));
  const few = protocolPairs([0, 0, 0, 0, 1], [0, 1, 2, 3, 4]);
  assert.is(few.same.filter(Boolean).length, 6);
  assert.is(few.same.filter((s) => !s).length, 4, 'every different pair, since only 4 exist');
  assert.is(protocolPairs(labels100, all100, { maxSame: 30 }).a.length, 60);
  assert.throws(() => protocolPairs([0, 1, 2], [0, 1, 2]), /protocolPairs: expected two or more photos of at least one person/);
  assert.throws(() => protocolPairs([0, 0], [0, 1, 1]), /protocolPairs: expected each item once/);
  assert.throws(() => protocolPairs([0, 0], [0, 2]), /protocolPairs: expected items\[1\]/);
  assert.throws(() => protocolPairs([0, 0, 0], [0, 1, 2]), /protocolPairs: expected photos of at least two people/);
});

const pixel = (v: number): Image => ({ width: 1, height: 1, channels: 1, data: Float32Array.of(v) });

test('enrolmentSplit: first half of each person enrolled (rounded up), first half of the people for the open set', () => {
  // People with 4, 3, 1 and 2 photos (labels interleaved to check that the data set's order counts).
  const labels = [0, 1, 0, 2, 1, 0, 3, 1, 0, 3];
  const ds = new ArrayDataset(labels.map((_, i) => pixel(i)), labels);
  const s = enrolmentSplit(ds);
  // 0: photos 0 2 5 8 → 0 2 enrolled; 1: 1 4 7 → 1 4; 2: 3 → 3; 3: 6 9 → 6.
  assert.equal(s.gallery, [0, 1, 2, 3, 4, 6]);
  assert.equal(s.probes, [5, 7, 8, 9]);
  // Open set: people 0 and 1 enrolled; probes their other photos and every photo of 2 and 3.
  assert.equal(s.openSet, { gallery: [0, 1, 2, 4], probes: [3, 5, 6, 7, 8, 9] });
  assert.is(s.pairs.same.filter(Boolean).length, 6 + 3 + 0 + 1);
  const t = enrolmentSplit(ds, { enrol: 1, openSetPeople: 1 });
  assert.equal(t.gallery, [0, 1, 3, 6]);
  assert.equal(t.openSet, { gallery: [0], probes: [1, 2, 3, 4, 5, 6, 7, 8, 9] });
  assert.is(enrolmentSplit(ds, { openSetPeople: 0 }).openSet, undefined);
  assert.throws(() => enrolmentSplit(ds, { openSetPeople: 5 }), /enrolmentSplit: expected openSetPeople \(at most the 4 people\)/);
});

/** A stand-in for an ORL image folder: people s1…s40 (+ extras), photos named k.png listed in reverse. */
function fakeOrl(opts: { people?: number; photos?: number[] } = {}): FaceDataset {
  const photos = opts.photos ?? [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  const people = Array.from({ length: opts.people ?? 40 }, (_, p) => `s${p + 1}`);
  const items = people.flatMap((_, l) => photos.map((k) => ({ l, k })));
  return {
    size: items.length, people,
    label: (i) => items[i].l,
    get: (i) => pixel(items[i].l * 100 + items[i].k),
    photosOf: (l) => items.flatMap((it, i) => (it.l === l ? [i] : [])),
    source: (i) => `/data/orl/${people[items[i].l]}/${items[i].k}.png`,
  };
}

test('orlSplit: train s1–s30, test s31–s40; photos 1–5 enrolled by file name; s31–s35 for the open set', () => {
  const ds = fakeOrl();
  const { train, test: t, split } = orlSplit(ds);
  assert.equal(train.people, Array.from({ length: 30 }, (_, p) => `s${p + 1}`));
  assert.equal(t.people, Array.from({ length: 10 }, (_, p) => `s${p + 31}`));
  assert.is(train.size, 300);
  const num = (i: number) => Number(t.source(i).match(/(\d+)\.png$/)![1]);
  const person = (i: number) => t.people[t.label(i)];
  assert.is(split.gallery.length, 50);
  assert.ok(split.gallery.every((i) => num(i) <= 5));
  assert.is(split.probes.length, 50);
  assert.ok(split.probes.every((i) => num(i) >= 6));
  assert.is(split.pairs.same.filter(Boolean).length, 450);
  assert.is(split.pairs.same.filter((s) => !s).length, 450);
  const o = split.openSet!;
  assert.is(o.gallery.length, 25);
  assert.ok(o.gallery.every((i) => num(i) <= 5 && Number(person(i).slice(1)) <= 35));
  assert.is(o.probes.length, 75);
  assert.is(o.probes.filter((i) => Number(person(i).slice(1)) <= 35).length, 25);
  assert.ok(o.probes.filter((i) => Number(person(i).slice(1)) <= 35).every((i) => num(i) >= 6));
  // Extra people (s41…) are ignored.
  assert.is(orlSplit(fakeOrl({ people: 42 })).test.size, 100);
});

test('orlSplit errors: missing people, photos not named 1…10', () => {
  assert.throws(() => orlSplit(fakeOrl({ people: 39 })), /orlSplit: expected ORL's people s1…s40, got a data set without s40/);
  assert.throws(() => orlSplit(fakeOrl({ photos: [1, 2, 3, 4, 5, 6, 7, 8, 9] })), /orlSplit: expected photos named 1…10 for s31/);
});

test('pixelEmbeddings: flattened photos, unit rows (zero stays zero), or raw with normalize: false; itemNames', () => {
  const img = (v: number[]): Image => ({ width: 2, height: 1, channels: 1, data: Float32Array.from(v) });
  const ds = new ArrayDataset([img([3, 4]), img([0, 0]), img([0, -2])], [0, 1, 1], ['ann', 'bob']);
  const e = pixelEmbeddings(ds);
  assert.equal([e.dim, e.count], [2, 3]);
  close(e.data, [0.6, 0.8, 0, 0, 0, -1], { atol: 1e-7 });
  assert.equal(Array.from(pixelEmbeddings(ds, { normalize: false }).data), [3, 4, 0, 0, 0, -2]);
  assert.equal(itemNames(ds), ['ann', 'bob', 'bob']);
  const mixed = new ArrayDataset([img([1, 2]), pixel(1)], [0, 1]);
  assert.throws(() => pixelEmbeddings(mixed), /pixelEmbeddings: expected photos of one size \(2×1×1\)/);
});

test('protocolTable: one column per method, every figure on a row', () => {
  const r = evaluateProtocol(E, NAMES, SPLIT, { far: 0.25 });
  const t = protocolTable([{ name: 'one', report: r }, { name: 'two', report: r }]);
  const lines = t.split('\n');
  assert.match(lines[0], /^figure\s+one\s+two$/);
  assert.ok(lines.some((l) => /^identification rank-1\s+0\.667\s+0\.667$/.test(l)), t);
  assert.ok(lines.some((l) => /^verification 2-fold accuracy\s+0\.875 ± 0\.125/.test(l)), t);
  assert.ok(lines.some((l) => /^TAR @ FAR=0\.25\s+1\.000/.test(l)), t);
  assert.ok(lines.some((l) => /^D \(largest enrolled diameter\)\s+3\.000/.test(l)), t);
  assert.ok(lines.some((l) => /^open-set DIR @ FAR=0\.1\s+0\.000/.test(l)), t);
});

test.run();
