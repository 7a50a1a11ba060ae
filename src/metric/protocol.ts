// The evaluation protocol on people a model never saw, three tasks on one set of embeddings:
//   identification  closed set: a gallery of enrolled photos, probes = the other photos of the same
//                   people; CMC rank-1 and rank-5 (identification.ts: cmc).
//   verification    labelled pairs: every same-person pair among the photos and as many
//                   different-person pairs drawn with a seed, in balanced folds (each fold holds
//                   ⌊·⌋ or ⌈·⌉ of each kind); k-fold accuracy (mean ± standard error), AUC, EER,
//                   TAR at a FAR, and the lecture's D rule: same when distance < D, D the largest
//                   diameter of the enrolled people's clouds (Gallery.D).
//   open set        a gallery of some people; probes of them and of people not enrolled; DIR at a
//                   FAR of the unknown probes (identification.ts: openSetDIR).
// A split names item indices of the evaluated data set; enrolmentSplit makes the general one
// ("first photos of each person enrolled, the rest probes; the first people enrolled for the open
// set") and orlSplit the ORL protocol (train s1–s30; test s31–s40, photos 1–5 enrolled, s31–s35
// enrolled for the open set). Pair distances use l2_distance_f32, the arithmetic of Gallery.search,
// the diameters and verify(), so a pair at distance exactly D is "different" here as in verify().
import { basename, extname } from 'node:path';
import { tidy } from '../memory.js';
import { Rng } from '../random.js';
import { kernels } from '../wasm.js';
import { checkInt, checkNumber, describe, rangeError, typeError } from '../errors.js';
import { subsetPeople, checkDataset, type FaceDataset, type Subset } from '../data/index.js';
import type { EmbeddingModel } from '../nn/embedding-net.js';
import { Gallery } from './gallery.js';
import { cmc, openSetDIR } from './identification.js';
import { verificationReport } from './roc.js';
import { embedDataset, type EmbeddingSet } from './model.js';
import { toRows, checkFinite } from './rows.js';

interface K { l2_distance_f32(a: number, b: number, d: number): number }

/** Verification pairs: items a[i] and b[i] (a[i] < b[i]), whether they show one person, and a fold id. */
export interface ProtocolPairs { a: Int32Array; b: Int32Array; same: boolean[]; fold: Int32Array }

export interface ProtocolSplit {
  /** Enrolled photos (item indices): identification's gallery, and the clouds whose largest diameter is D. */
  gallery: number[];
  /** Photos of enrolled people that are not enrolled: identification's probes. */
  probes: number[];
  /** Labelled pairs for verification. */
  pairs: ProtocolPairs;
  /** Open-set identification: enrolled photos of some people; probes of them and of people not enrolled. */
  openSet?: { gallery: number[]; probes: number[] };
}

export interface PairOptions {
  /** Seed of the pair draw (default 1). */
  seed?: number;
  /** Number of folds (default 10). */
  folds?: number;
  /** At most this many same-person pairs, drawn with the seed (default: all). */
  maxSame?: number;
}

export interface EnrolmentOptions extends PairOptions {
  /** Photos enrolled per person, the first ones in the data set's order (default: half, rounded up). */
  enrol?: number;
  /** People enrolled for the open set, the first ones (default: half, rounded up); 0: no open set. */
  openSetPeople?: number;
}

export interface ProtocolOptions {
  /** FAR of TAR@FAR (default 0.1). */
  far?: number;
  /** FAR of the unknown probes for DIR (default 0.1). */
  openSetFar?: number;
  /** CMC ranks besides 1 and 5 (rates in the report's `cmc`). */
  ranks?: number[];
}

export interface IdentificationFigures {
  gallery: number;
  probes: number;
  people: number;
  rank1: number;
  rank5: number;
  /** The CMC at the ranks asked for (always including 1 and 5). */
  cmc: { ranks: number[]; rates: number[] };
}

export interface VerificationFigures {
  pairs: { genuine: number; impostor: number; folds: number };
  /** k-fold accuracy: threshold chosen on the other folds; mean and standard error over the folds. */
  accuracy: number;
  stderr: number;
  foldAccuracies: number[];
  auc: number;
  eer: number;
  eerThreshold: number;
  /** TAR at FAR ≤ targetFar (NaN when there are fewer than 1/targetFar impostor pairs). */
  tar: number;
  targetFar: number;
  tarThreshold: number;
  /** The best accuracy over all thresholds (chosen on the pairs themselves: optimistic). */
  bestAccuracy: number;
  bestThreshold: number;
  /** The lecture's rule: same when distance < D, D the largest diameter of the enrolled clouds. */
  dRule: { D: number; person: string; accuracy: number; tar: number; far: number };
}

export interface OpenSetFigures {
  people: number;
  gallery: number;
  known: number;
  unknown: number;
  dir: number;
  threshold: number;
  /** FAR reached (≤ targetFar). */
  far: number;
  targetFar: number;
}

export interface ProtocolReport {
  dim: number;
  identification: IdentificationFigures;
  verification: VerificationFigures;
  openSet?: OpenSetFigures;
}

/** The ORL protocol: the training people, the test people, and the split of the test people's photos. */
export interface OrlSplit { train: Subset; test: Subset; split: ProtocolSplit }

const PAIRS = 'protocolPairs';
const ENROL = 'enrolmentSplit';
const ORL = 'orlSplit';
const EVAL = 'evaluateProtocol';

function checkIndexList(where: string, what: string, v: unknown, count: number): number[] {
  if (!Array.isArray(v)) throw typeError(where, `${what} as an array of item indices`, describe(v));
  v.forEach((i, k) => checkInt(where, `${what}[${k}] (an item index below ${count})`, i, 0, count - 1));
  return v as number[];
}

/**
 * Verification pairs among `items` (indices; labels[i] is the person of item i): every same-person
 * pair (at most maxSame, drawn with the seed) and as many different-person pairs drawn with the
 * seed without repetition (all of them when there are fewer). Each kind is shuffled and dealt
 * round-robin into the folds, so every fold holds (nearly) as many pairs of each kind. Pairs are
 * listed same first, then different, each with a < b.
 */
export function protocolPairs(labels: ArrayLike<number | string>, items: readonly number[], opts: PairOptions = {}): ProtocolPairs {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') throw typeError(PAIRS, 'labels as an array', describe(labels));
  checkIndexList(PAIRS, 'items', items, labels.length);
  if (new Set(items).size !== items.length) throw rangeError(PAIRS, 'each item once', `${items.length} items with repeats`);
  const seed = checkInt(PAIRS, 'seed', opts.seed ?? 1, 0, 0xffffffff);
  const folds = checkInt(PAIRS, 'folds', opts.folds ?? 10, 2);
  const maxSame = opts.maxSame === undefined ? Infinity : checkInt(PAIRS, 'maxSame', opts.maxSame, 1);
  const rng = new Rng(seed);
  const sorted = [...items].sort((x, y) => x - y);
  const n = sorted.length;
  let same: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (labels[sorted[i]] === labels[sorted[j]]) same.push([sorted[i], sorted[j]]);
  const totalDiff = (n * (n - 1)) / 2 - same.length;
  rng.shuffle(same);
  if (same.length > maxSame) same = same.slice(0, maxSame);
  if (same.length === 0) throw rangeError(PAIRS, 'two or more photos of at least one person among the items', `${n} items, no two of one person`);
  let diff: Array<[number, number]> = [];
  const wanted = same.length;
  const allDiff = () => {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (labels[sorted[i]] !== labels[sorted[j]]) out.push([sorted[i], sorted[j]]);
    return rng.shuffle(out);
  };
  if (wanted * 3 >= totalDiff) {
    diff = allDiff().slice(0, wanted);
  } else {
    // Rejection sampling: at least two thirds of the draws are new different-person pairs.
    const seen = new Set<number>();
    while (diff.length < wanted) {
      const i = rng.int(n), j = rng.int(n);
      if (i === j || labels[sorted[i]] === labels[sorted[j]]) continue;
      const lo = Math.min(i, j), hi = Math.max(i, j);
      const key = lo * n + hi;
      if (seen.has(key)) continue;
      seen.add(key);
      diff.push([sorted[lo], sorted[hi]]);
    }
  }
  if (diff.length === 0) throw rangeError(PAIRS, 'photos of at least two people among the items', 'one person only');
  const all = [...same, ...diff];
  return {
    a: Int32Array.from(all, (p) => p[0]),
    b: Int32Array.from(all, (p) => p[1]),
    same: all.map((_, k) => k < same.length),
    fold: Int32Array.from(all, (_, k) => (k < same.length ? k : k - same.length) % folds),
  };
}

/** Builds a split from the enrolled photos of each person (labels local to ds) and the open-set people. */
function makeSplit(ds: FaceDataset, enrolled: (label: number) => readonly number[], openPeople: readonly number[], opts: PairOptions): ProtocolSplit {
  const gallery: number[] = [], probes: number[] = [];
  const enrolledOf: number[][] = [];
  for (let l = 0; l < ds.people.length; l++) {
    const e = enrolled(l);
    const set = new Set(e);
    enrolledOf.push([...e]);
    gallery.push(...e);
    probes.push(...ds.photosOf(l).filter((i) => !set.has(i)));
  }
  const labels = Array.from({ length: ds.size }, (_, i) => ds.label(i));
  const all = Array.from({ length: ds.size }, (_, i) => i);
  const split: ProtocolSplit = { gallery: gallery.sort((x, y) => x - y), probes: probes.sort((x, y) => x - y), pairs: protocolPairs(labels, all, opts) };
  const open = new Set(openPeople);
  const og: number[] = [], op: number[] = [];
  let known = 0;
  for (let l = 0; l < ds.people.length; l++) {
    if (open.has(l)) {
      const e = new Set(enrolledOf[l]);
      og.push(...enrolledOf[l]);
      for (const i of ds.photosOf(l)) if (!e.has(i)) { op.push(i); known++; }
    } else {
      op.push(...ds.photosOf(l));
    }
  }
  if (og.length > 0 && known > 0 && op.length > known) split.openSet = { gallery: og.sort((x, y) => x - y), probes: op.sort((x, y) => x - y) };
  return split;
}

/**
 * The general split of a data set of unseen people: each person's first `enrol` photos (in the
 * data set's order; default half, rounded up) are enrolled, the rest are probes; verification
 * pairs among all photos; for the open set the first `openSetPeople` people (default half,
 * rounded up) are enrolled the same way and every photo of the others is an unknown probe (no
 * open set when that leaves no known or no unknown probe).
 */
export function enrolmentSplit(ds: FaceDataset, opts: EnrolmentOptions = {}): ProtocolSplit {
  checkDataset(ENROL, ds);
  if (opts === null || typeof opts !== 'object') throw typeError(ENROL, 'options { enrol?, openSetPeople?, seed?, folds?, maxSame? }', describe(opts));
  const enrol = opts.enrol === undefined ? undefined : checkInt(ENROL, 'enrol (photos per person)', opts.enrol, 1);
  const P = ds.people.length;
  const openN = checkInt(ENROL, `openSetPeople (at most the ${P} people)`, opts.openSetPeople ?? Math.ceil(P / 2), 0, P);
  const enrolled = (l: number) => { const ph = ds.photosOf(l); return ph.slice(0, enrol ?? Math.ceil(ph.length / 2)); };
  return makeSplit(ds, enrolled, Array.from({ length: openN }, (_, l) => l), opts);
}

/** The photo number of an ORL item from its file name ('7.png' → 7), or NaN. */
function photoNumber(ds: FaceDataset, i: number): number {
  const src = ds.source?.(i);
  if (src === undefined) return NaN;
  const stem = basename(src, extname(src));
  return /^\d+$/.test(stem) ? Number(stem) : NaN;
}

/**
 * The ORL protocol on an ORL image folder (people s1…s40, photos 1.png…10.png): train on s1–s30;
 * test on s31–s40 with photos 1–5 enrolled and 6–10 as probes, verification pairs among the 100
 * test photos (450 same + 450 different, `seed`), and the open set: s31–s35 enrolled (photos 1–5),
 * probes their photos 6–10 and every photo of s36–s40. Photos are picked by their file names.
 */
export function orlSplit(ds: FaceDataset, opts: PairOptions = {}): OrlSplit {
  checkDataset(ORL, ds);
  const names = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => `s${a + k}`);
  const missing = names(1, 40).filter((n) => !ds.people.includes(n));
  if (missing.length > 0) throw rangeError(ORL, "ORL's people s1…s40", `a data set without ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`);
  const train = subsetPeople(ds, names(1, 30));
  const test = subsetPeople(ds, names(31, 40));
  for (let l = 0; l < test.people.length; l++) {
    const nums = test.photosOf(l).map((i) => photoNumber(test, i)).sort((x, y) => x - y);
    if (nums.join() !== '1,2,3,4,5,6,7,8,9,10') {
      throw rangeError(ORL, `photos named 1…10 for ${test.people[l]} (ORL's layout)`, nums.some(Number.isNaN) ? 'photos without numbered file names' : `photos ${nums.join(', ')}`);
    }
  }
  const enrolled = (l: number) => test.photosOf(l).filter((i) => photoNumber(test, i) <= 5);
  const openPeople = names(31, 35).map((n) => test.people.indexOf(n));
  return { train, test, split: makeSplit(test, enrolled, openPeople, opts) };
}

/** The person's name of every item: ds.people[ds.label(i)]. */
export function itemNames(ds: FaceDataset): string[] {
  return Array.from({ length: ds.size }, (_, i) => ds.people[ds.label(i)]);
}

/**
 * Raw-pixel embeddings: each (preprocessed) photo flattened, L2-normalised when `normalize`
 * (default true; a photo of all zeros stays zero).
 */
export function pixelEmbeddings(ds: FaceDataset, opts: { normalize?: boolean } = {}): EmbeddingSet {
  checkDataset('pixelEmbeddings', ds);
  if (ds.size === 0) throw rangeError('pixelEmbeddings', 'a data set with photos', 'an empty one');
  const first = ds.get(0);
  const dim = first.data.length;
  const out = new Float32Array(ds.size * dim);
  for (let i = 0; i < ds.size; i++) {
    const v = ds.get(i).data;
    if (v.length !== dim) throw rangeError('pixelEmbeddings', `photos of one size (${first.width}×${first.height}×${first.channels}); preprocess them to one size`, `${v.length} values at item ${i}`);
    let s = 0;
    for (let t = 0; t < dim; t++) s += v[t] * v[t];
    const k = opts.normalize === false || s === 0 ? 1 : 1 / Math.sqrt(s);
    for (let t = 0; t < dim; t++) out[i * dim + t] = v[t] * k;
  }
  return { dim, count: ds.size, data: out };
}

function rowsOf(e: EmbeddingSet, items: readonly number[]): Float32Array {
  const out = new Float32Array(items.length * e.dim);
  items.forEach((i, k) => out.set(e.data.subarray(i * e.dim, (i + 1) * e.dim), k * e.dim));
  return out;
}

function galleryOf(e: EmbeddingSet, names: readonly string[], items: readonly number[]): Gallery {
  const g = new Gallery({ dim: e.dim });
  g.add(rowsOf(e, items), items.map((i) => names[i]));
  return g;
}

/** Distances of the pairs with l2_distance_f32 (the arithmetic of Gallery and verify). */
function distancesOf(e: EmbeddingSet, pairs: ProtocolPairs): Float64Array {
  const r = toRows(EVAL, 'embeddings', e.data, e.dim);
  try {
    checkFinite(EVAL, 'embeddings', r.ptr, r.rows, r.dim);
    const k = kernels<K>();
    const bytes = e.dim * 4;
    const d = new Float64Array(pairs.a.length);
    for (let p = 0; p < d.length; p++) d[p] = k.l2_distance_f32(r.ptr + pairs.a[p] * bytes, r.ptr + pairs.b[p] * bytes, e.dim);
    return d;
  } finally {
    r.release();
  }
}

function checkSplit(e: EmbeddingSet, names: readonly string[], split: ProtocolSplit): void {
  if (e === null || typeof e !== 'object' || !(e.data instanceof Float32Array)) throw typeError(EVAL, 'embeddings { dim, count, data: Float32Array }', describe(e));
  checkInt(EVAL, 'embeddings.dim', e.dim, 1);
  if (e.data.length !== e.count * e.dim) throw rangeError(EVAL, `embeddings.data of count·dim = ${e.count * e.dim} values`, `${e.data.length}`);
  if (!Array.isArray(names) || names.length !== e.count) throw rangeError(EVAL, `one person name per embedding (${e.count})`, Array.isArray(names) ? `${names.length} names` : describe(names));
  if (split === null || typeof split !== 'object') throw typeError(EVAL, 'a split { gallery, probes, pairs, openSet? }', describe(split));
  checkIndexList(EVAL, 'split.gallery', split.gallery, e.count);
  checkIndexList(EVAL, 'split.probes', split.probes, e.count);
  if (split.gallery.length === 0 || split.probes.length === 0) throw rangeError(EVAL, 'a split with gallery photos and probes', `${split.gallery.length} and ${split.probes.length}`);
  const p = split.pairs;
  if (p === null || typeof p !== 'object' || !(p.a instanceof Int32Array) || !(p.b instanceof Int32Array) || !(p.fold instanceof Int32Array) || !Array.isArray(p.same)) {
    throw typeError(EVAL, 'split.pairs from protocolPairs { a, b, same, fold }', describe(p));
  }
  const n = p.a.length;
  if (p.b.length !== n || p.same.length !== n || p.fold.length !== n) throw rangeError(EVAL, 'split.pairs with a, b, same and fold of one length', `${n}, ${p.b.length}, ${p.same.length}, ${p.fold.length}`);
  for (let k = 0; k < n; k++) {
    checkInt(EVAL, `split.pairs.a[${k}]`, p.a[k], 0, e.count - 1);
    checkInt(EVAL, `split.pairs.b[${k}]`, p.b[k], 0, e.count - 1);
    if ((names[p.a[k]] === names[p.b[k]]) !== p.same[k]) throw rangeError(EVAL, 'split.pairs.same to match the people of the pair', `pair ${k} (${names[p.a[k]]}, ${names[p.b[k]]}) marked ${p.same[k] ? 'same' : 'different'}`);
  }
  if (split.openSet !== undefined) {
    checkIndexList(EVAL, 'split.openSet.gallery', split.openSet.gallery, e.count);
    checkIndexList(EVAL, 'split.openSet.probes', split.openSet.probes, e.count);
  }
}

/**
 * Every figure of the protocol for embeddings `e` of items whose people are `names`: CMC from the
 * split's gallery and probes, verification of its pairs (k-fold by the pairs' fold ids), the D
 * rule with D from the split's gallery, and the open set when the split has one.
 */
export function evaluateProtocol(e: EmbeddingSet, names: readonly string[], split: ProtocolSplit, opts: ProtocolOptions = {}): ProtocolReport {
  checkSplit(e, names, split);
  if (opts === null || typeof opts !== 'object') throw typeError(EVAL, 'options { far?, openSetFar?, ranks? }', describe(opts));
  const far = checkNumber(EVAL, 'far', opts.far ?? 0.1, 0, 1);
  const openSetFar = checkNumber(EVAL, 'openSetFar', opts.openSetFar ?? 0.1, 0, 1);
  const ranks = [...new Set([1, 5, ...(opts.ranks ?? [])])].sort((x, y) => x - y);
  ranks.forEach((r) => checkInt(EVAL, 'ranks', r, 1));

  const pairs = split.pairs;
  const d = distancesOf(e, pairs);
  const v = verificationReport(d, pairs.same, { foldIds: pairs.fold, fars: [far] });
  const gallery = galleryOf(e, names, split.gallery);
  try {
    const c = tidy(() => cmc(gallery, rowsOf(e, split.probes), split.probes.map((i) => names[i]), ranks));
    const Dr = gallery.D();
    let tp = 0, fp = 0;
    d.forEach((x, k) => { if (x < Dr.D) { if (pairs.same[k]) tp++; else fp++; } });
    const P = v.pairs.genuine, N = v.pairs.impostor;
    const ta = v.tarAtFar[0];
    const report: ProtocolReport = {
      dim: e.dim,
      identification: {
        gallery: split.gallery.length, probes: split.probes.length, people: gallery.people.length,
        rank1: c.rates[ranks.indexOf(1)], rank5: c.rates[ranks.indexOf(5)], cmc: { ranks, rates: c.rates },
      },
      verification: {
        pairs: { genuine: P, impostor: N, folds: v.kFold.folds.length },
        accuracy: v.kFold.mean, stderr: v.kFold.stderr, foldAccuracies: v.kFold.folds,
        auc: v.auc, eer: v.eer.eer, eerThreshold: v.eer.threshold,
        tar: ta.tar, targetFar: far, tarThreshold: ta.threshold,
        bestAccuracy: v.best.accuracy, bestThreshold: v.best.threshold,
        dRule: { D: Dr.D, person: Dr.person, accuracy: (tp + N - fp) / (P + N), tar: tp / P, far: fp / N },
      },
    };
    if (split.openSet) {
      const og = galleryOf(e, names, split.openSet.gallery);
      try {
        const o = openSetDIR(og, rowsOf(e, split.openSet.probes), split.openSet.probes.map((i) => names[i]), { far: openSetFar });
        report.openSet = {
          people: og.people.length, gallery: og.size, known: o.known, unknown: o.unknown,
          dir: o.dir, threshold: o.threshold, far: o.far, targetFar: o.targetFar,
        };
      } finally {
        og.dispose();
      }
    }
    return report;
  } finally {
    gallery.dispose();
  }
}

/** embedDataset(model, ds) then evaluateProtocol with the data set's person names. */
export function evaluateModel(model: EmbeddingModel, ds: FaceDataset, split: ProtocolSplit, opts: ProtocolOptions = {}): ProtocolReport {
  return evaluateProtocol(embedDataset(model, ds), itemNames(ds), split, opts);
}

const pct = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/**
 * A plain-text table of several reports side by side (one column per method), every figure of the
 * protocol on one row.
 */
export function protocolTable(columns: ReadonlyArray<{ name: string; report: ProtocolReport }>): string {
  const rows: Array<[string, (r: ProtocolReport) => string]> = [
    ['embedding dimension', (r) => String(r.dim)],
    ['identification rank-1', (r) => pct(r.identification.rank1)],
    ['identification rank-5', (r) => pct(r.identification.rank5)],
    [`verification ${columns[0]?.report.verification.pairs.folds ?? 10}-fold accuracy`, (r) => `${pct(r.verification.accuracy)} ± ${r.verification.stderr.toFixed(3)}`],
    ['verification AUC', (r) => pct(r.verification.auc)],
    ['verification EER', (r) => pct(r.verification.eer)],
    [`TAR @ FAR=${columns[0]?.report.verification.targetFar ?? 0.1}`, (r) => pct(r.verification.tar)],
    ['best-threshold accuracy', (r) => pct(r.verification.bestAccuracy)],
    ['D rule accuracy', (r) => pct(r.verification.dRule.accuracy)],
    ['D rule TAR / FAR', (r) => `${pct(r.verification.dRule.tar)} / ${pct(r.verification.dRule.far)}`],
    ['D (largest enrolled diameter)', (r) => r.verification.dRule.D.toFixed(3)],
    [`open-set DIR @ FAR=${columns[0]?.report.openSet?.targetFar ?? 0.1}`, (r) => (r.openSet ? pct(r.openSet.dir) : 'n/a')],
  ];
  const head = ['figure', ...columns.map((c) => c.name)];
  const body = rows.map(([label, f]) => [label, ...columns.map((c) => f(c.report))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
