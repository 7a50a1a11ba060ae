// Gallery files written and read chunk by chunk (issue 6), for galleries of millions of photos.
//
// The file is an ordinary facemetric container of kind 'gallery' (container.ts: magic, format
// version, checksummed JSON header, chunks each followed by its CRC-32, end marker), laid out as
// gallery-file.ts lays it out: the header names the people, chunk "labels" holds each row's person
// number (u32), chunks "vectors:0", "vectors:1", … hold rowsPerChunk rows of dim float32 each. So
// loadGallery reads a small one into a Gallery, and these functions read any gallery file into a
// CompactGallery. The header adds `stream: { version, rowsPerChunk }` and `synthetic` (true for
// generated embeddings, whose modelHash is the marker 'synthetic' instead of a model's hash).
//
// Writing: every chunk size is known up front (the header lists them), so the header is written
// first and the rows are produced chunk by chunk into one buffer in the engine's memory, checked
// and written; a temporary file is renamed over the target at the end, as writeContainer does.
// Reading: straight into the gallery's float32 block with positioned reads, each chunk's CRC-32
// checked in WebAssembly (crc32_update, about 10× the plain-JS crc32), no full-size copy anywhere;
// a damaged chunk is refused naming the file, the chunk, its index, its rows and its byte range.
import { closeSync, fstatSync, openSync, read, readSync } from 'node:fs';
import { FORMAT_VERSION, FileFormatError, MAGIC, preamble, writeAtomically } from './container.js';
import { crc32, crcTables } from './crc32.js';
import { Storage, keep } from '../memory.js';
import { kernels, wasmMemory } from '../wasm.js';
import { CompactGallery, type RowReader } from '../metric/compact.js';
import { describe, rangeError, typeError } from '../errors.js';
import type { DResult } from '../metric/gallery.js';

interface K {
  crc32_update(table: number, p: number, n: number, crc: number): number;
  crc32_parts4(table: number, p: number, n: number, out: number): void;
}

const END = 'FMEND\0\0\0';
/** The version of the chunked layout (header field stream.version). */
export const STREAM_VERSION = 1;
/** The marker that stands for a model hash in files of generated embeddings. */
export const SYNTHETIC = 'synthetic';
const DEFAULT_ROWS_PER_CHUNK = 65536;

let TABLE: Storage | null = null;
/** Where crc32_parts4 writes (allocated with the table, so that a check never allocates). */
let PARTS: Storage | null = null;
/** The slicing-by-8 CRC table in the engine's memory (built once). */
function crcTable(): Storage {
  if (TABLE && !TABLE.disposed && PARTS && !PARTS.disposed) return TABLE;
  PARTS = keep(new Storage(4));
  const t = crcTables(8);
  TABLE = keep(new Storage(t.length));
  new Uint32Array(wasmMemory().buffer, TABLE.ptr, t.length).set(t);
  return TABLE;
}

function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i];
  return sum >>> 0;
}

function gf2Square(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(mat, mat[n]);
}

/**
 * The CRC-32 of A followed by B from crc1 = CRC(A), crc2 = CRC(B) and B's length (zlib's
 * crc32_combine: crc1 advanced over len2 zero bytes by squaring the one-zero-bit operator in GF(2)).
 */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  if (len2 <= 0) return crc1 >>> 0;
  const even = new Uint32Array(32), odd = new Uint32Array(32);
  odd[0] = 0xedb88320;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row;
  gf2Square(even, odd);
  gf2Square(odd, even);
  let c = crc1 >>> 0;
  let len = len2;
  do {
    gf2Square(even, odd);
    if (len % 2 === 1) c = gf2Times(even, c);
    len = Math.floor(len / 2);
    if (len === 0) break;
    gf2Square(odd, even);
    if (len % 2 === 1) c = gf2Times(odd, c);
    len = Math.floor(len / 2);
  } while (len !== 0);
  return (c ^ crc2) >>> 0;
}

/**
 * CRC-32 of bytes (the value crc32.ts gives): in WebAssembly when they lie in the engine's
 * memory (four interleaved chains joined by crc32Combine), in plain JS otherwise.
 */
export function crc32Fast(bytes: Uint8Array, crc = 0): number {
  if (bytes.buffer !== wasmMemory().buffer) return crc32(bytes, crc);
  const t = crcTable();
  const n = bytes.byteLength;
  if (n < 4096) return kernels<K>().crc32_update(t.ptr, bytes.byteOffset, n, crc) >>> 0;
  const out = PARTS as Storage;
  {
    let c = crc >>> 0;
    const step = 1 << 30;
    for (let off = 0; off < n; off += step) {
      const m = Math.min(step, n - off);
      kernels<K>().crc32_parts4(t.ptr, bytes.byteOffset + off, m, out.ptr);
      const v = new Uint32Array(wasmMemory().buffer, out.ptr, 4);
      const q = 8 * Math.floor(m / 32);
      c = crc32Combine(c, v[0], q);
      c = crc32Combine(c, v[1], q);
      c = crc32Combine(c, v[2], q);
      c = crc32Combine(c, v[3], m - 3 * q);
    }
    return c;
  }
}

export interface GalleryStreamInfo {
  dim: number;
  /** Person names, indexed by the numbers in labels. */
  people: string[];
  /** The person number of every row; its length is the number of rows. */
  labels: Uint32Array;
  /** The 64-hex-digit hash of the model that made the embeddings, or 'synthetic'. */
  modelHash: string;
  /** Rows per vector chunk (default 65,536: 32 MiB chunks at dim 128). */
  rowsPerChunk?: number;
  D?: DResult | null;
  threshold?: number | null;
  meta?: Record<string, unknown>;
}

export interface StreamSummary {
  path: string;
  bytes: number;
  rows: number;
  /** Vector chunks. */
  chunks: number;
}

/** The rows producer of writeGalleryStream: fill out (rows·dim floats) with rows row0 … row0+rows−1. */
export type FillRows = (out: Float32Array, row0: number, rows: number) => void;


/**
 * Writes a gallery file chunk by chunk: `fill` is called once per chunk, in row order, and only
 * one chunk of rows is ever held. Atomic (temporary file, fsync, rename).
 */
export function writeGalleryStream(path: string, info: GalleryStreamInfo, fill: FillRows): StreamSummary {
  const where = 'writeGalleryStream';
  const { dim, people, labels } = info;
  if (!(Number.isInteger(dim) && dim >= 1)) throw new RangeError(`${where}: expected dim to be an integer >= 1, got ${dim}`);
  if (!Array.isArray(people)) throw new TypeError(`${where}: expected people as an array of names, got ${typeof people}`);
  if (!(labels instanceof Uint32Array)) throw new TypeError(`${where}: expected labels as a Uint32Array, got ${Object.prototype.toString.call(labels)}`);
  if (info.modelHash !== SYNTHETIC && !/^[0-9a-f]{64}$/.test(info.modelHash)) {
    throw new RangeError(`${where}: expected modelHash to be a model's 64-hex-digit hash or '${SYNTHETIC}', got ${JSON.stringify(info.modelHash)}`);
  }
  const rowsPerChunk = info.rowsPerChunk ?? DEFAULT_ROWS_PER_CHUNK;
  if (!(Number.isInteger(rowsPerChunk) && rowsPerChunk >= 1 && rowsPerChunk * dim * 4 <= 2 ** 30)) {
    throw new RangeError(`${where}: expected rowsPerChunk to be an integer >= 1 with rowsPerChunk·dim·4 <= 2^30 bytes, got ${rowsPerChunk}`);
  }
  const count = labels.length;
  for (let r = 0; r < count; r++) {
    if (labels[r] >= people.length) throw new RangeError(`${where}: expected labels to be person numbers < ${people.length}, got ${labels[r]} at row ${r}`);
  }
  const chunks: Array<{ name: string; bytes: number }> = [{ name: 'labels', bytes: count * 4 }];
  for (let r = 0, c = 0; r < count; r += rowsPerChunk, c++) chunks.push({ name: `vectors:${c}`, bytes: Math.min(rowsPerChunk, count - r) * dim * 4 });
  const header = {
    kind: 'gallery', dim, count, people, modelHash: info.modelHash, synthetic: info.modelHash === SYNTHETIC,
    D: info.D ?? null, threshold: info.threshold ?? null, meta: info.meta ?? {},
    stream: { version: STREAM_VERSION, rowsPerChunk }, chunks,
  };
  const { pre, json } = preamble(header);
  const buf = new Storage(Math.max(1, Math.min(rowsPerChunk, count) * dim));
  let bytes = 0;
  const crc = Buffer.alloc(4);
  try {
    writeAtomically(path, (write) => {
      write(pre);
      write(json);
      const lab = new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength);
      write(lab);
      crc.writeUInt32LE(crc32(lab), 0);
      write(crc);
      bytes = 20 + json.length + lab.length + 4;
      for (let r = 0; r < count; r += rowsPerChunk) {
        const m = Math.min(rowsPerChunk, count - r);
        const out = buf.f32view().subarray(0, m * dim);
        fill(out, r, m);
        const b = new Uint8Array(wasmMemory().buffer, buf.ptr, m * dim * 4);
        write(b);
        crc.writeUInt32LE(crc32Fast(b), 0);
        write(crc);
        bytes += b.length + 4;
      }
      write(Buffer.from(END, 'latin1'));
      bytes += END.length;
    });
  } finally {
    buf.dispose();
  }
  return { path, bytes, rows: count, chunks: chunks.length - 1 };
}

/** Writes a CompactGallery's float32 rows as a gallery file, chunk by chunk. */
export function saveGalleryStream(path: string, gallery: CompactGallery, opts: Omit<GalleryStreamInfo, 'dim' | 'people' | 'labels'>): StreamSummary {
  return writeGalleryStream(path, { ...opts, dim: gallery.dim, people: gallery.people, labels: gallery.labels() },
    (out, r0, m) => out.set(gallery.rows(r0, r0 + m)));
}

export interface ReadGalleryStreamOptions {
  /** Refuse the file unless its modelHash is this (a model's hash, or 'synthetic'). */
  modelHash?: string;
  /** Rows to make room for (default the file's rows): room for later adds without copying. */
  capacity?: number;
  /** Refuse NaN/±Inf in the rows (default true; one pass over the rows, about 0.1 s at 4.7 M). */
  checkFinite?: boolean;
}

export interface GalleryStream {
  gallery: CompactGallery;
  modelHash: string;
  synthetic: boolean;
  D: DResult | null;
  threshold: number | null;
  meta: Record<string, unknown>;
  bytes: number;
  chunks: number;
}

function readFully(fd: number, path: string, into: Uint8Array, position: number): void {
  for (let off = 0; off < into.length;) {
    const got = readSync(fd, into, off, Math.min(into.length - off, 1 << 30), position + off);
    if (got === 0) throw new FileFormatError(path, `truncated: expected ${into.length} bytes at offset ${position}, the file ends at ${position + off}`);
    off += got;
  }
}

interface StreamHeader {
  kind?: unknown; dim: number; count: number; people: string[]; modelHash: string; synthetic?: boolean; D?: DResult | null;
  threshold?: number | null; meta?: Record<string, unknown>; stream?: { version: number }; chunks: Array<{ name: string; bytes: number }>;
}

/** An open gallery file whose header and labels are checked, ready for its vector chunks. */
interface Opened { fd: number; path: string; size: number; h: StreamHeader; offsets: number[]; end: number; gallery: CompactGallery }

/** The checked header and chunk layout of an open gallery file: byte offset of every chunk, end of the last. */
interface Layout { size: number; h: StreamHeader; offsets: number[]; end: number }

/** Opens path for reading; a missing or unreadable file is a FileFormatError naming it. */
function openFile(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileFormatError(path, code === 'ENOENT' ? 'no such file' : `cannot read: ${(err as Error).message}`);
  }
}

/**
 * Reads and checks the signature, version, header (checksum, fields, model hash) and the chunk
 * layout against the file size: labels, then the vector chunks in order, whole rows each.
 */
function readLayout(fd: number, path: string, opts: ReadGalleryStreamOptions): Layout {
  const size = fstatSync(fd).size;
  const pre = Buffer.alloc(20);
  if (size < 20) throw new FileFormatError(path, `not a facemetric gallery file (${size} bytes, no "${MAGIC}" signature)`);
  readFully(fd, path, pre, 0);
  if (pre.toString('latin1', 0, 8) !== MAGIC) throw new FileFormatError(path, `not a facemetric gallery file (no "${MAGIC}" signature at the start)`);
  const version = pre.readUInt32LE(8);
  if (version > FORMAT_VERSION) throw new FileFormatError(path, `made by a newer facemetric (format version ${version}); this version reads format ${FORMAT_VERSION} and older — upgrade facemetric`);
  if (version < 1) throw new FileFormatError(path, `bad format version ${version}`);
  const hlen = pre.readUInt32LE(12);
  if (20 + hlen > size) throw new FileFormatError(path, `truncated: the header needs ${hlen} bytes after offset 20, the file has ${size} bytes`);
  const hbytes = Buffer.alloc(hlen);
  readFully(fd, path, hbytes, 20);
  if (crc32(hbytes) !== pre.readUInt32LE(16)) throw new FileFormatError(path, 'corrupt: the header checksum does not match');
  let h: StreamHeader;
  try {
    h = JSON.parse(hbytes.toString('utf8'));
  } catch {
    throw new FileFormatError(path, 'corrupt: the header is not valid JSON');
  }
  if (h.kind !== 'gallery') throw new FileFormatError(path, `expected a gallery file, got a ${String(h.kind)} file`);
  if (h.stream && h.stream.version > STREAM_VERSION) throw new FileFormatError(path, `made by a newer facemetric (chunked layout version ${h.stream.version}, this version reads ${STREAM_VERSION})`);
  if (!(Number.isInteger(h.dim) && h.dim >= 1 && Number.isInteger(h.count) && h.count >= 0 && Array.isArray(h.people) && Array.isArray(h.chunks))) {
    throw new FileFormatError(path, 'corrupt: the header lacks dim, count, people or chunks');
  }
  if (opts.modelHash !== undefined && h.modelHash !== opts.modelHash) {
    throw new FileFormatError(path, `this gallery was made by ${h.modelHash === SYNTHETIC ? 'the synthetic generator' : `another model (hash ${String(h.modelHash).slice(0, 12)}…)`}, not by the one given (${opts.modelHash.slice(0, 12)}…)`);
  }
  const { dim, count } = h;
  let off = 20 + hlen;
  const offsets: number[] = [];
  let rowsListed = 0;
  h.chunks.forEach((c, i) => {
    const want = i === 0 ? 'labels' : `vectors:${i - 1}`;
    if (c.name !== want) throw new FileFormatError(path, `corrupt: expected chunk ${i} to be "${want}", got ${JSON.stringify(c.name)}`);
    if (i === 0 && c.bytes !== count * 4) throw new FileFormatError(path, `corrupt: chunk "labels" lists ${c.bytes} bytes, expected ${count} rows · 4`);
    if (i > 0) {
      if (!(Number.isInteger(c.bytes) && c.bytes > 0 && c.bytes % (dim * 4) === 0 && c.bytes <= 2 ** 30)) {
        throw new FileFormatError(path, `corrupt: chunk "${c.name}" lists ${c.bytes} bytes, not whole rows of ${dim * 4} bytes (at most 2^30)`);
      }
      rowsListed += c.bytes / (dim * 4);
    }
    offsets.push(off);
    off += c.bytes + 4;
  });
  if (h.chunks.length === 0 || rowsListed !== count) throw new FileFormatError(path, `corrupt: the chunks hold ${rowsListed} rows, the header says ${count}`);
  if (off + END.length !== size) {
    throw new FileFormatError(path, off + END.length > size ? `truncated: expected ${off + END.length} bytes, got ${size}` : `corrupt: expected ${off + END.length} bytes in all, got ${size}`);
  }
  return { size, h, offsets, end: off };
}

/** Opens, checks the header, the layout and the file size, reads the labels, allocates the gallery. */
function openStream(path: string, opts: ReadGalleryStreamOptions): Opened {
  const fd = openFile(path);
  try {
    const { size, h, offsets, end } = readLayout(fd, path, opts);
    const { dim, count } = h;
    const crcBuf = Buffer.alloc(4);
    const labels = new Uint32Array(count);
    const lab = new Uint8Array(labels.buffer);
    readFully(fd, path, lab, offsets[0]);
    readFully(fd, path, crcBuf, offsets[0] + lab.length);
    if (crc32(lab) !== crcBuf.readUInt32LE(0)) throw new FileFormatError(path, `corrupt: chunk "labels" (chunk 0, bytes ${offsets[0]}–${offsets[0] + lab.length}) fails its checksum`);
    for (let r = 0; r < count; r++) {
      if (labels[r] >= h.people.length) throw new FileFormatError(path, `corrupt: row ${r} names person ${labels[r]} of ${h.people.length}`);
    }
    const gallery = new CompactGallery({ dim, people: h.people, labels, capacity: opts.capacity ?? count });
    crcTable();
    return { fd, path, size, h, offsets, end, gallery };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * A RowReader over a gallery file (for CompactGallery.releaseRows): positioned reads of its float32
 * rows, one read per chunk a range touches. The header and the chunk layout are checked as
 * readGalleryStream checks them; the chunks' checksums are not (a row is a part of a chunk): read
 * the file once with readGalleryStream, which checks every chunk, before serving it. Node only.
 * close() releases the descriptor.
 */
export function galleryFileRows(path: string): RowReader & { rows: number; dim: number; close(): void } {
  const where = 'galleryFileRows';
  if (typeof path !== 'string') throw typeError(where, 'a file path', describe(path));
  const fd = openFile(path);
  try {
    const { h, offsets } = readLayout(fd, path, {});
    const rowBytes = h.dim * 4;
    // First row of every vector chunk, and the row count after the last.
    const first: number[] = [];
    let r = 0;
    for (let i = 1; i < h.chunks.length; i++) {
      first.push(r);
      r += h.chunks[i].bytes / rowBytes;
    }
    first.push(r);
    const rows = r;
    return {
      rows,
      dim: h.dim,
      read(r0: number, r1: number, into: Uint8Array): void {
        if (!(r0 >= 0 && r1 <= rows && r0 <= r1 && into.length === (r1 - r0) * rowBytes)) throw rangeError(`${where}.read`, `rows within [0, ${rows}] into ${(r1 - r0) * rowBytes} bytes`, `[${r0}, ${r1}) into ${into.length}`);
        // The chunk holding r0 (binary search), then chunk by chunk.
        let lo = 0, hi = first.length - 2;
        while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (first[mid] <= r0) lo = mid; else hi = mid - 1; }
        let done = 0;
        for (let ch = lo, a = r0; a < r1; ch++) {
          const b = Math.min(r1, first[ch + 1]), want = (b - a) * rowBytes;
          readFully(fd, path, into.subarray(done, done + want), offsets[ch + 1] + (a - first[ch]) * rowBytes);
          done += want;
          a = b;
        }
      },
      close(): void { closeSync(fd); },
    };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** The first row of vector chunk i (chunk i of the header is vector chunk i − 1). */
function chunkRows(o: Opened, i: number): [number, number] {
  let r = 0;
  for (let j = 1; j < i; j++) r += o.h.chunks[j].bytes / (o.h.dim * 4);
  return [r, r + o.h.chunks[i].bytes / (o.h.dim * 4)];
}

/** Checks vector chunk i, already read into the gallery, against its stored CRC. */
function checkChunk(o: Opened, i: number, r0: number, r1: number, stored: number): void {
  const c = o.h.chunks[i];
  if (crc32Fast(o.gallery.rowBytes(r0, r1)) !== stored) {
    throw new FileFormatError(o.path, `corrupt: chunk "${c.name}" (vector chunk ${i - 1}, rows ${r0}–${r1 - 1}, bytes ${o.offsets[i]}–${o.offsets[i] + c.bytes}) fails its checksum`);
  }
}

/** Checks the end marker and (optionally) the rows; returns the result. */
function finish(o: Opened, opts: ReadGalleryStreamOptions): GalleryStream {
  const end = Buffer.alloc(END.length);
  readFully(o.fd, o.path, end, o.end);
  if (end.toString('latin1') !== END) throw new FileFormatError(o.path, `corrupt: expected the end marker at offset ${o.end}`);
  if (opts.checkFinite ?? true) {
    try {
      o.gallery.checkRows();
    } catch (err) {
      throw new FileFormatError(o.path, `corrupt: ${(err as Error).message}`);
    }
  }
  const h = o.h;
  return {
    gallery: o.gallery, modelHash: h.modelHash, synthetic: h.synthetic === true || h.modelHash === SYNTHETIC,
    D: h.D ?? null, threshold: h.threshold ?? null, meta: h.meta ?? {}, bytes: o.size, chunks: h.chunks.length - 1,
  };
}

/**
 * Reads a gallery file chunk by chunk straight into a new CompactGallery's memory, checking the
 * header, every chunk's size and CRC-32, the end marker and the file size; a damaged chunk is
 * refused with its name, index, rows and bytes.
 */
export function readGalleryStream(path: string, opts: ReadGalleryStreamOptions = {}): GalleryStream {
  const o = openStream(path, opts);
  let ok = false;
  try {
    const crcBuf = Buffer.alloc(4);
    for (let i = 1; i < o.h.chunks.length; i++) {
      const [r0, r1] = chunkRows(o, i);
      readFully(o.fd, path, o.gallery.rowBytes(r0, r1), o.offsets[i]);
      readFully(o.fd, path, crcBuf, o.offsets[i] + o.h.chunks[i].bytes);
      checkChunk(o, i, r0, r1, crcBuf.readUInt32LE(0));
    }
    const r = finish(o, opts);
    ok = true;
    return r;
  } finally {
    closeSync(o.fd);
    if (!ok) o.gallery.dispose();
  }
}

function readAsync(fd: number, into: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, into, 0, into.length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

/**
 * readGalleryStream with the reading of chunk i + 1 (four reads in Node's I/O threads: the copy
 * from the page cache or the disk, and the first touch of the gallery's pages) overlapped with the
 * CRC check of chunk i on this thread. Same checks, same errors, same result.
 */
export async function readGalleryStreamAsync(path: string, opts: ReadGalleryStreamOptions = {}): Promise<GalleryStream> {
  const o = openStream(path, opts);
  let ok = false;
  try {
    const n = o.h.chunks.length;
    // Each chunk is read together with its 4 CRC bytes' position noted; the CRC bytes are read
    // synchronously (4 bytes) after the chunk arrives.
    const fetch = async (i: number): Promise<void> => {
      const [r0, r1] = chunkRows(o, i);
      const into = o.gallery.rowBytes(r0, r1);
      // Four reads at once (Node's I/O pool has four threads): the copies and the first touch of
      // the gallery's fresh pages run on several cores.
      const part = Math.ceil(into.length / 4 / 4096) * 4096;
      const pieces: Promise<void>[] = [];
      for (let a = 0; a < into.length; a += part) {
        const piece = into.subarray(a, Math.min(into.length, a + part));
        pieces.push((async () => {
          for (let off = 0; off < piece.length;) {
            const got = await readAsync(o.fd, piece.subarray(off), o.offsets[i] + a + off);
            if (got === 0) throw new FileFormatError(path, `truncated: expected ${into.length} bytes at offset ${o.offsets[i]}, the file ends at ${o.offsets[i] + a + off}`);
            off += got;
          }
        })());
      }
      // Every read lands before an error is thrown (the gallery is freed after an error).
      const done = await Promise.allSettled(pieces);
      for (const d of done) if (d.status === 'rejected') throw d.reason;
    };
    const crcBuf = Buffer.alloc(4);
    let pending: Promise<void> | null = n > 1 ? fetch(1) : null;
    for (let i = 1; i < n; i++) {
      await pending;
      pending = i + 1 < n ? fetch(i + 1) : null;
      // If this check throws, the read in flight must land before the gallery is freed.
      try {
        const [r0, r1] = chunkRows(o, i);
        readFully(o.fd, path, crcBuf, o.offsets[i] + o.h.chunks[i].bytes);
        checkChunk(o, i, r0, r1, crcBuf.readUInt32LE(0));
      } catch (err) {
        await pending?.catch(() => {});
        throw err;
      }
    }
    const r = finish(o, opts);
    ok = true;
    return r;
  } finally {
    closeSync(o.fd);
    if (!ok) o.gallery.dispose();
  }
}
