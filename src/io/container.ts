// The facemetric file container, shared by model and gallery files.
//
//   offset 0   8 bytes  magic "FACEMTRC"
//          8   u32 LE   format version
//         12   u32 LE   header length H (bytes of UTF-8 JSON)
//         16   u32 LE   CRC-32 of the header
//         20   H bytes  header JSON: { kind, ..., chunks: [{ name, bytes }] }
//   then, for every chunk in the header's order: its bytes, then u32 LE CRC-32 of those bytes
//   end        8 bytes  "FMEND\0\0\0"
//
// Saving writes a temporary file next to the target, flushes it, and renames it over the target,
// so a reader never sees half a file. Reading checks everything before returning anything: magic,
// version, header checksum, every chunk's length and checksum (naming the chunk and its offset),
// and the exact file size (a truncated file is refused).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { crc32 } from './crc32.js';

export const MAGIC = 'FACEMTRC';
const END = 'FMEND\0\0\0';
/** The newest container format this version reads and writes. */
export const FORMAT_VERSION = 1;

export interface ChunkInfo { name: string; bytes: number }
export interface ContainerHeader { kind: string; chunks: ChunkInfo[]; [key: string]: unknown }

/** An error about a file: always names it. */
export class FileFormatError extends Error {
  override name = 'FileFormatError';
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** The 20-byte preamble (signature, format version, header length, header CRC) and the header's bytes. */
export function preamble(header: unknown): { pre: Buffer; json: Buffer } {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = Buffer.alloc(20);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(FORMAT_VERSION, 8);
  pre.writeUInt32LE(json.length, 12);
  pre.writeUInt32LE(crc32(json), 16);
  return { pre, json };
}

/**
 * Writes a file atomically: `parts` writes everything through `write` into a temporary file next
 * to `path`, which is fsynced and renamed over `path`; on any failure the temporary file is
 * removed and `path` is untouched. RangeError/TypeError from `parts` (bad input) pass through;
 * other failures become a FileFormatError naming the file.
 */
export function writeAtomically(path: string, parts: (write: (b: Uint8Array) => void) => void): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    // Large buffers in slices: writeSync may write less than asked for.
    parts((b) => { for (let off = 0; off < b.length;) off += writeSync(fd, b, off, Math.min(b.length - off, 1 << 26)); });
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    if (err instanceof RangeError || err instanceof TypeError) throw err;
    throw new FileFormatError(path, `cannot write: ${(err as Error).message}`);
  }
}

/** Writes header + chunks atomically (temporary file, fsync, rename). */
export function writeContainer(path: string, header: Record<string, unknown> & { kind: string }, chunks: Array<{ name: string; data: ArrayBufferView }>): void {
  const full: ContainerHeader = { ...header, kind: header.kind, chunks: chunks.map((c) => ({ name: c.name, bytes: c.data.byteLength })) };
  const { pre, json } = preamble(full);
  writeAtomically(path, (write) => {
    write(pre);
    write(json);
    const crc = Buffer.alloc(4);
    for (const c of chunks) {
      const b = bytesOf(c.data);
      write(b);
      crc.writeUInt32LE(crc32(b), 0);
      write(crc);
    }
    write(Buffer.from(END, 'latin1'));
  });
}

export interface Container { header: ContainerHeader; chunks: Map<string, Uint8Array>; version: number }

/** Reads and fully checks a container; `kind` is what the caller expects ('model', 'gallery'). */
export function readContainer(path: string, kind: string): Container {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileFormatError(path, code === 'ENOENT' ? 'no such file' : `cannot read: ${(err as Error).message}`);
  }
  return parseContainer(buf, path, kind);
}

/** Checks and splits the bytes of a container (see readContainer). */
export function parseContainer(buf: Uint8Array, path: string, kind: string): Container {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 20 || b.toString('latin1', 0, 8) !== MAGIC) {
    throw new FileFormatError(path, `not a facemetric ${kind} file (no "${MAGIC}" signature at the start)`);
  }
  const version = b.readUInt32LE(8);
  if (version > FORMAT_VERSION) {
    throw new FileFormatError(path, `made by a newer facemetric (format version ${version}); this version reads format ${FORMAT_VERSION} and older — upgrade facemetric`);
  }
  if (version < 1) throw new FileFormatError(path, `bad format version ${version}`);
  const hlen = b.readUInt32LE(12);
  if (20 + hlen > b.length) throw new FileFormatError(path, `truncated: the header needs ${hlen} bytes after offset 20, the file has ${b.length} bytes`);
  const hbytes = b.subarray(20, 20 + hlen);
  if (crc32(hbytes) !== b.readUInt32LE(16)) throw new FileFormatError(path, 'corrupt: the header checksum does not match');
  let header: ContainerHeader;
  try {
    header = JSON.parse(hbytes.toString('utf8')) as ContainerHeader;
  } catch {
    throw new FileFormatError(path, 'corrupt: the header is not valid JSON');
  }
  if (header.kind !== kind) throw new FileFormatError(path, `expected a ${kind} file, got a ${String(header.kind)} file`);
  if (!Array.isArray(header.chunks)) throw new FileFormatError(path, 'corrupt: the header lists no chunks');
  const chunks = new Map<string, Uint8Array>();
  let off = 20 + hlen;
  for (const c of header.chunks) {
    if (off + c.bytes + 4 > b.length) {
      throw new FileFormatError(path, `truncated: chunk "${c.name}" needs ${c.bytes} bytes at offset ${off}, the file has ${b.length} bytes`);
    }
    const data = b.subarray(off, off + c.bytes);
    if (crc32(data) !== b.readUInt32LE(off + c.bytes)) {
      throw new FileFormatError(path, `corrupt: chunk "${c.name}" (bytes ${off}–${off + c.bytes}) fails its checksum`);
    }
    chunks.set(c.name, data);
    off += c.bytes + 4;
  }
  if (off + END.length !== b.length || b.toString('latin1', off, off + END.length) !== END) {
    throw new FileFormatError(path, off + END.length > b.length ? `truncated: expected ${off + END.length} bytes, got ${b.length}` : `corrupt: expected the end marker at offset ${off} and ${off + END.length} bytes in all, got ${b.length}`);
  }
  return { header, chunks, version };
}

/** A Float32Array copy of a chunk (chunks are not 4-byte aligned inside the file buffer). */
export function f32chunk(c: Uint8Array): Float32Array {
  const out = new Float32Array(c.byteLength / 4);
  new Uint8Array(out.buffer).set(c);
  return out;
}
