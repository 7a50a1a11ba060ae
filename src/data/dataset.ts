// The data set interface the training loop and the evaluators read, an in-memory data set, and
// subsets/splits by people or by photos. Subsets are views: get() goes to the parent, so a subset
// of an ImageFolder shares its cache of decoded photos.
import { Rng } from '../random.js';
import { checkInt, checkNumber, describe, rangeError, typeError } from '../errors.js';
import { checkImage, type Image } from './image.js';
import { checkPreprocess, preprocess, type Preprocess } from './transform.js';

/** Labelled face photos: item i is a photo of person `people[label(i)]`. */
export interface FaceDataset {
  /** Number of photos. */
  readonly size: number;
  /** Person names; a label is an index into this list. */
  readonly people: readonly string[];
  /** The person (index into `people`) of photo i. */
  label(i: number): number;
  /** Photo i, preprocessed. Treat it as read-only: data sets may hand out a cached image. */
  get(i: number): Image;
  /** Indices of the photos of one person, in order. */
  photosOf(label: number): readonly number[];
  /** Where photo i comes from (a file path, or a description), for messages and reports. */
  source?(i: number): string;
}

/** Throws unless `i` is an item index of `ds`. */
export function checkItem(where: string, ds: { size: number }, i: number): number {
  return checkInt(where, 'an item index', i, 0, ds.size - 1);
}

/** Item indices grouped by label: result[l] lists the photos of person l in ascending order. */
export function groupByLabel(labels: ArrayLike<number>, people: number): number[][] {
  const groups: number[][] = Array.from({ length: people }, () => []);
  for (let i = 0; i < labels.length; i++) groups[labels[i]].push(i);
  return groups;
}

function isDataset(v: unknown): v is FaceDataset {
  const d = v as FaceDataset;
  return d !== null && typeof d === 'object' && typeof d.size === 'number' && Array.isArray(d.people)
    && typeof d.label === 'function' && typeof d.get === 'function' && typeof d.photosOf === 'function';
}

/** Throws unless `ds` looks like a FaceDataset. */
export function checkDataset(where: string, ds: unknown): FaceDataset {
  if (!isDataset(ds)) throw typeError(where, 'a FaceDataset (size, people, label(i), get(i), photosOf(label))', describe(ds));
  return ds;
}

export interface ArrayDatasetOptions {
  /** Applied once to every image in the constructor. */
  preprocess?: Preprocess;
}

/** A data set of in-memory images (a built-in synthetic set, tests, photos decoded elsewhere). */
export class ArrayDataset implements FaceDataset {
  readonly people: readonly string[];
  readonly images: readonly Image[];
  readonly labels: Int32Array;
  private readonly groups: number[][];

  /**
   * `labels[i]` is the person of `images[i]`, an integer in [0, people.length). Without `people`,
   * the people are named '0', '1', … up to the largest label.
   */
  constructor(images: readonly Image[], labels: ArrayLike<number>, people?: readonly string[], opts: ArrayDatasetOptions = {}) {
    const where = 'ArrayDataset';
    if (!Array.isArray(images)) throw typeError(where, 'an array of images', describe(images));
    if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') throw typeError(where, 'labels as an array of integers', describe(labels));
    if (labels.length !== images.length) throw rangeError(where, `one label per image (${images.length})`, `${labels.length} labels`);
    let max = -1;
    for (let i = 0; i < labels.length; i++) { checkInt(where, `labels[${i}]`, labels[i], 0); max = Math.max(max, labels[i]); }
    if (people !== undefined) {
      if (!Array.isArray(people) || people.some((p) => typeof p !== 'string')) throw typeError(where, 'people as an array of names', describe(people));
      if (max >= people.length) throw rangeError(where, `labels below people.length = ${people.length}`, `label ${max}`);
    }
    this.people = Object.freeze([...(people ?? Array.from({ length: max + 1 }, (_, l) => String(l)))]);
    if (opts.preprocess !== undefined) checkPreprocess(where, opts.preprocess);
    this.images = Object.freeze(images.map((m, i) => {
      checkImage(where, m, `images[${i}]`);
      return opts.preprocess ? preprocess(m, opts.preprocess) : m;
    }));
    this.labels = Int32Array.from(labels);
    this.groups = groupByLabel(this.labels, this.people.length);
  }

  get size(): number { return this.images.length; }
  label(i: number): number { return this.labels[checkItem('ArrayDataset.label', this, i)]; }
  get(i: number): Image { return this.images[checkItem('ArrayDataset.get', this, i)]; }
  photosOf(label: number): readonly number[] { return this.groups[checkInt('ArrayDataset.photosOf', 'label', label, 0, this.people.length - 1)]; }
  source(i: number): string { return `image ${checkItem('ArrayDataset.source', this, i)} (${this.people[this.labels[i]]})`; }
}

/**
 * A view of some photos of a parent data set. Its people are `peopleLabels` of the parent (in
 * that order), relabelled 0, 1, …; get() reads through to the parent (sharing its cache).
 */
export class Subset implements FaceDataset {
  readonly parent: FaceDataset;
  /** Parent item index of each item. */
  readonly indices: Int32Array;
  readonly people: readonly string[];
  /** Parent label of each of this subset's people. */
  readonly parentLabels: Int32Array;
  private readonly labels: Int32Array;
  private readonly groups: number[][];

  constructor(parent: FaceDataset, indices: ArrayLike<number>, peopleLabels?: ArrayLike<number>) {
    const where = 'Subset';
    checkDataset(where, parent);
    for (let i = 0; i < indices.length; i++) checkItem(where, parent, indices[i]);
    const used = peopleLabels ?? [...new Set(Array.from(indices, (j) => parent.label(j)))].sort((a, b) => a - b);
    const toLocal = new Map<number, number>();
    Array.from(used).forEach((l, k) => {
      checkInt(where, 'a parent label', l, 0, parent.people.length - 1);
      if (toLocal.has(l)) throw rangeError(where, 'each parent person once', `label ${l} twice`);
      toLocal.set(l, k);
    });
    this.parent = parent;
    this.indices = Int32Array.from(indices);
    this.parentLabels = Int32Array.from(used);
    this.people = Object.freeze(Array.from(this.parentLabels, (l) => parent.people[l]));
    this.labels = this.indices.map((j) => {
      const l = toLocal.get(parent.label(j));
      if (l === undefined) throw rangeError(where, 'items of the chosen people only', `item ${j} of ${parent.people[parent.label(j)]}`);
      return l;
    });
    this.groups = groupByLabel(this.labels, this.people.length);
  }

  get size(): number { return this.indices.length; }
  label(i: number): number { return this.labels[checkItem('Subset.label', this, i)]; }
  get(i: number): Image { return this.parent.get(this.indices[checkItem('Subset.get', this, i)]); }
  photosOf(label: number): readonly number[] { return this.groups[checkInt('Subset.photosOf', 'label', label, 0, this.people.length - 1)]; }
  source(i: number): string {
    const j = this.indices[checkItem('Subset.source', this, i)];
    return this.parent.source ? this.parent.source(j) : `item ${j}`;
  }
}

/**
 * Several data sets as one, for training on more people (e.g. ORL plus Yale B plus LFW): their
 * people one after the other, each name prefixed with its part's name (`yaleb/yaleB01`) so two
 * parts may both have a person called `s1`. Photos must have the same shape in every part (give
 * each part a preprocess with the same size and channels); get() reads through to the parts.
 */
export class ConcatDataset implements FaceDataset {
  readonly parts: readonly FaceDataset[];
  readonly people: readonly string[];
  readonly size: number;
  private readonly itemStart: Int32Array;
  private readonly labelStart: Int32Array;
  private readonly groups: number[][];

  /** `names[p]` prefixes the people of `parts[p]` (`name/person`); '' keeps the names as they are. */
  constructor(parts: readonly FaceDataset[], names: readonly string[]) {
    const where = 'ConcatDataset';
    if (!Array.isArray(parts) || parts.length === 0) throw typeError(where, 'a non-empty array of data sets', describe(parts));
    parts.forEach((d, p) => checkDataset(`${where}: part ${p}`, d));
    if (!Array.isArray(names) || names.length !== parts.length || names.some((n) => typeof n !== 'string')) {
      throw typeError(where, `one name (a string) per part (${parts.length})`, describe(names));
    }
    this.parts = Object.freeze([...parts]);
    this.itemStart = new Int32Array(parts.length + 1);
    this.labelStart = new Int32Array(parts.length + 1);
    const people: string[] = [];
    parts.forEach((d, p) => {
      this.itemStart[p + 1] = this.itemStart[p] + d.size;
      this.labelStart[p + 1] = this.labelStart[p] + d.people.length;
      for (const n of d.people) people.push(names[p] ? `${names[p]}/${n}` : n);
    });
    const seen = new Set<string>();
    for (const n of people) {
      if (seen.has(n)) throw rangeError(where, 'distinct person names across the parts (give the parts distinct names)', JSON.stringify(n) + ' twice');
      seen.add(n);
    }
    this.people = Object.freeze(people);
    this.size = this.itemStart[parts.length];
    this.groups = parts.flatMap((d, p) => d.people.map((_: string, l: number) => d.photosOf(l).map((i: number) => i + this.itemStart[p])));
  }

  /** The part holding item i and the item's index within it. */
  private locate(where: string, i: number): [number, number] {
    checkItem(where, this, i);
    let p = 0;
    while (i >= this.itemStart[p + 1]) p++;
    return [p, i - this.itemStart[p]];
  }

  label(i: number): number {
    const [p, j] = this.locate('ConcatDataset.label', i);
    return this.parts[p].label(j) + this.labelStart[p];
  }
  get(i: number): Image {
    const [p, j] = this.locate('ConcatDataset.get', i);
    return this.parts[p].get(j);
  }
  photosOf(label: number): readonly number[] { return this.groups[checkInt('ConcatDataset.photosOf', 'label', label, 0, this.people.length - 1)]; }
  source(i: number): string {
    const [p, j] = this.locate('ConcatDataset.source', i);
    const d = this.parts[p];
    return d.source ? d.source(j) : `item ${j} of part ${p}`;
  }
}

/** The photos of some people: by name (an unknown name is an error), or those a predicate keeps. */
export function subsetPeople(ds: FaceDataset, which: readonly string[] | ((name: string, label: number) => boolean)): Subset {
  const where = 'subsetPeople';
  checkDataset(where, ds);
  let labels: number[];
  if (typeof which === 'function') {
    labels = ds.people.flatMap((name, l) => (which(name, l) ? [l] : []));
  } else if (Array.isArray(which)) {
    const index = new Map(ds.people.map((n, l) => [n, l]));
    const wanted = new Set<number>();
    for (const name of which) {
      const l = index.get(name);
      if (l === undefined) throw rangeError(where, 'names of people in the data set', JSON.stringify(name), `it has ${ds.people.length} people, e.g. ${ds.people.slice(0, 3).map((n) => JSON.stringify(n)).join(', ')}`);
      wanted.add(l);
    }
    labels = [...wanted].sort((a, b) => a - b);
  } else throw typeError(where, 'an array of names or a predicate (name, label) => boolean', describe(which));
  return new Subset(ds, labels.flatMap((l) => [...ds.photosOf(l)]), labels);
}

export interface SplitOptions {
  /** A fraction in (0, 1), or a whole count >= 1. */
  test: number;
  seed: number;
}

export interface Split { train: Subset; test: Subset }

/**
 * Disjoint people on each side: `test` people (a count, or a fraction of the people rounded and
 * kept within [1, people - 1]) chosen by a seeded shuffle; both sides list people in the parent's order.
 */
export function splitByPeople(ds: FaceDataset, opts: SplitOptions): Split {
  const where = 'splitByPeople';
  checkDataset(where, ds);
  const { test, seed } = opts;
  checkInt(where, 'seed', seed, 0, 0xffffffff);
  const n = ds.people.length;
  if (n < 2) throw rangeError(where, 'a data set with at least 2 people', `${n}`);
  checkNumber(where, 'test', test, 0);
  let nTest: number;
  if (test > 0 && test < 1) nTest = Math.min(Math.max(Math.round(test * n), 1), n - 1);
  else nTest = checkInt(where, 'test (a fraction in (0, 1) or a count of people)', test, 1, n - 1);
  const order = new Rng(seed).shuffle(Array.from({ length: n }, (_, l) => l));
  const inTest = new Uint8Array(n);
  for (let k = 0; k < nTest; k++) inTest[order[k]] = 1;
  const side = (flag: number) => {
    const labels = Array.from({ length: n }, (_, l) => l).filter((l) => inTest[l] === flag);
    return new Subset(ds, labels.flatMap((l) => [...ds.photosOf(l)]), labels);
  };
  return { train: side(0), test: side(1) };
}

/**
 * The same people on both sides, with the parent's labels: for each person, `test` of their photos
 * (a count, or a fraction rounded) go to the test side, chosen by a seeded shuffle, always leaving at
 * least one on the train side (a person with one photo is train only).
 */
export function splitByPhotos(ds: FaceDataset, opts: SplitOptions): Split {
  const where = 'splitByPhotos';
  checkDataset(where, ds);
  const { test, seed } = opts;
  checkInt(where, 'seed', seed, 0, 0xffffffff);
  checkNumber(where, 'test', test, 0);
  const fraction = test > 0 && test < 1;
  if (!fraction) checkInt(where, 'test (a fraction in (0, 1) or a count of photos per person)', test, 1);
  const rng = new Rng(seed);
  const train: number[] = [], held: number[] = [];
  for (let l = 0; l < ds.people.length; l++) {
    const photos = [...ds.photosOf(l)];
    const want = fraction ? Math.round(test * photos.length) : test;
    const nTest = Math.min(want, Math.max(photos.length - 1, 0));
    const chosen = new Set(rng.shuffle([...photos]).slice(0, nTest));
    for (const i of photos) (chosen.has(i) ? held : train).push(i);
  }
  const all = Array.from({ length: ds.people.length }, (_, l) => l);
  const byIndex = (a: number, b: number) => a - b;
  return { train: new Subset(ds, train.sort(byIndex), all), test: new Subset(ds, held.sort(byIndex), all) };
}
