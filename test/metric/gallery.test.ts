import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor } from '../../src/tensor.js';
import { tidy, memoryStats } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { Gallery, type SearchResult } from '../../src/metric/gallery.js';
import { gemmLimits } from '../../src/metric/gemm-knn.js';
import { close } from '../helpers/close.js';

const f = Math.fround;

/**
 * The kernel's arithmetic replayed in float32: one 4-lane accumulator along d, lanes summed
 * ((l0 + l1) + l2) + l3, then the scalar tail, then sqrt. The kernel must match it bit for bit.
 */
function f32Dist(q: Float32Array, qo: number, g: Float32Array, go: number, d: number): number {
  const l = [0, 0, 0, 0];
  let c = 0;
  for (; c + 4 <= d; c += 4) {
    for (let t = 0; t < 4; t++) { const u = f(q[qo + c + t] - g[go + c + t]); l[t] = f(l[t] + f(u * u)); }
  }
  let s = f(f(f(l[0] + l[1]) + l[2]) + l[3]);
  for (; c < d; c++) { const u = f(q[qo + c] - g[go + c]); s = f(s + f(u * u)); }
  return f(Math.sqrt(s));
}

function f64Dist(q: Float32Array, qo: number, g: Float32Array, go: number, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) s += (q[qo + c] - g[go + c]) ** 2;
  return Math.sqrt(s);
}

/** Brute force: all rows sorted by (distance, index), first k. */
function brute(q: Float32Array, qi: number, g: Float32Array, n: number, d: number, k: number, dist = f32Dist) {
  const all = Array.from({ length: n }, (_, j) => ({ j, v: dist(q, qi * d, g, j * d, d) }));
  all.sort((a, b) => a.v - b.v || a.j - b.j);
  return all.slice(0, k);
}

function randomRows(rng: Rng, n: number, d: number): Float32Array {
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return x;
}

function checkAgainstReferences(res: SearchResult[], q: Float32Array, g: Float32Array, labels: string[], n: number, d: number, k: number, what: string) {
  res.forEach((r, qi) => {
    const exact = brute(q, qi, g, n, d, k);
    assert.equal(r.indices, exact.map((e) => e.j), `${what} query ${qi}: indices (float32 replay)`);
    assert.equal(r.distances, exact.map((e) => e.v), `${what} query ${qi}: distances bit for bit (float32 replay)`);
    assert.equal(r.labels, r.indices.map((j) => labels[j]), `${what} query ${qi}: labels`);
    // float64: the distances of the rows found are the k smallest true distances, to float32 accuracy.
    const ref = brute(q, qi, g, n, d, k, f64Dist).map((e) => e.v);
    close(r.distances, ref, { atol: 1e-5, rtol: 1e-5 }, `${what} query ${qi}: float64 distances`);
    close(r.indices.map((j) => f64Dist(q, qi * d, g, j * d, d)), ref, { atol: 1e-5, rtol: 1e-5 }, `${what} query ${qi}: float64 distance of each row found`);
  });
}

const dims = [1, 3, 4, 5, 7, 17, 128];
const sizes = [1, 2, 3, 5, 17, 64, 300];
const batches = [1, 2, 3, 4, 5, 7, 37];

dims.forEach((d, di) => {
  sizes.forEach((n, ni) => {
    const Q = batches[(di + ni) % batches.length];
    const ks = [...new Set([1, Math.min(2, n), Math.ceil(n / 2), n])];
    test(`knn_f32 vs float32 replay and float64 brute force d=${d} n=${n} Q=${Q} k=${ks.join(',')}`, () => {
      const rng = new Rng(1000 * d + n);
      const g = randomRows(rng, n, d), q = randomRows(rng, Q, d);
      const labels = Array.from({ length: n }, (_, i) => `p${i % 7}`);
      const gal = new Gallery({ dim: d });
      gal.add(g, labels);
      for (const k of ks) checkAgainstReferences(gal.search(q, k), q, g, labels, n, d, k, `k=${k}`);
      gal.dispose();
    });
  });
});

test('knn_f32 across query blocks (Q=70 > 64) and gallery blocks (d=17, n=300 > 240 rows), output chunks of 3 queries', () => {
  const rng = new Rng(7);
  const d = 17, n = 300, Q = 70;
  const g = randomRows(rng, n, d), q = randomRows(rng, Q, d);
  const labels = Array.from({ length: n }, (_, i) => `p${i % 5}`);
  const gal = new Gallery({ dim: d });
  gal.add(g, labels);
  checkAgainstReferences(gal.search(q, 9), q, g, labels, n, d, 9, 'Q=70 k=9');
  const before = Gallery.searchChunkEntries;
  Gallery.searchChunkEntries = 27; // 27 / k=9 → 3 queries per kernel call
  try {
    checkAgainstReferences(gal.search(q, 9), q, g, labels, n, d, 9, 'chunked Q=70 k=9');
  } finally {
    Gallery.searchChunkEntries = before;
  }
  gal.dispose();
});

test('a batch and each of its queries alone give bit-identical results (d=128 n=100 Q=9 k=5)', () => {
  const rng = new Rng(3);
  const d = 128, n = 100, Q = 9;
  const gal = new Gallery({ dim: d });
  gal.add(randomRows(rng, n, d), Array.from({ length: n }, (_, i) => `p${i % 10}`));
  const q = randomRows(rng, Q, d);
  const batch = gal.search(tensor(q, [Q, d]), 5);
  for (let i = 0; i < Q; i++) assert.equal(gal.search(q.subarray(i * d, (i + 1) * d), 5)[0], batch[i], `query ${i}`);
  gal.dispose();
});

test('one query (the eight-stream scan): every k on ranges with copies in other eighths, as the float32 replay; ties by lower index', () => {
  const rng = new Rng(11);
  for (const [d, n] of [[5, 23], [128, 37], [3, 8], [4, 4], [7, 2], [6, 16], [9, 53]]) {
    const g = randomRows(rng, n, d);
    // Copies of rows 1 and 2 further on (other eighths of the range, and its tail): distance ties.
    for (const [from, to] of [[1, n - 1], [2, Math.floor(n / 2)], [1, n - 3], [2, Math.floor((3 * n) / 4)]]) if (to > 2 && to < n) g.copyWithin(to * d, from * d, (from + 1) * d);
    const labels = Array.from({ length: n }, (_, i) => `p${i}`);
    const gal = new Gallery({ dim: d });
    gal.add(g, labels);
    const q = randomRows(rng, 1, d);
    for (let k = 1; k <= n; k++) checkAgainstReferences(gal.search(q, k), q, g, labels, n, d, k, `d=${d} n=${n} k=${k}`);
    // A query equal to a copied row: distance exactly 0 for the row and its copies, lowest index first.
    const at = gal.search(g.slice(d, 2 * d), n)[0];
    assert.is(at.distances[0], 0, `d=${d} n=${n}: a stored row at distance 0`);
    assert.equal(at.indices, brute(g.slice(d, 2 * d), 0, g, n, d, n).map((e) => e.j), `d=${d} n=${n}: order with ties`);
    gal.dispose();
  }
});

test('exact ties: equal distances come out by lower gallery index; duplicates are at distance exactly 0', () => {
  // d=2 integer points: four at distance 1 from the origin, two duplicates of (1,0), and (2,0).
  const gal = new Gallery({ dim: 2 });
  gal.add(new Float32Array([2, 0, 0, -1, 1, 0, -1, 0, 0, 1, 1, 0, 1, 0]), ['e', 'd', 'a', 'c', 'b', 'a', 'a']);
  const [r] = gal.search(new Float32Array([0, 0]), 7);
  assert.equal(r.indices, [1, 2, 3, 4, 5, 6, 0]);
  assert.equal(r.distances, [1, 1, 1, 1, 1, 1, 2]);
  const [s] = gal.search(new Float32Array([1, 0]), 4);
  assert.equal(s.indices, [2, 5, 6, 0]);
  assert.equal(s.distances, [0, 0, 0, 1]);
  // k = 3 keeps the three lowest indices among the six ties at distance 1.
  assert.equal(gal.search(new Float32Array([0, 0]), 3)[0].indices, [1, 2, 3]);
  gal.dispose();
});

test('Tensor [dim], Tensor [Q,dim] and Float32Array queries agree; add takes [dim] and [n,dim] tensors', () => {
  const gal = new Gallery({ dim: 3 });
  gal.add(tensor([[0, 0, 0], [1, 2, 2]]), ['a', 'b']);
  gal.add(tensor([0, 3, 4]), ['c']);
  assert.is(gal.size, 3);
  const one = gal.search(tensor([0, 0, 1]), 3);
  const two = gal.search(tensor([[0, 0, 1], [0, 0, 1]]), 3);
  const arr = gal.search(new Float32Array([0, 0, 1]), 3);
  assert.equal(one[0], arr[0]);
  assert.equal(two, [arr[0], arr[0]]);
  assert.equal(arr[0].indices, [0, 1, 2]);
  close(arr[0].distances, [1, Math.sqrt(6), Math.sqrt(25 - 8 + 1)]);
  gal.dispose();
});

// ---------------------------------------------------------------------------------------------
// identify

function lineGallery(): Gallery {
  // d=1: alice at 0 and 1, bob at 2.5 and 3, carol at 10.
  const gal = new Gallery({ dim: 1 });
  gal.add(new Float32Array([0, 1, 2.5, 3, 10]), ['alice', 'alice', 'bob', 'bob', 'carol']);
  return gal;
}

test('identify on a line: k=1 nearest photo, k=3 majority, k=4 tie broken by summed distance', () => {
  const gal = lineGallery();
  const q = new Float32Array([1.6]);
  // Distances: alice 1.6, 0.6; bob 0.9, 1.4; carol 8.4.
  const k1 = gal.identify(q);
  assert.is(k1.label, 'alice');
  assert.ok(k1.known);
  assert.equal(k1.votes, { alice: 1 });
  close([k1.distance], [0.6]);
  const k3 = gal.identify(q, { k: 3 });
  assert.is(k3.label, 'bob'); // alice 0.6 | bob 0.9, 1.4: two votes to one
  assert.equal(k3.votes, { alice: 1, bob: 2 });
  close([k3.distance], [0.9]); // to the winner's nearest photo, not the nearest photo
  assert.equal(k3.neighbours.map((nb) => [nb.label, nb.index]), [['alice', 1], ['bob', 2], ['bob', 3]]);
  const k4 = gal.identify(q, { k: 4 });
  assert.equal(k4.votes, { alice: 2, bob: 2 });
  assert.is(k4.label, 'alice'); // 0.6 + 1.6 = 2.2 < 0.9 + 1.4 = 2.3
  close([k4.distance], [0.6]);
  gal.dispose();
});

test('identify: equal votes and equal summed distances go to the name first in code-unit order', () => {
  const gal = new Gallery({ dim: 1 });
  gal.add(new Float32Array([1, -1]), ['bob', 'alice']);
  const r = gal.identify(new Float32Array([0]), { k: 2 });
  assert.equal(r.votes, { bob: 1, alice: 1 });
  assert.is(r.label, 'alice');
  assert.is(r.distance, 1);
  gal.dispose();
});

test('identify on a circle: an unknown face (the centre) is rejected by the threshold, a face near a photo is accepted', () => {
  // Six photos on the unit circle at 0°, 60°, …, 300°: A, A, B, B, C, C.
  const pts: number[] = [];
  for (let i = 0; i < 6; i++) pts.push(Math.cos((i * Math.PI) / 3), Math.sin((i * Math.PI) / 3));
  const gal = new Gallery({ dim: 2 });
  gal.add(new Float32Array(pts), ['A', 'A', 'B', 'B', 'C', 'C']);
  const centre = gal.identify(new Float32Array([0, 0]), { k: 3, threshold: 0.5 });
  assert.is(centre.label, 'unknown');
  assert.is(centre.known, false);
  close([centre.distance], [1]); // every photo is at distance 1; kept for the caller
  assert.ok(['A', 'B', 'C'].includes(centre.candidate));
  // Near B's photo at 120°: 0.1 inside the circle.
  const nearB = gal.identify(new Float32Array([0.9 * Math.cos((2 * Math.PI) / 3), 0.9 * Math.sin((2 * Math.PI) / 3)]), { k: 3, threshold: 0.5 });
  assert.is(nearB.label, 'B');
  assert.ok(nearB.known);
  close([nearB.distance], [0.1], { atol: 1e-6 });
  // The gate is strict, like verify: distance == threshold is unknown.
  assert.is(gal.identify(new Float32Array([0, 0]), { threshold: 1 }).known, false);
  assert.is(gal.identify(new Float32Array([0, 0]), { threshold: 1.0000001 }).known, true);
  // No threshold: never unknown.
  assert.is(gal.identify(new Float32Array([50, 50])).known, true);
  gal.dispose();
});

test('identifyBatch equals identify row by row', () => {
  const gal = lineGallery();
  const qs = new Float32Array([1.6, -1.5, 9, 2.75, 40]);
  const batch = gal.identifyBatch(qs, { k: 3, threshold: 2 });
  // 9: carol 1, bob 6, bob 6.5 → bob by two votes, but 6 ≥ 2 → unknown.
  assert.equal(batch.map((r) => r.label), ['bob', 'alice', 'unknown', 'bob', 'unknown']);
  assert.equal(batch.map((r) => r.candidate), ['bob', 'alice', 'bob', 'bob', 'bob']); // 40: carol 30, bob 37, 37.5
  qs.forEach((v, i) => assert.equal(gal.identify(new Float32Array([v]), { k: 3, threshold: 2 }), batch[i]));
  gal.dispose();
});

// ---------------------------------------------------------------------------------------------
// removal, growth, data

test('removePerson compacts the rows and search matches a gallery built without that person', () => {
  const rng = new Rng(11);
  const d = 5, n = 40;
  const x = randomRows(rng, n, d);
  const labels = Array.from({ length: n }, (_, i) => ['ann', 'ben', 'cat', 'dan'][i % 4]);
  const gal = new Gallery({ dim: d });
  gal.add(x, labels);
  assert.is(gal.removePerson('ben'), 10);
  assert.is(gal.size, 30);
  assert.equal(gal.people, ['ann', 'cat', 'dan']);
  assert.is(gal.count('ben'), 0);
  const keepRows = labels.map((l, i) => (l === 'ben' ? -1 : i)).filter((i) => i >= 0);
  const ref = new Gallery({ dim: d });
  ref.add(new Float32Array(keepRows.flatMap((i) => Array.from(x.subarray(i * d, (i + 1) * d)))), keepRows.map((i) => labels[i]));
  const q = randomRows(rng, 6, d);
  assert.equal(gal.search(q, 30), ref.search(q, 30));
  assert.equal(gal.toData(), ref.toData());
  assert.equal(gal.diameters(), ref.diameters());
  assert.equal(gal.indicesOf('cat'), [1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
  gal.dispose();
  ref.dispose();
});

test('the storage grows geometrically: 100 one-row adds keep every row, and survive the tidy() they were made in', () => {
  const gal = tidy(() => {
    const g = new Gallery({ dim: 3 });
    for (let i = 0; i < 100; i++) g.add(tensor([i, -i, 0.5 * i]), [`p${i % 3}`]);
    return g;
  });
  assert.is(gal.size, 100);
  const data = gal.toData();
  for (let i = 0; i < 100; i++) assert.equal(Array.from(data.vectors.subarray(3 * i, 3 * i + 3)), [i, -i, 0.5 * i], `row ${i}`);
  assert.equal(Array.from(gal.embeddingsOf('p1').subarray(0, 6)), [1, -1, 0.5, 4, -4, 2]);
  assert.equal(Array.from(gal.embedding(99)), [99, -99, 49.5]);
  const live = memoryStats().liveBytes;
  gal.dispose();
  assert.ok(memoryStats().liveBytes < live, 'dispose frees the rows');
});

test('toData / fromData round trip', () => {
  const gal = lineGallery();
  const data = gal.toData();
  assert.equal(data.labels, ['alice', 'alice', 'bob', 'bob', 'carol']);
  assert.equal(Array.from(data.vectors), [0, 1, 2.5, 3, 10]);
  const back = Gallery.fromData(data);
  assert.equal(back.diameters(), gal.diameters());
  assert.equal(back.search(new Float32Array([2]), 5), gal.search(new Float32Array([2]), 5));
  assert.is(Gallery.fromData({ dim: 4, labels: [], vectors: new Float32Array(0) }).size, 0);
  gal.dispose();
  back.dispose();
});

// ---------------------------------------------------------------------------------------------
// diameters and D

function bruteDiameter(x: Float32Array, rows: number[], d: number): number {
  let best = 0;
  for (let a = 0; a < rows.length; a++) for (let b = a + 1; b < rows.length; b++) best = Math.max(best, f64Dist(x, rows[a] * d, x, rows[b] * d, d));
  return best;
}

test('diameters and D on hand-made clouds: (0,0),(3,4) → 5 with its pair; one photo → 0', () => {
  const gal = new Gallery({ dim: 2 });
  gal.add(new Float32Array([0, 0, 5, 5, 3, 4, 6, 5, 5, 7, 9, 9]), ['ann', 'bo', 'ann', 'bo', 'bo', 'cy']);
  // bo: (5,5), (6,5), (5,7): sides 1, 2, √5 → √5 between rows 3 and 4.
  assert.equal(gal.diameters(), [
    { person: 'ann', diameter: 5, pair: [0, 2] },
    { person: 'bo', diameter: Math.fround(Math.sqrt(5)), pair: [3, 4] },
    { person: 'cy', diameter: 0, pair: [5, 5] },
  ]);
  assert.equal(gal.D(), { D: 5, person: 'ann', pair: [0, 2] });
  // Adding a photo of bo at (5, 13) makes bo's cloud the widest: (6,5)–(5,13) = √65.
  gal.add(new Float32Array([5, 13]), ['bo']);
  assert.equal(gal.D(), { D: Math.fround(Math.sqrt(65)), person: 'bo', pair: [3, 6] });
  gal.dispose();
});

test('D with a percentile: linear interpolation between the sorted diameters 0, 1, 2, 4, 8', () => {
  const gal = new Gallery({ dim: 1 });
  // Diameters: p1 1, p2 2, p4 4, p8 8, solo 0 (one photo).
  gal.add(new Float32Array([0, 8, 10, 12, 20, 24, 30, 31, 50]), ['p8', 'p8', 'p2', 'p2', 'p4', 'p4', 'p1', 'p1', 'solo']);
  assert.equal(gal.D(), { D: 8, person: 'p8', pair: [0, 1] });
  assert.equal(gal.D({ percentile: 100 }), { D: 8, person: 'p8', pair: [0, 1] });
  assert.equal(gal.D({ percentile: 0 }), { D: 0, person: 'solo', pair: [8, 8] });
  // h = 4·0.5 = 2 → the median, 2.
  assert.equal(gal.D({ percentile: 50 }), { D: 2, person: 'p2', pair: [2, 3] });
  // h = 4·0.6 = 2.4 → 2 + 0.4·(4 − 2) = 2.8, reported with the person at rank ⌈h⌉ (diameter 4).
  const p60 = gal.D({ percentile: 60 });
  close([p60.D], [2.8], { atol: 1e-12 });
  assert.equal([p60.person, p60.pair], ['p4', [4, 5]]);
  // minPhotos 2 leaves solo out: 1, 2, 4, 8 → h = 3·0.5 = 1.5 → 3.
  const m = gal.D({ percentile: 50, minPhotos: 2 });
  assert.equal([m.D, m.person], [3, 'p4']);
  gal.dispose();
});

test('D ties go to the person enrolled first; duplicate photos give diameter 0 with their pair', () => {
  const gal = new Gallery({ dim: 2 });
  gal.add(new Float32Array([0, 0, 0, 0, 7, 7, 10, 10, 13, 14, 20, 20, 23, 24]), ['dup', 'dup', 'solo', 'x', 'x', 'y', 'y']);
  assert.equal(gal.diameters()[0], { person: 'dup', diameter: 0, pair: [0, 1] });
  assert.equal(gal.D(), { D: 5, person: 'x', pair: [3, 4] });
  gal.dispose();
});

test('incremental diameters equal those recomputed from scratch (random adds, removeAt, removePerson; integer points with many ties)', () => {
  const rng = new Rng(5);
  for (const d of [1, 3, 6, 17]) {
    const gal = new Gallery({ dim: d });
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (let step = 0; step < 40; step++) {
      const op = rng.next();
      if (op < 0.65 || gal.size < 3) {
        const m = 1 + rng.int(6);
        const x = new Float32Array(m * d).map(() => rng.int(5) - 2);
        gal.add(x, Array.from({ length: m }, () => names[rng.int(names.length)]));
      } else if (op < 0.9) {
        const idx = [...new Set(Array.from({ length: 1 + rng.int(3) }, () => rng.int(gal.size)))];
        gal.removeAt(idx);
      } else {
        gal.removePerson(gal.people[rng.int(gal.people.length)]);
      }
      const scratch = Gallery.fromData(gal.toData());
      assert.equal(gal.diameters(), scratch.diameters(), `d=${d} step ${step}`);
      if (gal.size > 0) assert.equal(gal.D(), scratch.D(), `d=${d} step ${step}: D`);
      const data = gal.toData();
      for (const r of gal.diameters()) {
        const rows = gal.indicesOf(r.person);
        close([r.diameter], [bruteDiameter(data.vectors, rows, d)], { atol: 1e-6, rtol: 1e-6 }, `d=${d} step ${step} ${r.person}`);
        if (rows.length > 1) {
          close([r.diameter], [f64Dist(data.vectors, r.pair[0] * d, data.vectors, r.pair[1] * d, d)], { atol: 1e-6, rtol: 1e-6 }, 'the pair is at the diameter');
          assert.ok(r.pair[0] < r.pair[1] && rows.includes(r.pair[0]) && rows.includes(r.pair[1]), 'pair of the person, a < b');
        }
      }
      scratch.dispose();
    }
    gal.dispose();
  }
});

test('diameter_f32 over many photos of one person (n=50, d=128) equals the float32 replay bit for bit', () => {
  const rng = new Rng(9);
  const d = 128, n = 50;
  const x = randomRows(rng, n, d);
  const gal = new Gallery({ dim: d });
  gal.add(x, Array(n).fill('p'));
  let best = -1, pair: [number, number] = [-1, -1];
  for (let b = 1; b < n; b++) for (let a = 0; a < b; a++) {
    const v = f32Dist(x, a * d, x, b * d, d);
    if (v > best || (v === best && (a < pair[0] || (a === pair[0] && b < pair[1])))) { best = v; pair = [a, b]; }
  }
  assert.equal(gal.diameters()[0], { person: 'p', diameter: best, pair });
  gal.dispose();
});

// ---------------------------------------------------------------------------------------------
// errors

test('error contracts: dimension, counts, k, empty gallery, NaN rows, unknown person, disposed', () => {
  const gal = new Gallery({ dim: 3 });
  assert.throws(() => new Gallery({ dim: 0 }), /Gallery: expected dim to be an integer >= 1, got 0/);
  assert.throws(() => gal.search(new Float32Array(3), 1), /Gallery.search: expected a gallery with at least one embedding, got an empty gallery/);
  assert.throws(() => gal.identify(new Float32Array(3)), /Gallery.identify: expected a gallery with at least one embedding, got an empty gallery/);
  assert.throws(() => gal.D(), /Gallery.D: expected a gallery with at least one person, got an empty gallery/);
  assert.throws(() => gal.add(tensor([[1, 2], [3, 4]]), ['a', 'b']), /Gallery.add: expected embeddings of dimension 3 \(shape \[3\] or \[n, 3\]\), got shape \[2,2\]/);
  assert.throws(() => gal.add(new Float32Array(7), ['a', 'b']), /Gallery.add: expected embeddings as a Float32Array of n·3 values/);
  assert.throws(() => gal.add(new Float32Array(6), ['a']), /Gallery.add: expected one label per embedding \(2\), got 1 labels/);
  assert.throws(() => gal.add(new Float32Array(3), ['unknown']), /Gallery.add: expected person names other than 'unknown'/);
  assert.throws(() => gal.add(new Float32Array(3), ['']), /Gallery.add: expected labels to be non-empty strings/);
  assert.throws(() => gal.add([1, 2, 3] as never, ['a']), /Gallery.add: expected embeddings as a Tensor or a Float32Array, got an array of length 3/);
  assert.throws(() => gal.add(new Float32Array([1, 2, 3, 4, NaN, 6]), ['a', 'b']), /Gallery.add: expected finite embedding values, got NaN in row 1 \(column 1\)/);
  assert.is(gal.size, 0, 'a refused add leaves the gallery unchanged');
  gal.add(new Float32Array([0, 0, 0, 1, 1, 1]), ['a', 'b']);
  assert.throws(() => gal.search(new Float32Array(3), 3), /Gallery.search: expected k \(1 ≤ k ≤ size = 2\) to be an integer in \[1, 2\], got 3/);
  assert.throws(() => gal.search(new Float32Array(3), 0), /Gallery.search: expected k/);
  assert.throws(() => gal.identify(new Float32Array(3), { k: 5 }), /Gallery.identify: expected k \(1 ≤ k ≤ size = 2\)/);
  assert.throws(() => gal.search(new Float32Array(4), 1), /Gallery.search: expected queries as a Float32Array of n·3 values/);
  assert.throws(() => gal.search(tensor([[1, 2]]), 1), /Gallery.search: expected queries of dimension 3/);
  assert.throws(() => gal.search(new Float32Array([0, 0, 0, 0, Infinity, 0]), 1), /Gallery.search: expected finite query values, got Infinity in row 1/);
  assert.throws(() => gal.identify(new Float32Array(6)), /Gallery.identify: expected one query of shape \[3\]/);
  assert.throws(() => gal.identify(new Float32Array(3), { threshold: -1 }), /Gallery.identify: expected threshold to be a finite number >= 0, got -1/);
  assert.throws(() => gal.removePerson('zed'), /Gallery.removePerson: expected a person in the gallery, got "zed"; people: "a", "b"/);
  assert.throws(() => gal.embeddingsOf('zed'), /Gallery.embeddingsOf: expected a person in the gallery, got "zed"/);
  assert.throws(() => gal.removeAt(2), /Gallery.removeAt: expected indices to be an integer in \[0, 1\], got 2/);
  assert.throws(() => gal.D({ percentile: 101 }), /Gallery.D: expected percentile to be a finite number in \[0, 100\], got 101/);
  assert.throws(() => gal.D({ minPhotos: 2 }), /Gallery.D: expected a gallery with at least one person with 2 or more photos, got none among 2 people/);
  assert.throws(() => Gallery.fromData({ dim: 2, labels: ['a'], vectors: new Float32Array(3) }), /Gallery.fromData: expected vectors of labels.length·dim = 1·2 = 2 floats, got 3/);
  assert.is(gal.count('zed'), 0);
  gal.dispose();
  assert.throws(() => gal.search(new Float32Array(3), 1), /Gallery.search: this gallery was disposed/);
});

// ---------------------------------------------------------------------------------------------
// Batches through the gemm's candidates (Gallery.knnGemm: the expansion picks c candidates, the
// exact distances re-rank them, a bound certifies the list or the query is scanned): the lists
// must be knn_f32's, bit for bit, whatever the data does to the expansion's rounding.

/** Runs fn with the gemm path taken from `rows` rows and `queries` queries (the defaults keep it for big batches). */
function withGemm<T>(rows: number, queries: number, fn: () => T): T {
  const before = { ...gemmLimits };
  gemmLimits.minRows = rows; gemmLimits.minQueries = queries;
  try { return fn(); } finally { Object.assign(gemmLimits, before); }
}

/** Rows of varied norms (0.1 to 10): the expansion's rounding bound differs from row to row. */
function variedRows(rng: Rng, n: number, d: number): Float32Array {
  const x = randomRows(rng, n, d);
  for (let r = 0; r < n; r++) { const s = 0.1 * 100 ** rng.uniform(0, 1); for (let c = 0; c < d; c++) x[r * d + c] *= s; }
  return x;
}

for (const [d, n, Q, ks] of [[1, 60, 9, [1, 5]], [3, 301, 37, [1, 7, 30]], [17, 203, 263, [4, 9]], [128, 517, 70, [1, 10, 64]]] as Array<[number, number, number, number[]]>) {
  test(`gemm candidates: knn_f32's lists bit for bit (float32 replay) d=${d} n=${n} (rows past the last 8) Q=${Q} k=${ks.join(',')}`, () => {
    const rng = new Rng(31 * d + n);
    const g = variedRows(rng, n, d), q = randomRows(rng, Q, d);
    for (let i = 0; i < Q; i += 3) q.set(g.subarray(((7 * i) % n) * d, ((7 * i) % n) * d + d), i * d); // some queries are gallery rows
    const labels = Array.from({ length: n }, (_, i) => `p${i % 11}`);
    const gal = new Gallery({ dim: d });
    gal.add(g, labels);
    for (const k of ks) {
      const scan = gal.search(q, k);
      const viaGemm = withGemm(16, 1, () => gal.search(q, k));
      assert.equal(viaGemm, scan, `k=${k}: the gemm path's lists equal the scan's`);
      checkAgainstReferences(viaGemm, q, g, labels, n, d, k, `gemm k=${k}`);
    }
    gal.dispose();
  });
}

test('gemm candidates on 1, 2 and 3 threads: the same lists (query blocks of 256 split by queries)', async () => {
  const { setThreads, getThreads } = await import('../../src/threads.js');
  const rng = new Rng(5);
  const d = 24, n = 1500, Q = 300;
  const g = variedRows(rng, n, d), q = randomRows(rng, Q, d);
  const gal = new Gallery({ dim: d });
  gal.add(g, Array.from({ length: n }, (_, i) => `p${i % 40}`));
  const before = getThreads();
  try {
    setThreads(1);
    const scan = gal.search(q, 8);
    const runs = [1, 2, 3].map((t) => { setThreads(t); return withGemm(16, 1, () => gal.search(q, 8)); });
    for (const r of runs) assert.equal(r, scan);
  } finally {
    setThreads(before);
    gal.dispose();
  }
});

test('gemm candidates the bound cannot certify are scanned: exact ties (60 copies of a row) and rows of norm 1000 a hundredth apart', () => {
  const rng = new Rng(8);
  const d = 16, n = 400, Q = 12;
  // Ties: the query is a row enrolled 60 times; its c = 42 candidates all tie at 0, the k-th exact distance too.
  const g = randomRows(rng, n, d);
  for (let r = 100; r < 160; r++) g.set(g.subarray(0, d), r * d);
  const q = randomRows(rng, Q, d);
  q.set(g.subarray(0, d), 0);
  const labels = Array.from({ length: n }, (_, i) => `p${i % 9}`);
  const gal = new Gallery({ dim: d });
  gal.add(g, labels);
  const before = gal.gemmFallbacks;
  const ties = withGemm(16, 1, () => gal.search(q, 10));
  assert.ok(gal.gemmFallbacks > before, 'the tied query fell back to the scan');
  checkAgainstReferences(ties, q, g, labels, n, d, 10, 'ties');
  assert.equal(ties[0].indices, [0, ...Array.from({ length: 9 }, (_, i) => 100 + i)], 'ties by lower index');
  gal.dispose();
  // Norm 1000, spread 0.01: the expansion's rounding (~(2d + 8)·2⁻²⁴·2·10⁶ ≈ 4.8 in squared distance) drowns the distances (~1e-3).
  const far = new Float32Array(n * d), fq = new Float32Array(Q * d);
  for (let c = 0; c < d; c++) { const v = 1000 / Math.sqrt(d) * (c % 2 ? 1 : -1); for (let r = 0; r < n; r++) far[r * d + c] = v + 0.01 * rng.normal(); for (let i = 0; i < Q; i++) fq[i * d + c] = v + 0.01 * rng.normal(); }
  const gf = new Gallery({ dim: d });
  gf.add(far, labels);
  const r = withGemm(16, 1, () => gf.search(fq, 5));
  assert.is(gf.gemmFallbacks, Q, 'no list could be certified');
  checkAgainstReferences(r, fq, far, labels, n, d, 5, 'norm 1000');
  gf.dispose();
});

test('gemm candidates keep the row norms in step with the gallery: adds after a search, removeAt, removePerson; huge norms take the scan', () => {
  const rng = new Rng(12);
  const d = 8, Q = 20;
  let g = variedRows(rng, 300, d);
  const labels = Array.from({ length: 300 }, (_, i) => `p${i % 13}`);
  const gal = new Gallery({ dim: d });
  gal.add(g, labels);
  const q = randomRows(rng, Q, d);
  const check = (what: string) => {
    const n = gal.size, data = gal.toData();
    g = data.vectors;
    checkAgainstReferences(withGemm(16, 1, () => gal.search(q, 6)), q, g, data.labels, n, d, 6, what);
  };
  check('first search');
  const more = variedRows(rng, 77, d);
  gal.add(more, Array.from({ length: 77 }, (_, i) => `p${i % 5}`));
  check('after adding 77 rows');
  gal.removeAt([0, 1, 2, 50, 299, 310]);
  check('after removeAt');
  gal.removePerson('p3');
  check('after removePerson');
  const before = gal.gemmFallbacks;
  gal.add(new Float32Array(d).fill(1e16), ['huge']);
  check('with a row of norm² 8e32 (the expansion would overflow: the scan answers)');
  assert.is(gal.gemmFallbacks, before);
  gal.dispose();
});

test.run();
