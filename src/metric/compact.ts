// A gallery for millions of photos (issue 6): float32 rows in one block of the engine's memory, an
// optional compact copy (float16, or int8 with one scale per row) scanned for the best candidates
// that are then re-ranked exactly in float32, the people as a compressed index (the rows of each
// person, grouped), and every person's diameter with the lecture's D.
//
// Unlike Gallery (gallery.ts), which keeps per-row JavaScript arrays and copies on every add, this
// one is built for the MegaFace shape: 4.7 M × 128 floats is 2.4 GB of the 4 GiB a wasm32 memory
// can address, so rows are written straight into their place (rowBytes, used by the streaming
// file reader), nothing is copied twice, and the int8 copy (0.6 GB) fits next to them. The float16
// copy (1.2 GB) also fits next to them, but not together with the int8 copy: build one at a time.
//
// Threads (src/threads.ts): a batch is split by ranges of queries (each query's list depends on
// nothing else), one or a few queries by ranges of rows, each part keeping its own top list in
// per-part scratch, merged by (key, row) as the kernels order them; re-ranking splits by queries,
// the diameters by segments of people's pair ranges, the encodings by rows. Every split gives the
// bits of one unsplit call. Shards (a gallery per memory) combine their lists with mergeTopK.
// Distances are sqrt(l2sq_f32), bit-identical to Gallery.search, verify's distance() and the
// diameters.
//
// Two ways to hold 4.7 M rows: float32 in memory (2.4 GB; add a compact copy for faster scans at
// 1.27× the rows), or releaseRows(): the int8 copy written in place over the float32 block and
// exact distances read back from the gallery file (about 1.0× the rows resident). Exact int8
// searches (exact: true) return the float32 search's lists, certified by the int8 error bound.
import { Storage, keep } from '../memory.js';
import { kernels, wasmMemory } from '../wasm.js';
import { checkInt, checkNumber, checkOption, describe, rangeError, typeError } from '../errors.js';
import { checkFinite } from './rows.js';
import { gemmSearch, rescanQueries, rowNorms2, useGemm } from './gemm-knn.js';
import { UNKNOWN, type DOptions, type DResult, type Diameter } from './gallery.js';
import { partScratch, partsFor, runParts, splitRange, type JobExport } from '../threads.js';

interface K {
  knn_f32(q: number, nq: number, g: number, g0: number, g1: number, d: number, k: number, outD: number, outI: number): void;
  diameter_f32(g: number, d: number, idx: number, b0: number, b1: number, out: number): void;
  quantize_i8_rows(x: number, d: number, r0: number, r1: number, out: number): void;
  encode_f16(x: number, i0: number, i1: number, out: number): void;
  scan_i8(q: number, q0: number, nq: number, g: number, g0: number, g1: number, d: number, c: number, outD: number, outI: number): void;
  scan_f16(q: number, nq: number, h: number, g0: number, g1: number, d: number, c: number, scratch: number, outD: number, outI: number): void;
  rerank_f32(q: number, nq: number, g: number, d: number, cand: number, c: number, k: number, outD: number, outI: number): void;
  diameters_f32(g: number, d: number, idx: number, segs: number, s0: number, s1: number, out: number): void;
  i8_bounds(x: number, d: number, r0: number, r1: number, q: number, out: number): void;
}
const kern = () => kernels<K>();

/** How the gallery is scanned: exactly in float32, or a compact copy's candidates re-ranked exactly. */
export type Precision = 'f32' | 'f16' | 'i8';
export const PRECISIONS: readonly Precision[] = ['f32', 'f16', 'i8'];

/** The k best rows of each of `queries` queries, flat: query i's list at [i·k, (i+1)·k). */
export interface TopK {
  k: number;
  queries: number;
  /** Absolute gallery rows, nearest first (ties: lower row first). */
  indices: Int32Array;
  /** Euclidean distances (exact float32, whatever the precision of the scan). */
  distances: Float32Array;
  /** With `exact` int8 searches: how many queries the int8 bound could not certify (scanned in float32). */
  fallbacks?: number;
}

export interface CompactSearchOptions {
  /** 'f32' (default): exact scan; 'f16' / 'i8': the compact copy's candidates, re-ranked exactly. */
  precision?: Precision;
  /** Candidates kept by a compact scan before re-ranking (default 10·k, at most the rows searched). */
  candidates?: number;
  /**
   * With precision 'i8': return exactly the float32 search's lists. Each query's candidates are
   * certified by the int8 error bound (no row outside them can be nearer than the k-th); a query
   * that is not certified is scanned in float32. Default false.
   */
  exact?: boolean;
  /** Rows searched: [start, end) (default the whole gallery); a thread or a shard takes a range. */
  start?: number;
  end?: number;
}

export interface CompactIdentification {
  /** The nearest photo's person, or 'unknown' when its distance is not under the threshold. */
  label: string;
  known: boolean;
  /** The nearest photo's person before the gate. */
  candidate: string;
  distance: number;
  index: number;
}

export interface CompactGalleryOptions {
  dim: number;
  /** The person names, indexed by the numbers in `labels`. */
  people: string[];
  /** The person number of every row (its length is the number of rows). */
  labels: Uint32Array | Int32Array | number[];
  /** Rows to make room for (default labels.length); more avoids copying when photos are added. */
  capacity?: number;
}

/** Bytes each precision stores per row of dim floats (the int8 copy adds a scale and a squared norm). */
export function bytesPerRow(precision: Precision, dim: number): number {
  return precision === 'f32' ? 4 * dim : precision === 'f16' ? 2 * dim : dim + 8;
}

/**
 * Bytes of the int8 copy of `rows` rows: blocks of 8 rows, each 64 bytes of meta (8 float scales,
 * 8 float squared norms) and then the 8 rows' dim int8 values (assembly/kernels/quant.ts), so a
 * row streams with its scale and norm. Queries are quantized into the same layout.
 */
export function i8BlockBytes(rows: number, dim: number): number {
  return Math.ceil(rows / 8) * (8 * dim + 64);
}
/** Byte offset of row j's int8 values in i8 blocks of rows of dim values. */
function i8RowOffset(j: number, dim: number): number {
  return (j >> 3) * (8 * dim + 64) + 64 + (j & 7) * dim;
}
/** Float index of row j's scale in i8 blocks (its squared norm is 8 floats on). */
function i8ScaleIndex(j: number, dim: number): number {
  return (j >> 3) * (2 * dim + 16) + (j & 7);
}

const C = 'CompactGallery';

interface Compact {
  /** 'i8': data holds i8 blocks (i8BlockBytes); 'f16': the rows' halves. */
  kind: 'f16' | 'i8'; data: Storage;
  /** int8 error bounds for exact searches (computed on first use, for `rows` rows). */
  bounds: { rows: number; errG: number; normMax: number } | null;
}

/** Work (query·row·dim products) a part of a scan must have for the scan to be split over threads. */
const SCAN_MIN_PART = 1 << 19;
/** Work (pair·dim products) a part of the diameters must have. */
const DIAMETER_MIN_PART = 1 << 19;

/**
 * Relative bound on the f32 rounding of an exact distance over dim values (rerank_f32, knn_f32: a
 * sum of dim squares in f32, then its square root), at least 1e-5: the margin certify leaves
 * between its bound and the distances it is compared with.
 */
function distanceRounding(dim: number): number {
  return Math.max(1e-5, (dim + 8) * 2 ** -24);
}

/** Rows releaseRows quantizes through a copy before the in-place rounds. */
const IN_PLACE_COPY = 4096;

/**
 * @internal The rounds [a, b) after the first IN_PLACE_COPY rows in which releaseRows can write the i8 blocks
 * of n rows of dim values over their float32 rows (a block of `bytes` bytes): each round's blocks
 * end at or before row a's float32 bytes (4·dim·a), so no row is overwritten before it is read.
 * null when the blocks do not fit or a round could not advance (dim below 3).
 */
export function inPlaceRounds(n: number, dim: number, bytes: number): Array<[number, number]> | null {
  if (i8BlockBytes(n, dim) > bytes) return null;
  const rounds: Array<[number, number]> = [];
  for (let a = Math.min(n, IN_PLACE_COPY); a < n;) {
    const b = Math.min(n, 8 * Math.floor((4 * dim * a) / (8 * dim + 64)));
    if (b <= a) return null;
    rounds.push([a, b]);
    a = b;
  }
  return rounds;
}

export class CompactGallery {
  /** @internal Bound on the queries of one kernel call (output buffers grow with it). */
  static queryChunk = 1024;
  /** @internal Rows a float32 scan over released rows reads at a time. */
  static readBlock = 16384;
  readonly dim: number;
  private n: number;
  private cap: number;
  private vec: Storage;
  private pid: Int32Array;
  private names: string[];
  private nameIndex = new Map<string, number>();
  /** Rows grouped by person (increasing inside a person): order[start[p] .. start[p+1]). */
  private order: Storage;
  private start = new Int32Array(1);
  private diam = new Float32Array(0);
  private pa = new Int32Array(0);
  private pb = new Int32Array(0);
  private diamReady = false;
  private compact: Compact | null = null;
  /** Where exact distances read the float32 rows once releaseRows() has replaced them. */
  private reader: RowReader | null = null;
  private disposed = false;

  constructor(opts: CompactGalleryOptions) {
    if (opts === null || typeof opts !== 'object') throw typeError(C, 'options { dim, people, labels, capacity? }', describe(opts));
    this.dim = checkInt(C, 'dim', opts.dim, 1);
    if (!Array.isArray(opts.people)) throw typeError(C, 'people as an array of names', describe(opts.people));
    const labels = opts.labels;
    if (!(labels instanceof Uint32Array || labels instanceof Int32Array || Array.isArray(labels))) {
      throw typeError(C, 'labels as a Uint32Array, Int32Array or number[] of person numbers', describe(labels));
    }
    this.names = [];
    opts.people.forEach((p, i) => this.newPerson(`${C}`, p, i));
    this.n = labels.length;
    this.cap = checkInt(C, `capacity (≥ labels.length = ${labels.length})`, opts.capacity ?? labels.length, labels.length);
    const P = this.names.length;
    this.pid = new Int32Array(Math.max(this.cap, 1));
    for (let r = 0; r < labels.length; r++) {
      const p = labels[r];
      if (!(Number.isInteger(p) && p >= 0 && p < P)) throw rangeError(C, `labels to be person numbers in [0, ${P})`, `${describe(p)} at row ${r}`);
      this.pid[r] = p;
    }
    this.vec = keep(new Storage(Math.max(this.cap * this.dim, 1)));
    this.order = keep(new Storage(Math.max(this.cap, 1)));
    this.rebuildIndex();
  }

  // -------------------------------------------------------------------------------------------
  // Contents

  /** Number of rows (photos). */
  get size(): number { this.live('size'); return this.n; }
  /** Rows there is room for without copying. */
  get capacity(): number { return this.cap; }
  /** Number of people. */
  get peopleCount(): number { return this.names.length; }
  /** Name of person number p. */
  personName(p: number): string { return this.names[checkInt(`${C}.personName`, 'p', p, 0, this.names.length - 1)]; }
  /** Person number of row r. */
  personOf(r: number): number { return this.pid[checkInt(`${C}.personOf`, 'row', r, 0, this.n - 1)]; }
  /** Person name of row r. */
  labelOf(r: number): string { return this.names[this.personOf(r)]; }
  /** Photos of person p. */
  countOf(p: number): number { return this.start[p + 1] - this.start[p]; }
  /** The names of all people (a copy). */
  get people(): string[] { return [...this.names]; }
  /** The person number of every row (a copy). */
  labels(): Uint32Array { return Uint32Array.from(this.pid.subarray(0, this.n)); }
  /** Which compact copy exists. */
  get compactKind(): 'f16' | 'i8' | null { return this.compact?.kind ?? null; }
  /** Whether the float32 rows were released (releaseRows): exact distances read them through a RowReader. */
  get rowsReleased(): boolean { return this.reader !== null; }

  /** A live view of rows [r0, r1) of the float32 storage (rebuild after the memory grows). */
  rows(r0 = 0, r1 = this.n): Float32Array {
    this.live('rows');
    this.held('rows');
    this.checkRange(`${C}.rows`, r0, r1, this.n);
    return new Float32Array(wasmMemory().buffer, this.vec.ptr + r0 * this.dim * 4, (r1 - r0) * this.dim);
  }

  /** @internal A byte view of rows [r0, r1) up to the capacity, for a reader that fills them in place. */
  rowBytes(r0: number, r1: number): Uint8Array {
    this.held('rowBytes');
    this.checkRange(`${C}.rowBytes`, r0, r1, this.cap);
    return new Uint8Array(wasmMemory().buffer, this.vec.ptr + r0 * this.dim * 4, (r1 - r0) * this.dim * 4);
  }

  /** @internal Byte offset of row 0 in the engine's memory. */
  rowsPtr(): number { return this.vec.ptr; }

  /** Bytes held in the engine's memory: float32 rows, the compact copy, the person index. */
  memory(): { f32: number; compact: number; index: number; total: number } {
    // After releaseRows the float32 block holds the int8 blocks (its first (dim + 8)/(4·dim)): counted as compact.
    const f32 = this.reader ? 0 : this.vec.length * 4;
    const c = this.compact;
    const compact = c ? c.data.length * 4 : 0;
    const index = this.order.length * 4;
    return { f32, compact, index, total: f32 + compact + index };
  }

  /** Refuses the first row of [r0, r1) that holds a NaN or ±Inf (after filling rows in place). */
  checkRows(r0 = 0, r1 = this.n): void {
    this.held('checkRows');
    this.checkRange(`${C}.checkRows`, r0, r1, this.n);
    const step = 65536;
    for (let a = r0; a < r1; a += step) {
      const m = Math.min(step, r1 - a);
      checkFinite(`${C}.checkRows`, 'embedding values', this.vec.ptr + a * this.dim * 4, m, this.dim, a);
    }
  }

  /**
   * Adds photos: rows of dim floats and one person name per row (new names become new people).
   * The compact copy is extended; the diameters, once computed, are updated from the pairs that
   * involve a new photo only. Past the capacity every block is reallocated and copied (at MegaFace
   * size that copy does not fit in 4 GiB: give a capacity up front).
   */
  add(vectors: Float32Array, labels: string[]): void {
    const where = `${C}.add`;
    this.live('add');
    this.held('add');
    if (!(vectors instanceof Float32Array)) throw typeError(where, 'vectors as a Float32Array', describe(vectors));
    if (!Array.isArray(labels)) throw typeError(where, 'labels as an array of person names', describe(labels));
    const d = this.dim, m = labels.length;
    if (vectors.length !== m * d) throw rangeError(where, `labels.length·dim = ${m}·${d} = ${m * d} floats`, `${vectors.length}`);
    labels.forEach((l, i) => {
      if (typeof l !== 'string' || l.length === 0) throw typeError(where, 'labels to be non-empty strings', `${describe(l)} at ${i}`);
      if (l === UNKNOWN) throw rangeError(where, `person names other than '${UNKNOWN}'`, `'${UNKNOWN}' at ${i}`);
    });
    for (let i = 0; i < vectors.length; i++) {
      if (!Number.isFinite(vectors[i])) throw rangeError(where, 'finite embedding values', `${vectors[i]} in row ${Math.floor(i / d)} (column ${i % d})`);
    }
    if (m === 0) return;
    if (this.n + m > this.cap) this.grow(Math.max(this.n + m, 2 * this.cap));
    const n0 = this.n;
    new Float32Array(wasmMemory().buffer, this.vec.ptr + n0 * d * 4, m * d).set(vectors);
    const P0 = this.names.length;
    const oldCount = new Map<number, number>();
    labels.forEach((l, i) => {
      let p = this.nameIndex.get(l);
      if (p === undefined) p = this.newPerson(where, l, this.names.length);
      if (!oldCount.has(p)) oldCount.set(p, p < P0 ? this.countOf(p) : 0);
      this.pid[n0 + i] = p;
    });
    this.n += m;
    this.rebuildIndex();
    if (this.compact) this.encodeRows(n0, this.n);
    if (this.diamReady) {
      this.growDiameters();
      const out = new Storage(3);
      try {
        for (const [p, from] of oldCount) this.diameterInto(p, from, out);
      } finally {
        out.dispose();
      }
    }
  }

  /** Frees every block; the gallery cannot be used afterwards. */
  dispose(): void {
    if (this.reader) {
      // The int8 blocks are the float32 block's storage (this.vec), freed below.
      this.compact = null;
      this.reader = null;
    }
    this.dropCompact();
    this.vec.dispose();
    this.order.dispose();
    this.disposed = true;
  }

  // -------------------------------------------------------------------------------------------
  // Compact copies

  /**
   * Builds (or extends over rows [start, end)) the compact copy: 'i8' (dim bytes + scale + squared
   * norm a row) or 'f16' (2·dim bytes a row). One kind at a time; building the other replaces it.
   */
  buildCompact(kind: 'f16' | 'i8', start = 0, end = this.n): void {
    const where = `${C}.buildCompact`;
    this.live('buildCompact');
    this.held('buildCompact');
    checkOption(where, 'kind', kind, ['f16', 'i8'] as const);
    this.checkRange(where, start, end, this.n);
    if (this.compact?.kind !== kind) {
      this.dropCompact();
      const cap = Math.max(this.cap, 1);
      this.compact = kind === 'i8'
        ? { kind, data: keep(new Storage(i8BlockBytes(cap, this.dim) / 4)), bounds: null }
        : { kind, data: keep(new Storage(Math.ceil((cap * this.dim) / 2))), bounds: null };
    }
    this.encodeRows(start, end);
  }

  /** Frees the compact copy. */
  dropCompact(): void {
    if (!this.compact) return;
    this.held('dropCompact');
    this.compact.data.dispose();
    this.compact = null;
  }

  /**
   * Serves the gallery from an int8 copy alone: quantizes every row into the float32 block itself
   * and frees nothing else, so the int8 copy costs no memory beyond the float32 rows' (the peak of
   * building it next to them is avoided). The i8 blocks of rows [0, b) end at byte
   * i8BlockBytes(b), where float32 rows below about b·(dim + 8)/(4·dim) lived, which earlier
   * rounds have read: rows [0, 4096) go through a copy, then each round [a, b) takes the most rows
   * whose blocks end at or before row a's float32 bytes (b about 3.76·a at dim 128), split over
   * threads (inPlaceRounds). Where that cannot go on (dim below 3: the blocks take more bytes than
   * the float32 rows) the blocks get storage of their own and the float32 block is freed.
   * Diameters are computed first if missing (D() keeps working). Afterwards exact distances
   * (re-ranking, pairDistances, 'f32' searches and the float32 scans of exact int8 searches) read
   * the float32 rows through `reader` (positioned reads of the gallery file: galleryFileRows), and
   * rows(), add(), buildCompact() and the diameters' recomputation are refused.
   */
  releaseRows(reader: RowReader): void {
    const where = `${C}.releaseRows`;
    this.live('releaseRows');
    this.held('releaseRows');
    if (reader === null || typeof reader !== 'object' || typeof reader.read !== 'function') throw typeError(where, 'a RowReader { read(r0, r1, into) }', describe(reader));
    if (reader.rows !== undefined && reader.rows !== this.n) throw rangeError(where, `a RowReader over the gallery's ${this.n} rows`, `one over ${reader.rows}`);
    this.ensureDiameters();
    this.dropCompact();
    const d = this.dim, n = this.n, v = this.vec;
    const rounds = inPlaceRounds(n, d, v.length * 4);
    const data = rounds ? v : keep(new Storage(Math.max(i8BlockBytes(n, d), 4) / 4));
    let errG = 0, normMax = 0;
    const round = (x: number, a: number, b: number) => {
      const parts = Math.max(1, partsFor((b - a) * d, SCAN_MIN_PART, 2));
      const cut = splitRange(b - a, parts);
      const q: number[][] = [], e: number[][] = [];
      for (let i = 0; i + 1 < cut.length; i++) {
        q.push([x, d, a + cut[i], a + cut[i + 1], data.ptr]);
        e.push([x, d, a + cut[i], a + cut[i + 1], data.ptr, partScratch('compact-bounds', i, 2)]);
      }
      runParts('quantize_i8_rows', q);
      runParts('i8_bounds', e);
      for (const j of e) {
        const o = new Float32Array(wasmMemory().buffer, j[5], 2);
        errG = Math.max(errG, o[0]);
        normMax = Math.max(normMax, o[1]);
      }
    };
    if (rounds) {
      const R0 = Math.min(n, IN_PLACE_COPY);
      if (R0 > 0) {
        const tmp = new Storage(R0 * d);
        try {
          tmp.f32view().set(new Float32Array(wasmMemory().buffer, v.ptr, R0 * d));
          round(tmp.ptr, 0, R0);
        } finally {
          tmp.dispose();
        }
      }
      for (const [a, b] of rounds) round(v.ptr, a, b);
    } else {
      if (n > 0) round(v.ptr, 0, n);
      v.dispose();
      this.vec = data;
    }
    this.compact = { kind: 'i8', data, bounds: { rows: n, errG: errG * (1 + 1e-5) + 1e-6 * Math.sqrt(normMax) + 1e-7, normMax } };
    this.reader = reader;
  }

  // -------------------------------------------------------------------------------------------
  // Search

  /**
   * The k nearest rows of each query (rows of dim floats), nearest first. With precision 'f16' or
   * 'i8' the compact copy's `candidates` best rows are re-ranked exactly (the distances are exact;
   * a true neighbour can be missed only when the compact scan ranks it past the candidates).
   */
  search(queries: Float32Array, k: number, opts: CompactSearchOptions = {}): TopK {
    const where = `${C}.search`;
    this.live('search');
    if (!(queries instanceof Float32Array)) throw typeError(where, 'queries as a Float32Array of rows of dim floats', describe(queries));
    if (queries.length === 0 || queries.length % this.dim !== 0) throw rangeError(where, `queries of n·${this.dim} floats (n ≥ 1)`, `length ${queries.length}`);
    if (opts === null || typeof opts !== 'object') throw typeError(where, 'options { precision?, candidates?, exact?, start?, end? }', describe(opts));
    const precision = checkOption(where, 'precision', opts.precision ?? 'f32', PRECISIONS);
    const start = checkInt(where, `start (0 ≤ start < size = ${this.n})`, opts.start ?? 0, 0, Math.max(this.n - 1, 0));
    const end = checkInt(where, `end (start < end ≤ size = ${this.n})`, opts.end ?? this.n, start + 1, this.n);
    const kk = checkInt(where, `k (1 ≤ k ≤ rows searched = ${end - start})`, k, 1, end - start);
    const cand = checkInt(where, `candidates (k = ${kk} ≤ candidates)`, opts.candidates ?? Math.min(10 * kk, end - start), kk);
    if (opts.exact !== undefined && typeof opts.exact !== 'boolean') throw typeError(where, 'exact as a boolean', describe(opts.exact));
    const exact = opts.exact === true;
    if (precision !== 'f32' && this.compact?.kind !== precision) {
      throw rangeError(where, `a ${precision} copy for precision '${precision}'`, this.compact ? `a ${this.compact.kind} copy` : 'none', `call buildCompact('${precision}') first`);
    }
    const nq = queries.length / this.dim;
    const q = new Storage(queries.length);
    try {
      q.f32view().set(queries);
      checkFinite(where, 'query values', q.ptr, nq, this.dim);
      return this.searchPtr(q.ptr, nq, kk, precision, Math.min(cand, end - start), start, end, exact);
    } finally {
      q.dispose();
    }
  }

  /** @internal search() over queries already in the engine's memory (no checks). */
  searchPtr(qptr: number, nq: number, kk: number, precision: Precision, cand: number, start: number, end: number, exact = false): TopK {
    const d = this.dim;
    const indices = new Int32Array(nq * kk), distances = new Float32Array(nq * kk);
    const chunk = Math.min(nq, CompactGallery.queryChunk);
    const c = precision === 'f32' ? kk : cand;
    const outD = new Storage(chunk * kk), outI = new Storage(chunk * kk);
    const cD = precision === 'f32' ? null : new Storage(chunk * c), cI = precision === 'f32' ? null : new Storage(chunk * c);
    const q8 = precision === 'i8' ? new Storage(i8BlockBytes(chunk, d) / 4) : null;
    let fallbacks = 0;
    try {
      for (let q0 = 0; q0 < nq; q0 += chunk) {
        const m = Math.min(chunk, nq - q0);
        const qp = qptr + q0 * d * 4;
        if (precision === 'f32') {
          this.scanF32(qp, m, kk, start, end, outD.ptr, outI.ptr);
        } else {
          const cp = this.compact as Compact;
          const g = cp.data.ptr;
          const cdp = (cD as Storage).ptr, cip = (cI as Storage).ptr;
          if (precision === 'i8') {
            const q8p = (q8 as Storage).ptr;
            kern().quantize_i8_rows(qp, d, 0, m, q8p);
            this.scanSplit('scan_i8', m, start, end, c, cdp, cip, (i0, n, g0, g1, oD, oI) => [q8p, i0, n, g, g0, g1, d, c, oD, oI], 1);
          } else {
            const gb = Math.max(4, Math.floor(4096 / d));
            this.scanSplit('scan_f16', m, start, end, c, cdp, cip,
              (i0, n, g0, g1, oD, oI, part) => [qp + 4 * i0 * d, n, g, g0, g1, d, c, partScratch('compact-f16', part, gb * d), oD, oI]);
          }
          this.rerank(qp, m, cip, c, kk, outD.ptr, outI.ptr);
          if (exact && precision === 'i8' && c < end - start) {
            fallbacks += this.certify(qp, m, kk, c, start, end, (q8 as Storage).ptr, cdp, outD.ptr, outI.ptr);
          }
        }
        distances.set(outD.f32view().subarray(0, m * kk), q0 * kk);
        indices.set(outI.i32view().subarray(0, m * kk), q0 * kk);
      }
    } finally {
      for (const s of [outD, outI, cD, cI, q8]) s?.dispose();
    }
    const r: TopK = { k: kk, queries: nq, indices, distances };
    if (exact && precision === 'i8') r.fallbacks = fallbacks;
    return r;
  }

  /** knn_f32 over rows [start, end), split over threads (by queries for a batch, else by rows and merged). */
  private scanF32(qp: number, m: number, kk: number, start: number, end: number, outD: number, outI: number): void {
    if (this.reader) { this.scanF32Read(qp, m, kk, start, end, outD, outI); return; }
    const d = this.dim, g = this.vec.ptr;
    const scan = (q: number, nq: number, oD: number, oI: number) =>
      this.scanSplit('knn_f32', nq, start, end, kk, oD, oI, (i0, n, g0, g1, a, b) => [q + 4 * i0 * d, n, g, g0, g1, d, kk, a, b]);
    // A batch through the gemm's candidates (gemm-knn.ts), with the rows' norms taken afresh each
    // call (rows() hands out writable views, so a cached copy could go stale): knn_f32's lists.
    if (useGemm(m, end - start, kk, 0)) {
      const gn = new Storage(end - start);
      try {
        const max = rowNorms2(g, d, start, end, gn.ptr, SCAN_MIN_PART);
        if (useGemm(m, end - start, kk, max)) {
          this.gemmFallbacks += gemmSearch(qp, m, g, gn.ptr - 4 * start, max, start, end, d, kk, outD, outI, SCAN_MIN_PART, scan);
          return;
        }
      } finally {
        gn.dispose();
      }
    }
    scan(qp, m, outD, outI);
  }

  /** @internal float32 batch queries the gemm's bound could not certify and scanned instead (tests and the bench read it). */
  gemmFallbacks = 0;

  /**
   * knn_f32 over rows [start, end) read through the RowReader in blocks of 16,384 rows (8 MiB at
   * dim 128; the last block takes the rest when fewer than k would remain), each block's lists
   * merged into the running ones by (distance, row): the lists of one in-memory scan.
   */
  private scanF32Read(qp: number, m: number, kk: number, start: number, end: number, outD: number, outI: number): void {
    const d = this.dim, R = CompactGallery.readBlock;
    const blk = new Storage((R + kk) * d), pD = new Storage(m * kk), pI = new Storage(m * kk);
    try {
      let first = true;
      for (let a = start; a < end;) {
        let b = Math.min(end, a + R);
        if (end - b < kk) b = end;
        (this.reader as RowReader).read(a, b, new Uint8Array(wasmMemory().buffer, blk.ptr, (b - a) * d * 4));
        const g = blk.ptr;
        this.scanSplit('knn_f32', m, 0, b - a, kk, first ? outD : pD.ptr, first ? outI : pI.ptr,
          (i0, n, g0, g1, oD, oI) => [qp + 4 * i0 * d, n, g, g0, g1, d, kk, oD, oI]);
        const buf = wasmMemory().buffer;
        const od = new Float32Array(buf, outD, m * kk), oi = new Int32Array(buf, outI, m * kk);
        if (first) {
          for (let t = 0; t < m * kk; t++) oi[t] += a;
        } else {
          const ni = new Int32Array(buf, pI.ptr, m * kk);
          for (let t = 0; t < m * kk; t++) ni[t] += a;
          mergeLists([Float32Array.from(od), new Float32Array(buf, pD.ptr, m * kk)], [Int32Array.from(oi), ni], m, kk, od, oi);
        }
        first = false;
        a = b;
      }
    } finally {
      blk.dispose(); pD.dispose(); pI.dispose();
    }
  }

  /**
   * Runs a top-list scan kernel over m queries and rows [start, end), whole or split over threads:
   * a batch by ranges of queries (each query's list depends on nothing else), a few queries by
   * ranges of rows, each part keeping its own c best in per-part scratch, merged by (key, row) as
   * the kernels order them. Either way the bits of one unsplit call. args(i0, n, g0, g1, outD,
   * outI, part): the kernel's arguments for queries [i0, i0 + n), rows [g0, g1), output lists at
   * outD / outI (query i0's list first). rowParts: row parts per thread (the int8 scan's one query
   * ran at 23.0 ms over 4.7 M rows in one part per thread against 25.1 in two, interleaved; the
   * float32 scan's at 94.0 against 89.3 the other way round).
   */
  private scanSplit(fn: JobExport, m: number, start: number, end: number, c: number, outD: number, outI: number,
    args: (i0: number, n: number, g0: number, g1: number, oD: number, oI: number, part: number) => number[], rowParts = 2): void {
    const rows = end - start, work = m * rows * this.dim;
    const parts = partsFor(work, SCAN_MIN_PART, 4);
    if (parts > 1 && m >= 4 * parts) {
      const b = splitRange(m, parts, 4);
      const jobs: number[][] = [];
      for (let i = 0; i + 1 < b.length; i++) jobs.push(args(b[i], b[i + 1] - b[i], start, end, outD + 4 * b[i] * c, outI + 4 * b[i] * c, i));
      runParts(fn, jobs);
      return;
    }
    const gparts = Math.min(partsFor(work, SCAN_MIN_PART, rowParts), Math.floor(rows / c));
    if (gparts <= 1) {
      (kern() as unknown as Record<string, (...a: number[]) => void>)[fn](...args(0, m, start, end, outD, outI, 0));
      return;
    }
    const b = splitRange(rows, gparts);
    const jobs: number[][] = [], pd: number[] = [], pi: number[] = [];
    for (let i = 0; i + 1 < b.length; i++) {
      pd.push(partScratch('compact-keys', i, m * c));
      pi.push(partScratch('compact-rows', i, m * c));
      jobs.push(args(0, m, start + b[i], start + b[i + 1], pd[i], pi[i], i));
    }
    runParts(fn, jobs);
    const buf = wasmMemory().buffer;
    mergeLists(pd.map((p) => new Float32Array(buf, p, m * c)), pi.map((p) => new Int32Array(buf, p, m * c)), m, c,
      new Float32Array(buf, outD, m * c), new Int32Array(buf, outI, m * c));
  }

  /** rerank_f32 of m queries' c candidates each, split over threads by ranges of queries. */
  private rerank(qp: number, m: number, cand: number, c: number, kk: number, outD: number, outI: number): void {
    if (this.reader) { this.rerankRead(qp, m, cand, c, kk, outD, outI); return; }
    const d = this.dim, g = this.vec.ptr;
    const parts = Math.min(partsFor(m * c * d, SCAN_MIN_PART, 2), m);
    if (parts <= 1) {
      kern().rerank_f32(qp, m, g, d, cand, c, kk, outD, outI);
      return;
    }
    const b = splitRange(m, parts);
    const jobs: number[][] = [];
    for (let i = 0; i + 1 < b.length; i++) {
      jobs.push([qp + 4 * b[i] * d, b[i + 1] - b[i], g, d, cand + 4 * b[i] * c, c, kk, outD + 4 * b[i] * kk, outI + 4 * b[i] * kk]);
    }
    runParts('rerank_f32', jobs);
  }

  /**
   * rerank_f32 with the candidates' float32 rows read through the RowReader (one positioned read a
   * run of consecutive rows) into a block, blocks of about 4,096 rows. Each query's candidates are placed in increasing
   * row order, so that the kernel's ties (lower position first) are the rows' ties.
   */
  private rerankRead(qp: number, m: number, cand: number, c: number, kk: number, outD: number, outI: number): void {
    const d = this.dim, B = Math.max(1, Math.floor(4096 / c));
    const rows = new Storage(Math.min(B, m) * c * d), pos = new Storage(Math.min(B, m) * c);
    const rowOf = new Int32Array(Math.min(B, m) * c);
    try {
      for (let i0 = 0; i0 < m; i0 += B) {
        const nb = Math.min(B, m - i0);
        const buf = wasmMemory().buffer;
        const ci = new Int32Array(buf, cand + 4 * i0 * c, nb * c), pv = new Int32Array(buf, pos.ptr, nb * c);
        for (let i = 0; i < nb; i++) {
          const list = Array.from(ci.subarray(i * c, (i + 1) * c)).filter((j) => j >= 0).sort((x, y) => x - y);
          for (let t = 0; t < c; t++) pv[i * c + t] = t < list.length ? i * c + t : -1;
          // Runs of consecutive rows (a person's photos lie together) in one read each.
          for (let t = 0; t < list.length;) {
            let e = t + 1;
            while (e < list.length && list[e] === list[e - 1] + 1) e++;
            for (let u = t; u < e; u++) rowOf[i * c + u] = list[u];
            (this.reader as RowReader).read(list[t], list[e - 1] + 1, new Uint8Array(buf, rows.ptr + (i * c + t) * d * 4, (e - t) * d * 4));
            t = e;
          }
        }
        kern().rerank_f32(qp + 4 * i0 * d, nb, rows.ptr, d, pos.ptr, c, kk, outD + 4 * i0 * kk, outI + 4 * i0 * kk);
        const oi = new Int32Array(wasmMemory().buffer, outI + 4 * i0 * kk, nb * kk);
        for (let t = 0; t < nb * kk; t++) oi[t] = rowOf[oi[t]];
      }
    } finally {
      rows.dispose(); pos.dispose();
    }
  }

  /**
   * Certifies that each query's re-ranked int8 candidates hold its exact float32 top k, and scans
   * in float32 the queries it cannot certify (their lists replaced in place). A row the int8 scan
   * did not keep has a key ≥ the c-th kept key κ, so its exact distance is at least
   * √(κ − δ) − ‖q − q̂‖ − max_r ‖x_r − x̂_r‖ (the triangle inequality around the dequantized pair;
   * δ bounds the f32 rounding of the key); when that bound exceeds the k-th exact distance (with a
   * relative margin for the rounding of the exact distances), no row outside the candidates can
   * enter the top k, and the list is the one knn_f32 gives. Returns how many queries were scanned.
   */
  private certify(qp: number, m: number, kk: number, c: number, start: number, end: number, q8p: number,
    cD: number, outD: number, outI: number): number {
    const d = this.dim, buf = wasmMemory().buffer;
    const { errG, normMax } = this.i8Bounds();
    const { eq, qn } = this.queryI8(qp, m, q8p);
    const rel = distanceRounding(d);
    const keys = new Float32Array(buf, cD, m * c), od = new Float32Array(buf, outD, m * kk);
    const fail: number[] = [];
    for (let i = 0; i < m; i++) {
      const delta = 1e-5 * (qn[i] + normMax) + 1e-7;
      const lower = Math.sqrt(Math.max(0, keys[i * c + c - 1] - delta)) - eq[i] - errG;
      const dk = od[i * kk + kk - 1];
      if (!(lower * (1 - rel) - 1e-6 > dk * (1 + rel))) fail.push(i);
    }
    if (fail.length > 0) rescanQueries(qp, d, fail, kk, outD, outI, (q, n, oD, oI) => this.scanF32(q, n, kk, start, end, oD, oI));
    return fail.length;
  }

  /**
   * Each quantized query's dequantization error ‖q − q̂‖ (float64, with a margin for the f32 values
   * it is computed from) and squared norm ‖q̂‖², from its i8 block.
   */
  private queryI8(qp: number, m: number, q8p: number): { eq: Float64Array; qn: Float64Array } {
    const d = this.dim, buf = wasmMemory().buffer;
    const qv = new Float32Array(buf, qp, m * d), q8 = new Int8Array(buf, q8p, i8BlockBytes(m, d));
    const meta = new Float32Array(buf, q8p, i8BlockBytes(m, d) / 4);
    const eq = new Float64Array(m), qn = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let e2 = 0;
      const s = meta[i8ScaleIndex(i, d)], r = i8RowOffset(i, d);
      for (let t = 0; t < d; t++) { const u = qv[i * d + t] - s * q8[r + t]; e2 += u * u; }
      eq[i] = Math.sqrt(e2) * (1 + 1e-6) + 1e-7;
      qn[i] = meta[i8ScaleIndex(i, d) + 8];
    }
    return { eq, qn };
  }

  /** The int8 copy's error bounds (i8_bounds over every row, split over threads), kept until it changes. */
  private i8Bounds(): { errG: number; normMax: number } {
    const c = this.compact as Compact;
    if (c.bounds === null || c.bounds.rows !== this.n) {
      const d = this.dim;
      const parts = Math.max(1, Math.min(partsFor(this.n * d, SCAN_MIN_PART, 1), this.n));
      const b = splitRange(this.n, parts);
      const jobs: number[][] = [];
      for (let i = 0; i + 1 < b.length; i++) {
        jobs.push([this.vec.ptr, d, b[i], b[i + 1], c.data.ptr, partScratch('compact-bounds', i, 2)]);
      }
      runParts('i8_bounds', jobs);
      let e = 0, nm = 0;
      for (const j of jobs) {
        const o = new Float32Array(wasmMemory().buffer, j[5], 2);
        e = Math.max(e, o[0]);
        nm = Math.max(nm, o[1]);
      }
      // Margins for the f32 rounding inside the kernel: x − s·q loses up to an ulp of x per value
      // (under 2^−22·‖x‖ in all), the sums a relative 1e-5 at most.
      c.bounds = { rows: this.n, errG: e * (1 + 1e-5) + 1e-6 * Math.sqrt(nm) + 1e-7, normMax: nm };
    }
    return c.bounds;
  }

  /**
   * Who is on each query photo: the nearest photo's person, 'unknown' when its distance is not
   * less than `threshold` (strictly, as verify()).
   */
  identify(queries: Float32Array, opts: { threshold?: number; precision?: Precision; candidates?: number } = {}): CompactIdentification[] {
    const where = `${C}.identify`;
    if (opts === null || typeof opts !== 'object') throw typeError(where, 'options { threshold?, precision?, candidates? }', describe(opts));
    const threshold = opts.threshold === undefined ? undefined : checkNumber(where, 'threshold', opts.threshold, 0);
    const r = this.search(queries, 1, { precision: opts.precision, candidates: opts.candidates });
    return Array.from(r.indices, (index, i) => {
      const distance = r.distances[i];
      const candidate = this.names[this.pid[index]];
      const known = threshold === undefined || distance < threshold;
      return { label: known ? candidate : UNKNOWN, known, candidate, distance, index };
    });
  }

  /** Exact distances between query i (rows of dim floats) and gallery row rows[i], for each i. */
  pairDistances(queries: Float32Array, rows: Int32Array | number[]): Float32Array {
    const where = `${C}.pairDistances`;
    this.live('pairDistances');
    const d = this.dim, m = rows.length;
    if (!(queries instanceof Float32Array) || queries.length !== m * d) throw rangeError(where, `queries of rows.length·dim = ${m * d} floats`, describe(queries));
    for (let i = 0; i < m; i++) checkInt(where, `rows[${i}]`, rows[i], 0, this.n - 1);
    const q = new Storage(Math.max(m * d, 1)), idx = new Storage(Math.max(m, 1)), oD = new Storage(Math.max(m, 1)), oI = new Storage(Math.max(m, 1));
    try {
      q.f32view().set(queries);
      idx.i32view().set(rows);
      // One candidate and k = 1 per query: the exact distance of each pair.
      if (this.reader) {
        const g = new Storage(Math.max(m * d, 1));
        try {
          const iv = idx.i32view();
          for (let i = 0; i < m; i++) { this.reader.read(rows[i], rows[i] + 1, new Uint8Array(wasmMemory().buffer, g.ptr + i * d * 4, d * 4)); iv[i] = i; }
          kern().rerank_f32(q.ptr, m, g.ptr, d, idx.ptr, 1, 1, oD.ptr, oI.ptr);
        } finally {
          g.dispose();
        }
      } else {
        kern().rerank_f32(q.ptr, m, this.vec.ptr, d, idx.ptr, 1, 1, oD.ptr, oI.ptr);
      }
      return oD.f32view().slice(0, m);
    } finally {
      for (const s of [q, idx, oD, oI]) s.dispose();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Diameters and D

  /**
   * Computes the diameters of people [p0, p1) (all by default) from all their pairs; ranges of
   * people split over threads. D() and diameters() compute whatever is missing on first use.
   */
  computeDiameters(p0 = 0, p1 = this.names.length): void {
    this.live('computeDiameters');
    this.held('computeDiameters');
    this.checkRange(`${C}.computeDiameters`, p0, p1, this.names.length);
    this.growDiameters();
    for (let p = p0; p < p1; p++) { this.diam[p] = -1; this.pa[p] = -1; this.pb[p] = -1; }
    // Windows of people, so that the segment lists stay small at MegaFace size.
    const W = 1 << 16;
    for (let a = p0; a < p1; a += W) this.diametersOf(a, Math.min(p1, a + W));
    if (p0 === 0 && p1 === this.names.length) this.diamReady = true;
  }

  /**
   * The diameters of people [p0, p1) with diameters_f32, split over threads when the pairs are
   * many: each person's b range is cut into segments of at most a quarter of a part's work (so that
   * the 2,469-photo person splits too), the segments into parts of about equal work, and every
   * segment's farthest pair is folded in with the kernel's own rule (larger distance, then smaller
   * (a, b)), which gives the pair of one unsplit call whatever the cut.
   */
  private diametersOf(p0: number, p1: number): void {
    const d = this.dim, st = this.start;
    const pairs = (b0: number, b1: number) => (b1 * (b1 - 1) - b0 * (b0 - 1)) / 2;
    let total = 0;
    for (let p = p0; p < p1; p++) total += pairs(1, Math.max(1, st[p + 1] - st[p])) * d;
    if (total === 0) return;
    const parts = partsFor(total, DIAMETER_MIN_PART, 4);
    const cap = parts > 1 ? total / parts / 4 : Infinity;
    const segs: number[] = [], owner: number[] = [];
    for (let p = p0; p < p1; p++) {
      const m = st[p + 1] - st[p];
      let b0 = 1;
      while (b0 < m) {
        let b1 = m;
        if (pairs(b0, m) * d > cap) {
          b1 = b0 + 1;
          while (b1 < m && pairs(b0, b1 + 1) * d <= cap) b1++;
        }
        segs.push(st[p], b0, b1, 0);
        owner.push(p);
        b0 = b1;
      }
    }
    const nseg = owner.length;
    const seg = new Storage(nseg * 4), out = new Storage(nseg * 4);
    try {
      seg.i32view().set(segs);
      const bounds = [0];
      let acc = 0;
      for (let s = 0; s < nseg && bounds.length < parts; s++) {
        acc += pairs(segs[4 * s + 1], segs[4 * s + 2]) * d;
        if (acc >= (total * bounds.length) / parts && s + 1 < nseg) bounds.push(s + 1);
      }
      bounds.push(nseg);
      const jobs: number[][] = [];
      for (let i = 0; i + 1 < bounds.length; i++) jobs.push([this.vec.ptr, d, this.order.ptr, seg.ptr, bounds[i], bounds[i + 1], out.ptr]);
      runParts('diameters_f32', jobs);
      const ov = out.f32view(), oi = out.i32view(), ord = this.order.i32view();
      for (let s = 0; s < nseg; s++) {
        const ia = oi[4 * s + 1];
        if (ia < 0) continue;
        const p = owner[s], base = segs[4 * s];
        const v = ov[4 * s], a = ord[base + ia], b = ord[base + oi[4 * s + 2]];
        const dv = this.diam[p];
        if (v > dv || (v === dv && (a < this.pa[p] || (a === this.pa[p] && b < this.pb[p])))) {
          this.diam[p] = v; this.pa[p] = a; this.pb[p] = b;
        }
      }
    } finally {
      seg.dispose();
      out.dispose();
    }
  }

  /** Every person's diameter (0 and the pair [r, r] with one photo), in person order. */
  diameters(): Diameter[] {
    this.ensureDiameters();
    return this.names.map((person, p) => this.diameterOf(person, p));
  }

  /** The diameter of one person. */
  diameter(person: string): Diameter {
    const p = this.nameIndex.get(person);
    if (p === undefined) throw rangeError(`${C}.diameter`, 'a person in the gallery', describe(person));
    this.ensureDiameters();
    return this.diameterOf(person, p);
  }

  /** The per-person diameters as floats (person order; 0 below two photos), a copy. */
  diameterValues(): Float32Array {
    this.ensureDiameters();
    return Float32Array.from(this.diam, (v) => (v < 0 ? 0 : v));
  }

  /** The lecture's D, as Gallery.D (the largest diameter, or a percentile; minPhotos). */
  D(opts: DOptions = {}): DResult {
    const where = `${C}.D`;
    if (opts === null || typeof opts !== 'object') throw typeError(where, 'options { percentile?, minPhotos? }', describe(opts));
    const minPhotos = checkInt(where, 'minPhotos', opts.minPhotos ?? 1, 1);
    this.ensureDiameters();
    const P = this.names.length;
    const keep: number[] = [];
    for (let p = 0; p < P; p++) if (this.countOf(p) >= minPhotos) keep.push(p);
    if (keep.length === 0) throw rangeError(where, `a gallery with at least one person${minPhotos > 1 ? ` with ${minPhotos} or more photos` : ''}`, this.n === 0 ? 'an empty gallery' : `none among ${P} people`);
    const val = (p: number) => (this.diam[p] < 0 ? 0 : this.diam[p]);
    const sorted = Float64Array.from(keep, val).sort();
    let D: number, target: number;
    if (opts.percentile === undefined) {
      D = target = sorted[sorted.length - 1];
    } else {
      const pc = checkNumber(where, 'percentile', opts.percentile, 0, 100);
      const h = ((sorted.length - 1) * pc) / 100;
      const lo = Math.floor(h), hi = Math.ceil(h);
      D = lo === hi ? sorted[lo] : sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
      target = sorted[hi];
    }
    const p = keep.find((x) => val(x) === target) as number;
    const dd = this.diameterOf(this.names[p], p);
    return { D, person: dd.person, pair: dd.pair };
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  private live(method: string): void {
    if (this.disposed) throw new Error(`${C}.${method}: this gallery was disposed`);
  }

  private held(method: string): void {
    if (this.reader) throw new Error(`${C}.${method}: the float32 rows were released (releaseRows); only searches, identify, pairDistances and the diameters computed before remain`);
  }

  private checkRange(where: string, a: number, b: number, max: number): void {
    checkInt(where, `start (0 ≤ start ≤ ${max})`, a, 0, max);
    checkInt(where, `end (start = ${a} ≤ end ≤ ${max})`, b, a, max);
  }

  private newPerson(where: string, name: string, i: number): number {
    if (typeof name !== 'string' || name.length === 0) throw typeError(where, 'person names to be non-empty strings', `${describe(name)} at ${i}`);
    if (name === UNKNOWN) throw rangeError(where, `person names other than '${UNKNOWN}'`, `'${UNKNOWN}' at ${i}`);
    if (this.nameIndex.has(name)) throw rangeError(where, 'distinct person names', `${JSON.stringify(name)} twice`);
    this.nameIndex.set(name, this.names.length);
    this.names.push(name);
    return this.names.length - 1;
  }

  /** Counting sort of the rows by person (stable: rows increase inside a person). */
  private rebuildIndex(): void {
    const P = this.names.length;
    const start = new Int32Array(P + 1);
    for (let r = 0; r < this.n; r++) start[this.pid[r] + 1]++;
    for (let p = 0; p < P; p++) start[p + 1] += start[p];
    const fill = start.slice(0, P);
    const ord = this.order.i32view();
    for (let r = 0; r < this.n; r++) ord[fill[this.pid[r]]++] = r;
    this.start = start;
  }

  private grow(cap: number): void {
    const d = this.dim;
    const vec = keep(new Storage(cap * d));
    vec.f32view().set(this.vec.f32view().subarray(0, this.n * d));
    this.vec.dispose();
    this.vec = vec;
    this.order.dispose();
    this.order = keep(new Storage(cap));
    const pid = new Int32Array(cap);
    pid.set(this.pid.subarray(0, this.n));
    this.pid = pid;
    const kind = this.compact?.kind;
    this.cap = cap;
    if (kind) {
      // Rebuilt at the new capacity over the existing rows (the new ones are encoded by add()).
      this.dropCompact();
      const saved = this.n;
      this.buildCompact(kind, 0, saved);
    }
  }

  /** Encodes rows [r0, r1) into the compact copy, split over threads by ranges of rows. */
  private encodeRows(r0: number, r1: number): void {
    const c = this.compact as Compact, d = this.dim;
    c.bounds = null;
    if (r1 <= r0) return;
    const parts = partsFor((r1 - r0) * d, SCAN_MIN_PART, 2);
    const b = splitRange(r1 - r0, parts);
    const jobs: number[][] = [];
    for (let i = 0; i + 1 < b.length; i++) {
      const a = r0 + b[i], e = r0 + b[i + 1];
      jobs.push(c.kind === 'i8' ? [this.vec.ptr, d, a, e, c.data.ptr] : [this.vec.ptr, a * d, e * d, c.data.ptr]);
    }
    runParts(c.kind === 'i8' ? 'quantize_i8_rows' : 'encode_f16', jobs);
  }

  private growDiameters(): void {
    const P = this.names.length, old = this.diam.length;
    if (old >= P) return;
    const diam = new Float32Array(P).fill(-1), pa = new Int32Array(P).fill(-1), pb = new Int32Array(P).fill(-1);
    diam.set(this.diam);
    pa.set(this.pa);
    pb.set(this.pb);
    this.diam = diam;
    this.pa = pa;
    this.pb = pb;
  }

  private ensureDiameters(): void {
    this.live('diameters');
    if (!this.diamReady) this.computeDiameters();
  }

  /** Folds in the pairs (a, b) of person p with b ≥ from (positions among p's rows); from = 0 recomputes. */
  private diameterInto(p: number, from: number, out: Storage): void {
    const s = this.start[p], m = this.start[p + 1] - s;
    if (from === 0) { this.diam[p] = -1; this.pa[p] = -1; this.pb[p] = -1; }
    if (m < 2) return;
    kern().diameter_f32(this.vec.ptr, this.dim, this.order.ptr + s * 4, Math.max(from, 1), m, out.ptr);
    const v = out.f32view()[0], ia = out.i32view()[1], ib = out.i32view()[2];
    if (ia < 0) return;
    const ord = this.order.i32view();
    const a = ord[s + ia], b = ord[s + ib];
    const dv = this.diam[p];
    if (v > dv || (v === dv && (a < this.pa[p] || (a === this.pa[p] && b < this.pb[p])))) {
      this.diam[p] = v; this.pa[p] = a; this.pb[p] = b;
    }
  }

  private diameterOf(person: string, p: number): Diameter {
    if (this.countOf(p) < 2 || this.diam[p] < 0) {
      const r = this.order.i32view()[this.start[p]];
      return { person, diameter: 0, pair: [r, r] };
    }
    return { person, diameter: this.diam[p], pair: [this.pa[p], this.pb[p]] };
  }
}

// ---------------------------------------------------------------------------------------------
// Rows read from a file

/** Float32 rows read on demand (CompactGallery.releaseRows). */
export interface RowReader {
  /** Rows the source holds, when it knows (releaseRows checks it against the gallery). */
  rows?: number;
  /** Reads rows [r0, r1) (dim little-endian float32 each) into `into`, exactly (r1 − r0)·dim·4 bytes. */
  read(r0: number, r1: number, into: Uint8Array): void;
}

// ---------------------------------------------------------------------------------------------
// Shards

/** A range of gallery rows held by one shard (one wasm memory, later one worker). */
export interface ShardRange { start: number; end: number }

/**
 * Splits `rows` rows into the fewest equal shards whose storage (bytesPerRow each, plus
 * `reserveBytes` per shard for the index, queries and outputs) fits `budgetBytes` (default the
 * 4 GiB of one wasm32 memory less 256 MiB).
 */
export function planShards(rows: number, bytesPerRowAll: number, budgetBytes = 4 * 2 ** 30 - 2 ** 28, reserveBytes = 0): ShardRange[] {
  const where = 'planShards';
  checkInt(where, 'rows', rows, 0);
  checkNumber(where, 'bytesPerRow', bytesPerRowAll, 1);
  const room = budgetBytes - reserveBytes;
  if (!(room >= bytesPerRowAll)) throw rangeError(where, `a budget of at least one row (${bytesPerRowAll} + ${reserveBytes} bytes)`, `${budgetBytes} bytes`);
  const perShard = Math.floor(room / bytesPerRowAll);
  const shards = Math.max(1, Math.ceil(rows / perShard));
  const out: ShardRange[] = [];
  for (let s = 0; s < shards; s++) out.push({ start: Math.floor((rows * s) / shards), end: Math.floor((rows * (s + 1)) / shards) });
  return out;
}

/**
 * Merges per-part lists (each query's c entries sorted by (key, row), parts over increasing row
 * ranges) into the c best of each of m queries, by (key, row).
 */
function mergeLists(pd: Float32Array[], pi: Int32Array[], m: number, c: number, od: Float32Array, oi: Int32Array): void {
  const P = pd.length;
  const pos = new Int32Array(P);
  for (let q = 0; q < m; q++) {
    pos.fill(0);
    const base = q * c;
    for (let t = 0; t < c; t++) {
      let best = -1, bv = 0, bj = 0;
      for (let s = 0; s < P; s++) {
        if (pos[s] >= c) continue;
        const v = pd[s][base + pos[s]], j = pi[s][base + pos[s]];
        if (best < 0 || v < bv || (v === bv && j < bj)) { best = s; bv = v; bj = j; }
      }
      pos[best]++;
      od[base + t] = bv;
      oi[base + t] = bj;
    }
  }
}

/**
 * Merges the top lists of several row ranges or shards (each with absolute row numbers, the same
 * queries in the same order) into the k best per query, ordered by (distance, row): the same
 * lists a single search over the union gives.
 */
export function mergeTopK(parts: TopK[], k: number): TopK {
  const where = 'mergeTopK';
  if (!Array.isArray(parts) || parts.length === 0) throw rangeError(where, 'at least one partial result', describe(parts));
  const nq = parts[0].queries;
  for (const p of parts) if (p.queries !== nq) throw rangeError(where, `partial results for the same ${nq} queries`, `one for ${p.queries}`);
  const total = parts.reduce((s, p) => s + p.k, 0);
  checkInt(where, `k (1 ≤ k ≤ ${total} entries per query in all)`, k, 1, total);
  const indices = new Int32Array(nq * k), distances = new Float32Array(nq * k);
  const pos = new Int32Array(parts.length);
  for (let i = 0; i < nq; i++) {
    pos.fill(0);
    for (let t = 0; t < k; t++) {
      let best = -1, bd = Infinity, bi = 0;
      for (let s = 0; s < parts.length; s++) {
        const p = parts[s];
        if (pos[s] >= p.k) continue;
        const dv = p.distances[i * p.k + pos[s]], iv = p.indices[i * p.k + pos[s]];
        if (best < 0 || dv < bd || (dv === bd && iv < bi)) { best = s; bd = dv; bi = iv; }
      }
      pos[best]++;
      distances[i * k + t] = bd;
      indices[i * k + t] = bi;
    }
  }
  return { k, queries: nq, indices, distances };
}

/** Recall@k of `found` against `truth`: the share of truth's rows that found lists, per query, averaged. */
export function recallAtK(found: TopK, truth: TopK, k = truth.k): number {
  const where = 'recallAtK';
  if (found.queries !== truth.queries) throw rangeError(where, `results for the same queries (${truth.queries})`, `${found.queries}`);
  checkInt(where, `k (≤ both lists: ${Math.min(found.k, truth.k)})`, k, 1, Math.min(found.k, truth.k));
  let hit = 0;
  for (let i = 0; i < truth.queries; i++) {
    const mine = new Set(found.indices.subarray(i * found.k, i * found.k + k));
    for (let t = 0; t < k; t++) if (mine.has(truth.indices[i * truth.k + t])) hit++;
  }
  return hit / (truth.queries * k);
}
