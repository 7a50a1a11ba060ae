// The MegaFace-scale path on a small sample: generator, streamed gallery file, compact copies and
// their scan kernels, re-ranking, shards, diameters and D (issue 6). bench/megaface.ts runs the
// same code at full size.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MegaFace, megafaceCounts, countStats, powerLawAlpha } from '../../src/metric/megaface.js';
import { CompactGallery, mergeTopK, planShards, recallAtK, bytesPerRow, i8BlockBytes, inPlaceRounds, type TopK } from '../../src/metric/compact.js';
import { writeGalleryStream, readGalleryStream, readGalleryStreamAsync, crc32Fast, crc32Combine, saveGalleryStream, galleryFileRows } from '../../src/io/gallery-stream.js';
import { crc32 } from '../../src/io/crc32.js';
import { loadGallery } from '../../src/io/gallery-file.js';
import { exportNpy } from '../../src/io/export-npy.js';
import { Gallery } from '../../src/metric/gallery.js';
import { gemmLimits } from '../../src/metric/gemm-knn.js';
import { Storage } from '../../src/memory.js';
import { kernels, wasmMemory } from '../../src/wasm.js';
import { Rng } from '../../src/random.js';
import { getThreads, setThreads, setSplitScale } from '../../src/threads.js';

const f = Math.fround;
const dir = mkdtempSync(join(tmpdir(), 'facemetric-megaface-'));
const D = 128;

// A 0.3 % sample: 2,016 people (about 15 k photos, one of them with 2,469).
const mf = new MegaFace({ people: 2016, seed: 7 });
const all = new Float32Array(mf.total * D);
mf.fillRows(all, mf.total);
const path = join(dir, 'sample.fmg');
writeGalleryStream(path, { dim: D, people: mf.names(), labels: mf.labels(), modelHash: 'synthetic', rowsPerChunk: 1000 }, (out, r0, m) => out.set(all.subarray(r0 * D, (r0 + m) * D)));
const NQ = 60;
const probes = new Float32Array(NQ * D);
const truth: number[] = [];
for (let i = 0; i < NQ; i++) { const p = (i * 331) % mf.people; truth.push(p); mf.probe(p, i, probes, i * D); }

test('counts at full size: 672,057 people, min 3, max 2,469, mean ≈ 7, total ≈ 4.7 M', () => {
  const { counts, alpha } = megafaceCounts();
  const s = countStats(counts, alpha);
  assert.is(s.people, 672057);
  assert.is(s.min, 3);
  assert.is(s.max, 2469);
  assert.is(s.total, 4704399); // round(672,057 · 7): the draw is adjusted to the exact total
  assert.ok(Math.abs(s.mean - 7) < 1e-6, `mean ${s.mean}`);
  assert.is(s.median, 4);
  // Exactly one person at the maximum with the default seed, and the draw is seeded.
  assert.is(counts.filter((n) => n === 2469).length >= 1, true);
  assert.equal(megafaceCounts().counts, counts);
  assert.not.equal(megafaceCounts({ seed: 2 }).counts, counts);
});

test('powerLawAlpha: the power law on [3, 2469] with that exponent has the asked mean', () => {
  for (const mean of [5, 7, 12]) {
    const a = powerLawAlpha(mean, 3, 2469);
    let z = 0, m = 0;
    for (let n = 3; n <= 2469; n++) { z += n ** -a; m += n * n ** -a; }
    assert.ok(Math.abs(m / z - mean) < 1e-6, `mean ${mean}: ${m / z}`);
  }
});

test('generator: unit rows, same rows whatever the chunk sizes, clustered per person', () => {
  const g2 = new MegaFace({ people: 2016, seed: 7 });
  const parts = new Float32Array(mf.total * D);
  let at = 0;
  for (const m of [1, 3, 17, 1000]) { g2.fillRows(parts, m, at); at += m; }
  g2.fillRows(parts, mf.total - at, at);
  assert.ok(Buffer.from(parts.buffer).equals(Buffer.from(all.buffer)), 'same bytes with chunks 1, 3, 17, 1000, rest');
  for (const r of [0, 1, 5000, mf.total - 1]) {
    let n2 = 0;
    for (let k = 0; k < D; k++) n2 += all[r * D + k] ** 2;
    assert.ok(Math.abs(n2 - 1) < 1e-5, `row ${r} norm² ${n2}`);
  }
  assert.throws(() => g2.fillRows(parts, 1), /megaface.fillRows: expected at most 0 more rows/);
  // A person's photos are much closer to its centre than to another person's.
  const c0 = mf.centreOf(0), c1 = mf.centreOf(1);
  let own = 0, other = 0;
  for (let k = 0; k < D; k++) { own += all[k] * c0[k]; other += all[k] * c1[k]; }
  assert.ok(own > 0.7 && Math.abs(other) < 0.4, `cos to own centre ${own}, to another ${other}`);
  g2.rewind();
  const first = new Float32Array(D);
  g2.fillRows(first, 1);
  assert.equal(Array.from(first), Array.from(all.subarray(0, D)));
});

test('gallery file: streamed round trip is bit-exact (sync and async readers); loadGallery reads it too', async () => {
  const { gallery: g, synthetic, chunks, modelHash } = readGalleryStream(path, { modelHash: 'synthetic' });
  assert.is(synthetic, true);
  assert.is(modelHash, 'synthetic');
  assert.is(chunks, Math.ceil(mf.total / 1000));
  assert.is(g.size, mf.total);
  assert.ok(Buffer.from(g.rows().slice().buffer).equals(Buffer.from(all.buffer)), 'rows bit for bit');
  assert.equal(g.labels(), mf.labels());
  assert.is(g.personName(5), mf.name(5));
  const ga = (await readGalleryStreamAsync(path)).gallery;
  assert.ok(Buffer.from(ga.rows().slice().buffer).equals(Buffer.from(all.buffer)), 'async reader: rows bit for bit');
  ga.dispose();
  const old = loadGallery(path);
  assert.is(old.gallery.size, mf.total);
  assert.ok(Buffer.from(old.gallery.toData().vectors.buffer).equals(Buffer.from(all.buffer)), 'loadGallery: same rows');
  assert.equal(old.gallery.labels.slice(0, 3), [mf.name(0), mf.name(0), mf.name(0)]);
  // Save again from the gallery: the same bytes on disk.
  const again = join(dir, 'again.fmg');
  saveGalleryStream(again, g, { modelHash: 'synthetic', rowsPerChunk: 1000 });
  assert.ok(readFileSync(again).equals(readFileSync(path)), 'saveGalleryStream writes the same file');
  g.dispose();
  old.gallery.dispose();
});

test('gallery file: a damaged chunk is refused with its index, rows and bytes (sync and async); truncation and another model too', async () => {
  const bytes = readFileSync(path);
  const h = JSON.parse(bytes.subarray(20, 20 + bytes.readUInt32LE(12)).toString('utf8')) as { chunks: Array<{ name: string; bytes: number }> };
  let off = 20 + bytes.readUInt32LE(12);
  for (let i = 0; i < 3; i++) off += h.chunks[i].bytes + 4; // start of "vectors:2"
  const bad = Buffer.from(bytes);
  bad[off + 777] ^= 0x10;
  const badPath = join(dir, 'bad.fmg');
  writeFileSync(badPath, bad);
  const names = (e: Error) => e.message.includes(badPath) && e.message.includes(`bytes ${off}–`)
    && /chunk "vectors:2" \(vector chunk 2, rows 2000–2999, bytes \d+–\d+\) fails its checksum/.test(e.message);
  assert.throws(() => readGalleryStream(badPath), names);
  let asyncErr: Error | null = null;
  await readGalleryStreamAsync(badPath).catch((e: Error) => { asyncErr = e; });
  assert.ok(asyncErr !== null && names(asyncErr), `async: ${String(asyncErr)}`);
  writeFileSync(badPath, bytes.subarray(0, bytes.length - 100));
  assert.throws(() => readGalleryStream(badPath), /truncated: expected \d+ bytes, got \d+/);
  assert.throws(() => readGalleryStream(path, { modelHash: 'a'.repeat(64) }), /made by the synthetic generator, not by the one given/);
  assert.throws(() => readGalleryStream(join(dir, 'none.fmg')), /none\.fmg: no such file/);
  assert.throws(() => writeGalleryStream(badPath, { dim: D, people: ['a'], labels: new Uint32Array([0]), modelHash: 'nope' }, () => {}), /writeGalleryStream: expected modelHash/);
});

test('crc32Fast (WebAssembly, slicing-by-8, 4 chains + crc32Combine) equals crc32 at lengths 0, 1, 7, 8, 9, 1003, 4095, 4096, 4127, 65537', () => {
  const rng = new Rng(3);
  for (const n of [0, 1, 7, 8, 9, 1003, 4095, 4096, 4127, 65537]) {
    const s = new Storage(Math.ceil(n / 4) + 1);
    const b = new Uint8Array(wasmMemory().buffer, s.ptr + 1, n); // unaligned on purpose
    for (let i = 0; i < n; i++) b[i] = rng.int(256);
    assert.is(crc32Fast(b), crc32(b), `n=${n}`);
    assert.is(crc32Fast(b.subarray(n >> 1), crc32Fast(b.subarray(0, n >> 1))), crc32(b), `n=${n} continued`);
    s.dispose();
  }
  assert.is(crc32Fast(new Uint8Array(new TextEncoder().encode('123456789'))), 0xcbf43926);
  const a = new TextEncoder().encode('12345'), b = new TextEncoder().encode('6789');
  assert.is(crc32Combine(crc32(a), crc32(b), 4), 0xcbf43926);
  assert.is(crc32Combine(0x1234, 0, 0), 0x1234);
});

// ---------------------------------------------------------------------------------------------
// Kernels against scalar references at awkward sizes.

interface QK {
  quantize_i8_rows(x: number, d: number, r0: number, r1: number, out: number): void;
  encode_f16(x: number, i0: number, i1: number, out: number): void;
  scan_i8(q: number, q0: number, nq: number, g: number, g0: number, g1: number, d: number, c: number, outD: number, outI: number): void;
  scan_f16(q: number, nq: number, h: number, g0: number, g1: number, d: number, c: number, scratch: number, outD: number, outI: number): void;
}
const K = () => kernels<QK>();

/**
 * The int8 copy's documented layout, read independently of the library: blocks of 8 rows, each
 * 64 bytes of meta (8 f32 scales, 8 f32 squared norms) and then the 8 rows' d int8 values.
 */
function i8Blocks(ptr: number, rows: number, d: number): { bytes: number; row(j: number): Int8Array; scale(j: number): number; norm2(j: number): number } {
  const B = 64 + 8 * d, bytes = Math.ceil(rows / 8) * B;
  const buf = wasmMemory().buffer, dv = new DataView(buf, ptr, bytes);
  return {
    bytes,
    row: (j) => new Int8Array(buf, ptr + Math.floor(j / 8) * B + 64 + (j % 8) * d, d),
    scale: (j) => dv.getFloat32(Math.floor(j / 8) * B + 4 * (j % 8), true),
    norm2: (j) => dv.getFloat32(Math.floor(j / 8) * B + 32 + 4 * (j % 8), true),
  };
}

function quantRef(x: Float32Array, d: number, r: number): { q: Int8Array; s: number; n2: number } {
  let m = 0;
  for (let k = 0; k < d; k++) m = Math.max(m, Math.abs(x[r * d + k]));
  const s = f(m / 127), inv = m > 0 ? f(127 / m) : 0;
  const q = new Int8Array(d);
  let sq = 0;
  for (let k = 0; k < d; k++) {
    const v = f(x[r * d + k] * inv);
    let t = Math.round(v);
    if (Math.abs(v - Math.trunc(v)) === 0.5) t = 2 * Math.round(v / 2); // half to even
    q[k] = Math.max(-127, Math.min(127, t));
    sq += q[k] * q[k];
  }
  return { q, s, n2: f(f(s * s) * f(sq)) };
}

function halfRef(v: number): number {
  // Exact binary16 rounding by float64 arithmetic (round half to even), reference for encode_f16.
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (Number.isNaN(v)) return 0x7e00;
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) {
    const m = a / 2 ** -24;
    let r = Math.round(m);
    if (m - Math.floor(m) === 0.5) r = 2 * Math.round(m / 2);
    return sign | r;
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const m = (a / 2 ** e - 1) * 1024;
  let r = Math.round(m);
  if (m - Math.floor(m) === 0.5) r = 2 * Math.round(m / 2);
  if (r === 1024) { r = 0; e++; }
  return sign | ((e + 15) << 10) | r;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
  return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
}

test('encode_f16: golden values and the rounding reference on 5,000 values', () => {
  const vals = [0, 1, -2, 0.1, 65504, 70000, 1e-7, -(2 ** -14), 2 ** -14, 2 ** -24, 0.333333, 1 + 2 ** -11, 1 + 3 * 2 ** -11];
  const want = [0x0000, 0x3c00, 0xc000, 0x2e66, 0x7bff, 0x7c00, 0x0002, 0x8400, 0x0400, 0x0001, 0x3555, 0x3c00, 0x3c02];
  const rng = new Rng(5);
  const n = vals.length + 5000;
  const x = new Storage(n), out = new Storage(Math.ceil(n / 2));
  const xv = x.f32view();
  xv.set(vals);
  for (let i = vals.length; i < n; i++) xv[i] = rng.normal() * 10 ** rng.uniform(-6, 1);
  K().encode_f16(x.ptr, 0, n, out.ptr);
  const h = new Uint16Array(wasmMemory().buffer, out.ptr, n);
  assert.equal(Array.from(h.subarray(0, vals.length)), want);
  for (let i = 0; i < n; i++) assert.is(h[i], halfRef(xv[i]), `value ${xv[i]} at ${i}`);
  x.dispose(); out.dispose();
});

for (const d of [1, 3, 5, 16, 17, 33, 128]) {
  test(`quantize_i8_rows + scan_i8 d=${d} rows=23 nq=5 c=7, ranges from rows 2, 3 and 5: keys and order as the scalar reference`, () => {
    const rng = new Rng(d);
    const n = 23, nq = 5, c = 7;
    const x = new Float32Array(n * d), qx = new Float32Array(nq * d);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    for (let i = 0; i < qx.length; i++) qx[i] = rng.normal();
    x.fill(0, 4 * d, 5 * d); // an all-zero row
    const xs = new Storage(n * d), g8 = new Storage((Math.ceil(n / 8) * (64 + 8 * d)) / 4);
    const qs_ = new Storage(nq * d), q8 = new Storage((Math.ceil(nq / 8) * (64 + 8 * d)) / 4);
    const oD = new Storage(nq * c), oI = new Storage(nq * c);
    xs.f32view().set(x); qs_.f32view().set(qx);
    K().quantize_i8_rows(xs.ptr, d, 0, n, g8.ptr);
    K().quantize_i8_rows(qs_.ptr, d, 0, nq, q8.ptr);
    const G = i8Blocks(g8.ptr, n, d), Q = i8Blocks(q8.ptr, nq, d);
    const ref = Array.from({ length: n }, (_, r) => quantRef(x, d, r));
    for (let r = 0; r < n; r++) {
      assert.equal(Array.from(G.row(r)), Array.from(ref[r].q), `row ${r} int8`);
      assert.is(G.scale(r), ref[r].s, `row ${r} scale`);
      assert.is(G.norm2(r), ref[r].n2, `row ${r} norm²`);
    }
    const key = (i: number, j: number) => {
      const qr = quantRef(qx, d, i), qi = Q.row(i), gj = G.row(j);
      let dot = 0;
      for (let k = 0; k < d; k++) dot += qi[k] * gj[k];
      return f(f(qr.n2 + ref[j].n2) - f(f(f(2 * qr.s) * ref[j].s) * f(dot)));
    };
    // All queries, queries [2, 5) alone (q0 = 2: the lists start at query 2's), ranges from odd rows.
    for (const [q0, m, g0] of [[0, nq, 2], [2, 3, 2], [0, nq, 3], [1, 4, 5]]) {
      K().scan_i8(q8.ptr, q0, m, g8.ptr, g0, n, d, c, oD.ptr, oI.ptr);
      for (let t = 0; t < m; t++) {
        const i = q0 + t;
        const keys = [];
        for (let j = g0; j < n; j++) keys.push({ j, v: key(i, j) });
        keys.sort((a, b) => a.v - b.v || a.j - b.j);
        assert.equal(Array.from(oI.i32view().subarray(t * c, (t + 1) * c)), keys.slice(0, c).map((e) => e.j), `q0 ${q0}, g0 ${g0}: query ${i} rows`);
        assert.equal(Array.from(oD.f32view().subarray(t * c, (t + 1) * c)), keys.slice(0, c).map((e) => e.v), `q0 ${q0}, g0 ${g0}: query ${i} keys`);
      }
    }
    for (const s of [xs, g8, qs_, q8, oD, oI]) s.dispose();
  });

  test(`scan_i8 one query d=${d} (eight-stream path): every range and c as the scalar reference, ties by lower row`, () => {
    const rng = new Rng(300 + d);
    const n = 150;
    const x = new Float32Array(n * d), qx = new Float32Array(3 * d);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    for (let i = 0; i < qx.length; i++) qx[i] = rng.normal();
    // Copies in other runs of most ranges, in the same run, and in the rows around the runs: equal
    // keys, which must come out by lower row (over [0, 150): runs of 16 rows, rows 128–149 after).
    for (const [to, from] of [[22, 6], [40, 6], [131, 6], [149, 6], [13, 2], [118, 2], [3, 70], [141, 70], [57, 9]]) x.copyWithin(to * d, from * d, (from + 1) * d);
    const xs = new Storage(n * d), g8 = new Storage((Math.ceil(n / 8) * (64 + 8 * d)) / 4);
    const qs_ = new Storage(3 * d), q8 = new Storage((64 + 8 * d) / 4);
    const oD = new Storage(n), oI = new Storage(n);
    xs.f32view().set(x); qs_.f32view().set(qx);
    K().quantize_i8_rows(xs.ptr, d, 0, n, g8.ptr);
    K().quantize_i8_rows(qs_.ptr, d, 0, 3, q8.ptr);
    const G = i8Blocks(g8.ptr, n, d), Q = i8Blocks(q8.ptr, 3, d);
    const ref = Array.from({ length: n }, (_, r) => quantRef(x, d, r));
    // Query 1 of a block of three (q0 = 1: its values, scale and norm from slot 1).
    const qr = quantRef(qx, d, 1), qi = Q.row(1);
    const key = (j: number) => {
      const gj = G.row(j);
      let dot = 0;
      for (let k = 0; k < d; k++) dot += qi[k] * gj[k];
      return f(f(qr.n2 + ref[j].n2) - f(f(f(2 * qr.s) * ref[j].s) * f(dot)));
    };
    // Whole ranges, ranges with head and tail rows, exactly 64 whole-block rows, fewer (no runs).
    for (const [g0, g1] of [[0, n], [3, n], [0, 1], [3, 7], [1, 70], [8, 72], [5, 140], [7, 150], [1, 42], [64, 150]]) {
      const keys = [];
      for (let j = g0; j < g1; j++) keys.push({ j, v: key(j) });
      keys.sort((a, b) => a.v - b.v || a.j - b.j);
      for (const c of [...new Set([1, 2, 3, 17, Math.ceil((g1 - g0) / 2), g1 - g0])].filter((c) => c <= g1 - g0)) {
        K().scan_i8(q8.ptr, 1, 1, g8.ptr, g0, g1, d, c, oD.ptr, oI.ptr);
        const what = `rows [${g0}, ${g1}) c=${c}`;
        assert.equal(Array.from(oI.i32view().subarray(0, c)), keys.slice(0, c).map((e) => e.j), `${what}: rows`);
        assert.equal(Array.from(oD.f32view().subarray(0, c)), keys.slice(0, c).map((e) => e.v), `${what}: keys`);
      }
    }
    for (const s of [xs, g8, qs_, q8, oD, oI]) s.dispose();
  });

  test(`scan_f16 one query d=${d} (eight streams, decoded as read): every range and c as the scalar reference, ties by lower row`, () => {
    const rng = new Rng(500 + d);
    const n = 150;
    const x = new Storage(n * d), h = new Storage(Math.ceil((n * d) / 2)), q = new Storage(d);
    const scratch = new Storage(Math.max(4, Math.floor(4096 / d)) * d), oD = new Storage(n), oI = new Storage(n);
    const xv = x.f32view(), qv = q.f32view();
    // Normal values, half subnormals (|x| < 2^-14), signed zeros and values near the half's largest.
    for (let i = 0; i < n * d; i++) {
      const r = i % 11;
      xv[i] = r === 3 ? rng.normal() * 1e-5 : r === 5 ? (i % 2 ? 0 : -0) : r === 7 ? rng.normal() * 2e4 : rng.normal() * 0.3;
    }
    for (let i = 0; i < d; i++) qv[i] = rng.normal() * 0.3;
    for (const [to, from] of [[22, 6], [40, 6], [131, 6], [149, 6], [13, 2], [118, 2], [3, 70], [141, 70]]) xv.copyWithin(to * d, from * d, (from + 1) * d);
    K().encode_f16(x.ptr, 0, n * d, h.ptr);
    const H = new Uint16Array(wasmMemory().buffer, h.ptr, n * d);
    const key = (j: number) => {
      const l = [0, 0, 0, 0];
      let k = 0;
      for (; k + 4 <= d; k += 4) for (let t = 0; t < 4; t++) { const u = f(qv[k + t] - halfToFloat(H[j * d + k + t])); l[t] = f(l[t] + f(u * u)); }
      let s = f(f(f(l[0] + l[1]) + l[2]) + l[3]);
      for (; k < d; k++) { const u = f(qv[k] - halfToFloat(H[j * d + k])); s = f(s + f(u * u)); }
      return s;
    };
    for (const [g0, g1] of [[0, n], [3, n], [0, 1], [3, 7], [1, 70], [8, 72], [5, 140], [7, 150], [64, 150]]) {
      const keys = [];
      for (let j = g0; j < g1; j++) keys.push({ j, v: key(j) });
      keys.sort((a, b) => a.v - b.v || a.j - b.j);
      for (const c of [...new Set([1, 2, 17, Math.ceil((g1 - g0) / 2), g1 - g0])].filter((c) => c <= g1 - g0)) {
        K().scan_f16(q.ptr, 1, h.ptr, g0, g1, d, c, scratch.ptr, oD.ptr, oI.ptr);
        const what = `rows [${g0}, ${g1}) c=${c}`;
        assert.equal(Array.from(oI.i32view().subarray(0, c)), keys.slice(0, c).map((e) => e.j), `${what}: rows`);
        assert.equal(Array.from(oD.f32view().subarray(0, c)), keys.slice(0, c).map((e) => e.v), `${what}: keys`);
      }
    }
    for (const s of [x, h, q, scratch, oD, oI]) s.dispose();
  });

  test(`encode_f16 + scan_f16 d=${d} rows=41 nq=3 c=5, range [1, 41): squared distances to the decoded rows`, () => {
    const rng = new Rng(100 + d);
    const n = 41, nq = 3, c = 5, g0 = 1;
    const x = new Storage(n * d), h = new Storage(Math.ceil((n * d) / 2)), q = new Storage(nq * d);
    const gb = Math.max(4, Math.floor(4096 / d));
    const scratch = new Storage(gb * d), oD = new Storage(nq * c), oI = new Storage(nq * c);
    const xv = x.f32view(), qv = q.f32view();
    for (let i = 0; i < n * d; i++) xv[i] = rng.normal() * 0.3;
    for (let i = 0; i < nq * d; i++) qv[i] = rng.normal() * 0.3;
    K().encode_f16(x.ptr, 0, n * d, h.ptr);
    K().scan_f16(q.ptr, nq, h.ptr, g0, n, d, c, scratch.ptr, oD.ptr, oI.ptr);
    const H = new Uint16Array(wasmMemory().buffer, h.ptr, n * d);
    for (let i = 0; i < nq; i++) {
      const keys = [];
      for (let j = g0; j < n; j++) {
        // The kernel's order: 4 lanes along d, lanes summed ((l0 + l1) + l2) + l3, then the tail.
        const l = [0, 0, 0, 0];
        let k = 0;
        for (; k + 4 <= d; k += 4) for (let t = 0; t < 4; t++) { const u = f(qv[i * d + k + t] - halfToFloat(H[j * d + k + t])); l[t] = f(l[t] + f(u * u)); }
        let s = f(f(f(l[0] + l[1]) + l[2]) + l[3]);
        for (; k < d; k++) { const u = f(qv[i * d + k] - halfToFloat(H[j * d + k])); s = f(s + f(u * u)); }
        keys.push({ j, v: s });
      }
      keys.sort((a, b) => a.v - b.v || a.j - b.j);
      assert.equal(Array.from(oI.i32view().subarray(i * c, (i + 1) * c)), keys.slice(0, c).map((e) => e.j), `query ${i} rows`);
      assert.equal(Array.from(oD.f32view().subarray(i * c, (i + 1) * c)), keys.slice(0, c).map((e) => e.v), `query ${i} keys`);
    }
    for (const s of [x, h, q, scratch, oD, oI]) s.dispose();
  });
}

// ---------------------------------------------------------------------------------------------
// Search, shards, diameters on the sample.

test('search: f32 equals Gallery.search bit for bit; i8 and f16 re-ranked reach recall@10 ≥ 0.99; rank-1 identification', () => {
  const { gallery: g } = readGalleryStream(path);
  const ref = Gallery.fromData({ dim: D, labels: Array.from(mf.labels(), (p) => mf.name(p)), vectors: all });
  const exact = g.search(probes, 10);
  const old = ref.search(probes, 10);
  for (let i = 0; i < NQ; i++) {
    assert.equal(Array.from(exact.indices.subarray(i * 10, i * 10 + 10)), old[i].indices, `query ${i} rows`);
    assert.equal(Array.from(exact.distances.subarray(i * 10, i * 10 + 10)), old[i].distances, `query ${i} distances`);
  }
  ref.dispose();
  let right = 0;
  for (let i = 0; i < NQ; i++) if (g.personOf(exact.indices[i * 10]) === truth[i]) right++;
  assert.ok(right / NQ >= 0.95, `rank-1 ${right}/${NQ}`);
  assert.throws(() => g.search(probes, 10, { precision: 'i8' }), /CompactGallery.search: expected a i8 copy for precision 'i8', got none; call buildCompact\('i8'\) first/);
  for (const kind of ['i8', 'f16'] as const) {
    g.buildCompact(kind);
    const r = g.search(probes, 10, { precision: kind });
    const recall = recallAtK(r, exact);
    assert.ok(recall >= 0.99, `${kind} recall@10 ${recall}`);
    // Exact distances after re-ranking: where the rows agree, the distances agree bit for bit.
    for (let t = 0; t < r.indices.length; t++) if (r.indices[t] === exact.indices[t]) assert.is(r.distances[t], exact.distances[t]);
    const without = g.search(probes, 10, { precision: kind, candidates: 10 });
    assert.ok(recallAtK(without, exact) <= recall, `${kind}: fewer candidates, no better recall`);
  }
  assert.is(g.memory().compact, Math.ceil((g.capacity * D) / 2) * 4);
  const ids = g.identify(probes.subarray(0, 5 * D), { threshold: 0.001 });
  assert.equal(ids.map((x) => x.label), ['unknown', 'unknown', 'unknown', 'unknown', 'unknown']);
  assert.equal(g.identify(probes.subarray(0, D))[0].candidate, mf.name(truth[0]));
  assert.throws(() => g.search(probes, 0), /CompactGallery.search: expected k \(1 ≤ k ≤ rows searched/);
  assert.throws(() => g.search(new Float32Array(5), 1), /CompactGallery.search: expected queries of n·128 floats/);
  g.dispose();
});

test('shards: searches over row ranges [0, a), [a, b), [b, n) merged by mergeTopK equal the full search (f32 and i8)', () => {
  const { gallery: g } = readGalleryStream(path);
  g.buildCompact('i8');
  const n = g.size, cuts = [0, 3001, 9000, n];
  for (const precision of ['f32', 'i8'] as const) {
    const full = g.search(probes, 10, { precision, candidates: 100 });
    const parts: TopK[] = [];
    for (let s = 0; s + 1 < cuts.length; s++) parts.push(g.search(probes, 10, { precision, candidates: 100, start: cuts[s], end: cuts[s + 1] }));
    const merged = mergeTopK(parts, 10);
    if (precision === 'f32') {
      assert.equal(merged.indices, full.indices, 'f32 rows');
      assert.equal(merged.distances, full.distances, 'f32 distances');
    } else {
      // Per-shard candidates are at least the global ones within the shard: recall cannot drop.
      assert.ok(recallAtK(merged, g.search(probes, 10)) >= recallAtK(full, g.search(probes, 10)));
    }
  }
  const plan = planShards(4_700_000 * 10, bytesPerRow('f32', 128) + bytesPerRow('i8', 128));
  assert.is(plan.length, 8); // 47 M rows · (512 + 136) bytes = 30.5 GB over 3.75 GiB shards
  assert.is(plan[0].start, 0);
  assert.is(plan[plan.length - 1].end, 47_000_000);
  assert.equal(planShards(10, 4, 16), [{ start: 0, end: 3 }, { start: 3, end: 6 }, { start: 6, end: 10 }]); // 4 rows fit a shard
  assert.throws(() => mergeTopK([], 1), /mergeTopK: expected at least one partial result/);
  g.dispose();
});

test('f32 batches through the gemm candidates equal the scan bit for bit, on row ranges too (norms read at each range\'s rows)', () => {
  const { gallery: g } = readGalleryStream(path);
  const before = { ...gemmLimits };
  const run = (viaGemm: boolean, opts: { start?: number; end?: number }) => {
    gemmLimits.minQueries = viaGemm ? 1 : Infinity;
    gemmLimits.minRows = viaGemm ? 16 : Infinity;
    return g.search(probes, 10, opts);
  };
  try {
    for (const opts of [{}, { start: 3001, end: 9000 }, { start: 17, end: 4000 }]) {
      const a = run(true, opts), b = run(false, opts);
      assert.equal(a.indices, b.indices, `rows ${JSON.stringify(opts)}`);
      assert.equal(a.distances, b.distances, `distances ${JSON.stringify(opts)}`);
    }
    assert.ok(g.gemmFallbacks < NQ, 'most lists certified');
  } finally {
    Object.assign(gemmLimits, before);
    g.dispose();
  }
});

test('diameters and D on the sample equal Gallery (bit for bit) and a float64 brute force; incremental adds', () => {
  const { gallery: g } = readGalleryStream(path, { capacity: mf.total + 50 });
  const names = Array.from(mf.labels(), (p) => mf.name(p));
  const ref = Gallery.fromData({ dim: D, labels: names, vectors: all });
  const dm = g.diameters(), dr = ref.diameters();
  assert.is(dm.length, mf.people);
  assert.equal(dm, dr);
  assert.equal(g.D(), ref.D());
  assert.equal(g.D({ percentile: 90 }), ref.D({ percentile: 90 }));
  assert.equal(g.D({ minPhotos: 10 }), ref.D({ minPhotos: 10 }));
  // float64 brute force for a few people (the largest is covered bit for bit by Gallery above).
  for (const p of [0, 1, 2]) {
    const s = mf.starts[p], m = mf.counts[p];
    let best = 0;
    for (let a = 0; a < m; a++) for (let b = a + 1; b < m; b++) {
      let t = 0;
      for (let k = 0; k < D; k++) t += (all[(s + a) * D + k] - all[(s + b) * D + k]) ** 2;
      best = Math.max(best, Math.sqrt(t));
    }
    assert.ok(Math.abs(dm[p].diameter - best) < 1e-5, `person ${p}: ${dm[p].diameter} vs ${best}`);
  }
  // Adds: photos of an existing person (far away, so its diameter grows) and of a new person.
  const extra = new Float32Array(3 * D);
  for (let k = 0; k < D; k++) { extra[k] = -all[k]; extra[D + k] = all[D + k] * 0.5; extra[2 * D + k] = all[k]; }
  const lab = [mf.name(0), 'newcomer', 'newcomer'];
  g.add(extra, lab);
  ref.add(extra, lab);
  assert.equal(g.diameters(), ref.diameters(), 'after add: same as Gallery (which also folds in the new pairs only)');
  assert.equal(g.diameter(mf.name(0)), ref.diameters()[0]);
  assert.equal(g.D(), ref.D());
  assert.is(g.size, mf.total + 3);
  // Past the capacity: grows by copying, the compact copy follows.
  g.buildCompact('i8');
  const more = new Float32Array(60 * D);
  for (let i = 0; i < 60; i++) mf.probe(3, 1000 + i, more, i * D);
  g.add(more, Array(60).fill(mf.name(3)));
  ref.add(more, Array(60).fill(mf.name(3)));
  assert.equal(g.diameters(), ref.diameters());
  const q = more.subarray(0, D);
  assert.equal(g.search(q, 5, { precision: 'i8' }).indices, g.search(q, 5).indices);
  assert.throws(() => g.add(new Float32Array(D), ['unknown']), /CompactGallery.add: expected person names other than 'unknown'/);
  assert.throws(() => g.add(new Float32Array([NaN, ...new Array(D - 1).fill(0)]), ['x']), /CompactGallery.add: expected finite embedding values, got NaN in row 0/);
  ref.dispose();
  g.dispose();
});

test('i8_bounds d=1,5,17,128 rows [2, 23): max dequantization error and max norm² as a float64 reference', () => {
  for (const d of [1, 5, 17, 128]) {
    const rng = new Rng(40 + d);
    const n = 23;
    const xs = new Storage(n * d), g8 = new Storage((Math.ceil(n / 8) * (64 + 8 * d)) / 4), out = new Storage(2);
    const xv = xs.f32view();
    for (let i = 0; i < n * d; i++) xv[i] = rng.normal() * (i % 7 === 0 ? 3 : 0.2);
    K().quantize_i8_rows(xs.ptr, d, 0, n, g8.ptr);
    kernels<{ i8_bounds(x: number, d: number, r0: number, r1: number, q: number, out: number): void }>()
      .i8_bounds(xs.ptr, d, 2, n, g8.ptr, out.ptr);
    const G = i8Blocks(g8.ptr, n, d);
    let e = 0, nm = 0;
    for (let r = 2; r < n; r++) {
      let t = 0;
      const q = G.row(r);
      for (let k = 0; k < d; k++) t += (xv[r * d + k] - G.scale(r) * q[k]) ** 2;
      e = Math.max(e, Math.sqrt(t));
      nm = Math.max(nm, G.norm2(r));
    }
    const o = out.f32view();
    // f32 rounding of x − s·q (about an ulp of x per value) is all that separates them.
    assert.ok(e > 0 && Math.abs(o[0] - e) <= 1e-5 * e + 1e-6, `d=${d}: error ${o[0]} vs ${e}`);
    assert.is(o[1], nm, `d=${d}: max norm²`);
    // Rounding to the nearest step: at most half a step (s/2) per value.
    let half = 0;
    for (let r = 2; r < n; r++) half = Math.max(half, (G.scale(r) / 2) * Math.sqrt(d));
    assert.ok(o[0] <= half * (1 + 1e-5) + 1e-6, `d=${d}: ${o[0]} within s/2·√d = ${half}`);
    for (const s of [xs, g8, out]) s.dispose();
  }
});

test('stream_sum_f32 at lengths 0, 1, 31, 32, 33, 100, 131, 197 from offset 3: eight streams and the tail, emulated in f32', () => {
  const rng = new Rng(9);
  const x = new Storage(200), out = new Storage(1);
  const xv = x.f32view();
  for (let i = 0; i < 200; i++) xv[i] = rng.normal();
  for (const n of [0, 1, 31, 32, 33, 100, 131, 197]) {
    const i0 = 3, i1 = i0 + n;
    kernels<{ stream_sum_f32(x: number, i0: number, i1: number, out: number): void }>().stream_sum_f32(x.ptr, i0, i1, out.ptr);
    const Q = Math.floor(n / 8) & ~3;
    const acc = [0, 1, 2, 3, 4, 5, 6, 7].map(() => [0, 0, 0, 0]);
    for (let i = 0; i < Q; i += 4) for (let m = 0; m < 8; m++) for (let l = 0; l < 4; l++) acc[m][l] = f(acc[m][l] + xv[i0 + m * Q + i + l]);
    const v = [0, 1, 2, 3].map((l) => f(f(f(acc[0][l] + acc[1][l]) + f(acc[2][l] + acc[3][l])) + f(f(acc[4][l] + acc[5][l]) + f(acc[6][l] + acc[7][l]))));
    let want = f(f(f(v[0] + v[1]) + v[2]) + v[3]);
    for (let i = i0 + 8 * Q; i < i1; i++) want = f(want + xv[i]);
    assert.is(out.f32view()[0], want, `n=${n}`);
  }
  x.dispose(); out.dispose();
});

test('threads: f32 / i8 / f16 searches (1 query: rows split and merged; 60: queries split) and all diameters bitwise equal at 1, 2 and 3 threads', () => {
  const before = getThreads();
  const prev = setSplitScale(0); // split every call that can be, however small
  const { gallery: g } = readGalleryStream(path);
  try {
    const run = () => {
      const out: Array<ArrayLike<number>> = [];
      for (const kind of ['f32', 'i8', 'f16'] as const) {
        if (kind !== 'f32') g.buildCompact(kind);
        for (const q of [probes.subarray(0, D), probes]) {
          const r = g.search(q, 10, { precision: kind, candidates: 40 });
          out.push(r.indices, r.distances);
        }
        const part = g.search(probes.subarray(0, 3 * D), 7, { precision: kind, start: 1000, end: 9001 });
        out.push(part.indices, part.distances);
      }
      g.computeDiameters();
      out.push(g.diameterValues(), Int32Array.from(g.diameters().flatMap((x) => x.pair)));
      return out;
    };
    setThreads(1);
    const one = run();
    for (const n of [2, 3]) {
      setThreads(n);
      const many = run();
      assert.is(many.length, one.length);
      for (let t = 0; t < one.length; t++) {
        assert.ok(Buffer.from(new Uint8Array((many[t] as Int32Array).buffer)).equals(Buffer.from(new Uint8Array((one[t] as Int32Array).buffer))), `${n} threads: result ${t}`);
      }
    }
    // The split results are the unsplit ones of Gallery too.
    const ref = Gallery.fromData({ dim: D, labels: Array.from(mf.labels(), (p) => mf.name(p)), vectors: all });
    assert.equal(g.diameters(), ref.diameters());
    ref.dispose();
  } finally {
    setSplitScale(prev);
    setThreads(before);
    g.dispose();
  }
  assert.is(getThreads(), before);
});

test('exact int8 search (certified by the int8 error bound, float32 scans for the rest) equals the float32 search bit for bit, 1 and 2 threads', () => {
  const before = getThreads();
  const { gallery: g } = readGalleryStream(path);
  try {
    g.buildCompact('i8');
    for (const n of [1, 2]) {
      setThreads(n);
      const truthK = g.search(probes, 10);
      for (const cand of [10, 30, 300]) {
        const r = g.search(probes, 10, { precision: 'i8', candidates: cand, exact: true });
        assert.equal(r.indices, truthK.indices, `${n} threads, ${cand} candidates: rows`);
        assert.equal(r.distances, truthK.distances, `${n} threads, ${cand} candidates: distances`);
        assert.ok(r.fallbacks !== undefined && r.fallbacks >= 0 && r.fallbacks <= NQ);
        if (cand === 10) assert.ok((r.fallbacks as number) > 0, 'with k = candidates the bound cannot certify every query');
        if (cand === 300) assert.ok((r.fallbacks as number) < NQ, `300 candidates certify some queries (${r.fallbacks} scanned)`);
      }
      // A plain int8 search reports no fallbacks; exact must be a boolean.
      assert.is(g.search(probes, 10, { precision: 'i8' }).fallbacks, undefined);
      assert.throws(() => g.search(probes, 10, { precision: 'i8', exact: 1 as unknown as boolean }), /CompactGallery.search: expected exact as a boolean/);
    }
  } finally {
    setThreads(before);
    g.dispose();
  }
});

test('galleryFileRows checks the file as readGalleryStream does: missing, not a gallery, corrupt header, truncated', () => {
  assert.throws(() => galleryFileRows(join(dir, 'none.fmg')), (e: Error) => e.message.includes('none.fmg') && /no such file/.test(e.message));
  const bytes = readFileSync(path);
  const bad = join(dir, 'bad.fmg');
  writeFileSync(bad, Buffer.from('not a gallery at all, just text'));
  assert.throws(() => galleryFileRows(bad), /bad\.fmg.*not a facemetric gallery file/);
  const flipped = Buffer.from(bytes);
  flipped[30] ^= 0x20; // inside the JSON header
  writeFileSync(bad, flipped);
  assert.throws(() => galleryFileRows(bad), /bad\.fmg.*corrupt: the header checksum does not match/);
  writeFileSync(bad, bytes.subarray(0, bytes.length - 100));
  assert.throws(() => galleryFileRows(bad), /bad\.fmg.*truncated: expected \d+ bytes, got \d+/);
  const ok = galleryFileRows(path);
  try {
    const row = new Uint8Array(ok.dim * 4);
    ok.read(ok.rows - 1, ok.rows, row);
    const g = readGalleryStream(path).gallery;
    assert.equal(Array.from(new Float32Array(row.buffer)), Array.from(g.rows().subarray((ok.rows - 1) * ok.dim)));
    g.dispose();
  } finally {
    ok.close();
  }
});

test('releaseRows: int8 quantized in place, float32 rows read from the gallery file: every search, exact distance and D as before (1 and 2 threads)', () => {
  const before = getThreads();
  const prevBlock = CompactGallery.readBlock;
  const { gallery: g } = readGalleryStream(path);
  const reader = galleryFileRows(path);
  try {
    assert.is(reader.rows, mf.total);
    g.buildCompact('i8');
    const q1 = probes.subarray(0, D);
    const want = [g.search(probes, 10), g.search(q1, 3), g.search(probes, 10, { precision: 'i8', candidates: 40 }), g.search(probes, 10, { precision: 'i8', exact: true }),
      g.search(probes.subarray(0, 5 * D), 4, { start: 2000, end: 2010 })];
    const pairRows = [0, 17, mf.total - 1, 4444];
    const pairs = g.pairDistances(probes.subarray(0, 4 * D), pairRows);
    const Dw = g.D(), diam = g.diameters();
    // In place on 3 threads, every round split (parts write below the rows other parts read).
    setThreads(3);
    const prevScale = setSplitScale(0);
    try {
      g.releaseRows(reader);
    } finally {
      setSplitScale(prevScale);
    }
    assert.is(g.rowsReleased, true);
    assert.is(g.memory().f32, 0);
    CompactGallery.readBlock = 1000; // several blocks (and a short last one folded in)
    for (const n of [1, 2]) {
      setThreads(n);
      const got = [g.search(probes, 10), g.search(q1, 3), g.search(probes, 10, { precision: 'i8', candidates: 40 }), g.search(probes, 10, { precision: 'i8', exact: true }),
        g.search(probes.subarray(0, 5 * D), 4, { start: 2000, end: 2010 })];
      for (let t = 0; t < want.length; t++) {
        assert.equal(got[t].indices, want[t].indices, `${n} threads, search ${t}: rows`);
        assert.equal(got[t].distances, want[t].distances, `${n} threads, search ${t}: distances`);
      }
      assert.equal(g.pairDistances(probes.subarray(0, 4 * D), pairRows), pairs);
    }
    assert.equal(g.D(), Dw);
    assert.equal(g.diameters(), diam);
    assert.throws(() => g.rows(), /CompactGallery.rows: the float32 rows were released/);
    assert.throws(() => g.add(new Float32Array(D), ['x']), /CompactGallery.add: the float32 rows were released/);
    assert.throws(() => g.buildCompact('f16'), /CompactGallery.buildCompact: the float32 rows were released/);
    assert.throws(() => g.releaseRows(reader), /CompactGallery.releaseRows: the float32 rows were released/);
    assert.throws(() => reader.read(0, 2, new Uint8Array(3)), /galleryFileRows.read: expected rows within/);
  } finally {
    CompactGallery.readBlock = prevBlock;
    setThreads(before);
    reader.close();
    g.dispose();
  }
  const g2 = readGalleryStream(path).gallery;
  assert.throws(() => g2.releaseRows({ rows: 5, read: () => {} }), /CompactGallery.releaseRows: expected a RowReader over the gallery's \d+ rows, got one over 5/);
  g2.dispose();
});

test('inPlaceRounds: every round writes its i8 blocks below the float32 rows it has yet to read; none below dim 3', () => {
  for (const d of [1, 2, 3, 4, 5, 8, 9, 16, 127, 128, 1000]) {
    for (const n of [0, 1, 7, 8, 4095, 4096, 4097, 5000, 10001, 123457, 4704399]) {
      const bytes = 4 * d * n;
      const r = inPlaceRounds(n, d, bytes);
      if (d <= 2 && n > 4096) { assert.is(r, null, `d=${d} n=${n}`); continue; }
      if (i8BlockBytes(n, d) > bytes) { assert.is(r, null, `d=${d} n=${n}: the blocks do not fit`); continue; }
      assert.ok(r !== null, `d=${d} n=${n}`);
      let a = Math.min(n, 4096);
      for (const [a0, b] of r) {
        assert.is(a0, a, `d=${d} n=${n}: rounds follow each other`);
        assert.ok(b > a0 && (b % 8 === 0 || b === n), `d=${d} n=${n}: round [${a0}, ${b})`);
        assert.ok(i8BlockBytes(b, d) <= 4 * d * a0, `d=${d} n=${n}: round [${a0}, ${b}) writes below row ${a0}'s float32 bytes`);
        a = b;
      }
      assert.is(a, n, `d=${d} n=${n}: the rounds reach the last row`);
    }
  }
  // At dim 128 each round takes about 3.76 times the rows before it (512 bytes of float32 a row against 136).
  const r = inPlaceRounds(4704399, 128, 4 * 128 * 4704399) as Array<[number, number]>;
  assert.ok(r.length <= 6 && r[0][1] === 8 * Math.floor((512 * 4096) / 1088), `${JSON.stringify(r)}`);
});

test('releaseRows at dims 1, 2, 3 and 8 (5,000 rows): in place where the rounds allow, else blocks of their own; searches as before', () => {
  for (const d of [1, 2, 3, 8]) {
    const n = 5000, rng = new Rng(70 + d);
    const x = new Float32Array(n * d);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    const g = new CompactGallery({ dim: d, people: ['a', 'b', 'c'], labels: Array.from({ length: n }, (_, i) => i % 3) });
    try {
      g.rowBytes(0, n).set(new Uint8Array(x.buffer));
      const q = new Float32Array(3 * d);
      for (let i = 0; i < q.length; i++) q[i] = rng.normal();
      g.buildCompact('i8');
      const want = [g.search(q, 5), g.search(q, 5, { precision: 'i8', candidates: 20 }), g.search(q.subarray(0, d), 5, { precision: 'i8', candidates: 20 })];
      g.dropCompact();
      const ptr = g.rowsPtr();
      g.releaseRows({ rows: n, read: (a, b, into) => into.set(new Uint8Array(x.buffer, a * d * 4, (b - a) * d * 4)) });
      const inPlace = inPlaceRounds(n, d, 4 * d * n) !== null;
      assert.is(inPlace, d >= 3, `d=${d}`);
      assert.is(g.rowsPtr() === ptr, inPlace, `d=${d}: blocks in the float32 block (${inPlace})`);
      assert.is(g.memory().compact, inPlace ? 4 * d * n : i8BlockBytes(n, d), `d=${d}: bytes held`);
      const got = [g.search(q, 5), g.search(q, 5, { precision: 'i8', candidates: 20 }), g.search(q.subarray(0, d), 5, { precision: 'i8', candidates: 20 })];
      for (let t = 0; t < want.length; t++) {
        assert.equal(got[t].indices, want[t].indices, `d=${d}, search ${t}: rows`);
        assert.equal(got[t].distances, want[t].distances, `d=${d}, search ${t}: distances`);
      }
    } finally {
      g.dispose();
    }
  }
});

test('exportNpy: .npy files numpy reads (header dict, 64-byte alignment), rows and labels bit for bit', () => {
  const { gallery: g } = readGalleryStream(path);
  const e = exportNpy(join(dir, 'sample'), g, 1000);
  const v = readFileSync(e.vectors);
  assert.is(v.toString('latin1', 0, 6), '\x93NUMPY');
  const hl = v.readUInt16LE(8);
  assert.is((10 + hl) % 64, 0);
  assert.is(v.toString('latin1', 10, 10 + hl).trim(), `{'descr': '<f4', 'fortran_order': False, 'shape': (${mf.total}, 128), }`);
  assert.ok(v.subarray(10 + hl).equals(Buffer.from(all.buffer)), 'vectors');
  const l = readFileSync(e.labels);
  const ll = l.readUInt16LE(8);
  assert.is(l.toString('latin1', 10, 10 + ll).trim(), `{'descr': '<i4', 'fortran_order': False, 'shape': (${mf.total},), }`);
  assert.ok(l.subarray(10 + ll).equals(Buffer.from(Int32Array.from(mf.labels()).buffer)), 'labels');
  assert.equal(JSON.parse(readFileSync(e.people, 'utf8')), mf.names());
  g.dispose();
});

test('cleanup', () => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();
