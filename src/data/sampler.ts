// PK batches for triplet training: P people per batch, K photos of each.
import { Rng } from '../random.js';
import { checkInt, describe, rangeError, typeError } from '../errors.js';
import type { FaceDataset } from './dataset.js';

export interface PKSamplerOptions {
  /** One label per item, or a data set (its label(i) is read once). */
  labels: ArrayLike<number> | FaceDataset;
  /** People per batch, >= 2. */
  p: number;
  /** Photos per person per batch, >= 2. */
  k: number;
  seed: number;
  /**
   * Photos of single-photo people added to every batch after its P×K part (default 0): negatives
   * for the triplet loss, classes for a classifier. Each epoch draws them from a seeded shuffle of
   * all such photos, one after the other (wrapping around), so every one is used as evenly as the
   * counts allow; the P×K part is the same as with singles = 0.
   */
  singles?: number;
}

/**
 * Batches of item indices for one epoch at a time:
 * - every person with at least 2 photos is visited in every epoch; people with a single photo
 *   cannot form a positive pair and are never sampled (listed in `excluded`);
 * - each batch holds P people (the last may hold fewer, never fewer than 2) and, for each, K of
 *   their photos drawn without repetition; a person with fewer than K photos gives all of them, so
 *   no photo appears twice in a batch. A batch lists its people one after the other;
 * - when the people do not divide into batches of P and one person would be left alone, the last
 *   two batches are rebalanced (P-1 and 2 people); with P = 2 a second person, already visited in
 *   that epoch, is drawn to pair with them;
 * - epoch e depends only on (seed, e): the same seed gives the same batches, and a resumed run can
 *   ask for epoch e directly.
 */
export class PKSampler {
  readonly p: number;
  readonly k: number;
  readonly seed: number;
  /** Labels of the people sampled (>= 2 photos), ascending. */
  readonly people: readonly number[];
  /** Labels with exactly one photo: never in the P×K part; the `singles` of each batch come from them. */
  readonly excluded: readonly number[];
  readonly singles: number;
  private readonly groups: Map<number, number[]>;
  private nextEpoch = 0;

  constructor(opts: PKSamplerOptions) {
    const where = 'PKSampler';
    if (opts === null || typeof opts !== 'object') throw typeError(where, 'options { labels, p, k, seed }', describe(opts));
    this.p = checkInt(where, 'p (people per batch)', opts.p, 2);
    this.k = checkInt(where, 'k (photos per person)', opts.k, 2);
    this.seed = checkInt(where, 'seed', opts.seed, 0, 0xffffffff);
    this.singles = checkInt(where, 'singles (single-photo people per batch)', opts.singles ?? 0, 0);
    const src = opts.labels as unknown;
    let labels: ArrayLike<number>;
    if (src !== null && typeof src === 'object' && typeof (src as FaceDataset).label === 'function' && typeof (src as FaceDataset).size === 'number') {
      const ds = src as FaceDataset;
      labels = Array.from({ length: ds.size }, (_, i) => ds.label(i));
    } else if (src !== null && typeof src === 'object' && typeof (src as ArrayLike<number>).length === 'number') {
      labels = src as ArrayLike<number>;
    } else throw typeError(where, 'labels as an array of integers or a FaceDataset', describe(src));

    const groups = new Map<number, number[]>();
    for (let i = 0; i < labels.length; i++) {
      const l = checkInt(where, `labels[${i}]`, labels[i], 0);
      let g = groups.get(l);
      if (!g) groups.set(l, (g = []));
      g.push(i);
    }
    const all = [...groups.keys()].sort((a, b) => a - b);
    this.people = Object.freeze(all.filter((l) => groups.get(l)!.length >= 2));
    this.excluded = Object.freeze(all.filter((l) => groups.get(l)!.length < 2));
    if (this.people.length < 2) {
      throw rangeError(where, 'at least 2 people with 2 or more photos each', `${this.people.length} (of ${all.length} people)`);
    }
    this.groups = groups;
  }

  /** Batches in each epoch. */
  get batchesPerEpoch(): number { return Math.ceil(this.people.length / this.p); }

  /** The batches of epoch `e` (default: the epoch after the last one asked for, starting at 0). */
  epoch(e: number = this.nextEpoch): number[][] {
    checkInt('PKSampler.epoch', 'epoch', e, 0);
    this.nextEpoch = e + 1;
    return this.epochAt(e);
  }

  /** The batches of epoch `e`; does not move the default epoch counter. */
  epochAt(e: number): number[][] {
    checkInt('PKSampler.epochAt', 'epoch', e, 0);
    // Hash (seed, e) into one 32-bit seed so every epoch has its own stream.
    const rng = new Rng((Math.imul(this.seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(e + 1, 0x85ebca6b)) >>> 0);
    const order = rng.shuffle([...this.people]);
    const teams: number[][] = [];
    for (let i = 0; i < order.length; i += this.p) teams.push(order.slice(i, i + this.p));
    const last = teams[teams.length - 1];
    if (last.length === 1) {
      const prev = teams[teams.length - 2];
      if (this.p >= 3) last.unshift(prev.pop()!);
      else {
        const others = order.slice(0, order.length - 1);
        last.unshift(others[rng.int(others.length)]);
      }
    }
    const batches = teams.map((team) => team.flatMap((l) => {
      const photos = this.groups.get(l)!;
      return photos.length <= this.k ? rng.shuffle([...photos]) : rng.shuffle([...photos]).slice(0, this.k);
    }));
    if (this.singles > 0 && this.excluded.length > 0) {
      // A stream of its own, so the P×K part does not depend on `singles`.
      const srng = new Rng((Math.imul(this.seed ^ 0x27d4eb2f, 0x165667b1) ^ Math.imul(e + 1, 0xc2b2ae35)) >>> 0);
      const pool = srng.shuffle(this.excluded.map((l) => this.groups.get(l)![0]));
      const take = Math.min(this.singles, pool.length);
      let at = 0;
      for (const b of batches) {
        for (let t = 0; t < take; t++) { b.push(pool[at]); at = (at + 1) % pool.length; }
      }
    }
    return batches;
  }
}
