// LFW pair lists: the labelled pairs of the verification benchmark.
//   View 1   first line `N`: N same-person pairs, then N different-person pairs (one fold).
//   View 2   first line `FOLDS<TAB>N`: FOLDS blocks, each N same then N different pairs.
//   same     `name<TAB>i<TAB>j`            photos i and j of one person
//   diff     `name1<TAB>i<TAB>name2<TAB>j` photo i of one person, photo j of another
// Fields may be separated by any whitespace; the number of fields is strict. Blank lines are
// skipped. Photo i of a person is ROOT/name/name_%04d.jpg (pairPhotoPath). Every error names the
// file and the line: `pairs.txt:17: expected "name<TAB>i<TAB>j" (a same pair), got "…"`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface PairPhoto { name: string; index: number }

export interface LabelledPair {
  a: PairPhoto;
  b: PairPhoto;
  same: boolean;
  /** Fold of the pair, 0-based (always 0 in View 1). */
  fold: number;
  /** Line of the file the pair came from (1-based). */
  line: number;
}

export interface PairList {
  /** The file the pairs were read from (as given). */
  file: string;
  /** Number of folds: 1 for View 1 (a header `N`), FOLDS for View 2 (a header `FOLDS<TAB>N`). */
  folds: number;
  /** Same pairs per fold (and as many different pairs). */
  perFold: number;
  /** Whether the header had two numbers (View 2's `FOLDS<TAB>N`). */
  view: 1 | 2;
  /** Pairs in file order: fold by fold, each fold's same pairs then its different pairs. */
  pairs: LabelledPair[];
}

/** A pair list that cannot be read: the message starts with `file:line:`. */
export class PairListError extends Error {
  override name = 'PairListError';
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${message}`);
  }
}

const SAME_FORM = '"name<TAB>i<TAB>j" (a same pair)';
const DIFF_FORM = '"name1<TAB>i<TAB>name2<TAB>j" (a different pair)';

function shown(line: string): string {
  const s = line.trim();
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

function count(v: string): number {
  return /^\d+$/.test(v) ? Number(v) : NaN;
}

/**
 * Parses the text of a pair list (`file` names it in errors). Throws PairListError on a bad header,
 * a line of the wrong form or kind, a photo number that is not a whole number ≥ 1, a different
 * pair naming one person twice, and too few or too many pairs for the header.
 */
export function parsePairs(text: string, file = 'pairs'): PairList {
  if (typeof text !== 'string') throw new TypeError(`parsePairs: expected the text of a pair list as a string, got ${typeof text}`);
  const lines = text.split(/\r?\n/);
  const content: Array<{ no: number; fields: string[]; raw: string }> = [];
  lines.forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/).filter((f) => f !== '');
    if (fields.length > 0) content.push({ no: i + 1, fields, raw });
  });
  if (content.length === 0) throw new PairListError(file, 0, 'expected a pair list (a first line "N" or "FOLDS<TAB>N"), got an empty file');
  const head = content[0];
  const nums = head.fields.map(count);
  if (head.fields.length > 2 || nums.some((n) => !(n >= 1))) {
    throw new PairListError(file, head.no, `expected a first line "N" (View 1) or "FOLDS<TAB>N" (View 2) with whole numbers >= 1, got ${shown(head.raw)}`);
  }
  const view: 1 | 2 = nums.length === 2 ? 2 : 1;
  const folds = view === 2 ? nums[0] : 1;
  const perFold = view === 2 ? nums[1] : nums[0];
  const promise = view === 2 ? `${folds} folds of ${perFold} same + ${perFold} different pairs` : `${perFold} same + ${perFold} different pairs`;

  const photo = (no: number, name: string, raw: string): number => {
    const v = count(raw);
    if (!(v >= 1) || !Number.isSafeInteger(v)) throw new PairListError(file, no, `expected photo numbers to be whole numbers >= 1, got ${JSON.stringify(raw)} for ${name}`);
    return v;
  };
  const pairs: LabelledPair[] = [];
  let at = 1;
  for (let fold = 0; fold < folds; fold++) {
    for (const same of [true, false]) {
      for (let k = 0; k < perFold; k++) {
        const where = `${same ? 'same' : 'different'} pair ${k + 1} of ${perFold}${view === 2 ? ` in fold ${fold + 1}` : ''}`;
        const kindCount = `the header says ${perFold} ${same ? 'same' : 'different'} pairs${view === 2 ? ' per fold' : ''}`;
        const c = content[at++];
        if (c === undefined) {
          const last = content[content.length - 1].no;
          throw new PairListError(file, last, `expected ${where}, got the end of the file: ${kindCount}, ` +
            `${view === 2 ? `fold ${fold + 1}` : 'the file'} has ${k} (${promise})`);
        }
        const n = c.fields.length;
        if (n !== 3 && n !== 4) throw new PairListError(file, c.no, `expected ${same ? SAME_FORM : DIFF_FORM}, got ${shown(c.raw)} (${n} fields)`);
        if ((n === 3) !== same) {
          const block = view === 2 ? `fold ${fold + 1}` : 'the file';
          const why = same ? `${kindCount}, ${block} has ${k}`
            : k === 0 ? `the header says ${perFold} same pairs${view === 2 ? ' per fold' : ''}, ${block} has more`
              : `${kindCount}, ${block} has ${k}`;
          throw new PairListError(file, c.no, `expected ${same ? SAME_FORM : DIFF_FORM} as ${where}, got ${shown(c.raw)}: ${why}`);
        }
        const f = c.fields;
        const pair: LabelledPair = same
          ? { a: { name: f[0], index: photo(c.no, f[0], f[1]) }, b: { name: f[0], index: photo(c.no, f[0], f[2]) }, same, fold, line: c.no }
          : { a: { name: f[0], index: photo(c.no, f[0], f[1]) }, b: { name: f[2], index: photo(c.no, f[2], f[3]) }, same, fold, line: c.no };
        if (!same && f[0] === f[2]) throw new PairListError(file, c.no, `expected a different pair to name two people, got ${shown(c.raw)} (${f[0]} twice)`);
        pairs.push(pair);
      }
    }
  }
  if (at < content.length) {
    const c = content[at];
    throw new PairListError(file, c.no, `expected the end of the file after ${promise}, got ${shown(c.raw)} ` +
      `(${content.length - at} more line${content.length - at === 1 ? '' : 's'}; is the header's count right?)`);
  }
  return { file, folds, perFold, view, pairs };
}

/** Reads and parses a pair list file (see parsePairs). */
export function readPairs(path: string): PairList {
  if (typeof path !== 'string' || path === '') throw new TypeError(`readPairs: expected a path as a non-empty string, got ${JSON.stringify(path)}`);
  if (!existsSync(path)) throw new PairListError(path, 0, 'cannot read pair list: no such file');
  if (statSync(path).isDirectory()) throw new PairListError(path, 0, 'expected a pair list file, got a folder');
  return parsePairs(readFileSync(path, 'utf8'), path);
}

/** The file of photo `index` of `name`: ROOT/name/name_0001.jpg (LFW's layout); `ext` with or without its dot. */
export function pairPhotoPath(root: string, name: string, index: number, ext = '.jpg'): string {
  const e = ext.startsWith('.') ? ext : `.${ext}`;
  return join(root, name, `${name}_${String(index).padStart(4, '0')}${e}`);
}

/** The distinct photos of a pair list in first-seen order, and for each pair the positions of its two photos. */
export function pairPhotos(list: PairList): { photos: PairPhoto[]; a: Int32Array; b: Int32Array } {
  const at = new Map<string, number>();
  const photos: PairPhoto[] = [];
  const place = (p: PairPhoto): number => {
    const key = `${p.name}\u0000${p.index}`;
    let i = at.get(key);
    if (i === undefined) { i = photos.length; at.set(key, i); photos.push(p); }
    return i;
  };
  const a = new Int32Array(list.pairs.length), b = new Int32Array(list.pairs.length);
  list.pairs.forEach((p, k) => { a[k] = place(p.a); b[k] = place(p.b); });
  return { photos, a, b };
}
