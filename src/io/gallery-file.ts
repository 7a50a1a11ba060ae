// Gallery files: enrolled embeddings, their people, the hash of the model that made them, the
// lecture's D and a calibrated threshold, in the checksummed container. Vectors are stored in
// chunks of 65,536 rows, each with its own checksum, so damage is reported with its place.
import { FileFormatError, f32chunk, readContainer, writeContainer } from './container.js';
import { Gallery, type DResult } from '../metric/gallery.js';

const ROWS_PER_CHUNK = 65536;

export interface GalleryFile {
  gallery: Gallery;
  /** Hash of the model whose embeddings these are (see modelHash). */
  modelHash: string;
  /** The lecture's D when the file was saved (null for a gallery without a pair of photos of one person). */
  D: DResult | null;
  /** A calibrated verification threshold, when one was saved. */
  threshold: number | null;
  meta: Record<string, unknown>;
}

export interface SaveGalleryOptions { modelHash: string; threshold?: number | null; meta?: Record<string, unknown> }

/** Saves a gallery atomically. */
export function saveGallery(path: string, gallery: Gallery, opts: SaveGalleryOptions): void {
  if (typeof opts.modelHash !== 'string' || !/^[0-9a-f]{64}$/.test(opts.modelHash)) {
    throw new RangeError(`saveGallery: expected modelHash to be the 64-hex-digit hash of a model file, got ${JSON.stringify(opts.modelHash)}`);
  }
  if (opts.threshold !== undefined && opts.threshold !== null && !(Number.isFinite(opts.threshold) && opts.threshold >= 0)) {
    throw new RangeError(`saveGallery: expected threshold to be a finite number >= 0, got ${opts.threshold}`);
  }
  const { dim, labels, vectors } = gallery.toData();
  const people = [...new Set(labels)];
  const index = new Map(people.map((p, i) => [p, i]));
  const rows = Uint32Array.from(labels, (l) => index.get(l) as number);
  const hasPair = gallery.diameters().some((d) => d.pair[0] >= 0);
  const chunks: Array<{ name: string; data: ArrayBufferView }> = [{ name: 'labels', data: rows }];
  for (let r = 0, c = 0; r < labels.length; r += ROWS_PER_CHUNK, c++) {
    chunks.push({ name: `vectors:${c}`, data: vectors.subarray(r * dim, Math.min(labels.length, r + ROWS_PER_CHUNK) * dim) });
  }
  writeContainer(path, {
    kind: 'gallery', dim, count: labels.length, people, modelHash: opts.modelHash,
    D: hasPair ? gallery.D() : null, threshold: opts.threshold ?? null, meta: opts.meta ?? {},
  }, chunks);
}

export interface LoadGalleryOptions {
  /** Refuse the file unless it was made by the model with this hash. */
  modelHash?: string;
}

/** Loads a gallery file; everything is checked before the gallery is built. */
export function loadGallery(path: string, opts: LoadGalleryOptions = {}): GalleryFile {
  const { header, chunks } = readContainer(path, 'gallery');
  const h = header as unknown as { dim: number; count: number; people: string[]; modelHash: string; D: DResult | null; threshold: number | null; meta: Record<string, unknown> };
  if (opts.modelHash !== undefined && h.modelHash !== opts.modelHash) {
    throw new FileFormatError(path, `this gallery was made by another model (hash ${String(h.modelHash).slice(0, 12)}…), not by the one given (hash ${opts.modelHash.slice(0, 12)}…); enrol the photos again with this model`);
  }
  const labelBytes = chunks.get('labels');
  if (!labelBytes || labelBytes.byteLength !== h.count * 4) throw new FileFormatError(path, `corrupt: expected ${h.count} labels`);
  const rows = new Uint32Array(h.count);
  new Uint8Array(rows.buffer).set(labelBytes);
  const labels = Array.from(rows, (r, i) => {
    const p = h.people[r];
    if (p === undefined) throw new FileFormatError(path, `corrupt: row ${i} names person ${r} of ${h.people.length}`);
    return p;
  });
  const vectors = new Float32Array(h.count * h.dim);
  let at = 0;
  for (let c = 0; at < vectors.length; c++) {
    const bytes = chunks.get(`vectors:${c}`);
    if (!bytes) throw new FileFormatError(path, `corrupt: vector chunk ${c} is missing`);
    const v = f32chunk(bytes);
    if (at + v.length > vectors.length) throw new FileFormatError(path, `corrupt: vector chunk ${c} holds more rows than the header's ${h.count}`);
    vectors.set(v, at);
    at += v.length;
  }
  const gallery = Gallery.fromData({ dim: h.dim, labels, vectors });
  return { gallery, modelHash: h.modelHash, D: h.D, threshold: h.threshold, meta: h.meta ?? {} };
}
