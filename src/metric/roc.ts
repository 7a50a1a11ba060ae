// Verification metrics on labelled pairs: scores are distances (smaller = more alike) and the
// decision is the one verify() makes, "same person when distance < t" (strict). Everything is
// computed exactly from integer counts over the distinct scores, in float64:
//
//   sweep      the distinct scores s_0 < s_1 < … < s_{m−1}, with how many genuine (same) and
//              impostor pairs sit at each. Operating point i (0..m) accepts the pairs with a score
//              in s_0..s_{i−1}; its threshold is −∞ for i = 0, midway between s_{i−1} and s_i for
//              0 < i < m (any t in (s_{i−1}, s_i] accepts the same pairs), +∞ for i = m.
//   ROC        those m + 1 points (tpr, fpr), from (0, 0) at −∞ to (1, 1) at +∞.
//   AUC        the trapezoid under the ROC, Σ_i fp_i·(2·TP_before_i + tp_i) / (2·P·N) with integer
//              numerators: the Mann-Whitney probability that a genuine pair is closer than an
//              impostor pair, ties counting ½ (a tie group is a diagonal segment of the ROC).
//   EER        where FAR = fpr and FRR = 1 − tpr cross, linearly interpolated along the ROC segment
//              where FAR − FRR changes sign; its threshold is the score of the tie group crossed
//              there (or the point's own threshold when FAR = FRR exactly at a point).
//   TAR@FAR    the largest tpr among the points with fpr ≤ target (the first point reaching it);
//              NaN with measurable: false when there are fewer than 1/target impostor pairs, since
//              then no FAR between 0 and the target can be told apart.
//   accuracy   (TP + TN) / pairs at each point; the best is the first (lowest threshold) maximum.
import { checkInt, describe, rangeError, typeError } from '../errors.js';

/** Distances of labelled pairs (smaller = more alike). */
export type Scores = ArrayLike<number>;

export interface RocPoint {
  /** Decision: same when distance < threshold. */
  threshold: number;
  /** True accept rate: accepted genuine pairs / genuine pairs. */
  tpr: number;
  /** False accept rate: accepted impostor pairs / impostor pairs. */
  fpr: number;
}

export interface EerResult { eer: number; threshold: number }

export interface TarAtFar {
  /** Largest TAR with FAR ≤ targetFar; NaN when not measurable. */
  tar: number;
  /** Threshold reaching it; NaN when not measurable. */
  threshold: number;
  /** The FAR actually reached at that threshold (≤ targetFar); NaN when not measurable. */
  far: number;
  targetFar: number;
  /** False when there are fewer than 1/targetFar impostor pairs. */
  measurable: boolean;
}

export interface AccuracyThreshold { threshold: number; accuracy: number }

export interface KFoldOptions {
  /** Number of contiguous folds (default 10, LFW View 2's protocol); ignored when foldIds is given. */
  folds?: number;
  /** Explicit fold id of every pair (any integers; each distinct id is one fold). */
  foldIds?: ArrayLike<number>;
}

export interface KFoldResult {
  /** Mean test accuracy over the folds. */
  mean: number;
  /** Standard error: sample standard deviation (n − 1) of the fold accuracies / √folds. */
  stderr: number;
  /** Test accuracy of each fold. */
  folds: number[];
  /** Threshold chosen on the other folds, for each fold. */
  thresholds: number[];
}

export interface VerificationReport {
  pairs: { genuine: number; impostor: number };
  auc: number;
  eer: EerResult;
  tarAtFar: TarAtFar[];
  best: AccuracyThreshold;
  kFold: KFoldResult;
}

export interface CalibrationOptions {
  /** Calibrate for this FAR (the threshold of tarAtFar); absent: the best-accuracy threshold. */
  far?: number;
}

export interface Calibration {
  threshold: number;
  method: 'accuracy' | 'far';
  /** Accuracy, TAR and FAR of the pair set at that threshold. */
  accuracy: number;
  tar: number;
  far: number;
}

interface Sweep {
  /** Distinct scores ascending. */
  s: number[];
  /** Genuine / impostor pairs at each distinct score. */
  tp: number[];
  fp: number[];
  P: number;
  N: number;
}

function checkPairs(where: string, scores: Scores, same: ArrayLike<boolean>): void {
  if (scores === null || typeof scores !== 'object' || typeof scores.length !== 'number') {
    throw typeError(where, 'scores (distances) as an array of numbers', describe(scores));
  }
  if (same === null || typeof same !== 'object' || typeof same.length !== 'number') {
    throw typeError(where, 'same as an array of booleans', describe(same));
  }
  if (scores.length !== same.length) throw rangeError(where, 'one same/different label per score', `${scores.length} scores and ${same.length} labels`);
  if (scores.length === 0) throw rangeError(where, 'at least one scored pair', 'none');
  for (let i = 0; i < scores.length; i++) {
    if (typeof scores[i] !== 'number' || Number.isNaN(scores[i])) throw rangeError(where, 'scores that are numbers (not NaN)', `${describe(scores[i])} at ${i}`);
    if (typeof same[i] !== 'boolean') throw typeError(where, 'same to hold booleans', `${describe(same[i])} at ${i}`);
  }
}

function sweep(scores: Scores, same: ArrayLike<boolean>, subset?: number[]): Sweep {
  const order = subset ? [...subset] : Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[a] - scores[b] || a - b);
  const s: number[] = [], tp: number[] = [], fp: number[] = [];
  let P = 0, N = 0;
  for (const i of order) {
    if (s.length === 0 || scores[i] !== s[s.length - 1]) { s.push(scores[i]); tp.push(0); fp.push(0); }
    if (same[i]) { tp[tp.length - 1]++; P++; } else { fp[fp.length - 1]++; N++; }
  }
  return { s, tp, fp, P, N };
}

/** A threshold t with a < t ≤ b, so that "score < t" accepts exactly the scores ≤ a. */
function midway(a: number, b: number): number {
  let m = Number.isFinite(b - a) ? a + (b - a) / 2 : a / 2 + b / 2;
  if (!(m > a && m <= b)) m = b;
  return m;
}

/** Threshold of operating point i (0..m). */
function pointThreshold(w: Sweep, i: number): number {
  const m = w.s.length;
  return i === 0 ? -Infinity : i === m ? Infinity : midway(w.s[i - 1], w.s[i]);
}

function needBoth(where: string, w: Sweep): void {
  if (w.P === 0 || w.N === 0) {
    throw rangeError(where, 'both genuine (same) and impostor (different) pairs', `${w.P} genuine and ${w.N} impostor pairs`);
  }
}

/** Cumulative counts at each operating point 0..m. */
function cumulative(w: Sweep): { TP: number[]; FP: number[] } {
  const TP = [0], FP = [0];
  for (let i = 0; i < w.s.length; i++) { TP.push(TP[i] + w.tp[i]); FP.push(FP[i] + w.fp[i]); }
  return { TP, FP };
}

/** The ROC curve: one point per distinct score plus (0, 0) at −∞; ends at (1, 1) at +∞. */
export function rocCurve(scores: Scores, same: ArrayLike<boolean>): RocPoint[] {
  const where = 'rocCurve';
  checkPairs(where, scores, same);
  const w = sweep(scores, same);
  needBoth(where, w);
  const { TP, FP } = cumulative(w);
  return TP.map((tp, i) => ({ threshold: pointThreshold(w, i), tpr: tp / w.P, fpr: FP[i] / w.N }));
}

/** Area under the ROC (trapezoid, exact): P(genuine distance < impostor distance) + ½ P(equal). */
export function auc(scores: Scores, same: ArrayLike<boolean>): number {
  const where = 'auc';
  checkPairs(where, scores, same);
  const w = sweep(scores, same);
  needBoth(where, w);
  let num = 0, before = 0;
  for (let i = 0; i < w.s.length; i++) {
    num += w.fp[i] * (2 * before + w.tp[i]);
    before += w.tp[i];
  }
  return num / (2 * w.P * w.N);
}

/** Equal error rate, interpolated where FAR = FRR (see the file header). */
export function eer(scores: Scores, same: ArrayLike<boolean>): EerResult {
  const where = 'eer';
  checkPairs(where, scores, same);
  const w = sweep(scores, same);
  needBoth(where, w);
  const { TP, FP } = cumulative(w);
  // (FAR − FRR)·P·N in integers, so that FAR = FRR is detected exactly.
  const diff = (i: number) => FP[i] * w.P - (w.P - TP[i]) * w.N;
  let i = 0;
  while (diff(i) < 0) i++; // diff(0) = −P·N, diff(m) = P·N: stops at some i ≥ 1
  if (diff(i) === 0) return { eer: FP[i] / w.N, threshold: pointThreshold(w, i) };
  const d0 = diff(i - 1), d1 = diff(i);
  const alpha = -d0 / (d1 - d0);
  const far0 = FP[i - 1] / w.N, far1 = FP[i] / w.N;
  return { eer: far0 + alpha * (far1 - far0), threshold: w.s[i - 1] };
}

/** The largest TAR with FAR ≤ targetFar (see the file header for too few impostor pairs). */
export function tarAtFar(scores: Scores, same: ArrayLike<boolean>, targetFar: number): TarAtFar {
  const where = 'tarAtFar';
  checkPairs(where, scores, same);
  if (typeof targetFar !== 'number' || !(targetFar > 0 && targetFar <= 1)) throw rangeError(where, 'far in (0, 1]', describe(targetFar));
  const w = sweep(scores, same);
  needBoth(where, w);
  if (w.N * targetFar < 1 - 1e-9) return { tar: NaN, threshold: NaN, far: NaN, targetFar, measurable: false };
  const { TP, FP } = cumulative(w);
  let best = 0;
  for (let i = 1; i < TP.length; i++) if (FP[i] / w.N <= targetFar && TP[i] > TP[best]) best = i;
  return { tar: TP[best] / w.P, threshold: pointThreshold(w, best), far: FP[best] / w.N, targetFar, measurable: true };
}

function bestOf(w: Sweep): AccuracyThreshold {
  const { TP, FP } = cumulative(w);
  let best = 0, bestCorrect = -1;
  for (let i = 0; i < TP.length; i++) {
    const correct = TP[i] + (w.N - FP[i]);
    if (correct > bestCorrect) { bestCorrect = correct; best = i; }
  }
  return { threshold: pointThreshold(w, best), accuracy: bestCorrect / (w.P + w.N) };
}

/** The threshold with the best accuracy (midway between neighbouring scores; ties: the lowest). */
export function bestAccuracyThreshold(scores: Scores, same: ArrayLike<boolean>): AccuracyThreshold {
  checkPairs('bestAccuracyThreshold', scores, same);
  return bestOf(sweep(scores, same));
}

/**
 * k-fold accuracy (LFW View 2): for each fold, the best-accuracy threshold on the other folds,
 * tested on this one. Folds are contiguous (fold f holds pairs ⌊f·n/k⌋ .. ⌊(f+1)·n/k⌋ − 1) or
 * given by foldIds.
 */
export function kFoldAccuracy(distances: Scores, same: ArrayLike<boolean>, opts: KFoldOptions = {}): KFoldResult {
  const where = 'kFoldAccuracy';
  checkPairs(where, distances, same);
  if (opts === null || typeof opts !== 'object') throw typeError(where, 'options { folds?, foldIds? }', describe(opts));
  const n = distances.length;
  let members: number[][];
  if (opts.foldIds !== undefined) {
    const ids = opts.foldIds;
    if (ids === null || typeof ids !== 'object' || ids.length !== n) throw rangeError(where, `foldIds with one integer per pair (${n})`, describe(ids));
    const byId = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      if (!Number.isInteger(ids[i])) throw rangeError(where, 'integer fold ids', `${describe(ids[i])} at ${i}`);
      if (!byId.has(ids[i])) byId.set(ids[i], []);
      (byId.get(ids[i]) as number[]).push(i);
    }
    members = [...byId.keys()].sort((a, b) => a - b).map((id) => byId.get(id) as number[]);
    if (members.length < 2) throw rangeError(where, 'at least 2 distinct fold ids', `${members.length}`);
  } else {
    const k = checkInt(where, `folds (2 ≤ folds ≤ pairs = ${n})`, opts.folds ?? 10, 2, Math.max(2, n));
    if (n < k) throw rangeError(where, `at least as many pairs as folds (${k})`, `${n} pairs`);
    members = Array.from({ length: k }, (_, f) => {
      const lo = Math.floor((f * n) / k), hi = Math.floor(((f + 1) * n) / k);
      return Array.from({ length: hi - lo }, (_, j) => lo + j);
    });
  }
  const folds: number[] = [], thresholds: number[] = [];
  members.forEach((test, f) => {
    const train = members.flatMap((m, g) => (g === f ? [] : m));
    const t = bestOf(sweep(distances, same, train)).threshold;
    let correct = 0;
    for (const i of test) if ((distances[i] < t) === same[i]) correct++;
    folds.push(correct / test.length);
    thresholds.push(t);
  });
  const k = folds.length;
  const mean = folds.reduce((a, b) => a + b, 0) / k;
  const sd = Math.sqrt(folds.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1));
  return { mean, stderr: sd / Math.sqrt(k), folds, thresholds };
}

/**
 * Everything about a labelled pair set at once: AUC, EER, TAR at each FAR (default 1e-1, 1e-2,
 * 1e-3), the best-accuracy threshold and the k-fold accuracy (default 10 folds, fewer when there
 * are fewer pairs).
 */
export function verificationReport(distances: Scores, same: ArrayLike<boolean>,
  opts: { folds?: number; foldIds?: ArrayLike<number>; fars?: number[] } = {}): VerificationReport {
  const where = 'verificationReport';
  checkPairs(where, distances, same);
  const w = sweep(distances, same);
  needBoth(where, w);
  const fars = opts.fars ?? [1e-1, 1e-2, 1e-3];
  const kf: KFoldOptions = opts.foldIds !== undefined ? { foldIds: opts.foldIds } : { folds: Math.min(opts.folds ?? 10, distances.length) };
  return {
    pairs: { genuine: w.P, impostor: w.N },
    auc: auc(distances, same),
    eer: eer(distances, same),
    tarAtFar: fars.map((f) => tarAtFar(distances, same, f)),
    best: bestOf(w),
    kFold: kFoldAccuracy(distances, same, kf),
  };
}

/**
 * A verification threshold from labelled pairs: the best-accuracy threshold, or (with `far`) the
 * one giving the largest TAR at FAR ≤ far. Refuses a FAR that the impostor pairs cannot measure.
 */
export function calibrateThreshold(distances: Scores, same: ArrayLike<boolean>, opts: CalibrationOptions = {}): Calibration {
  const where = 'calibrateThreshold';
  checkPairs(where, distances, same);
  if (opts === null || typeof opts !== 'object') throw typeError(where, 'options { far? }', describe(opts));
  let threshold: number, method: Calibration['method'];
  if (opts.far === undefined) {
    threshold = bestOf(sweep(distances, same)).threshold;
    method = 'accuracy';
  } else {
    const far = opts.far;
    if (typeof far !== 'number' || !(far > 0 && far <= 1)) throw rangeError(where, 'far in (0, 1]', describe(far));
    const r = tarAtFar(distances, same, far);
    if (!r.measurable) {
      const N = sweep(distances, same).N;
      throw rangeError(where, `at least 1/far = ${Math.ceil(1 / far - 1e-9)} impostor pairs to calibrate for FAR ${far}`, `${N}`);
    }
    threshold = r.threshold;
    method = 'far';
  }
  let tp = 0, fp = 0, P = 0, N = 0;
  for (let i = 0; i < distances.length; i++) {
    const accept = distances[i] < threshold;
    if (same[i]) { P++; if (accept) tp++; } else { N++; if (accept) fp++; }
  }
  return { threshold, method, accuracy: (tp + N - fp) / (P + N), tar: P ? tp / P : NaN, far: N ? fp / N : NaN };
}
