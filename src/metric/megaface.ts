// MegaFace-shaped embedding sets (issue 6): 672,057 people, photo counts from a heavy tail between
// 3 and 2,469 with a mean of about 7 (MegaFace: 4.7 M photos), 128-float embeddings clustered per
// person so that identification means something. Seeded and random-access per person: person p's
// centre and photos come from a stream seeded by (seed, p), so a chunk writer can generate person
// by person, row by row (fillRows), never holding more than the chunk it is filling, and a probe
// photo of any person can be drawn later without the gallery (probe).
//
// Counts: a discrete power law P(n) ∝ n^−α on [minPhotos, maxPhotos], α found by bisection so that
// the mean is `meanPhotos`, drawn by inverse CDF; then the person with the most photos gets exactly
// maxPhotos (MegaFace's largest person has 2,469 photos), so the maximum is always reached, and
// the counts are nudged to the exact total round(people · meanPhotos) (4,704,399 by default).
// Vectors: a person's centre is uniform on the unit sphere; a photo is centre + noise with
// N(0, σ_p²/dim) per coordinate (noise norm about σ_p), L2-normalised; σ_p = σ·(0.75 + 0.5·u) varies
// per person. Two photos of one person are about sqrt(2σ²/(1+σ²)) apart, unrelated people about √2.
// Normal deviates come from a fixed table of 65,536 standardised Box–Muller samples indexed by 16
// random bits (about 3 ns a value against 67 ns for Box–Muller per value in plain JS).
import { checkInt, checkNumber, describe, typeError } from '../errors.js';

const WHERE = 'megaface';

export interface MegaFaceOptions {
  /** Number of people (default 672,057). */
  people?: number;
  /** Embedding dimension (default 128). */
  dim?: number;
  /** Seed of everything (default 1). */
  seed?: number;
  /** Target mean photos per person (default 7). */
  meanPhotos?: number;
  /** Fewest photos of a person (default 3). */
  minPhotos?: number;
  /** Most photos of a person; one person gets exactly this many (default 2,469). */
  maxPhotos?: number;
  /** Noise norm of a photo around its person's centre, before normalising (default 0.75). */
  noise?: number;
}

export interface CountStats {
  people: number;
  total: number;
  mean: number;
  min: number;
  max: number;
  median: number;
  /** Index of the person with the most photos. */
  largest: number;
  /** Σ n(n−1)/2: the pairs the diameters examine. */
  pairs: number;
  /** The power-law exponent used. */
  alpha: number;
}

/** mulberry32 step over a one-element state array; returns a u32. */
function next(s: Uint32Array): number {
  s[0] = (s[0] + 0x6d2b79f5) >>> 0;
  let x = s[0];
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return (x ^ (x >>> 14)) >>> 0;
}

/** A well-mixed 32-bit seed for (seed, a, b) (murmur3's finaliser). */
function mix(seed: number, a: number, b: number): number {
  let h = (seed ^ Math.imul(a + 1, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca77)) >>> 0;
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

let NORMALS: Float32Array | null = null;
/** 65,536 Box–Muller samples from a fixed seed, shifted and scaled to mean 0, variance 1. */
function normals(): Float32Array {
  if (NORMALS) return NORMALS;
  const s = new Uint32Array([0x5eed]);
  const t = new Float64Array(65536);
  for (let i = 0; i < t.length; i += 2) {
    const u1 = (next(s) + 1) / 4294967297, u2 = next(s) / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    t[i] = r * Math.cos(2 * Math.PI * u2);
    t[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  let m = 0;
  for (const v of t) m += v;
  m /= t.length;
  let v2 = 0;
  for (const v of t) v2 += (v - m) ** 2;
  const sd = Math.sqrt(v2 / t.length);
  NORMALS = Float32Array.from(t, (v) => (v - m) / sd);
  return NORMALS;
}

/** Mean of the power law ∝ n^−α on [lo, hi]. */
function plMean(alpha: number, lo: number, hi: number): number {
  let z = 0, m = 0;
  for (let n = lo; n <= hi; n++) { const w = n ** -alpha; z += w; m += n * w; }
  return m / z;
}

/** The exponent α whose power law on [lo, hi] has mean `mean` (bisection; the mean falls as α rises). */
export function powerLawAlpha(mean: number, lo: number, hi: number): number {
  let a = 0, b = 10;
  for (let it = 0; it < 60; it++) {
    const c = (a + b) / 2;
    if (plMean(c, lo, hi) > mean) a = c; else b = c;
  }
  return (a + b) / 2;
}

/** Photo counts of `people` people (see the file header), seeded. */
export function megafaceCounts(opts: MegaFaceOptions = {}): { counts: Int32Array; alpha: number } {
  const o = resolve(opts);
  const alpha = powerLawAlpha(o.meanPhotos, o.minPhotos, o.maxPhotos);
  const span = o.maxPhotos - o.minPhotos + 1;
  const cdf = new Float64Array(span);
  let z = 0;
  for (let i = 0; i < span; i++) { z += (o.minPhotos + i) ** -alpha; cdf[i] = z; }
  for (let i = 0; i < span; i++) cdf[i] /= z;
  const s = new Uint32Array([mix(o.seed, 0x7fffffff, 0)]);
  const counts = new Int32Array(o.people);
  let largest = 0;
  for (let p = 0; p < o.people; p++) {
    const u = (next(s) + next(s) / 4294967296) / 4294967296;
    let lo = 0, hi = span - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < u) lo = mid + 1; else hi = mid; }
    counts[p] = o.minPhotos + lo;
    if (counts[p] > counts[largest]) largest = p;
  }
  counts[largest] = o.maxPhotos;
  // The sum of a heavy tail is skewed (most draws fall short of the mean, a rare large one makes up
  // for it), so the draw is adjusted to the exact total round(people · mean): one photo more (or
  // less) for people drawn at random, within [minPhotos, maxPhotos], the largest person left alone.
  const target = Math.round(o.people * o.meanPhotos);
  let total = 0;
  for (let p = 0; p < o.people; p++) total += counts[p];
  const room = o.people > 1 ? o.people - 1 : 0;
  for (let guard = 0; total !== target && room > 0 && guard < 64 * o.people; guard++) {
    const p = next(s) % o.people;
    if (p === largest) continue;
    if (total < target && counts[p] < o.maxPhotos) { counts[p]++; total++; }
    else if (total > target && counts[p] > o.minPhotos) { counts[p]--; total--; }
  }
  return { counts, alpha };
}

/** Figures of a count array. */
export function countStats(counts: Int32Array, alpha = NaN): CountStats {
  let total = 0, min = Infinity, max = -Infinity, largest = 0, pairs = 0;
  for (let p = 0; p < counts.length; p++) {
    const n = counts[p];
    total += n;
    pairs += (n * (n - 1)) / 2;
    if (n < min) min = n;
    if (n > max) { max = n; largest = p; }
  }
  const sorted = Int32Array.from(counts).sort();
  const median = sorted.length ? sorted[sorted.length >> 1] : NaN;
  return { people: counts.length, total, mean: total / counts.length, min, max, median, largest, pairs, alpha };
}

interface Resolved { people: number; dim: number; seed: number; meanPhotos: number; minPhotos: number; maxPhotos: number; noise: number }

function resolve(opts: MegaFaceOptions): Resolved {
  if (opts === null || typeof opts !== 'object') throw typeError(WHERE, 'options { people?, dim?, seed?, … }', describe(opts));
  const minPhotos = checkInt(WHERE, 'minPhotos', opts.minPhotos ?? 3, 1);
  const maxPhotos = checkInt(WHERE, `maxPhotos (≥ minPhotos = ${minPhotos})`, opts.maxPhotos ?? 2469, minPhotos);
  return {
    people: checkInt(WHERE, 'people', opts.people ?? 672057, 1),
    dim: checkInt(WHERE, 'dim', opts.dim ?? 128, 1),
    seed: checkInt(WHERE, 'seed', opts.seed ?? 1, 0, 2 ** 32 - 1),
    meanPhotos: checkNumber(WHERE, `meanPhotos (in (minPhotos, maxPhotos) = (${minPhotos}, ${maxPhotos}))`, opts.meanPhotos ?? 7, minPhotos, maxPhotos),
    minPhotos,
    maxPhotos,
    noise: checkNumber(WHERE, 'noise', opts.noise ?? 0.75, 0),
  };
}

/** The generator: counts up front, vectors person by person on demand. */
export class MegaFace {
  readonly people: number;
  readonly dim: number;
  readonly seed: number;
  readonly noise: number;
  /** Photos of each person. */
  readonly counts: Int32Array;
  /** First row of each person (people + 1 entries; the last is the total). */
  readonly starts: Float64Array;
  readonly stats: CountStats;
  private readonly table = normals();
  // Sequential state of fillRows.
  private row = 0;
  private person = 0;
  private photo = 0;
  private centre: Float32Array;
  private sigma = 0;
  private state = new Uint32Array(1);

  constructor(opts: MegaFaceOptions = {}) {
    const o = resolve(opts);
    this.people = o.people;
    this.dim = o.dim;
    this.seed = o.seed;
    this.noise = o.noise;
    const { counts, alpha } = megafaceCounts(o);
    this.counts = counts;
    this.starts = new Float64Array(o.people + 1);
    for (let p = 0; p < o.people; p++) this.starts[p + 1] = this.starts[p] + counts[p];
    this.stats = countStats(counts, alpha);
    this.centre = new Float32Array(o.dim);
    this.rewind();
  }

  /** Total photos. */
  get total(): number { return this.stats.total; }

  /** The name of person p (fixed width, sortable). */
  name(p: number): string { return `mf${String(p).padStart(7, '0')}`; }

  /** All names, in person order. */
  names(): string[] { return Array.from({ length: this.people }, (_, p) => this.name(p)); }

  /** The person of every row (rows are grouped by person, in person order). */
  labels(): Uint32Array {
    const out = new Uint32Array(this.total);
    for (let p = 0; p < this.people; p++) out.fill(p, this.starts[p], this.starts[p + 1]);
    return out;
  }

  /** Restarts fillRows at row 0. */
  rewind(): void {
    this.row = 0;
    this.person = 0;
    this.photo = 0;
    if (this.people > 0) this.beginPerson(0);
  }

  /**
   * Writes the next `rows` rows (continuing where the last call stopped) into out[at·dim …].
   * The rows are the same whatever the sizes of the calls.
   */
  fillRows(out: Float32Array, rows: number, at = 0): void {
    const d = this.dim;
    if (this.row + rows > this.total) throw new RangeError(`megaface.fillRows: expected at most ${this.total - this.row} more rows, got ${rows}`);
    if ((at + rows) * d > out.length) throw new RangeError(`megaface.fillRows: expected out to hold ${(at + rows) * d} floats, got ${out.length}`);
    for (let r = 0; r < rows; r++) {
      while (this.photo >= this.counts[this.person]) { this.person++; this.photo = 0; this.beginPerson(this.person); }
      this.photoInto(this.state, this.sigma, out, (at + r) * d);
      this.photo++;
      this.row++;
    }
  }

  /** Person p's centre (unit length); any p ≥ 0, also past `people` (people never enrolled). */
  centreOf(p: number, out = new Float32Array(this.dim)): Float32Array {
    const s = new Uint32Array([mix(this.seed, p, 0)]);
    this.unitInto(s, out);
    return out;
  }

  /**
   * A fresh photo of person p (not one of the gallery's), the j-th probe; p ≥ people draws
   * photos of people who are not in the gallery (unknowns).
   */
  probe(p: number, j: number, out = new Float32Array(this.dim), at = 0): Float32Array {
    const c = this.centreOf(p);
    const sigma = this.sigmaOf(p);
    const s = new Uint32Array([mix(this.seed, p, j + 1)]);
    const saved = this.centre;
    this.centre = c;
    this.photoInto(s, sigma, out, at);
    this.centre = saved;
    return out;
  }

  private sigmaOf(p: number): number {
    const s = new Uint32Array([mix(this.seed, p, 0xfffffffe)]);
    return this.noise * (0.75 + 0.5 * (next(s) / 4294967296));
  }

  private beginPerson(p: number): void {
    this.state[0] = mix(this.seed, p, 0);
    this.unitInto(this.state, this.centre);
    this.sigma = this.sigmaOf(p);
  }

  /** dim normal deviates from the table into out, normalised to unit length. */
  private unitInto(s: Uint32Array, out: Float32Array): void {
    const t = this.table;
    let n2 = 0;
    for (let k = 0; k < this.dim; k++) {
      const v = t[next(s) & 0xffff];
      out[k] = v;
      n2 += v * v;
    }
    const inv = 1 / Math.sqrt(n2);
    for (let k = 0; k < this.dim; k++) out[k] *= inv;
  }

  /** centre + N(0, σ²/dim) noise, normalised, into out[at …]. */
  private photoInto(s: Uint32Array, sigma: number, out: Float32Array, at: number): void {
    const d = this.dim, t = this.table, c = this.centre;
    const sd = sigma / Math.sqrt(d);
    let n2 = 0;
    let k = 0;
    for (; k + 2 <= d; k += 2) {
      const r = next(s);
      const a = c[k] + sd * t[r & 0xffff], b = c[k + 1] + sd * t[r >>> 16];
      out[at + k] = a;
      out[at + k + 1] = b;
      n2 += a * a + b * b;
    }
    for (; k < d; k++) {
      const a = c[k] + sd * t[next(s) & 0xffff];
      out[at + k] = a;
      n2 += a * a;
    }
    const inv = 1 / Math.sqrt(n2);
    for (let i = 0; i < d; i++) out[at + i] *= inv;
  }
}
