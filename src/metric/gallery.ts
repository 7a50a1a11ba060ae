// The gallery: enrolled face embeddings with the names of their people, searched exactly by
// Euclidean distance (assembly/kernels/knn.ts), and the lecture's two rules built on it:
//   who is on a photo — the majority vote among the k nearest photos, with a distance gate that
//     answers 'unknown' for a face whose nearest photo of the winner is not close enough;
//   the diameters of the people's clouds and D, the largest of them (verify.ts: "same person
//     when the distance is less than D").
// Rows live contiguously in one block of the engine's memory that grows geometrically (doubling,
// copying). Every distance here, in search, diameters and verify's distance(), is the same
// computation (sqrt of l2sq_f32), so a pair gets bit-identical distances everywhere.
import { Tensor } from '../tensor.js';
import { Storage, keep } from '../memory.js';
import { kernels, wasmMemory } from '../wasm.js';
import { partScratch, partsFor, runParts, splitRange } from '../threads.js';
import { checkInt, checkNumber, describe, rangeError, typeError } from '../errors.js';
import { toRows, checkFinite, f32At, type Embeddings } from './rows.js';
import { gemmSearch, rowNorms2, useGemm } from './gemm-knn.js';

export type { Embeddings } from './rows.js';

interface K {
  knn_f32(q: number, nq: number, g: number, g0: number, g1: number, d: number, k: number, outD: number, outI: number): void;
  diameter_f32(g: number, d: number, idx: number, b0: number, b1: number, out: number): void;
  diameters_f32(g: number, d: number, idx: number, segs: number, s0: number, s1: number, out: number): void;
}
const k = () => kernels<K>();

/** The label identify() gives a face whose nearest photo of the winner is not under the threshold. */
export const UNKNOWN = 'unknown';

/** The k nearest photos of one query, nearest first (ties: lower gallery index first). */
export interface SearchResult {
  /** Gallery row indices. */
  indices: number[];
  /** Euclidean distances (not squared). */
  distances: number[];
  /** The person of each row. */
  labels: string[];
}

export interface IdentifyOptions {
  /** How many nearest photos vote (default 1); 1 ≤ k ≤ size. */
  k?: number;
  /**
   * Distance gate: the answer is 'unknown' unless the distance to the winner's nearest photo is
   * less than this (strictly, as verify()). Absent: no rejection.
   */
  threshold?: number;
}

export interface Neighbour { label: string; distance: number; index: number }

export interface Identification {
  /** The winning person, or 'unknown' when the distance gate rejected them. */
  label: string;
  /** False when rejected by the threshold (label is then 'unknown'). */
  known: boolean;
  /** Votes per person among the k nearest photos. */
  votes: Record<string, number>;
  /** Distance to the winner's nearest photo (kept when rejected). */
  distance: number;
  /** The winner before the gate (equals label when known). */
  candidate: string;
  /** The k nearest photos, nearest first. */
  neighbours: Neighbour[];
}

export interface Diameter {
  person: string;
  /** Largest distance between two of the person's photos; 0 with one photo. */
  diameter: number;
  /** Gallery indices of that pair (a < b); [i, i] for a person with one photo. */
  pair: [number, number];
}

export interface DOptions {
  /**
   * Robust variant: the p-th percentile (0..100) of the per-person diameters instead of the
   * largest, by linear interpolation between order statistics: with the m diameters sorted
   * ascending v[0..m−1] and h = (m − 1)·p/100, D = v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋]) (numpy's
   * default 'linear'; p = 100 is the largest diameter, p = 50 the median). The person and pair
   * reported are those of v[⌈h⌉], the smallest diameter ≥ D.
   */
  percentile?: number;
  /** Only people with at least this many photos count (default 1: a one-photo person has diameter 0). */
  minPhotos?: number;
}

export interface DResult {
  D: number;
  person: string;
  /** Gallery indices of the person's farthest pair. */
  pair: [number, number];
}

/** What Gallery.toData returns and Gallery.fromData takes (for a file format). */
export interface GalleryData {
  dim: number;
  labels: string[];
  /** labels.length rows of dim floats, row-major. */
  vectors: Float32Array;
}

interface Person {
  /** Gallery rows of the person's photos, increasing. */
  rows: number[];
  /** Farthest pair's distance; −1 with fewer than two photos. */
  diam: number;
  /** Farthest pair (gallery indices, a < b); [−1, −1] with fewer than two photos. */
  a: number;
  b: number;
}

/** Largest distance first; among equal distances the smaller pair (a, b). */
function beats(v: number, a: number, b: number, p: Person): boolean {
  return v > p.diam || (v === p.diam && (a < p.a || (a === p.a && b < p.b)));
}

function setOwn(o: Record<string, number>, key: string, v: number): void {
  Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
}

const G = 'Gallery';

export class Gallery {
  /** @internal Bound on the k·queries entries of one kernel call's output buffers (tests lower it). */
  static searchChunkEntries = 2 ** 22;
  readonly dim: number;
  private store: Storage | null = null;
  private cap = 0;
  private n = 0;
  private names: string[] = [];
  private persons = new Map<string, Person>();
  private disposed = false;
  /** Squared norms of rows 0 … normRows − 1 (knnGemm's), extended when rows are added, reset when removed. */
  private norms: Storage | null = null;
  private normRows = 0;
  private normMax = 0;

  constructor(opts: { dim: number }) {
    if (opts === null || typeof opts !== 'object') throw typeError(G, 'options { dim }', describe(opts));
    this.dim = checkInt(G, 'dim', opts.dim, 1);
  }

  /** Builds a gallery from toData()'s output. */
  static fromData(data: GalleryData): Gallery {
    const where = 'Gallery.fromData';
    if (data === null || typeof data !== 'object') throw typeError(where, '{ dim, labels, vectors }', describe(data));
    const dim = checkInt(where, 'dim', data.dim, 1);
    if (!Array.isArray(data.labels)) throw typeError(where, 'labels as an array of strings', describe(data.labels));
    if (!(data.vectors instanceof Float32Array)) throw typeError(where, 'vectors as a Float32Array', describe(data.vectors));
    if (data.vectors.length !== data.labels.length * dim) {
      throw rangeError(where, `vectors of labels.length·dim = ${data.labels.length}·${dim} = ${data.labels.length * dim} floats`, `${data.vectors.length}`);
    }
    const g = new Gallery({ dim });
    if (data.labels.length > 0) g.add(data.vectors, data.labels);
    return g;
  }

  /** Number of enrolled photos. */
  get size(): number { this.live('size'); return this.n; }

  /** The people, ordered by the gallery row of their first photo (the order they were enrolled in, until removals). */
  get people(): string[] { this.live('people'); return [...this.persons.keys()]; }

  /** The person of every row (a copy). */
  get labels(): string[] { this.live('labels'); return [...this.names]; }

  /** Number of photos of `name` (0 when not enrolled). */
  count(name: string): number { this.live('count'); return this.persons.get(name)?.rows.length ?? 0; }

  /** Whether `name` is enrolled. */
  has(name: string): boolean { this.live('has'); return this.persons.has(name); }

  /** Gallery row indices of `name`'s photos, increasing. */
  indicesOf(name: string): number[] { return [...this.person('Gallery.indicesOf', name).rows]; }

  /** A copy of `name`'s embeddings, rows of dim floats in gallery order. */
  embeddingsOf(name: string): Float32Array {
    const p = this.person('Gallery.embeddingsOf', name);
    const out = new Float32Array(p.rows.length * this.dim);
    const v = this.view();
    p.rows.forEach((r, i) => out.set(v.subarray(r * this.dim, (r + 1) * this.dim), i * this.dim));
    return out;
  }

  /** A copy of row `index`. */
  embedding(index: number): Float32Array {
    this.live('embedding');
    checkInt('Gallery.embedding', 'index', index, 0, this.n - 1);
    return this.view().slice(index * this.dim, (index + 1) * this.dim);
  }

  /**
   * Enrols photos: embeddings [n, dim] (or [dim] for one) as a Tensor or n·dim floats, and one
   * person name per row. Refuses NaN/±Inf naming the row, and the name 'unknown'.
   */
  add(embeddings: Embeddings, labels: string[]): void {
    const where = 'Gallery.add';
    this.live('add');
    if (!Array.isArray(labels)) throw typeError(where, 'labels as an array of person names', describe(labels));
    const src = toRows(where, 'embeddings', embeddings, this.dim);
    try {
      if (labels.length !== src.rows) throw rangeError(where, `one label per embedding (${src.rows})`, `${labels.length} labels`);
      labels.forEach((l, i) => {
        if (typeof l !== 'string' || l.length === 0) throw typeError(where, `labels to be non-empty strings`, `${describe(l)} at ${i}`);
        if (l === UNKNOWN) throw rangeError(where, `person names other than '${UNKNOWN}' (identify's answer for a face not in the gallery)`, `'${UNKNOWN}' at ${i}`);
      });
      checkFinite(where, 'embedding values', src.ptr, src.rows, this.dim);
      if (src.rows === 0) return;
      this.reserve(this.n + src.rows);
      const d = this.dim;
      this.view(this.n + src.rows).set(f32At(src.ptr, src.rows * d), this.n * d);
    } finally {
      src.release();
    }
    const touched = new Map<Person, number>();
    labels.forEach((l, i) => {
      let p = this.persons.get(l);
      if (!p) { p = { rows: [], diam: -1, a: -1, b: -1 }; this.persons.set(l, p); }
      if (!touched.has(p)) touched.set(p, p.rows.length);
      p.rows.push(this.n + i);
      this.names.push(l);
    });
    this.n += labels.length;
    // Only the pairs that involve a new photo.
    this.updateDiameters([...touched]);
  }

  /** Removes every photo of `name`; returns how many. */
  removePerson(name: string): number {
    const p = this.person('Gallery.removePerson', name);
    const count = p.rows.length;
    this.removeRows(new Set(p.rows));
    return count;
  }

  /** Removes photos by gallery index (rows after them move down); their people's diameters are recomputed. */
  removeAt(indices: number | number[]): void {
    const where = 'Gallery.removeAt';
    this.live('removeAt');
    const list = Array.isArray(indices) ? indices : [indices];
    for (const i of list) checkInt(where, 'indices', i, 0, this.n - 1);
    this.removeRows(new Set(list));
  }

  /** Frees the embeddings' memory; the gallery cannot be used afterwards. */
  dispose(): void {
    this.store?.dispose();
    this.store = null;
    this.norms?.dispose();
    this.norms = null;
    this.disposed = true;
  }

  /** The enrolled data, copied: for a file format. */
  toData(): GalleryData {
    this.live('toData');
    return { dim: this.dim, labels: [...this.names], vectors: this.view().slice(0, this.n * this.dim) };
  }

  // -------------------------------------------------------------------------------------------
  // Search

  /**
   * The k nearest photos of each query (exact, Euclidean), nearest first, ties by lower index.
   * queries: one [dim] or a batch [Q, dim] (Tensor), or Q·dim floats. 1 ≤ k ≤ size.
   */
  search(queries: Embeddings, k: number): SearchResult[] {
    const where = 'Gallery.search';
    this.live('search');
    this.checkK(where, k);
    const q = toRows(where, 'queries', queries, this.dim);
    try {
      checkFinite(where, 'query values', q.ptr, q.rows, this.dim);
      return this.searchPtr(q.ptr, q.rows, k);
    } finally {
      q.release();
    }
  }

  /** @internal Searches rows already in the engine's memory (no checks). */
  searchPtr(qptr: number, nq: number, kk: number): SearchResult[] {
    const d = this.dim;
    const results: SearchResult[] = [];
    // Bound the output buffers (about 2^22 entries per kernel call by default).
    const chunk = Math.max(1, Math.min(nq, Math.floor(Gallery.searchChunkEntries / kk)));
    const outD = new Storage(chunk * kk), outI = new Storage(chunk * kk);
    try {
      for (let q0 = 0; q0 < nq; q0 += chunk) {
        const m = Math.min(chunk, nq - q0);
        this.knn(qptr + q0 * d * 4, m, kk, outD.ptr, outI.ptr);
        const dv = outD.f32view(), iv = outI.i32view();
        for (let i = 0; i < m; i++) {
          const indices = Array.from(iv.subarray(i * kk, (i + 1) * kk));
          results.push({ indices, distances: Array.from(dv.subarray(i * kk, (i + 1) * kk)), labels: indices.map((j) => this.names[j]) });
        }
      }
    } finally {
      outD.dispose();
      outI.dispose();
    }
    return results;
  }

  /** Each query's k nearest rows into outD, outI: a batch through the gemm's candidates (knnGemm), else knnScan. */
  private knn(q: number, nq: number, kk: number, outD: number, outI: number): void {
    if (this.knnGemm(q, nq, kk, outD, outI)) return;
    this.knnScan(q, nq, kk, outD, outI);
  }

  /**
   * A batch through the gemm's candidates (gemm-knn.ts: the expansion picks them, the exact
   * distances re-rank them, a bound on the expansion's rounding certifies each list), the
   * queries it cannot certify scanned by knnScan: knn_f32's lists bit for bit. False (nothing done)
   * for a batch or gallery too small for it to pay, or norms too large for the expansion.
   */
  private knnGemm(q: number, nq: number, kk: number, outD: number, outI: number): boolean {
    const d = this.dim, n = this.n;
    if (!useGemm(nq, n, kk, 0)) return false;
    const { ptr: gn, max } = this.rowNorms();
    if (!useGemm(nq, n, kk, max)) return false;
    this.gemmFallbacks += gemmSearch(q, nq, this.rowsPtr(), gn, max, 0, n, d, kk, outD, outI, KNN_MIN_PART,
      (qp, m, oD, oI) => this.knnScan(qp, m, kk, oD, oI));
    return true;
  }

  /** @internal Queries knnGemm could not certify and scanned instead, since the gallery was made (tests read it). */
  gemmFallbacks = 0;

  /** Squared norms of every row, computing only the rows added since last time, and their largest. */
  private rowNorms(): { ptr: number; max: number } {
    const n = this.n;
    if (this.norms === null || this.norms.length < n) {
      const grown = keep(new Storage(Math.max(n, 2 * (this.norms?.length ?? 0))));
      if (this.norms !== null && this.normRows > 0) grown.f32view().set(this.norms.f32view().subarray(0, this.normRows));
      this.norms?.dispose();
      this.norms = grown;
    }
    if (this.normRows < n) {
      this.normMax = Math.max(this.normMax, rowNorms2(this.rowsPtr(), this.dim, this.normRows, n, this.norms.ptr + 4 * this.normRows, KNN_MIN_PART));
      this.normRows = n;
    }
    return { ptr: this.norms.ptr, max: this.normMax };
  }

  /**
   * knn_f32 over the whole gallery, split over threads when big enough: a batch by ranges of
   * queries; a few queries by ranges of gallery rows, each part keeping its own k nearest, merged
   * by (distance, index) as the kernel orders them. Either way the bits of one call.
   */
  private knnScan(q: number, nq: number, kk: number, outD: number, outI: number): void {
    const d = this.dim, n = this.n, g = this.rowsPtr();
    const parts = partsFor(nq * n * d, KNN_MIN_PART, 4);
    if (parts > 1 && nq >= 4 * parts) {
      const b = splitRange(nq, parts, 4);
      const jobs: number[][] = [];
      for (let i = 0; i + 1 < b.length; i++) {
        jobs.push([q + 4 * b[i] * d, b[i + 1] - b[i], g, 0, n, d, kk, outD + 4 * b[i] * kk, outI + 4 * b[i] * kk]);
      }
      runParts('knn_f32', jobs);
      return;
    }
    const gparts = Math.min(partsFor(nq * n * d, KNN_MIN_PART, 2), Math.floor(n / kk));
    if (gparts <= 1) {
      k().knn_f32(q, nq, g, 0, n, d, kk, outD, outI);
      return;
    }
    const b = splitRange(n, gparts);
    const jobs: number[][] = [];
    for (let i = 0; i + 1 < b.length; i++) {
      jobs.push([q, nq, g, b[i], b[i + 1], d, kk, partScratch('knn-distances', i, nq * kk), partScratch('knn-indices', i, nq * kk)]);
    }
    runParts('knn_f32', jobs);
    const buf = wasmMemory().buffer;
    const pd = jobs.map((j) => new Float32Array(buf, j[7], nq * kk)), pi = jobs.map((j) => new Int32Array(buf, j[8], nq * kk));
    const od = new Float32Array(buf, outD, nq * kk), oi = new Int32Array(buf, outI, nq * kk);
    const head = new Array<number>(jobs.length);
    for (let qi = 0; qi < nq; qi++) {
      const base = qi * kk;
      head.fill(0);
      for (let r = 0; r < kk; r++) {
        // The next nearest among the parts' heads; parts hold increasing row ranges, so on equal
        // distances the earlier part has the smaller index.
        let best = -1;
        for (let p = 0; p < jobs.length; p++) {
          if (head[p] >= kk) continue;
          if (best < 0 || pd[p][base + head[p]] < pd[best][base + head[best]]) best = p;
        }
        od[base + r] = pd[best][base + head[best]];
        oi[base + r] = pi[best][base + head[best]];
        head[best]++;
      }
    }
  }

  /** @internal The first row's byte offset (rows are contiguous, dim floats each). */
  rowsPtr(): number {
    return this.store ? this.store.ptr : 0;
  }

  /**
   * Who is on the photo: the person with the most photos among the k nearest (ties: the smaller
   * sum of those photos' distances, then the name in code-unit order); 'unknown' when the distance
   * to that person's nearest photo is not less than `threshold`.
   */
  identify(query: Embeddings, opts: IdentifyOptions = {}): Identification {
    const where = 'Gallery.identify';
    const { kk, threshold } = this.identifyOptions(where, opts);
    const q = toRows(where, 'query', query, this.dim);
    try {
      if (q.rows !== 1) throw rangeError(where, `one query of shape [${this.dim}] (identifyBatch takes several)`, `${q.rows} rows`);
      checkFinite(where, 'query values', q.ptr, 1, this.dim);
      return vote(this.searchPtr(q.ptr, 1, kk)[0], threshold);
    } finally {
      q.release();
    }
  }

  /** identify() for each row of a batch [Q, dim] (one search over the batch). */
  identifyBatch(queries: Embeddings, opts: IdentifyOptions = {}): Identification[] {
    const where = 'Gallery.identifyBatch';
    const { kk, threshold } = this.identifyOptions(where, opts);
    const q = toRows(where, 'queries', queries, this.dim);
    try {
      checkFinite(where, 'query values', q.ptr, q.rows, this.dim);
      return this.searchPtr(q.ptr, q.rows, kk).map((r) => vote(r, threshold));
    } finally {
      q.release();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Diameters and D

  /** Every person's diameter and farthest pair, in the order of `people`. */
  diameters(): Diameter[] {
    this.live('diameters');
    return [...this.persons].map(([person, p]) => this.diameterOf(person, p));
  }

  /**
   * The lecture's D: the largest diameter, with its person and pair (ties: the person first in
   * `people`). With `percentile`, the robust variant described in DOptions.
   */
  D(opts: DOptions = {}): DResult {
    const where = 'Gallery.D';
    this.live('D');
    if (opts === null || typeof opts !== 'object') throw typeError(where, 'options { percentile?, minPhotos? }', describe(opts));
    const minPhotos = checkInt(where, 'minPhotos', opts.minPhotos ?? 1, 1);
    const all = this.diameters().filter((x) => this.count(x.person) >= minPhotos);
    if (all.length === 0) {
      throw rangeError(where, `a gallery with at least one person${minPhotos > 1 ? ` with ${minPhotos} or more photos` : ''}`,
        this.n === 0 ? 'an empty gallery' : `none among ${this.persons.size} people`);
    }
    const sorted = all.map((x) => x.diameter).sort((a, b) => a - b);
    let D: number, target: number;
    if (opts.percentile === undefined) {
      D = target = sorted[sorted.length - 1];
    } else {
      const p = checkNumber(where, 'percentile', opts.percentile, 0, 100);
      const h = ((sorted.length - 1) * p) / 100;
      const lo = Math.floor(h), hi = Math.ceil(h);
      D = lo === hi ? sorted[lo] : sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
      target = sorted[hi];
    }
    const hit = all.find((x) => x.diameter === target) as Diameter;
    return { D, person: hit.person, pair: hit.pair };
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  private live(method: string): void {
    if (this.disposed) throw new Error(`Gallery.${method}: this gallery was disposed`);
  }

  private person(where: string, name: string): Person {
    this.live(where.slice(G.length + 1));
    const p = this.persons.get(name);
    if (!p) {
      const some = [...this.persons.keys()].slice(0, 5).map((s) => JSON.stringify(s)).join(', ');
      throw rangeError(where, 'a person in the gallery', describe(name), this.persons.size ? `people: ${some}${this.persons.size > 5 ? ', …' : ''}` : 'the gallery is empty');
    }
    return p;
  }

  private checkK(where: string, kk: number): void {
    if (this.n === 0) throw rangeError(where, 'a gallery with at least one embedding', 'an empty gallery', 'add() photos first');
    checkInt(where, `k (1 ≤ k ≤ size = ${this.n})`, kk, 1, this.n);
  }

  private identifyOptions(where: string, opts: IdentifyOptions): { kk: number; threshold: number | undefined } {
    this.live(where.slice(G.length + 1));
    if (opts === null || typeof opts !== 'object') throw typeError(where, 'options { k?, threshold? }', describe(opts));
    const kk = opts.k ?? 1;
    this.checkK(where, kk);
    const threshold = opts.threshold === undefined ? undefined : checkNumber(where, 'threshold', opts.threshold, 0);
    return { kk, threshold };
  }

  private view(rows = this.n): Float32Array {
    return this.store ? this.store.f32view().subarray(0, rows * this.dim) : new Float32Array(0);
  }

  /** Makes room for `rows` rows, doubling (at least 16 rows) and copying. */
  private reserve(rows: number): void {
    if (rows <= this.cap) return;
    const cap = Math.max(rows, 2 * this.cap, 16);
    const s = keep(new Storage(cap * this.dim));
    if (this.store) {
      s.f32view().set(this.store.f32view().subarray(0, this.n * this.dim));
      this.store.dispose();
    }
    this.store = s;
    this.cap = cap;
  }

  private diameterOf(person: string, p: Person): Diameter {
    return p.rows.length < 2
      ? { person, diameter: 0, pair: [p.rows[0], p.rows[0]] }
      : { person, diameter: p.diam, pair: [p.a, p.b] };
  }

  /** Folds in the pairs (a, b) with b ≥ `from` (positions in p.rows); from = 0 recomputes all. */
  private updateDiameter(p: Person, from: number): void {
    const m = p.rows.length;
    if (from === 0) { p.diam = -1; p.a = -1; p.b = -1; }
    if (m < 2) return;
    const idx = new Storage(m + 3);
    try {
      idx.i32view().set(p.rows);
      k().diameter_f32(this.rowsPtr(), this.dim, idx.ptr, Math.max(from, 1), m, idx.ptr + m * 4);
      const v = idx.f32view()[m], a = idx.i32view()[m + 1], b = idx.i32view()[m + 2];
      if (a >= 0 && beats(v, p.rows[a], p.rows[b], p)) { p.diam = v; p.a = p.rows[a]; p.b = p.rows[b]; }
    } finally {
      idx.dispose();
    }
  }

  /**
   * updateDiameter for each (person, from), split over threads when the pairs are many: the
   * people's b ranges are cut into segments of at most a quarter of a part's share of the work
   * (so one large person splits too), the segments into parts of equal work, and each segment's
   * farthest pair is folded in with the kernel's rule, which gives the same pair whatever the cut.
   */
  private updateDiameters(list: Array<[Person, number]>): void {
    const d = this.dim;
    const pairs = (b0: number, b1: number) => (b1 * (b1 - 1) - b0 * (b0 - 1)) / 2;
    let total = 0;
    for (const [p, from] of list) if (p.rows.length >= 2) total += pairs(Math.max(from, 1), p.rows.length) * d;
    const parts = partsFor(total, DIAMETER_MIN_PART, 4);
    if (parts <= 1) {
      for (const [p, from] of list) this.updateDiameter(p, from);
      return;
    }
    const cap = total / parts / 4;
    const segs: number[] = [], owner: Person[] = [], starts: number[] = [];
    let idxLen = 0;
    for (const [p, from] of list) {
      if (from === 0) { p.diam = -1; p.a = -1; p.b = -1; }
      const m = p.rows.length;
      if (m < 2) continue;
      starts.push(idxLen);
      let b0 = Math.max(from, 1);
      while (b0 < m) {
        // The largest b1 whose segment stays under the cap (at least one b).
        let b1 = b0 + 1;
        while (b1 < m && pairs(b0, b1 + 1) * d <= cap) b1++;
        segs.push(idxLen, b0, b1, 0);
        owner.push(p);
        b0 = b1;
      }
      idxLen += m;
    }
    const nseg = owner.length;
    const idx = new Storage(idxLen), seg = new Storage(nseg * 4), out = new Storage(nseg * 4);
    try {
      const iv = idx.i32view();
      let at = 0;
      for (const [p] of list) if (p.rows.length >= 2) { iv.set(p.rows, at); at += p.rows.length; }
      seg.i32view().set(segs);
      // Cut the segments into parts of about equal work.
      const bounds = [0];
      let acc = 0;
      for (let s = 0; s < nseg && bounds.length < parts; s++) {
        acc += pairs(segs[4 * s + 1], segs[4 * s + 2]) * d;
        if (acc >= (total * bounds.length) / parts && s + 1 < nseg) bounds.push(s + 1);
      }
      bounds.push(nseg);
      const jobs: number[][] = [];
      for (let i = 0; i + 1 < bounds.length; i++) jobs.push([this.rowsPtr(), d, idx.ptr, seg.ptr, bounds[i], bounds[i + 1], out.ptr]);
      runParts('diameters_f32', jobs);
      const ov = out.f32view(), oi = out.i32view();
      for (let s = 0; s < nseg; s++) {
        const p = owner[s], a = oi[4 * s + 1], b = oi[4 * s + 2];
        if (a >= 0 && beats(ov[4 * s], p.rows[a], p.rows[b], p)) { p.diam = ov[4 * s]; p.a = p.rows[a]; p.b = p.rows[b]; }
      }
    } finally {
      idx.dispose(); seg.dispose(); out.dispose();
    }
  }

  private removeRows(drop: Set<number>): void {
    if (drop.size === 0) return;
    const d = this.dim;
    const v = this.view();
    const map = new Int32Array(this.n).fill(-1);
    let w = 0;
    for (let r = 0; r < this.n; r++) {
      if (drop.has(r)) continue;
      if (w !== r) v.copyWithin(w * d, r * d, (r + 1) * d);
      map[r] = w++;
    }
    this.names = this.names.filter((_, r) => !drop.has(r));
    const affected: Person[] = [];
    for (const [name, p] of [...this.persons]) {
      const before = p.rows.length;
      p.rows = p.rows.filter((r) => !drop.has(r)).map((r) => map[r]);
      if (p.rows.length === 0) { this.persons.delete(name); continue; }
      if (p.rows.length !== before) affected.push(p);
      else if (p.a >= 0) { p.a = map[p.a]; p.b = map[p.b]; }
    }
    this.n = w;
    this.normRows = 0;
    this.normMax = 0;
    // People stay ordered by their first photo's row (what a toData/fromData round trip gives).
    this.persons = new Map([...this.persons].sort((x, y) => x[1].rows[0] - y[1].rows[0]));
    this.updateDiameters(affected.map((p) => [p, 0]));
  }
}

/** Multiply-adds (queries × rows × dim) a kNN part must have for a search to be split over threads. */
const KNN_MIN_PART = 1 << 19;
/** Multiply-adds (pairs × dim) a diameter part must have for an update to be split over threads. */
const DIAMETER_MIN_PART = 1 << 19;

/** The majority vote over one query's neighbours, then the distance gate. */
function vote(r: SearchResult, threshold: number | undefined): Identification {
  const votes: Record<string, number> = {};
  const sums = new Map<string, number>();
  const nearest = new Map<string, number>();
  const neighbours: Neighbour[] = r.indices.map((index, i) => ({ label: r.labels[i], distance: r.distances[i], index }));
  for (const nb of neighbours) {
    setOwn(votes, nb.label, (Object.prototype.hasOwnProperty.call(votes, nb.label) ? votes[nb.label] : 0) + 1);
    sums.set(nb.label, (sums.get(nb.label) ?? 0) + nb.distance);
    if (!nearest.has(nb.label)) nearest.set(nb.label, nb.distance);
  }
  let best = '';
  for (const name of sums.keys()) {
    if (best === '') { best = name; continue; }
    const dv = votes[name] - votes[best];
    const ds = (sums.get(name) as number) - (sums.get(best) as number);
    if (dv > 0 || (dv === 0 && (ds < 0 || (ds === 0 && name < best)))) best = name;
  }
  const distance = nearest.get(best) as number;
  const known = threshold === undefined || distance < threshold;
  return { label: known ? best : UNKNOWN, known, votes, distance, candidate: best, neighbours };
}
