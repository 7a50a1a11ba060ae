import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, full, Tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { noGrad } from '../../src/autograd.js';
import { add, mul, reshape, sum } from '../../src/ops/elementwise.js';
import {
  pairwiseDistances, tripletLoss, tripletLossFromDistances,
  type Miner, type TripletDistance, type TripletReduction,
} from '../../src/ops/triplet.js';
import { Rng } from '../../src/random.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { close } from '../helpers/close.js';

// ---------------------------------------------------------------------------------------------
// float64 references (plain TypeScript). These enumerate triplets, which the engine never does.

function refDist(x: ArrayLike<number>, n: number, d: number, squared: boolean): Float64Array {
  const y = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) { const u = x[i * d + k] - x[j * d + k]; s += u * u; }
      y[i * n + j] = squared ? s : Math.sqrt(s);
    }
  }
  return y;
}

interface RefTriplet { a: number; p: number; q: number; dap: number; daq: number }

function refMine(dist: ArrayLike<number>, labels: ArrayLike<number>, margin: number, miner: Miner): RefTriplet[] {
  const n = labels.length;
  const out: RefTriplet[] = [];
  const D = (i: number, j: number) => dist[i * n + j];
  const pos = (a: number) => [...Array(n).keys()].filter((j) => j !== a && labels[j] === labels[a]);
  const neg = (a: number) => [...Array(n).keys()].filter((j) => labels[j] !== labels[a]);
  for (let a = 0; a < n; a++) {
    const P = pos(a), N = neg(a);
    if (miner === 'all') {
      for (const p of P) for (const q of N) out.push({ a, p, q, dap: D(a, p), daq: D(a, q) });
    } else if (miner === 'hard') {
      if (P.length === 0 || N.length === 0) continue;
      let p = P[0], q = N[0];
      for (const j of P) if (D(a, j) > D(a, p)) p = j;
      for (const j of N) if (D(a, j) < D(a, q)) q = j;
      out.push({ a, p, q, dap: D(a, p), daq: D(a, q) });
    } else {
      for (const p of P) {
        const dap = D(a, p);
        let q = -1;
        for (const j of N) {
          const v = D(a, j);
          if (v > dap && v < dap + margin && (q < 0 || v < D(a, q))) q = j;
        }
        if (q >= 0) out.push({ a, p, q, dap, daq: D(a, q) });
      }
    }
  }
  return out;
}

interface RefLoss { loss: number; triplets: number; active: number; meanPositive: number; meanNegative: number; coef: Float64Array }

function refLoss(dist: ArrayLike<number>, labels: ArrayLike<number>, margin: number, miner: Miner, reduction: TripletReduction): RefLoss {
  const n = labels.length;
  const ts = refMine(dist, labels, margin, miner);
  const coef = new Float64Array(n * n);
  let loss = 0, active = 0, sp = 0, sn = 0;
  for (const t of ts) {
    sp += t.dap; sn += t.daq;
    const v = t.dap - t.daq + margin;
    if (v > 0) { loss += v; active++; coef[t.a * n + t.p] += 1; coef[t.a * n + t.q] -= 1; }
  }
  const denom = reduction === 'mean' && active > 0 ? active : 1;
  return {
    loss: loss / denom, triplets: ts.length, active,
    meanPositive: ts.length ? sp / ts.length : NaN, meanNegative: ts.length ? sn / ts.length : NaN,
    coef: coef.map((c) => c / denom),
  };
}

/**
 * How far the data is from every place where the loss is not smooth: a hinge at v = 0, a tie
 * between two candidates of a miner, a negative at the edge of a semi-hard window. Gradient checks
 * by finite differences are only meaningful when this is well above the step.
 */
function kinkGap(dist: ArrayLike<number>, labels: ArrayLike<number>, margin: number, miner: Miner): number {
  const n = labels.length;
  const D = (i: number, j: number) => dist[i * n + j];
  let gap = Infinity;
  const gapSorted = (vals: number[]) => {
    const s = [...vals].sort((x, y) => x - y);
    for (let i = 1; i < s.length; i++) gap = Math.min(gap, s[i] - s[i - 1]);
  };
  for (const t of refMine(dist, labels, margin, miner)) gap = Math.min(gap, Math.abs(t.dap - t.daq + margin));
  for (let a = 0; a < n; a++) {
    const P: number[] = [], N: number[] = [];
    for (let j = 0; j < n; j++) {
      if (j !== a && labels[j] === labels[a]) P.push(D(a, j));
      else if (labels[j] !== labels[a]) N.push(D(a, j));
    }
    if (miner === 'hard') { gapSorted(P); gapSorted(N); }
    if (miner === 'semihard') {
      gapSorted(N);
      for (const dap of P) for (const daq of N) gap = Math.min(gap, Math.abs(daq - dap), Math.abs(daq - dap - margin));
    }
  }
  return gap;
}

function normals(n: number, seed: number, scale = 1): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Math.fround(rng.normal() * scale));
}

const MINER_LIST: Miner[] = ['all', 'hard', 'semihard'];
const DIST_LIST: TripletDistance[] = ['euclidean', 'squared'];
const RED_LIST: TripletReduction[] = ['sum', 'mean'];

// ---------------------------------------------------------------------------------------------
// pairwiseDistances

const DS = [1, 3, 4, 5, 7, 17, 128];
const NS = [1, 2, 3, 5, 9];

for (const d of DS) {
  for (const n of NS) {
    test(`pairwiseDistances x=[${n},${d}] euclidean and squared vs float64, symmetric, zero diagonal`, () => tidy(() => {
      const xs = normals(n * d, 100 * n + d);
      const x = tensor(xs, [n, d]);
      for (const squared of [false, true]) {
        const y = pairwiseDistances(x, { squared });
        assert.equal(y.shape, [n, n]);
        close(y.data, refDist(xs, n, d, squared), { atol: 1e-5, rtol: 2e-6 }, `squared=${squared}`);
        for (let i = 0; i < n; i++) {
          assert.is(y.data[i * n + i], 0);
          for (let j = 0; j < n; j++) assert.is(y.data[i * n + j], y.data[j * n + i]);
        }
      }
    }));
  }
  for (const n of [1, 2, 5, 9]) {
    for (const distance of DIST_LIST) {
      test(`pairwiseDistances gradcheck x=[${n},${d}] ${distance}`, () => {
        const squared = distance === 'squared';
        gradcheck({
          inputs: [{ shape: [n, d], values: normals(n * d, 7 * n + d) }],
          engine: ([x]) => pairwiseDistances(x, { squared }),
          reference: ([x]) => refDist(x, n, d, squared),
          fwd: { atol: 1e-5, rtol: 1e-5 },
        });
      });
    }
  }
}

test('pairwiseDistances near-duplicate rows x=[3,128] values ~150: the true tiny distance, not cancellation noise', () => tidy(() => {
  // Rows 0 and 1 differ by exactly ±1/64 in three coordinates: d = √3/64 ≈ 0.0271. The expansion
  // ‖xi‖² + ‖xj‖² − 2 xi·xj works at ‖x‖² ≈ 3e6, where one f32 step is 0.25 ≫ d² ≈ 7e-4.
  const d = 128;
  const rng = new Rng(5);
  const row = Array.from({ length: d }, () => 100 + Math.round(rng.uniform(0, 100) * 64) / 64);
  const dup = [...row]; dup[3] += 1 / 64; dup[40] -= 1 / 64; dup[127] += 1 / 64;
  const x = tensor([...row, ...dup, ...row], [3, d]);
  const e = pairwiseDistances(x);
  const s = pairwiseDistances(x, { squared: true });
  close([e.data[1]], [Math.sqrt(3) / 64], { atol: 0, rtol: 1e-6 }, 'euclidean near duplicate');
  assert.is(s.data[1], 3 / 4096);
  assert.is(e.data[2], 0, 'identical rows: exactly 0');
  assert.is(s.data[2], 0);
}));

test('pairwiseDistances euclidean x=[4,5] with two identical rows: gradient finite, 0 for the coincident pair', () => tidy(() => {
  const n = 4, d = 5;
  const xs = normals(n * d, 3);
  for (let k = 0; k < d; k++) xs[2 * d + k] = xs[k]; // row 2 = row 0
  const x = tensor(xs, [n, d], { requiresGrad: true });
  const y = pairwiseDistances(x);
  const g = normals(n * n, 4);
  y.backward(tensor(g, [n, n]));
  const dist = refDist(xs, n, d, false);
  const want = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    if (dist[i * n + j] === 0) continue;
    const c = g[i * n + j] + g[j * n + i];
    for (let k = 0; k < d; k++) want[i * d + k] += c * (xs[i * d + k] - xs[j * d + k]) / dist[i * n + j];
  }
  const got = (x.grad as Tensor).data;
  assert.is((x.grad as Tensor).countNonFinite(), 0);
  close(got, want, { atol: 1e-5, rtol: 1e-5 }, 'gradient');
}));

test('pairwiseDistances x=[0,3] gives a [0,0] matrix', () => {
  assert.equal(pairwiseDistances(tensor([], [0, 3])).shape, [0, 0]);
});

// ---------------------------------------------------------------------------------------------
// Miners against the brute-force reference, on the engine's own distance matrix, at awkward sizes
// so the 4-lane loops and their tails both run.

for (const n of [1, 3, 4, 5, 7, 17, 33]) {
  for (const distance of DIST_LIST) {
    for (const miner of MINER_LIST) {
      test(`tripletLossFromDistances N=${n} D=4 ${distance} miner=${miner} vs brute force: loss, counts, means, dL/dDist`, () => tidy(() => {
        const rng = new Rng(n * 31 + (distance === 'squared' ? 1 : 0));
        const classes = Math.max(2, Math.floor(n / 3));
        const labels = Array.from({ length: n }, () => rng.int(classes));
        const margin = distance === 'squared' ? 3 : 1;
        const x = tensor(normals(n * 4, n * 13 + 1), [n, 4]);
        const dist = noGrad(() => pairwiseDistances(x, { squared: distance === 'squared' }));
        const dv = Float64Array.from(dist.data);
        let sawTriplets = 0;
        for (const reduction of RED_LIST) {
          const leaf = new Tensor(dist.shape, dist.storage, { requiresGrad: true });
          const r = tripletLossFromDistances(leaf, labels, { margin, miner, reduction });
          const ref = refLoss(dv, labels, margin, miner, reduction);
          assert.is(r.triplets, ref.triplets, 'triplets');
          assert.is(r.active, ref.active, 'active');
          close([r.loss.item()], [ref.loss], { atol: 1e-5, rtol: 1e-5 }, 'loss');
          close([r.meanPositive, r.meanNegative], [ref.meanPositive, ref.meanNegative], { atol: 1e-6, rtol: 1e-6 }, 'mean distances');
          r.loss.backward();
          close((leaf.grad as Tensor).data, ref.coef, { atol: 1e-7, rtol: 1e-6 }, 'dL/dDist');
          sawTriplets += r.triplets;
        }
        if (n >= 7) assert.ok(sawTriplets > 0, 'the fixture mines something');
      }));
    }
  }
}

test('tripletLossFromDistances on a non-symmetric matrix reads row a as d(a, ·)', () => tidy(() => {
  // Anchor 0: d(0,1) = 1 (positive), d(0,2) = 2 (negative); anchor 1: d(1,0) = 3, d(1,2) = 0.5.
  const dist = tensor([[0, 1, 2], [3, 0, 0.5], [9, 9, 0]], undefined, { requiresGrad: true });
  const r = tripletLossFromDistances(dist, [0, 0, 1], { margin: 2 });
  assert.is(r.triplets, 2);
  assert.is(r.loss.item(), (1 - 2 + 2) + (3 - 0.5 + 2));
  r.loss.backward();
  assert.equal(Array.from((dist.grad as Tensor).data), [0, 1, -1, 1, 0, -1, 0, 0, 0]);
}));

test('ties and window edges, worked by hand: N=10 margin=2, lowest index wins, the semi-hard window is open', () => tidy(() => {
  // Rows 0 and 1 (class 0) are set by hand; rows 2..9 (class 1) are all zeros. Index 2 sits in the
  // first 4-lane block, 5 and 6 in the second, 8 and 9 in the scalar tail.
  const labels = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
  const m = new Float32Array(100);
  m.set([0, 1, 2, 3, 4, 2, 2, 5, 2, 2], 0);
  m.set([1, 0, 0.5, 1, 3, 4, 7, 3, 9, 10], 10);
  const run = (miner: Miner) => {
    const dist = tensor(m, [10, 10], { requiresGrad: true });
    const r = tripletLossFromDistances(dist, labels, { margin: 2, miner });
    r.loss.backward();
    return { r, g: Array.from((dist.grad as Tensor).data) };
  };
  // Semi-hard: row 0, (0,1) with d = 1: window (1, 3) holds d = 2 at 2, 5, 6, 8, 9 → index 2,
  // v = 1 − 2 + 2 = 1. Row 1: window (1, 3) holds nothing (3 is on its edge, 1 too). Rows 2..9:
  // window (0, 2) holds nothing (every negative is at 0).
  const semi = run('semihard');
  assert.equal([semi.r.triplets, semi.r.active, semi.r.loss.item()], [1, 1, 1]);
  const want = new Array(100).fill(0); want[1] = 1; want[2] = -1;
  assert.equal(semi.g, want);
  // Batch-hard: row 0 → (1, 2) v = 1; row 1 → (0, 2) v = 2.5; rows 2..9: every positive and
  // negative at 0, so the lowest indices: positive 3 for anchor 2, 2 for the others, negative 0; v = 2.
  const hard = run('hard');
  assert.equal([hard.r.triplets, hard.r.active, hard.r.loss.item()], [10, 10, 19.5]);
  want.fill(0);
  want[1] = 1; want[2] = -1; want[10] = 1; want[12] = -1;
  for (let a = 2; a < 10; a++) { want[a * 10 + (a === 2 ? 3 : 2)] = 1; want[a * 10] = -1; }
  assert.equal(hard.g, want);
}));

for (const n of [4, 5, 9, 10, 17]) {
  for (const margin of [0, 2]) {
    test(`tripletLossFromDistances N=${n} margin=${margin} integer distances (ties and v = 0 everywhere) vs brute force, every miner`, () => tidy(() => {
      const rng = new Rng(n + 100 * margin);
      const labels = Array.from({ length: n }, () => rng.int(3));
      const m = Array.from({ length: n * n }, () => rng.int(6));
      for (const miner of MINER_LIST) {
        const dist = tensor(m, [n, n], { requiresGrad: true });
        const r = tripletLossFromDistances(dist, labels, { margin, miner });
        const ref = refLoss(m, labels, margin, miner, 'sum');
        assert.equal([r.triplets, r.active, r.loss.item()], [ref.triplets, ref.active, ref.loss], miner);
        r.loss.backward();
        assert.equal(Array.from((dist.grad as Tensor).data), Array.from(ref.coef), `${miner} dL/dDist`);
      }
    }));
  }
}

// ---------------------------------------------------------------------------------------------
// Gradient checks through tripletLoss (embeddings → distances → mining → loss).

const GC_LABELS = [0, 0, 1, 1, 1, 2, 2];
const GC_MARGIN: Record<TripletDistance, number> = { euclidean: 1, squared: 2 };

for (const miner of MINER_LIST) {
  for (const distance of DIST_LIST) {
    for (const reduction of RED_LIST) {
      test(`tripletLoss gradcheck x=[7,3] labels=[0,0,1,1,1,2,2] miner=${miner} distance=${distance} reduction=${reduction}`, () => {
        const n = 7, d = 3, margin = GC_MARGIN[distance];
        const squared = distance === 'squared';
        const values = normals(n * d, 11);
        const dist = refDist(values, n, d, squared);
        // Preconditions of a meaningful finite-difference check.
        assert.ok(kinkGap(dist, GC_LABELS, margin, miner) > 1e-3, 'data away from kinks and ties');
        const ref = refLoss(dist, GC_LABELS, margin, miner, reduction);
        assert.ok(ref.active >= 2, `several active triplets (got ${ref.active})`);
        gradcheck({
          inputs: [{ shape: [n, d], values }],
          engine: ([x]) => tripletLoss(x, GC_LABELS, { margin, miner, distance, reduction }).loss,
          reference: ([x]) => [refLoss(refDist(x, n, d, squared), GC_LABELS, margin, miner, reduction).loss],
        });
      });
    }
  }
}

test('tripletLoss distance=squared equals tripletLossFromDistances(pairwiseDistances(x, {squared:true}))', () => tidy(() => {
  const x = tensor(normals(9 * 5, 2), [9, 5]);
  const labels = [0, 1, 2, 0, 1, 2, 0, 1, 2];
  for (const miner of MINER_LIST) {
    const a = tripletLoss(x, labels, { margin: 4, miner, distance: 'squared' });
    const b = tripletLossFromDistances(pairwiseDistances(x, { squared: true }), labels, { margin: 4, miner });
    assert.is(a.loss.item(), b.loss.item());
    assert.equal([a.triplets, a.active, a.meanPositive, a.meanNegative], [b.triplets, b.active, b.meanPositive, b.meanNegative]);
  }
}));

test('tripletLoss x=[33,128] is deterministic: same inputs, bit-identical loss and gradient', () => tidy(() => {
  const values = normals(33 * 128, 9, 0.2);
  const labels = Array.from({ length: 33 }, (_, i) => i % 5);
  const run = () => {
    const x = tensor(values, [33, 128], { requiresGrad: true });
    const r = tripletLoss(x, labels, { margin: 0.5, miner: 'all', reduction: 'mean' });
    r.loss.backward();
    return [r.loss.item(), ...(x.grad as Tensor).data];
  };
  const a = run(), b = run();
  assert.ok(a.every((v, i) => Object.is(v, b[i])));
}));

// ---------------------------------------------------------------------------------------------
// The lecture's worked example: x = [−2, −1, 1, 2], classes A, A, B, B, e(x) = w·x + b, Euclidean,
// α = 5, all triplets, summed: L = 4·max(5−2|w|,0) + 2·max(5−3|w|,0) + 2·max(5−|w|,0).

const LX = [-2, -1, 1, 2];
const LY = [0, 0, 1, 1];
const hinge = (v: number) => Math.max(v, 0);
const lectureL = (w: number) => 4 * hinge(5 - 2 * Math.abs(w)) + 2 * hinge(5 - 3 * Math.abs(w)) + 2 * hinge(5 - Math.abs(w));
const lectureActive = (w: number) => 4 * +(5 - 2 * Math.abs(w) > 0) + 2 * +(5 - 3 * Math.abs(w) > 0) + 2 * +(5 - Math.abs(w) > 0);
// dL/dw where the hinge is active (v > 0; at v = 0 a triplet is inactive and adds nothing); at
// w = 0 every distance is 0 and its gradient is taken as 0.
const lectureDL = (w: number) => Math.sign(w) * (-8 * +(5 - 2 * Math.abs(w) > 0) - 6 * +(5 - 3 * Math.abs(w) > 0) - 2 * +(5 - Math.abs(w) > 0));

function lecture(w: number, b: number) {
  return tidy(() => {
    const wt = full([4], w, { requiresGrad: true });
    const bt = full([4], b, { requiresGrad: true });
    const e = reshape(add(mul(tensor(LX), wt), bt), [4, 1]);
    const r = tripletLoss(e, LY, { margin: 5, miner: 'all', distance: 'euclidean', reduction: 'sum' });
    r.loss.backward();
    const dw = (wt.grad as Tensor).data.reduce((s, v) => s + v, 0);
    const db = (bt.grad as Tensor).data.reduce((s, v) => s + v, 0);
    return { loss: r.loss.item(), triplets: r.triplets, active: r.active, dw, db, meanPositive: r.meanPositive };
  });
}

test('lecture example at w=1 b=0.5: L = 24, 8 triplets, all active', () => {
  const r = lecture(1, 0.5);
  close([r.loss], [24], { atol: 1e-6, rtol: 0 }, 'loss');
  assert.is(lectureL(1), 24);
  assert.is(r.triplets, 8);
  assert.is(r.active, 8);
  close([r.dw], [-16], { atol: 1e-6, rtol: 0 }, 'dL/dw');
  assert.is(r.db, 0);
  close([r.meanPositive], [1], { atol: 1e-6, rtol: 0 }, 'every d(A,P) is |w|');
});

for (const w of [0.5, 1, 2, 2.5, 4, 6, -0.5, -1, -2.5, -6, 0]) {
  for (const b of [0.5, -3]) {
    test(`lecture example w=${w} b=${b}: L, triplet and active counts, dL/dw match the closed form; dL/db = 0`, () => {
      const r = lecture(w, b);
      close([r.loss], [lectureL(w)], { atol: 1e-6, rtol: 0 }, 'loss');
      assert.is(r.triplets, 8);
      assert.is(r.active, lectureActive(w));
      assert.ok(Number.isFinite(r.dw), 'no NaN, even at w = 0');
      close([r.dw], [lectureDL(w)], { atol: 1e-6, rtol: 0 }, 'dL/dw');
      assert.is(r.db, 0, 'b drops out of every distance');
    });
  }
}

test('lecture example closed form at w=0 is 8·5 = 40', () => {
  assert.is(lectureL(0), 40);
  assert.is(lecture(0, 0.5).loss, 40);
});

// ---------------------------------------------------------------------------------------------
// No valid triplet: an exact 0 that stays on the graph.

const EMPTY_CASES: Array<[string, number[]]> = [
  ['one class', [3, 3, 3, 3, 3]],
  ['all singletons', [0, 1, 2, 3, 4]],
  ['one row', [7]],
  ['no rows', []],
];
for (const [what, labels] of EMPTY_CASES) {
  for (const miner of MINER_LIST) {
    for (const reduction of RED_LIST) {
      test(`no valid triplet (${what}) miner=${miner} reduction=${reduction}: loss exactly 0, on the graph, zero gradient`, () => tidy(() => {
        const n = labels.length;
        const x = tensor(normals(n * 3, 17), [n, 3], { requiresGrad: true });
        const r = tripletLoss(x, labels, { margin: 1, miner, reduction });
        assert.ok(Object.is(r.loss.item(), 0));
        assert.equal(r.loss.shape, []);
        assert.ok(r.loss.requiresGrad && r.loss.node !== null, 'on the graph');
        assert.equal([r.triplets, r.active], [0, 0]);
        assert.ok(Number.isNaN(r.meanPositive) && Number.isNaN(r.meanNegative));
        r.loss.backward();
        assert.ok((x.grad as Tensor).data.every((v) => Object.is(v, 0)));
      }));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Known geometry: two arcs on a circle of radius R. Class 0 at angles −θ, 0, θ; class 1 at
// π−θ, π, π+θ. Chords: s1 = 2R sin(θ/2) (neighbours), s2 = 2R sin θ (the two ends of an arc),
// across: c2 = 2R cos θ, c1 = 2R cos(θ/2), 2R (opposite points).

const R = 1.5, TH = Math.PI / 6;
const s1 = 2 * R * Math.sin(TH / 2), s2 = 2 * R * Math.sin(TH), c1 = 2 * R * Math.cos(TH / 2), c2 = 2 * R * Math.cos(TH);
const ARC_LABELS = [0, 0, 0, 1, 1, 1];
const arcPoints = () => [-TH, 0, TH, Math.PI - TH, Math.PI, Math.PI + TH].flatMap((t) => [R * Math.cos(t), R * Math.sin(t)]);
/** Per anchor (each arc has one centre and two ends, two arcs): its positives and its negatives. */
const ARC_ANCHORS = [
  { count: 2, pos: [s1, s1], neg: [2 * R, c1, c1] }, // the centres
  { count: 4, pos: [s1, s2], neg: [c2, c1, 2 * R] }, // the ends
];

function arcExpected(margin: number, miner: Miner) {
  const chosen: Array<[number, number, number]> = []; // [dAP, dAN, how many]
  for (const { count, pos, neg } of ARC_ANCHORS) {
    if (miner === 'all') for (const p of pos) for (const q of neg) chosen.push([p, q, count]);
    if (miner === 'hard') chosen.push([Math.max(...pos), Math.min(...neg), count]);
    if (miner === 'semihard') {
      for (const p of pos) {
        const inside = neg.filter((q) => q > p && q < p + margin);
        if (inside.length) chosen.push([p, Math.min(...inside), count]);
      }
    }
  }
  let loss = 0, triplets = 0, active = 0, sp = 0, sn = 0;
  for (const [p, q, c] of chosen) {
    triplets += c; sp += c * p; sn += c * q;
    if (p - q + margin > 0) { loss += c * (p - q + margin); active += c; }
  }
  return { loss, triplets, active, meanPositive: sp / triplets, meanNegative: sn / triplets };
}

for (const margin of [0.5, 1.5, 4]) {
  for (const miner of MINER_LIST) {
    test(`circle fixture R=1.5 θ=30° margin=${margin} miner=${miner}: loss and counts from the chord lengths`, () => tidy(() => {
      const x = tensor(arcPoints(), [6, 2]);
      const r = tripletLoss(x, ARC_LABELS, { margin, miner });
      const want = arcExpected(margin, miner);
      assert.is(r.triplets, want.triplets);
      assert.is(r.active, want.active);
      close([r.loss.item()], [want.loss], { atol: 1e-5, rtol: 1e-5 }, 'loss');
      if (want.triplets > 0) close([r.meanPositive, r.meanNegative], [want.meanPositive, want.meanNegative], { atol: 1e-5, rtol: 1e-5 }, 'means');
      else assert.ok(Number.isNaN(r.meanPositive));
    }));
  }
}

test('circle fixture margin=0.5: 36 triplets, none active, loss exactly 0 and zero gradient (mean reduction too)', () => tidy(() => {
  for (const reduction of RED_LIST) {
    const x = tensor(arcPoints(), [6, 2], { requiresGrad: true });
    const r = tripletLoss(x, ARC_LABELS, { margin: 0.5, reduction });
    assert.equal([r.triplets, r.active], [36, 0]);
    assert.ok(Object.is(r.loss.item(), 0));
    r.loss.backward();
    assert.ok((x.grad as Tensor).data.every((v) => v === 0));
  }
}));

test('circle fixture margin=4 all: the gradient pulls each arc together and pushes the arcs apart', () => tidy(() => {
  const x = tensor(arcPoints(), [6, 2], { requiresGrad: true });
  tripletLoss(x, ARC_LABELS, { margin: 4 }).loss.backward();
  const g = (x.grad as Tensor).data;
  // Gradient descent moves along −g. Class 0 sits at x ≈ +R: it must move to larger x (−g_x > 0);
  // class 1 at x ≈ −R to smaller x.
  for (let i = 0; i < 3; i++) assert.ok(-g[2 * i] > 0, `point ${i} moves away from class 1`);
  for (let i = 3; i < 6; i++) assert.ok(-g[2 * i] < 0, `point ${i} moves away from class 0`);
  // The ends of each arc move towards its centre (y towards 0).
  assert.ok(-g[1] > 0 && -g[5] < 0 && -g[7] < 0 && -g[11] > 0);
}));

// ---------------------------------------------------------------------------------------------
// Error contracts.

test('error contracts name the op, the contract and what was given', () => {
  const x = tensor(normals(8, 1), [4, 2]);
  const L = [0, 0, 1, 1];
  assert.throws(() => pairwiseDistances(tensor([1, 2, 3])), /pairwiseDistances: expected x of rank 2 \[N,D\], got shape \[3\]/);
  assert.throws(() => pairwiseDistances(x, { squared: 'yes' as unknown as boolean }), /pairwiseDistances: expected squared to be a boolean, got "yes"/);
  assert.throws(() => tripletLoss(tensor(normals(8, 1), [2, 2, 2]), [0, 1], { margin: 1 }), /tripletLoss: expected embeddings of rank 2 \[N,D\], got shape \[2,2,2\]/);
  assert.throws(() => tripletLoss(x, [0, 0, 1], { margin: 1 }), /tripletLoss: expected one label per row \(4\), got 3 labels/);
  assert.throws(() => tripletLoss(x, [0, 0.5, 1, 1], { margin: 1 }), /tripletLoss: expected labels to be integers in the int32 range, got labels\[1\] = 0.5/);
  assert.throws(() => tripletLoss(x, [0, 0, NaN, 1], { margin: 1 }), /tripletLoss: expected labels to be integers in the int32 range, got labels\[2\] = NaN/);
  assert.throws(() => tripletLoss(x, [0, 0, 1, 2 ** 31], { margin: 1 }), /tripletLoss: expected labels to be integers in the int32 range, got labels\[3\] = 2147483648/);
  assert.throws(() => tripletLoss(x, null as unknown as number[], { margin: 1 }), (e: unknown) => e instanceof TypeError && /tripletLoss: expected labels to be an array/.test((e as Error).message));
  for (const margin of [-1, NaN, Infinity, undefined]) {
    assert.throws(() => tripletLoss(x, L, { margin } as { margin: number }), /tripletLoss: expected margin to be a finite number >= 0/);
  }
  assert.throws(() => tripletLoss(x, L, { margin: 1, miner: 'easy' as Miner }), /tripletLoss: expected miner to be one of 'all', 'hard', 'semihard', got "easy"/);
  assert.throws(() => tripletLoss(x, L, { margin: 1, distance: 'cosine' as TripletDistance }), /tripletLoss: expected distance to be one of 'euclidean', 'squared', got "cosine"/);
  assert.throws(() => tripletLoss(x, L, { margin: 1, reduction: 'max' as TripletReduction }), /tripletLoss: expected reduction to be one of 'sum', 'mean', got "max"/);
  assert.throws(() => tripletLoss(x, L, undefined as unknown as { margin: number }), (e: unknown) => e instanceof TypeError && /tripletLoss: expected options/.test((e as Error).message));
  const bad = tensor([0, 1, NaN, 2, 0, 1, 1, 1, 0], [3, 3]);
  assert.throws(() => tripletLoss(tensor([0, NaN, 1, 2, 3, 4, 5, 6], [4, 2]), L, { margin: 1 }), /tripletLoss: expected finite distances, got 6 NaN or infinite values/);
  assert.throws(() => tripletLossFromDistances(bad, [0, 0, 1], { margin: 1 }), /tripletLossFromDistances: expected finite distances, got 1 NaN or infinite value in the \[3,3\] distance matrix/);
  assert.throws(() => tripletLossFromDistances(tensor(normals(6, 1), [2, 3]), [0, 1], { margin: 1 }), /tripletLossFromDistances: expected a square distance matrix \[N,N\], got shape \[2,3\]/);
  assert.throws(() => tripletLossFromDistances(tensor(normals(9, 1), [3, 3]), [0, 1], { margin: 1 }), /tripletLossFromDistances: expected one label per row \(3\), got 2 labels/);
});

test.run();
