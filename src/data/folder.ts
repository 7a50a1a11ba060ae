// An image-folder data set: root/<person>/<photo>. People and photos are sorted in natural order
// (s2 < s10, 2.png < 10.png) so labels never depend on the file system. Photos are decoded and
// preprocessed on first use and kept in memory.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { checkInt, checkOption, describe, rangeError, typeError } from '../errors.js';
import { decodeImage, imageFormat, type Image } from './image.js';
import { checkPreprocess, preprocess, type Preprocess } from './transform.js';
import { checkItem, groupByLabel, type FaceDataset } from './dataset.js';

/** File name extensions taken as photos (case-insensitive). */
export const PHOTO_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

/** Splits a name into text and number runs: 'img10b' → ['img', 10, 'b']. */
function chunks(s: string): Array<string | bigint> {
  return s.split(/(\d+)/).filter((t) => t !== '').map((t) => (/^\d/.test(t) ? BigInt(t) : t));
}

/**
 * Natural order: runs of digits compare as numbers (s2 < s10, 2.png < 10.png), text by UTF-16 code
 * units (no locale), and equal-looking names ('01' vs '1') fall back to plain comparison.
 */
export function naturalCompare(a: string, b: string): number {
  const x = chunks(a), y = chunks(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i], q = y[i];
    if (typeof p === 'bigint' && typeof q === 'bigint') { if (p !== q) return p < q ? -1 : 1; }
    else if (typeof p === 'bigint') return -1; // numbers before text
    else if (typeof q === 'bigint') return 1;
    else if (p !== q) return p < q ? -1 : 1;
  }
  if (x.length !== y.length) return x.length - y.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface ImageFolderOptions {
  /**
   * 'throw' (default): a photo that is not a PNG or JPEG, or a person folder without photos, is an
   * error. 'skip': they are left out and listed in `skipped`.
   */
  onError?: 'throw' | 'skip';
  /** Leave out people with fewer photos (after skipping); default 1. */
  minPhotos?: number;
  /** Applied to every photo by get(). */
  preprocess?: Preprocess;
  /**
   * Decode every photo in the constructor (filling the cache), so a broken file is found now:
   * thrown, or skipped and listed. Without it only the first bytes are checked up front and a file
   * that fails to decode later throws from get(). Default false.
   */
  preload?: boolean;
  /** Keep decoded (preprocessed) photos in memory; default true. */
  cache?: boolean;
}

export interface FolderItem { file: string; label: number }
export interface SkippedFile { file: string; reason: string }
export interface CacheStats { hits: number; misses: number; cached: number }

function readHead(file: string): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const head = new Uint8Array(16);
    const n = readSync(fd, head, 0, 16, 0);
    return head.subarray(0, n);
  } finally { closeSync(fd); }
}

function listDir(where: string, path: string, what: string): Dirent[] {
  let st;
  try { st = statSync(path); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${where}: cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such folder' : (e as Error).message}`, { cause: e });
  }
  if (!st.isDirectory()) throw new Error(`${where}: expected ${what} ${path} to be a folder, got a file`);
  return readdirSync(path, { withFileTypes: true });
}

function isDir(parent: string, d: Dirent): boolean {
  if (d.isDirectory()) return true;
  if (!d.isSymbolicLink()) return false;
  try { return statSync(join(parent, d.name)).isDirectory(); } catch { return false; }
}

function isFile(parent: string, d: Dirent): boolean {
  if (d.isFile()) return true;
  if (!d.isSymbolicLink()) return false;
  try { return statSync(join(parent, d.name)).isFile(); } catch { return false; }
}

/**
 * root/<person>/<photo>: every folder under `root` not starting with '.' is a person; every file in
 * it ending in .png, .jpg or .jpeg (any case), not starting with '.', is a photo. Other files are
 * ignored. The label of a photo is its person's index in `people`.
 */
export class ImageFolder implements FaceDataset {
  readonly root: string;
  readonly people: readonly string[];
  readonly items: readonly FolderItem[];
  /** What 'skip' mode left out: unreadable photos, and person folders with no photos (file = the folder). */
  readonly skipped: readonly SkippedFile[];
  readonly preprocessing: Preprocess | undefined;
  /** misses = photos decoded, hits = get() calls served from memory, cached = photos held. */
  readonly cacheStats: CacheStats = { hits: 0, misses: 0, cached: 0 };
  private readonly cache: Array<Image | undefined>;
  private readonly useCache: boolean;
  private readonly groups: number[][];

  constructor(root: string, opts: ImageFolderOptions = {}) {
    const where = 'ImageFolder';
    if (typeof root !== 'string') throw typeError(where, 'the root folder as a string', describe(root));
    const onError = checkOption(where, 'onError', opts.onError ?? 'throw', ['throw', 'skip'] as const);
    const minPhotos = checkInt(where, 'minPhotos', opts.minPhotos ?? 1, 1);
    if (opts.preprocess !== undefined) checkPreprocess(where, opts.preprocess);
    this.root = root;
    this.preprocessing = opts.preprocess;
    this.useCache = opts.cache ?? true;
    const skipped: SkippedFile[] = [];

    const personDirs = listDir(where, root, 'root folder')
      .filter((d) => !d.name.startsWith('.') && isDir(root, d))
      .map((d) => d.name)
      .sort(naturalCompare);
    if (personDirs.length === 0) throw new Error(`${where}: expected person folders in ${root} (root/<person>/<photo>), found none`);

    const preloaded = new Map<string, Image>();
    const people: string[] = [];
    const photoLists: string[][] = [];
    for (const person of personDirs) {
      const dir = join(root, person);
      const files = listDir(where, dir, 'person folder')
        .filter((d) => !d.name.startsWith('.') && isFile(dir, d) && PHOTO_EXTENSIONS.some((e) => d.name.toLowerCase().endsWith(e)))
        .map((d) => d.name)
        .sort(naturalCompare);
      const good: string[] = [];
      for (const name of files) {
        const file = join(dir, name);
        try {
          if (opts.preload) {
            preloaded.set(file, this.decode(file));
          } else {
            const head = readHead(file);
            if (imageFormat(head) === null) decodeImage(head, file); // throws the decoder's message
          }
          good.push(file);
        } catch (e) {
          if (onError === 'throw') throw e;
          skipped.push({ file, reason: (e as Error).message });
        }
      }
      if (good.length === 0) {
        const reason = files.length === 0
          ? `${where}: expected photos (.png, .jpg, .jpeg) in person folder ${dir}, found none`
          : `${where}: expected readable photos in person folder ${dir}, all ${files.length} were skipped`;
        if (onError === 'throw') throw new Error(reason);
        skipped.push({ file: dir, reason });
        continue;
      }
      if (good.length < minPhotos) continue;
      people.push(person);
      photoLists.push(good);
    }
    if (people.length === 0) {
      throw new Error(`${where}: no people left in ${root} (${personDirs.length} person folders, minPhotos ${minPhotos}, ${skipped.length} skipped)`);
    }
    this.people = Object.freeze(people);
    this.items = Object.freeze(photoLists.flatMap((files, label) => files.map((file) => Object.freeze({ file, label }))));
    this.skipped = Object.freeze(skipped);
    this.groups = groupByLabel(this.items.map((it) => it.label), people.length);
    this.cache = new Array(this.items.length);
    if (this.useCache) {
      this.items.forEach((it, i) => { const m = preloaded.get(it.file); if (m) { this.cache[i] = m; this.cacheStats.cached++; } });
    }
  }

  /** Number of photos. */
  get size(): number { return this.items.length; }
  label(i: number): number { return this.items[checkItem('ImageFolder.label', this, i)].label; }
  /** The path of photo i. */
  file(i: number): string { return this.items[checkItem('ImageFolder.file', this, i)].file; }
  source(i: number): string { return this.file(i); }
  photosOf(label: number): readonly number[] {
    return this.groups[checkInt('ImageFolder.photosOf', 'label', label, 0, this.people.length - 1)];
  }

  /** Photo i, decoded and preprocessed; read-only (the cached image itself is returned). */
  get(i: number): Image {
    checkItem('ImageFolder.get', this, i);
    const hit = this.cache[i];
    if (hit) { this.cacheStats.hits++; return hit; }
    const img = this.decode(this.items[i].file);
    if (this.useCache) { this.cache[i] = img; this.cacheStats.cached++; }
    return img;
  }

  /** Forgets every decoded photo. */
  clearCache(): void {
    this.cache.fill(undefined);
    this.cacheStats.cached = 0;
  }

  private decode(file: string): Image {
    let bytes: Uint8Array;
    try { bytes = readFileSync(file); } catch (e) {
      throw new Error(`ImageFolder: cannot read ${file}: ${(e as Error).message}`, { cause: e });
    }
    this.cacheStats.misses++;
    const img = decodeImage(bytes, file);
    return this.preprocessing ? preprocess(img, this.preprocessing) : img;
  }
}

/** `new ImageFolder(root, opts)`. */
export function loadImageFolder(root: string, opts: ImageFolderOptions = {}): ImageFolder {
  return new ImageFolder(root, opts);
}
