import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor } from '../../src/tensor.js';
import { Rng } from '../../src/random.js';
import { Gallery } from '../../src/metric/gallery.js';
import { verify } from '../../src/metric/verify.js';
import {
  rocCurve, auc, eer, tarAtFar, bestAccuracyThreshold, kFoldAccuracy, verificationReport, calibrateThreshold,
  cmc, openSetDIR, precisionAt1, mapAtR,
} from '../../src/metric/evaluate.js';
import { close } from '../helpers/close.js';

// The hand-made pair set: distances 1..6, genuine (same) at 1, 2, 4; impostors at 3, 5, 6.
const S = [1, 2, 3, 4, 5, 6];
const Y = [true, true, false, true, false, false];

test('rocCurve by hand: 1..6 with genuine at 1,2,4 — midway thresholds, (0,0) at −∞ and (1,1) at +∞', () => {
  assert.equal(rocCurve(S, Y), [
    { threshold: -Infinity, tpr: 0, fpr: 0 },
    { threshold: 1.5, tpr: 1 / 3, fpr: 0 },
    { threshold: 2.5, tpr: 2 / 3, fpr: 0 },
    { threshold: 3.5, tpr: 2 / 3, fpr: 1 / 3 },
    { threshold: 4.5, tpr: 1, fpr: 1 / 3 },
    { threshold: 5.5, tpr: 1, fpr: 2 / 3 },
    { threshold: Infinity, tpr: 1, fpr: 1 },
  ]);
  // The order of the pairs does not matter.
  assert.equal(rocCurve([6, 4, 2, 5, 3, 1], [false, true, true, false, false, true]), rocCurve(S, Y));
  // The thresholds agree with verify's strict rule: each point's rates are those of "distance < t".
  for (const p of rocCurve(S, Y)) {
    const acc = S.map((s) => verify(new Float32Array([0]), new Float32Array([s]), { threshold: p.threshold }).same);
    assert.is(acc.filter((a, i) => a && Y[i]).length / 3, p.tpr);
    assert.is(acc.filter((a, i) => a && !Y[i]).length / 3, p.fpr);
  }
});

test('auc by hand: 8 of the 9 genuine–impostor pairs are ordered → 8/9; ties count ½', () => {
  assert.is(auc(S, Y), 8 / 9);
  // 1(T) 1(F) 2(T) 2(F): tie ½ + 1 + 0 + tie ½ = 2 of 4.
  assert.is(auc([1, 1, 2, 2], [true, false, true, false]), 0.5);
  // 1(T) 2(T) 2(F) 3(F): 1 + 1 + ½ + 1 = 3.5 of 4; trapezoid (0,0)→(0,½)→(½,1)→(1,1) = 0.375 + 0.5.
  assert.is(auc([1, 2, 2, 3], [true, true, false, false]), 0.875);
  assert.is(auc([5, 5, 5], [true, false, false]), 0.5);
  assert.is(auc([1, 2], [false, true]), 0);
});

test('auc equals the Mann-Whitney probability with ties counting ½ (random integer scores with many ties)', () => {
  const rng = new Rng(2);
  for (let trial = 0; trial < 20; trial++) {
    const n = 2 + rng.int(60);
    const s = Array.from({ length: n }, () => rng.int(8));
    const y = Array.from({ length: n }, (_, i) => (i < 2 ? i === 0 : rng.next() < 0.4));
    let num = 0, pairs = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (!y[i] || y[j]) continue;
      pairs++;
      num += s[i] < s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
    close([auc(s, y)], [num / pairs], { atol: 1e-15, rtol: 0 }, `trial ${trial}`);
    // And the trapezoid over rocCurve's points.
    const roc = rocCurve(s, y);
    let area = 0;
    for (let i = 1; i < roc.length; i++) area += ((roc[i].fpr - roc[i - 1].fpr) * (roc[i].tpr + roc[i - 1].tpr)) / 2;
    close([area], [num / pairs], { atol: 1e-12, rtol: 0 }, `trial ${trial} trapezoid`);
  }
});

test('eer by hand: exactly at a point, and interpolated inside a tie group', () => {
  // S/Y: FAR − FRR = −1, −2/3, −1/3, 0 at the point after 3 → EER 1/3 at its threshold 3.5.
  assert.equal(eer(S, Y), { eer: 1 / 3, threshold: 3.5 });
  // 1(T) 2(T) 2(F) 3(F) 4(F): after 1: FAR 0, FRR ½; after the group at 2: FAR ⅓, FRR 0.
  // α = ½ / (½ + ⅓) = 0.6 → EER = 0.6·⅓ = 0.2 = FRR ½·(1 − 0.6); threshold: the group's score 2.
  const r = eer([1, 2, 2, 3, 4], [true, true, false, false, false]);
  close([r.eer], [0.2], { atol: 1e-15 });
  assert.is(r.threshold, 2);
  // Perfect separation: 0 at the midway threshold.
  assert.equal(eer([1, 2, 3, 4], [true, true, false, false]), { eer: 0, threshold: 2.5 });
});

test('tarAtFar by hand, and NaN (measurable: false) with too few impostor pairs', () => {
  // Genuine 1, 3, 5; impostors 2, 4, 6..13 (10 of them).
  const s = [1, 3, 5, 2, 4, 6, 7, 8, 9, 10, 11, 12, 13];
  const y = s.map((_, i) => i < 3);
  assert.equal(tarAtFar(s, y, 0.1), { tar: 2 / 3, threshold: 3.5, far: 0.1, targetFar: 0.1, measurable: true });
  assert.equal(tarAtFar(s, y, 0.2), { tar: 1, threshold: 5.5, far: 0.2, targetFar: 0.2, measurable: true });
  assert.equal(tarAtFar(s, y, 1), { tar: 1, threshold: 5.5, far: 0.2, targetFar: 1, measurable: true });
  const low = tarAtFar(s, y, 0.01);
  assert.is(low.measurable, false);
  assert.ok(Number.isNaN(low.tar) && Number.isNaN(low.threshold) && Number.isNaN(low.far));
  // S/Y has 3 impostors: FAR 1/3 is measurable, 0.1 is not.
  assert.equal(tarAtFar(S, Y, 1 / 3), { tar: 1, threshold: 4.5, far: 1 / 3, targetFar: 1 / 3, measurable: true });
  assert.is(tarAtFar(S, Y, 0.1).measurable, false);
});

test('bestAccuracyThreshold by hand: 5 of 6 right at 2.5 (the first of two maxima)', () => {
  assert.equal(bestAccuracyThreshold(S, Y), { threshold: 2.5, accuracy: 5 / 6 });
  assert.equal(bestAccuracyThreshold([1, 2], [true, true]), { threshold: Infinity, accuracy: 1 });
  assert.equal(bestAccuracyThreshold([1, 2], [false, false]), { threshold: -Infinity, accuracy: 1 });
  // Neighbouring scores very close: the threshold still separates them under "<".
  const a = 1, b = 1 + Number.EPSILON;
  const t = bestAccuracyThreshold([a, b], [true, false]).threshold;
  assert.ok(a < t && !(b < t), `threshold ${t}`);
});

// Four contiguous folds of five pairs; fold 0 holds one genuine pair at distance 10 that no
// sensible threshold accepts. Every training set is best split at 4.5.
const KS = [1, 10, 7, 8, 9, 1, 2, 7, 8, 9, 1, 2, 7, 8, 9, 1, 2, 7, 8, 9];
const KY = KS.map((_, i) => i % 5 < 2);

test('kFoldAccuracy with a known answer: folds 0.8, 1, 1, 1 → mean 0.95, stderr 0.05', () => {
  const r = kFoldAccuracy(KS, KY, { folds: 4 });
  assert.equal(r.thresholds, [4.5, 4.5, 4.5, 4.5]);
  assert.equal(r.folds, [0.8, 1, 1, 1]);
  close([r.mean, r.stderr], [0.95, 0.05], { atol: 1e-12 });
  // The same folds given explicitly, with the pairs shuffled.
  const rng = new Rng(4);
  const order = rng.shuffle(Array.from({ length: 20 }, (_, i) => i));
  const e = kFoldAccuracy(order.map((i) => KS[i]), order.map((i) => KY[i]), { foldIds: order.map((i) => 10 + Math.floor(i / 5)) });
  assert.equal(e.folds, r.folds);
  assert.equal(e.thresholds, r.thresholds);
  // Uneven contiguous folds: 20 pairs in 3 folds → sizes 6, 7, 7.
  const u = kFoldAccuracy(KS, KY, { folds: 3 });
  assert.is(u.folds.length, 3);
  close([u.folds[0]], [5 / 6]); // 1 T, 10 T ✗, 7 8 9 F, 1 T → 5 of 6
});

test('verificationReport bundles the metrics; calibrateThreshold by accuracy and by FAR', () => {
  const r = verificationReport(S, Y, { folds: 3 });
  assert.equal(r.pairs, { genuine: 3, impostor: 3 });
  assert.is(r.auc, 8 / 9);
  assert.equal(r.eer, eer(S, Y));
  assert.equal(r.best, { threshold: 2.5, accuracy: 5 / 6 });
  assert.equal(r.tarAtFar.map((t) => t.measurable), [false, false, false]);
  assert.equal(r.kFold, kFoldAccuracy(S, Y, { folds: 3 }));
  assert.is(verificationReport(S, Y).kFold.folds.length, 6, 'folds capped at the number of pairs');
  assert.equal(calibrateThreshold(S, Y), { threshold: 2.5, method: 'accuracy', accuracy: 5 / 6, tar: 2 / 3, far: 0 });
  assert.equal(calibrateThreshold(S, Y, { far: 1 / 3 }), { threshold: 4.5, method: 'far', accuracy: 5 / 6, tar: 1, far: 1 / 3 });
  assert.throws(() => calibrateThreshold(S, Y, { far: 0.01 }), /calibrateThreshold: expected at least 1\/far = 100 impostor pairs to calibrate for FAR 0.01, got 3/);
});

test('pair metric error contracts', () => {
  assert.throws(() => rocCurve([1, 2], [true]), /rocCurve: expected one same\/different label per score, got 2 scores and 1 labels/);
  assert.throws(() => auc([1, NaN], [true, false]), /auc: expected scores that are numbers \(not NaN\), got NaN at 1/);
  assert.throws(() => eer([1, 2], [true, true]), /eer: expected both genuine \(same\) and impostor \(different\) pairs, got 2 genuine and 0 impostor pairs/);
  assert.throws(() => auc([], []), /auc: expected at least one scored pair, got none/);
  assert.throws(() => tarAtFar(S, Y, 0), /tarAtFar: expected far in \(0, 1\], got 0/);
  assert.throws(() => bestAccuracyThreshold([1], [1 as never]), /bestAccuracyThreshold: expected same to hold booleans, got 1 at 0/);
  assert.throws(() => kFoldAccuracy(S, Y, { folds: 7 }), /kFoldAccuracy: expected folds \(2 ≤ folds ≤ pairs = 6\) to be an integer in \[2, 6\], got 7/);
  assert.throws(() => kFoldAccuracy(S, Y, { foldIds: [0, 0, 0, 0, 0, 0] }), /kFoldAccuracy: expected at least 2 distinct fold ids, got 1/);
  assert.throws(() => kFoldAccuracy(S, Y, { foldIds: [0, 1] }), /kFoldAccuracy: expected foldIds with one integer per pair \(6\)/);
});

// ---------------------------------------------------------------------------------------------
// Identification

function line(points: number[], labels: string[]): Gallery {
  const g = new Gallery({ dim: 1 });
  g.add(new Float32Array(points), labels);
  return g;
}

test('cmc by hand on a line: ranks among people, ties by lower index', () => {
  // alice 0, 0.2; bob 1; carol 3.
  const g = line([0, 0.2, 1, 3], ['alice', 'alice', 'bob', 'carol']);
  // 0.1 → alice first (rank 1). 0.9 → bob 0.1, alice 0.7 → rank 2. 2.5 → carol 0.5, bob 1.5 → rank 2.
  // 2.0 → bob 1 and carol 1 tie: bob (row 2) before carol (row 3), then alice → rank 3.
  const r = cmc(g, new Float32Array([0.1, 0.9, 2.5, 2]), ['alice', 'alice', 'bob', 'alice'], [1, 2, 3, 5]);
  assert.equal(r.rankOf, [1, 2, 2, 3]);
  assert.equal(r.rates, [0.25, 0.75, 1, 1]);
  assert.equal(r.ranks, [1, 2, 3, 5]);
  assert.equal(cmc(g, tensor([[0.1], [0.9]]), ['alice', 'alice']).rates, [0.5, 1]);
  assert.throws(() => cmc(g, new Float32Array([0]), ['dave']), /cmc: expected probe labels of people in the gallery \(closed set; openSetDIR takes unknown people\), got "dave" at 0/);
  assert.throws(() => cmc(g, new Float32Array([0, 1]), ['alice']), /cmc: expected one label per probe \(2\), got 1 labels/);
  assert.throws(() => cmc(g, new Float32Array([0]), ['alice'], [0]), /cmc: expected ranks to be an integer >= 1, got 0/);
  assert.throws(() => cmc(new Gallery({ dim: 1 }), new Float32Array([0]), ['alice']), /cmc: expected a gallery with at least one embedding, got an empty gallery/);
  g.dispose();
});

test('openSetDIR by hand: threshold from the unknown probes, DIR of the known ones', () => {
  const g = line([0, 10], ['alice', 'bob']);
  // Known: alice@1 (1, right), alice@3 (3, right), bob@8 (2, right), alice@6 (nearest bob: wrong).
  // Unknown (nearest distances): −2.5 → 2.5, −4 → 4, 16 → 6, 20 → 10.
  const probes = new Float32Array([1, 3, 8, 6, -2.5, -4, 16, 20]);
  const labels = ['alice', 'alice', 'bob', 'alice', 'u1', 'u2', 'u3', 'u4'];
  // far 0.25: ⌊0.25·4⌋ = 1 → threshold = 4 (the 2nd smallest); accepts 2.5 only.
  assert.equal(openSetDIR(g, probes, labels, { far: 0.25 }), { dir: 0.75, threshold: 4, far: 0.25, targetFar: 0.25, known: 4, unknown: 4 });
  // far 0 → threshold 2.5: only the known probes at 1 and 2 pass.
  assert.equal(openSetDIR(g, probes, labels, { far: 0 }), { dir: 0.5, threshold: 2.5, far: 0, targetFar: 0, known: 4, unknown: 4 });
  assert.equal(openSetDIR(g, probes, labels, { far: 1 }), { dir: 0.75, threshold: Infinity, far: 1, targetFar: 1, known: 4, unknown: 4 });
  assert.equal(openSetDIR(g, probes, labels).threshold, 2.5, 'default far 0.1: ⌊0.4⌋ = 0');
  assert.throws(() => openSetDIR(g, new Float32Array([1]), ['alice']), /openSetDIR: expected probes of people in the gallery and probes of people not in it, got 1 known and 0 unknown probes/);
  assert.throws(() => openSetDIR(g, probes, labels, { far: 2 }), /openSetDIR: expected far in \[0, 1\], got 2/);
  g.dispose();
});

test('precisionAt1 and mapAtR by hand (leave-one-out; a label seen once is left out)', () => {
  // a: 0, 1, 2; b: 1.4, 1.6; c: 9 (alone: left out).
  // a@0: a, b → P@1 ✓, AP ½. a@1: b, b → 0. a@2: b, b → 0. b@1.4: b ✓ → 1. b@1.6: b ✓ → 1.
  const pts = new Float32Array([0, 1, 2, 1.4, 1.6, 9]), labels = ['a', 'a', 'a', 'b', 'b', 'c'];
  close([precisionAt1(pts, labels)], [3 / 5], { atol: 1e-15 });
  close([mapAtR(pts, labels)], [2.5 / 5], { atol: 1e-15 });
  // R = 3: x at 0, 1, 2, 3; y at 1.5 and 10.
  // x@0: x y x → (1 + 2/3)/3 = 5/9; x@1: y x x → (1/2 + 2/3)/3 = 7/18; x@2: 7/18; x@3: 5/9; y@1.5, y@10: 0.
  const g = line([0, 1, 2, 3, 1.5, 10], ['x', 'x', 'x', 'x', 'y', 'y']);
  close([mapAtR(g)], [17 / 54], { atol: 1e-15 });
  close([precisionAt1(g)], [1 / 3], { atol: 1e-15 });
  // A tensor source, and the gallery is unchanged afterwards.
  close([mapAtR(tensor([[0], [1], [2], [3], [1.5], [10]]), ['x', 'x', 'x', 'x', 'y', 'y'])], [17 / 54], { atol: 1e-15 });
  assert.is(g.size, 6);
  assert.throws(() => mapAtR(new Float32Array([0, 1]), ['a', 'b']), /mapAtR: expected at least one label with two or more items, got 2 items, all of different labels/);
  assert.throws(() => precisionAt1(g, ['x']), /precisionAt1: expected no labels with a Gallery/);
  assert.throws(() => precisionAt1(new Float32Array([0, 1, 2]), ['a', 'a']), /precisionAt1: expected embeddings with one row per label \(2\)/);
  g.dispose();
});

test('mapAtR and precisionAt1 on a random set equal a float64 brute force', () => {
  const rng = new Rng(8);
  const n = 60, d = 7;
  const x = new Float32Array(n * d).map(() => rng.normal());
  const labels = Array.from({ length: n }, () => `p${rng.int(9)}`);
  let map = 0, p1 = 0, q = 0;
  for (let i = 0; i < n; i++) {
    const R = labels.filter((l) => l === labels[i]).length - 1;
    if (R === 0) continue;
    const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).map((j) => {
      let s = 0;
      for (let c = 0; c < d; c++) s += (x[i * d + c] - x[j * d + c]) ** 2;
      return { j, s };
    }).sort((a, b) => a.s - b.s || a.j - b.j);
    let hits = 0, ap = 0;
    for (let r = 0; r < R; r++) if (labels[others[r].j] === labels[i]) { hits++; ap += hits / (r + 1); }
    map += ap / R;
    p1 += labels[others[0].j] === labels[i] ? 1 : 0;
    q++;
  }
  close([mapAtR(x, labels), precisionAt1(x, labels)], [map / q, p1 / q], { atol: 1e-12 });
});

test.run();
