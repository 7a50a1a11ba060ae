// Exporting a gallery for a vector engine (issue 6, docs/scale.md): NumPy .npy files, the format
// that FAISS users load with numpy.load (index.add(np.load('x.vectors.npy'))) and that Milvus's
// bulk insert reads directly (one .npy file per field). Three files next to each other:
//   <base>.vectors.npy  float32 [N, dim], C order (the gallery's rows as they are)
//   <base>.labels.npy   int32 [N], the person number of each row
//   <base>.people.json  the person names, indexed by those numbers
// Rows are written chunk by chunk from the gallery's memory (no full-size copy); each file is
// written to a temporary name, flushed and renamed, like every facemetric file.
import { writeAtomically } from './container.js';
import type { CompactGallery } from '../metric/compact.js';

/** The .npy (format 1.0) header for a little-endian array: magic, version, padded dict. */
export function npyHeader(descr: '<f4' | '<i4', shape: number[]): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // magic (6) + version (2) + u16 length (2) + dict + spaces + '\n', a multiple of 64 bytes.
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const h = Buffer.alloc(total, 0x20);
  h.write('\x93NUMPY', 0, 'latin1');
  h[6] = 1;
  h[7] = 0;
  h.writeUInt16LE(total - 10, 8);
  h.write(dict, 10, 'latin1');
  h[total - 1] = 0x0a;
  return h;
}


export interface NpyExport { vectors: string; labels: string; people: string; rows: number; bytes: number }

/** Writes <base>.vectors.npy, <base>.labels.npy and <base>.people.json (see the file header). */
export function exportNpy(base: string, gallery: CompactGallery, rowsPerChunk = 65536): NpyExport {
  const n = gallery.size, d = gallery.dim;
  const out: NpyExport = { vectors: `${base}.vectors.npy`, labels: `${base}.labels.npy`, people: `${base}.people.json`, rows: n, bytes: 0 };
  writeAtomically(out.vectors, (write) => {
    const h = npyHeader('<f4', [n, d]);
    write(h);
    out.bytes += h.length;
    for (let r = 0; r < n; r += rowsPerChunk) {
      const v = gallery.rows(r, Math.min(n, r + rowsPerChunk));
      write(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      out.bytes += v.byteLength;
    }
  });
  writeAtomically(out.labels, (write) => {
    const h = npyHeader('<i4', [n]);
    const l = Int32Array.from(gallery.labels());
    write(h);
    write(new Uint8Array(l.buffer));
    out.bytes += h.length + l.byteLength;
  });
  writeAtomically(out.people, (write) => {
    const b = Buffer.from(JSON.stringify(gallery.people), 'utf8');
    write(b);
    out.bytes += b.length;
  });
  return out;
}
