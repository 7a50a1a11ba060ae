// Validation of embeddings on labelled photos of held-out people: leave-one-out rank-1
// (precision@1) and verification of same/different pairs (10-fold accuracy, AUC, EER).
import { Rng } from '../random.js';
import { tensor } from '../tensor.js';
import { tidy } from '../memory.js';
import { auc, eer, kFoldAccuracy } from './roc.js';
import { precisionAt1 } from './identification.js';
import type { EmbeddingSet } from './model.js';

export interface EmbeddingEvaluation {
  /** Leave-one-out precision@1 over every photo whose person has another photo. */
  rank1: number;
  /** 10-fold verification accuracy (threshold chosen on the other nine folds). */
  accuracy: number;
  accuracyStderr: number;
  auc: number;
  eer: number;
  pairs: { same: number; different: number };
}

export interface PairSet { a: Int32Array; b: Int32Array; same: boolean[] }

/**
 * Every same-person pair (at most maxPairs, drawn with the seed) and as many different-person pairs
 * drawn with the seed, in a seeded random order.
 */
export function makePairs(labels: ArrayLike<number>, { seed = 1, maxPairs = 3000 } = {}): PairSet {
  const rng = new Rng(seed);
  const n = labels.length;
  const same: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (labels[i] === labels[j]) same.push([i, j]);
  rng.shuffle(same);
  const s = same.slice(0, maxPairs);
  const diff: Array<[number, number]> = [];
  const distinct = new Set(Array.from(labels)).size;
  const seen = new Set<number>();
  for (let tries = 0; distinct > 1 && diff.length < s.length && tries < 100 * s.length + 1000; tries++) {
    const i = rng.int(n), j = rng.int(n);
    if (labels[i] === labels[j]) continue;
    const key = Math.min(i, j) * n + Math.max(i, j);
    if (seen.has(key)) continue;
    seen.add(key);
    diff.push([Math.min(i, j), Math.max(i, j)]);
  }
  const all = [...s.map((p) => [p[0], p[1], 1]), ...diff.map((p) => [p[0], p[1], 0])];
  rng.shuffle(all);
  return { a: Int32Array.from(all, (p) => p[0]), b: Int32Array.from(all, (p) => p[1]), same: all.map((p) => p[2] === 1) };
}

/** Euclidean distances of the pairs. */
export function pairDistances(e: EmbeddingSet, pairs: PairSet): Float64Array {
  const d = new Float64Array(pairs.a.length);
  for (let p = 0; p < d.length; p++) {
    const i = pairs.a[p] * e.dim, j = pairs.b[p] * e.dim;
    let s = 0;
    for (let t = 0; t < e.dim; t++) { const v = e.data[i + t] - e.data[j + t]; s += v * v; }
    d[p] = Math.sqrt(s);
  }
  return d;
}

/** Rank-1 and verification figures of embeddings with integer labels. */
export function evaluateEmbeddings(e: EmbeddingSet, labels: ArrayLike<number>, opts: { seed?: number; maxPairs?: number } = {}): EmbeddingEvaluation {
  const pairs = makePairs(labels, opts);
  const d = pairDistances(e, pairs);
  const names = Array.from(labels, String);
  const rank1 = tidy(() => precisionAt1(tensor(e.data, [e.count, e.dim]), names));
  const nSame = pairs.same.filter(Boolean).length;
  if (nSame === 0 || nSame === pairs.same.length) {
    return { rank1, accuracy: NaN, accuracyStderr: NaN, auc: NaN, eer: NaN, pairs: { same: nSame, different: pairs.same.length - nSame } };
  }
  const folds = kFoldAccuracy(d, pairs.same, { foldIds: Int32Array.from(pairs.same, (_, i) => i % 10) });
  return {
    rank1, accuracy: folds.mean, accuracyStderr: folds.stderr, auc: auc(d, pairs.same), eer: eer(d, pairs.same).eer,
    pairs: { same: nSame, different: pairs.same.length - nSame },
  };
}
