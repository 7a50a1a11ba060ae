// Identification metrics, the lecture's first task measured on probes:
//   cmc           closed set: the rank at which the probe's true person appears when the gallery's
//                 people are ranked by the distance of their nearest photo (people, not photos).
//   openSetDIR    open set: the detection-and-identification rate at the distance threshold that
//                 wrongly accepts a given fraction of probes of people not in the gallery.
//   precisionAt1, mapAtR   leave-one-out retrieval over a labelled set (Musgrave, Belongie & Lim,
//                 "A Metric Learning Reality Check", 2020).
// Ties among distances follow Gallery.search: the lower gallery index first.
import { checkInt, describe, rangeError, typeError } from '../errors.js';
import { Gallery, type SearchResult } from './gallery.js';
import type { Embeddings } from './rows.js';

export interface CmcResult {
  /** The ranks asked for. */
  ranks: number[];
  /** rates[i]: fraction of probes whose true person is within the first ranks[i] people. */
  rates: number[];
  /** Rank (1-based, among people) of each probe's true person. */
  rankOf: number[];
}

export interface OpenSetOptions {
  /** Fraction of unknown probes wrongly accepted at the chosen threshold (default 0.1). */
  far?: number;
}

export interface OpenSetResult {
  /** Known probes whose nearest photo is of their person AND at distance < threshold, over known probes. */
  dir: number;
  /** Accept when the nearest photo's distance < threshold (+∞ when far allows every unknown probe). */
  threshold: number;
  /** Fraction of unknown probes accepted at that threshold (≤ targetFar; smaller when distances tie). */
  far: number;
  targetFar: number;
  /** Number of known and unknown probes. */
  known: number;
  unknown: number;
}

function checkProbeLabels(where: string, labels: unknown, count: number): string[] {
  if (!Array.isArray(labels)) throw typeError(where, 'probeLabels as an array of person names', describe(labels));
  if (labels.length !== count) throw rangeError(where, `one label per probe (${count})`, `${labels.length} labels`);
  labels.forEach((l, i) => { if (typeof l !== 'string') throw typeError(where, 'probeLabels to be strings', `${describe(l)} at ${i}`); });
  return labels as string[];
}

function checkGallery(where: string, g: unknown): Gallery {
  if (!(g instanceof Gallery)) throw typeError(where, 'a Gallery', describe(g));
  if (g.size === 0) throw rangeError(where, 'a gallery with at least one embedding', 'an empty gallery');
  return g;
}

/**
 * Closed-set CMC: for each probe, the people ranked by their nearest photo; the rate at each rank
 * r is the fraction of probes whose true person is among the first r. Every probe label must be a
 * person of the gallery (openSetDIR handles unknown people). Searches the whole gallery per probe.
 */
export function cmc(gallery: Gallery, probes: Embeddings, probeLabels: string[], ranks: number[] = [1, 5]): CmcResult {
  const where = 'cmc';
  checkGallery(where, gallery);
  if (!Array.isArray(ranks) || ranks.length === 0) throw typeError(where, 'ranks as a non-empty array of integers >= 1', describe(ranks));
  ranks.forEach((r) => checkInt(where, 'ranks', r, 1));
  const results = gallery.search(probes, gallery.size);
  const labels = checkProbeLabels(where, probeLabels, results.length);
  labels.forEach((l, i) => {
    if (!gallery.has(l)) throw rangeError(where, 'probe labels of people in the gallery (closed set; openSetDIR takes unknown people)', `${JSON.stringify(l)} at ${i}`);
  });
  const rankOf = results.map((r, i) => {
    const seen = new Set<string>();
    for (const l of r.labels) {
      if (seen.has(l)) continue;
      seen.add(l);
      if (l === labels[i]) return seen.size;
    }
    return Infinity; // unreachable: the person is in the gallery
  });
  const rates = ranks.map((r) => rankOf.filter((x) => x <= r).length / rankOf.length);
  return { ranks: [...ranks], rates, rankOf };
}

/**
 * Open-set identification rate. Probes whose label is not in the gallery are the unknown ones.
 * The threshold is the ⌊far·U⌋-th smallest (0-based) of the U unknown probes' nearest distances,
 * so that "distance < threshold" accepts at most far·U of them (+∞ when ⌊far·U⌋ = U). DIR is the
 * fraction of known probes whose nearest photo is of their own person at a distance < threshold.
 */
export function openSetDIR(gallery: Gallery, probes: Embeddings, probeLabels: string[], opts: OpenSetOptions = {}): OpenSetResult {
  const where = 'openSetDIR';
  checkGallery(where, gallery);
  if (opts === null || typeof opts !== 'object') throw typeError(where, 'options { far? }', describe(opts));
  const targetFar = opts.far ?? 0.1;
  if (typeof targetFar !== 'number' || !(targetFar >= 0 && targetFar <= 1)) throw rangeError(where, 'far in [0, 1]', describe(targetFar));
  const results = gallery.search(probes, 1);
  const labels = checkProbeLabels(where, probeLabels, results.length);
  const unknownD: number[] = [];
  const known: Array<{ correct: boolean; d: number }> = [];
  results.forEach((r, i) => {
    if (gallery.has(labels[i])) known.push({ correct: r.labels[0] === labels[i], d: r.distances[0] });
    else unknownD.push(r.distances[0]);
  });
  if (known.length === 0 || unknownD.length === 0) {
    throw rangeError(where, 'probes of people in the gallery and probes of people not in it', `${known.length} known and ${unknownD.length} unknown probes`);
  }
  unknownD.sort((a, b) => a - b);
  const U = unknownD.length;
  const allowed = Math.floor(targetFar * U + 1e-9);
  const threshold = allowed >= U ? Infinity : unknownD[allowed];
  const far = unknownD.filter((d) => d < threshold).length / U;
  const dir = known.filter((p) => p.correct && p.d < threshold).length / known.length;
  return { dir, threshold, far, targetFar, known: known.length, unknown: U };
}

/**
 * Leave-one-out retrieval: for each item i with R_i ≥ 1 other items of its label, the first R_i
 * other items nearest to it (nearest first, ties by lower index), as relevant or not.
 */
function leaveOneOut(where: string, source: Gallery | Embeddings, labels?: string[]): boolean[][] {
  let g: Gallery, own = false;
  if (source instanceof Gallery) {
    if (labels !== undefined) throw rangeError(where, 'no labels with a Gallery (it has its own)', describe(labels));
    g = source;
  } else {
    if (!Array.isArray(labels)) throw typeError(where, 'labels as an array of strings with embeddings (or a Gallery)', describe(labels));
    const dim = source instanceof Float32Array ? (labels.length > 0 ? source.length / labels.length : 0)
      : (source as { shape?: readonly number[] }).shape?.at(-1) ?? 0;
    if (!Number.isInteger(dim) || dim < 1) throw rangeError(where, `embeddings with one row per label (${labels.length})`, describe(source));
    g = new Gallery({ dim });
    own = true;
    g.add(source, labels);
  }
  try {
    const names = g.labels;
    const counts = new Map<string, number>();
    for (const l of names) counts.set(l, (counts.get(l) ?? 0) + 1);
    const maxR = Math.max(0, ...[...counts.values()].map((c) => c - 1));
    if (maxR === 0) throw rangeError(where, 'at least one label with two or more items', `${names.length} items, all of different labels`);
    const results: SearchResult[] = g.searchPtr(g.rowsPtr(), g.size, Math.min(maxR + 1, g.size));
    const out: boolean[][] = [];
    results.forEach((r, i) => {
      const R = (counts.get(names[i]) as number) - 1;
      if (R === 0) return;
      const rel: boolean[] = [];
      for (let j = 0; j < r.indices.length && rel.length < R; j++) {
        if (r.indices[j] !== i) rel.push(r.labels[j] === names[i]);
      }
      out.push(rel);
    });
    return out;
  } finally {
    if (own) g.dispose();
  }
}

/**
 * Precision@1 over the leave-one-out retrieval of all items: the fraction whose nearest other item
 * has the same label. Items that are alone with their label (R = 0) are left out.
 * Takes a Gallery, or embeddings with their labels.
 */
export function precisionAt1(source: Gallery | Embeddings, labels?: string[]): number {
  const rel = leaveOneOut('precisionAt1', source, labels);
  return rel.filter((r) => r[0]).length / rel.length;
}

/**
 * MAP@R (Musgrave et al. 2020): for each item with R ≥ 1 other items of its label, retrieve the R
 * nearest other items and score (1/R)·Σ_{i≤R} P(i)·rel(i), P(i) the precision among the first i;
 * the mean over those items. Items alone with their label are left out.
 */
export function mapAtR(source: Gallery | Embeddings, labels?: string[]): number {
  const rel = leaveOneOut('mapAtR', source, labels);
  let total = 0;
  for (const r of rel) {
    let hits = 0, s = 0;
    r.forEach((ok, i) => { if (ok) { hits++; s += hits / (i + 1); } });
    total += s / r.length;
  }
  return total / rel.length;
}
