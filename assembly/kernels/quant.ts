// Compact gallery storage and the scans over it (issue 6): int8 rows with one float scale per row,
// float16 rows, candidate scans that keep the c best rows of each query by an approximate distance,
// the exact float32 re-ranking of those candidates, and the CRC-32 that gallery files check every
// chunk with (the JavaScript one in src/io/crc32.ts runs at about 0.27 GB/s, too slow for 2.4 GB).
//
// Every scan takes a gallery row range [g0, g1) and reports absolute row numbers, so the rows can
// be split over threads or shards and the partial top lists merged by (key, row) afterwards. Heaps
// order by the key (value, row): among equal values the lower row wins, whatever order the rows
// were offered in, so a split scan followed by a merge gives exactly the unsplit result.
import { ldf, stf, ldi, sti, ldv, hsum } from '../mem';
import { l2sq_f32, l2sq4_f32 } from './knn';
import { offer, offer8, sortHeap } from '../topk';

/** One slicing-by-8 step of the CRC register c over the 8 bytes at p. */
@inline function crc8(table: usize, c: u32, p: usize): u32 {
  const lo = load<u32>(p) ^ c;
  const hi = load<u32>(p, 4);
  return load<u32>(table + ((<usize>(7 * 256) + <usize>(lo & 255)) << 2))
    ^ load<u32>(table + ((<usize>(6 * 256) + <usize>((lo >> 8) & 255)) << 2))
    ^ load<u32>(table + ((<usize>(5 * 256) + <usize>((lo >> 16) & 255)) << 2))
    ^ load<u32>(table + ((<usize>(4 * 256) + <usize>(lo >> 24)) << 2))
    ^ load<u32>(table + ((<usize>(3 * 256) + <usize>(hi & 255)) << 2))
    ^ load<u32>(table + ((<usize>(2 * 256) + <usize>((hi >> 8) & 255)) << 2))
    ^ load<u32>(table + ((<usize>(256) + <usize>((hi >> 16) & 255)) << 2))
    ^ load<u32>(table + (<usize>(hi >> 24) << 2));
}

/** The CRC register c advanced over bytes [i, n) at p: 8 bytes a step, then byte by byte. */
@inline function crcTail(table: usize, c: u32, p: usize, i: i32, n: i32): u32 {
  for (; i + 8 <= n; i += 8) c = crc8(table, c, p + <usize>i);
  for (; i < n; i++) c = load<u32>(table + (<usize>((c ^ <u32>load<u8>(p + <usize>i)) & 255) << 2)) ^ (c >> 8);
  return c;
}

/**
 * crc32_update(table, p, n, crc): returns the CRC-32 (IEEE, zlib/PNG polynomial 0xEDB88320) of
 * the n bytes at p continued from `crc` (0 to start), as src/io/crc32.ts computes it. table:
 * [8 × 256] u32, table[0] the byte-wise table and table[s][b] = table[0][table[s−1][b] & 255] ^
 * (table[s−1][b] >>> 8) (slicing-by-8), built by TypeScript. Loop: 8 bytes per step (two u32
 * little-endian loads, no alignment needed), then a byte-wise tail for n % 8. No SIMD (a CRC is a
 * serial chain). Returns a u32; nothing is written.
 */
export function crc32_update(table: usize, p: usize, n: i32, crc: u32): u32 {
  return ~crcTail(table, ~crc, p, 0, n);
}

/**
 * crc32_parts4(table, p, n, out): the CRC-32s (each from 0) of 4 consecutive parts of the n bytes
 * at p: parts 0, 1, 2 of q = 8·⌊n / 32⌋ bytes each, part 3 the remaining n − 3q bytes. The four
 * serial chains are interleaved in one loop (a single chain waits on its table loads), then part 3's
 * extra bytes follow (8 a step, then a byte-wise tail). TypeScript joins them with crc32_combine.
 * table as crc32_update. out: [4] u32 (output), must not overlap table or the bytes.
 */
export function crc32_parts4(table: usize, p: usize, n: i32, out: usize): void {
  const q = (n >> 5) << 3;
  const p1 = p + <usize>q, p2 = p1 + <usize>q, p3 = p2 + <usize>q;
  let c0: u32 = ~0, c1: u32 = ~0, c2: u32 = ~0, c3: u32 = ~0;
  for (let i = 0; i < q; i += 8) {
    c0 = crc8(table, c0, p + <usize>i);
    c1 = crc8(table, c1, p1 + <usize>i);
    c2 = crc8(table, c2, p2 + <usize>i);
    c3 = crc8(table, c3, p3 + <usize>i);
  }
  c3 = crcTail(table, c3, p3, q, n - 3 * q);
  store<u32>(out, ~c0);
  store<u32>(out, ~c1, 4);
  store<u32>(out, ~c2, 8);
  store<u32>(out, ~c3, 12);
}

// The int8 copy's layout ("i8 blocks"): rows in blocks of 8, each block 64 + 8·d bytes, 64 bytes of
// meta first (the 8 rows' f32 scales, then their 8 f32 squared norms) and then the 8 rows' d int8
// values (row stride d). Row j lives in block j >> 3 at slot j & 7; a partial last block leaves the
// other slots unwritten and unread. One sequential stream holds a row and its scale and norm, so a
// single query's scan reads eight streams instead of twenty-four (rows, scales and norms apart):
// over 4.7 M rows on 2 threads, 28.80 against 31.65 ms and 24.92 against 26.44 (the two layouts
// interleaved query by query in one process), up to 0.96× a plain read of the same bytes. Queries
// are quantized into the same layout.

/** Bytes of one i8 block of 8 rows of d values. */
@inline function i8Block(d: i32): usize { return 64 + (<usize>d << 3); }
/** Start of row j's d int8 values in the i8 blocks at p. */
@inline function i8Row(p: usize, j: i32, d: i32): usize { return p + <usize>(j >> 3) * i8Block(d) + 64 + <usize>(j & 7) * <usize>d; }
/** Row j's scale in the i8 blocks at p. */
@inline function i8Scale(p: usize, j: i32, d: i32): f32 { return load<f32>(p + <usize>(j >> 3) * i8Block(d) + (<usize>(j & 7) << 2)); }
/** Row j's squared norm in the i8 blocks at p. */
@inline function i8Norm2(p: usize, j: i32, d: i32): f32 { return load<f32>(p + <usize>(j >> 3) * i8Block(d) + (<usize>(j & 7) << 2), 32); }

/**
 * quantize_i8_rows(x, d, r0, r1, out): int8 copies of rows r0..r1−1 of the float32 matrix x [· × d]
 * (row stride d floats), written at the same row numbers into the i8 blocks at out (layout above).
 * Row r: scale s = max_k |x[r,k]| / 127 (0 for an all-zero row), q[r,k] = round-half-even(x[r,k] / s)
 * in [−127, 127] (never −128, so that two products of int8 values add up within int16: 2 · 127² =
 * 32258 ≤ 32767, for kernels that accumulate in int16), and the squared norm of the dequantized
 * row, s² · Σ_k q[r,k]². Lanes run along d (max |x| over 4 lanes; round-half-even, clamp, narrow to
 * 4 bytes a step), scalar tails for d % 4; Σ q² in int32 lanes (exact: d · 127² < 2^31 for
 * d < 133,000). Rows are independent: ranges split over threads. Row r's bytes all lie below
 * byte 8·⌈(r + 1) / 8⌉·(d + 8) of out, so out may be x itself when every row of the range sits at
 * or past that byte in x, and the rows below the range have been read (CompactGallery.releaseRows);
 * otherwise the outputs must not overlap x.
 */
export function quantize_i8_rows(x: usize, d: i32, r0: i32, r1: i32, out: usize): void {
  const d4 = d & ~3;
  for (let r = r0; r < r1; r++) {
    const xr = x + (<usize>r * <usize>d << 2);
    const qr = i8Row(out, r, d);
    let mv = f32x4.splat(0);
    let k = 0;
    for (; k < d4; k += 4) mv = f32x4.max(mv, f32x4.abs(ldv(xr, k)));
    let m: f32 = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (; k < d; k++) m = max(m, abs(ldf(xr, k)));
    const s: f32 = m / 127;
    const inv: f32 = m > 0 ? <f32>127 / m : 0;
    const iv = f32x4.splat(inv), hi = i32x4.splat(127), lo = i32x4.splat(-127);
    let sqv = i32x4.splat(0);
    k = 0;
    for (; k < d4; k += 4) {
      const v = i32x4.max_s(i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(ldv(xr, k), iv))), hi), lo);
      sqv = i32x4.add(sqv, i32x4.mul(v, v));
      // Four int32 lanes to four int8 bytes (values already in [−127, 127]).
      const b = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(v, v), i16x8.narrow_i32x4_s(v, v));
      store<i32>(qr + <usize>k, i32x4.extract_lane(b, 0));
    }
    let sq: i64 = <i64>(i32x4.extract_lane(sqv, 0) + i32x4.extract_lane(sqv, 1) + i32x4.extract_lane(sqv, 2) + i32x4.extract_lane(sqv, 3));
    for (; k < d; k++) {
      let v = <i32>nearest<f32>(ldf(xr, k) * inv);
      if (v > 127) v = 127;
      if (v < -127) v = -127;
      store<i8>(qr + <usize>k, <i8>v);
      sq += <i64>(v * v);
    }
    const meta = out + <usize>(r >> 3) * i8Block(d) + (<usize>(r & 7) << 2);
    store<f32>(meta, s);
    store<f32>(meta, s * s * <f32>sq, 32);
  }
}

/**
 * encode_f16(x, i0, i1, out): float16 (IEEE binary16) copies of the floats x[i0..i1−1] into the
 * u16 array out at the same positions, rounded to nearest-even; magnitudes under 2^−14 become
 * half subnormals, above 65504 (and ±Inf) become ±Inf, NaN a quiet NaN. Scalar (a one-off
 * encoding). Element ranges split over threads. out must not overlap x.
 */
export function encode_f16(x: usize, i0: i32, i1: i32, out: usize): void {
  for (let i = i0; i < i1; i++) {
    const bits = reinterpret<u32>(ldf(x, i));
    const sign: u32 = (bits >> 16) & 0x8000;
    let a: u32 = bits & 0x7fffffff;
    let h: u32;
    if (a >= 0x47800000) {
      h = a > 0x7f800000 ? 0x7e00 : 0x7c00;
    } else if (a < 0x38800000) {
      // Subnormal half: let the float adder round (2^-1 + |x| puts the half's bits at the bottom).
      h = reinterpret<u32>(reinterpret<f32>(a) + <f32>0.5) - 0x3f000000;
    } else {
      const odd = (a >> 13) & 1;
      a += 0xc8000fff + odd; // (15 − 127) << 23, plus the rounding bias
      h = a >> 13;
    }
    store<u16>(out + (<usize>i << 1), <u16>(h | sign));
  }
}

/** Decodes 4 halves (the u32 lanes hold the 16-bit patterns) into an f32x4, subnormals included. */
@inline function halves(x: v128): v128 {
  const sign = i32x4.shl(v128.and(x, i32x4.splat(0x8000)), 16);
  const mag = i32x4.shl(v128.and(x, i32x4.splat(0x7fff)), 13);
  // mag read as a float is the half's value · 2^−112 (exponent bias 127 instead of 15).
  return v128.or(f32x4.mul(mag, f32x4.splat(<f32>5.192296858534828e33)), sign);
}

/** Queries per block: each block of gallery rows is read once per block of QB queries. */
const QB: i32 = 64;

/**
 * l2sq_f32(q, decoded row, d) for four float16 rows at r0..r3 (u16 halves), decoding as it goes:
 * 8 halves a row a step (two f32x4 chunks, added in chunk order), then a chunk of 4 for d % 8 ≥ 4,
 * then scalar halves; each sum in l2sq4_f32's order over the decoded values, so the same bits as
 * decoding the rows first (lane t = row t).
 */
@inline function l2sq4_f16(q: usize, r0: usize, r1: usize, r2: usize, r3: usize, d: i32): v128 {
  const d8 = d & ~7, d4 = d & ~3;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let k = 0;
  for (; k < d8; k += 8) {
    const x = ldv(q, k), y = ldv(q, k + 4), o = <usize>k << 1;
    let h = v128.load(r0 + o);
    let u = f32x4.sub(x, halvesHi(hiLow(h))); a0 = f32x4.add(a0, f32x4.mul(u, u));
    u = f32x4.sub(y, halvesHi(hiHigh(h))); a0 = f32x4.add(a0, f32x4.mul(u, u));
    h = v128.load(r1 + o);
    u = f32x4.sub(x, halvesHi(hiLow(h))); a1 = f32x4.add(a1, f32x4.mul(u, u));
    u = f32x4.sub(y, halvesHi(hiHigh(h))); a1 = f32x4.add(a1, f32x4.mul(u, u));
    h = v128.load(r2 + o);
    u = f32x4.sub(x, halvesHi(hiLow(h))); a2 = f32x4.add(a2, f32x4.mul(u, u));
    u = f32x4.sub(y, halvesHi(hiHigh(h))); a2 = f32x4.add(a2, f32x4.mul(u, u));
    h = v128.load(r3 + o);
    u = f32x4.sub(x, halvesHi(hiLow(h))); a3 = f32x4.add(a3, f32x4.mul(u, u));
    u = f32x4.sub(y, halvesHi(hiHigh(h))); a3 = f32x4.add(a3, f32x4.mul(u, u));
  }
  if (k < d4) {
    const x = ldv(q, k), o = <usize>k << 1;
    let u = f32x4.sub(x, halvesHi(hiLow(v128.load64_zero(r0 + o)))); a0 = f32x4.add(a0, f32x4.mul(u, u));
    u = f32x4.sub(x, halvesHi(hiLow(v128.load64_zero(r1 + o)))); a1 = f32x4.add(a1, f32x4.mul(u, u));
    u = f32x4.sub(x, halvesHi(hiLow(v128.load64_zero(r2 + o)))); a2 = f32x4.add(a2, f32x4.mul(u, u));
    u = f32x4.sub(x, halvesHi(hiLow(v128.load64_zero(r3 + o)))); a3 = f32x4.add(a3, f32x4.mul(u, u));
  }
  let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
  for (let c = d4; c < d; c++) {
    const x = ldf(q, c), o = <usize>c << 1;
    let u = x - half1(r0 + o); s0 += u * u;
    u = x - half1(r1 + o); s1 += u * u;
    u = x - half1(r2 + o); s2 += u * u;
    u = x - half1(r3 + o); s3 += u * u;
  }
  return f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(s0), 1, s1), 2, s2), 3, s3);
}

/**
 * halves() for halves placed in the upper 16 bits of each lane (t = h << 16): an arithmetic shift
 * by 3 puts the sign at bit 31 (copies in 30..28, cleared) and exponent and mantissa at 27..13, and
 * the multiply by 2^112 scales as halves() does; a product's sign is its factor's, so the bits are
 * halves()'s. With the widening and shift (hiLow, hiHigh) five operations for four halves where
 * halves() takes seven; a byte shuffle in place of the widening measured slower (211 against 162 ms).
 */
@inline function halvesHi(t: v128): v128 {
  return f32x4.mul(v128.and(i32x4.shr_s(t, 3), i32x4.splat(0x8fffffff)), f32x4.splat(<f32>5.192296858534828e33));
}
/** Halves 0–3 of h in the upper 16 bits of four lanes (the lower 16 zero). */
@inline function hiLow(h: v128): v128 {
  return i32x4.shl(i32x4.extend_low_i16x8_u(h), 16);
}
/** Halves 4–7 of h in the upper 16 bits of four lanes. */
@inline function hiHigh(h: v128): v128 {
  return i32x4.shl(i32x4.extend_high_i16x8_u(h), 16);
}

/** The half at p, decoded (as halves() does, lane 0). */
@inline function half1(p: usize): f32 {
  return f32x4.extract_lane(halves(i32x4.splat(<i32>load<u16>(p))), 0);
}

/**
 * One query (q, f32) against float16 rows g0 … g1 − 1 read as eight streams: the range cut into
 * eight equal runs of Q rows (rows j, j + Q, …, j + 7Q in one step, two l2sq4_f16 tiles of four,
 * decoded as they are read), then the rows past 8Q one by one. Keys are scan_f16's bits and the
 * heap orders by (key, row), so the list is the one the block path gives. Decoding in the scan
 * instead of into a scratch block first (halvesHi), and eight streams instead of one, took one
 * query over 4.7 M rows from 433 to 162 ms on one thread and from 239 to 87 ms on two (the float32
 * scan: 174 and 92 ms in the same runs).
 */
function scan1_f16_streams(q: usize, h: usize, g0: i32, g1: i32, d: i32, c: i32, hd: usize, hi: usize): void {
  const row = <usize>d << 1;
  const Q = (g1 - g0) >> 3;
  const step: usize = <usize>Q * row;
  let seen = 0;
  for (let j = g0; j < g0 + Q; j++) {
    const r0 = h + <usize>j * row, r1 = r0 + step, r2 = r1 + step, r3 = r2 + step;
    const r4 = r3 + step, r5 = r4 + step, r6 = r5 + step, r7 = r6 + step;
    offer8(hd, hi, c, seen, l2sq4_f16(q, r0, r1, r2, r3, d), l2sq4_f16(q, r4, r5, r6, r7, d), j, Q);
    seen += 8;
  }
  for (let j = g0 + 8 * Q; j < g1; j++) {
    const r = h + <usize>j * row;
    offer(hd, hi, seen, c, f32x4.extract_lane(l2sq4_f16(q, r, r, r, r, d), 0), j);
    seen++;
  }
}

/**
 * scan_f16(q, nq, h, g0, g1, d, c, scratch, outD, outI): the c best rows of each query among the
 * float16 gallery rows g0..g1−1, by the squared Euclidean distance to the decoded row.
 * q: [nq × d] f32 queries (row stride d). h: [· × d] u16 halves (row stride d). Requires
 * 1 ≤ c ≤ g1 − g0. scratch: f32 [gb × d] with gb = max(4, 4096 / d) (a decoded block of rows).
 * outD: [nq × c] f32 squared distances to the decoded rows, outI: [nq × c] i32 absolute rows
 * (outputs), each query's row sorted by (distance, row) ascending. Loops: one query (nq = 1) reads
 * the rows as eight streams and decodes them as it reads (scan1_f16_streams; scratch unused);
 * otherwise blocks of QB = 64 queries × blocks of gb rows; each block is decoded once (lanes along
 * d, 8 halves a step, scalar tail for d % 8) and then scanned for every query of the block in tiles
 * of 1 query × 4 rows (lanes along d, scalar tail for d % 4). Either way the same keys. Outputs
 * must not overlap q, h or scratch.
 */
export function scan_f16(q: usize, nq: i32, h: usize, g0: i32, g1: i32, d: i32, c: i32, scratch: usize, outD: usize, outI: usize): void {
  if (nq == 1) {
    scan1_f16_streams(q, h, g0, g1, d, c, outD, outI);
    sortHeap(outD, outI, c);
    return;
  }
  const row = <usize>d << 2;
  let gb = 4096 / (d > 0 ? d : 1);
  if (gb < 4) gb = 4;
  for (let qb0 = 0; qb0 < nq; qb0 += QB) {
    const qb1 = min(qb0 + QB, nq);
    for (let jb0 = g0; jb0 < g1; jb0 += gb) {
      const jb1 = min(jb0 + gb, g1);
      // Decode rows jb0..jb1−1 into scratch.
      for (let j = jb0; j < jb1; j++) {
        const src = h + (<usize>j * <usize>d << 1);
        const dst = scratch + <usize>(j - jb0) * row;
        let k = 0;
        for (; k + 8 <= d; k += 8) {
          const x = v128.load(src + (<usize>k << 1));
          v128.store(dst + (<usize>k << 2), halves(i32x4.extend_low_i16x8_u(x)));
          v128.store(dst + (<usize>(k + 4) << 2), halves(i32x4.extend_high_i16x8_u(x)));
        }
        for (; k < d; k++) {
          const x = i32x4.splat(<i32>load<u16>(src + (<usize>k << 1)));
          stf(dst, k, f32x4.extract_lane(halves(x), 0));
        }
      }
      for (let i = qb0; i < qb1; i++) {
        const qi = q + <usize>i * row;
        const hd = outD + (<usize>(i * c) << 2), hi = outI + (<usize>(i * c) << 2);
        let j = jb0;
        for (; j + 4 <= jb1; j += 4) {
          const r0 = scratch + <usize>(j - jb0) * row, r1 = r0 + row, r2 = r1 + row, r3 = r2 + row;
          const s = l2sq4_f32(qi, r0, r1, r2, r3, d);
          const seen = j - g0;
          offer(hd, hi, seen, c, f32x4.extract_lane(s, 0), j);
          offer(hd, hi, seen + 1, c, f32x4.extract_lane(s, 1), j + 1);
          offer(hd, hi, seen + 2, c, f32x4.extract_lane(s, 2), j + 2);
          offer(hd, hi, seen + 3, c, f32x4.extract_lane(s, 3), j + 3);
        }
        for (; j < jb1; j++) offer(hd, hi, j - g0, c, l2sq_f32(qi, scratch + <usize>(j - jb0) * row, d), j);
      }
    }
  }
  for (let i = 0; i < nq; i++) sortHeap(outD + (<usize>(i * c) << 2), outI + (<usize>(i * c) << 2), c);
}

/** Σ_k a[k]·b[k] over d int8 values (16 lanes a step, then a scalar tail), as an i32. */
@inline function dot_i8(a: usize, b: usize, d: i32): i32 {
  let acc = i32x4.splat(0);
  let k = 0;
  for (; k + 16 <= d; k += 16) acc = i32x4.add(acc, dot16(a + <usize>k, b + <usize>k));
  let s = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; k < d; k++) s += <i32>load<i8>(a + <usize>k) * <i32>load<i8>(b + <usize>k);
  return s;
}

/**
 * Partial dot products of 16 int8 values at a and b as 4 int32 lanes: both halves of 8 are loaded
 * sign-extended to int16 (v128.load8x8_s) and multiplied and pairwise added by i32x4.dot_i16x8_s.
 */
@inline function dot16(a: usize, b: usize): v128 {
  return i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(a), v128.load8x8_s(b)), i32x4.dot_i16x8_s(v128.load8x8_s(a, 8), v128.load8x8_s(b, 8)));
}

/**
 * dot4_i8(q, r0, r1, r2, r3, d): the exact int32 dot products of the int8 query q with four int8
 * rows (lane t = row t): 16 values a step (two sign-extending loads of 8, i32x4.dot_i16x8_s), then
 * a scalar tail for d % 16.
 */
@inline function dot4_i8(q: usize, r0: usize, r1: usize, r2: usize, r3: usize, d: i32): v128 {
  const d16 = d & ~15;
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  for (let k = 0; k < d16; k += 16) {
    const ku = <usize>k;
    const x0 = v128.load8x8_s(q + ku), x1 = v128.load8x8_s(q + ku, 8);
    a0 = i32x4.add(a0, i32x4.add(i32x4.dot_i16x8_s(x0, v128.load8x8_s(r0 + ku)), i32x4.dot_i16x8_s(x1, v128.load8x8_s(r0 + ku, 8))));
    a1 = i32x4.add(a1, i32x4.add(i32x4.dot_i16x8_s(x0, v128.load8x8_s(r1 + ku)), i32x4.dot_i16x8_s(x1, v128.load8x8_s(r1 + ku, 8))));
    a2 = i32x4.add(a2, i32x4.add(i32x4.dot_i16x8_s(x0, v128.load8x8_s(r2 + ku)), i32x4.dot_i16x8_s(x1, v128.load8x8_s(r2 + ku, 8))));
    a3 = i32x4.add(a3, i32x4.add(i32x4.dot_i16x8_s(x0, v128.load8x8_s(r3 + ku)), i32x4.dot_i16x8_s(x1, v128.load8x8_s(r3 + ku, 8))));
  }
  let S = sum4(a0, a1, a2, a3);
  if (d16 < d) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = d16; k < d; k++) {
      const x = <i32>load<i8>(q + <usize>k);
      s0 += x * <i32>load<i8>(r0 + <usize>k);
      s1 += x * <i32>load<i8>(r1 + <usize>k);
      s2 += x * <i32>load<i8>(r2 + <usize>k);
      s3 += x * <i32>load<i8>(r3 + <usize>k);
    }
    S = i32x4.add(S, lanes4(s0, s1, s2, s3));
  }
  return S;
}

/**
 * One int8 query (qi its values; two = 2·its scale, qn its squared norm) against rows g0 … g1 − 1 of
 * the i8 blocks at g. The whole blocks of the range are cut into eight equal runs read as eight
 * streams (a step takes slot s of the current block of every run: two dot4_i8 tiles of four rows,
 * the eight scales and norms from the blocks' meta, in the same cache lines the rows stream
 * through); the rows before the first whole block, the blocks past the eight runs and the rows
 * after the last whole block go one by one. Keys are scan_i8's (exact int32 dot, the same f32
 * formula) and the heap orders by (key, row) whatever order rows come in, so the list is the one a
 * row-by-row scan gives. One stream per core leaves memory idle: with both cores scanning 4.7 M
 * rows, four streams ran at 83 M rows/s per core and eight at 102 (a plain eight-stream read, no
 * arithmetic, at 108); rows, scales and norms kept apart made twenty-four streams, 9 % slower.
 */
function scan1_i8_streams(qi: usize, two: f32, qn: f32, g: usize, g0: i32, g1: i32, d: i32, c: i32, hd: usize, hi: usize): void {
  const bsz = i8Block(d);
  const A = min((g0 + 7) & ~7, g1), B = max(g1 & ~7, A);
  const Q = ((B - A) >> 3) >> 3; // whole blocks per stream
  const qnv = f32x4.splat(qn), twov = f32x4.splat(two);
  let seen = 0;
  if (Q > 0) {
    const sQ: usize = <usize>Q * bsz, jQ = Q << 3;
    for (let b = A >> 3; b < (A >> 3) + Q; b++) {
      const p0 = g + <usize>b * bsz, p1 = p0 + sQ, p2 = p1 + sQ, p3 = p2 + sQ, p4 = p3 + sQ, p5 = p4 + sQ, p6 = p5 + sQ, p7 = p6 + sQ;
      for (let s = 0; s < 8; s++) {
        const o: usize = 64 + <usize>s * <usize>d, m: usize = <usize>s << 2;
        const Sa = dot4_i8(qi, p0 + o, p1 + o, p2 + o, p3 + o, d), Sb = dot4_i8(qi, p4 + o, p5 + o, p6 + o, p7 + o, d);
        // Keys of the eight rows (lane t = run t of Ka, run 4 + t of Kb), as the scalar formula.
        const Ka = f32x4.sub(f32x4.add(qnv, lanes4f(load<f32>(p0 + m, 32), load<f32>(p1 + m, 32), load<f32>(p2 + m, 32), load<f32>(p3 + m, 32))),
          f32x4.mul(f32x4.mul(twov, lanes4f(load<f32>(p0 + m), load<f32>(p1 + m), load<f32>(p2 + m), load<f32>(p3 + m))), f32x4.convert_i32x4_s(Sa)));
        const Kb = f32x4.sub(f32x4.add(qnv, lanes4f(load<f32>(p4 + m, 32), load<f32>(p5 + m, 32), load<f32>(p6 + m, 32), load<f32>(p7 + m, 32))),
          f32x4.mul(f32x4.mul(twov, lanes4f(load<f32>(p4 + m), load<f32>(p5 + m), load<f32>(p6 + m), load<f32>(p7 + m))), f32x4.convert_i32x4_s(Sb)));
        offer8(hd, hi, c, seen, Ka, Kb, (b << 3) + s, jQ);
        seen += 8;
      }
    }
  }
  // The rest one by one: rows before A, and from the end of the eight runs to g1.
  for (let j = g0; j < g1; j++) {
    if (j == A) j = A + (Q << 6);
    if (j >= g1) break;
    offer(hd, hi, seen, c, qn + i8Norm2(g, j, d) - two * i8Scale(g, j, d) * <f32>dot_i8(qi, i8Row(g, j, d), d), j);
    seen++;
  }
}

/**
 * scan_i8(q, q0, nq, g, g0, g1, d, c, outD, outI): the c best rows of queries q0..q0+nq−1 among the
 * int8 gallery rows g0..g1−1, by the squared distance between the dequantized vectors,
 * qn2_i + gn2_j − 2·qs_i·gs_j·(q_i · g_j) with the dot product of the int8 values computed exactly
 * in int32. q: queries and g: gallery rows, both as i8 blocks (quantize_i8_rows: rows, scales and
 * squared norms). Requires 1 ≤ c ≤ g1 − g0 and every value in [−127, 127] (kept for
 * int16-accumulating variants; the products here are summed in int32: |dot| ≤ d · 127², exact
 * for d < 133,000). outD: [nq × c] f32 keys, outI: [nq × c] i32 absolute rows (outputs; query q0's
 * list first), each list sorted by (key, row) ascending. Loops: one query (nq = 1) reads the rows
 * as eight streams (scan1_i8_streams); otherwise blocks of QB = 64 queries × blocks of about
 * 16 KiB of rows (16384 / d rows, at least 4); tiles of 4 queries × 2 rows (each row's values
 * loaded once for 4 queries: the batch path), then single rows for an odd last row, then 1 query
 * × 4 rows for the last nq % 4 queries of a block; lanes run along d, 16 int8 values a step (two
 * loads of 8 sign-extended to int16, i32x4.dot_i16x8_s into int32 lanes), then a scalar tail for
 * d % 16. Every key is the same whatever tile computed it (exact int32 dot, one f32 formula), and
 * the heaps order by (key, row), so query or row ranges split over threads give the same lists.
 * Outputs must not overlap the inputs.
 */
export function scan_i8(q: usize, q0: i32, nq: i32, g: usize, g0: i32, g1: i32, d: i32, c: i32, outD: usize, outI: usize): void {
  const bsz = i8Block(d);
  let gb = 16384 / (d > 0 ? d : 1);
  if (gb < 4) gb = 4;
  const d16 = d & ~15;
  if (nq == 1) {
    scan1_i8_streams(i8Row(q, q0, d), <f32>2 * i8Scale(q, q0, d), i8Norm2(q, q0, d), g, g0, g1, d, c, outD, outI);
    sortHeap(outD, outI, c);
    return;
  }
  for (let qb0 = 0; qb0 < nq; qb0 += QB) {
    const qb1 = min(qb0 + QB, nq);
    for (let jb0 = g0; jb0 < g1; jb0 += gb) {
      const jb1 = min(jb0 + gb, g1);
      let i = qb0;
      // Tiles of 4 queries × 2 rows: each row's 16 values are loaded once for 4 queries.
      for (; i + 4 <= qb1; i += 4) {
        const a = q0 + i;
        const x0 = i8Row(q, a, d), x1 = i8Row(q, a + 1, d), x2 = i8Row(q, a + 2, d), x3 = i8Row(q, a + 3, d);
        const qnv = lanes4f(i8Norm2(q, a, d), i8Norm2(q, a + 1, d), i8Norm2(q, a + 2, d), i8Norm2(q, a + 3, d));
        const twov = f32x4.mul(f32x4.splat(2), lanes4f(i8Scale(q, a, d), i8Scale(q, a + 1, d), i8Scale(q, a + 2, d), i8Scale(q, a + 3, d)));
        let j = jb0;
        // Pairs from an even row lie in one block: one base for both rows and their meta.
        if ((j & 1) != 0 && j < jb1) { offerRow4(q, a, g, j, d, c, outD, outI, i, j - g0); j++; }
        for (; j + 2 <= jb1; j += 2) {
          const mp = g + <usize>(j >> 3) * bsz + (<usize>(j & 7) << 2);
          const r0 = g + <usize>(j >> 3) * bsz + 64 + <usize>(j & 7) * <usize>d, r1 = r0 + <usize>d;
          let a00 = i32x4.splat(0), a01 = i32x4.splat(0), a10 = i32x4.splat(0), a11 = i32x4.splat(0);
          let a20 = i32x4.splat(0), a21 = i32x4.splat(0), a30 = i32x4.splat(0), a31 = i32x4.splat(0);
          for (let k = 0; k < d16; k += 16) {
            const ku = <usize>k;
            const b0l = v128.load8x8_s(r0 + ku), b0h = v128.load8x8_s(r0 + ku, 8);
            const b1l = v128.load8x8_s(r1 + ku), b1h = v128.load8x8_s(r1 + ku, 8);
            let xl = v128.load8x8_s(x0 + ku), xh = v128.load8x8_s(x0 + ku, 8);
            a00 = i32x4.add(a00, i32x4.add(i32x4.dot_i16x8_s(xl, b0l), i32x4.dot_i16x8_s(xh, b0h)));
            a01 = i32x4.add(a01, i32x4.add(i32x4.dot_i16x8_s(xl, b1l), i32x4.dot_i16x8_s(xh, b1h)));
            xl = v128.load8x8_s(x1 + ku); xh = v128.load8x8_s(x1 + ku, 8);
            a10 = i32x4.add(a10, i32x4.add(i32x4.dot_i16x8_s(xl, b0l), i32x4.dot_i16x8_s(xh, b0h)));
            a11 = i32x4.add(a11, i32x4.add(i32x4.dot_i16x8_s(xl, b1l), i32x4.dot_i16x8_s(xh, b1h)));
            xl = v128.load8x8_s(x2 + ku); xh = v128.load8x8_s(x2 + ku, 8);
            a20 = i32x4.add(a20, i32x4.add(i32x4.dot_i16x8_s(xl, b0l), i32x4.dot_i16x8_s(xh, b0h)));
            a21 = i32x4.add(a21, i32x4.add(i32x4.dot_i16x8_s(xl, b1l), i32x4.dot_i16x8_s(xh, b1h)));
            xl = v128.load8x8_s(x3 + ku); xh = v128.load8x8_s(x3 + ku, 8);
            a30 = i32x4.add(a30, i32x4.add(i32x4.dot_i16x8_s(xl, b0l), i32x4.dot_i16x8_s(xh, b0h)));
            a31 = i32x4.add(a31, i32x4.add(i32x4.dot_i16x8_s(xl, b1l), i32x4.dot_i16x8_s(xh, b1h)));
          }
          // Row j's sums for queries i..i+3 in one vector, row j+1's in another (exact int32).
          let S0 = sum4(a00, a10, a20, a30), S1 = sum4(a01, a11, a21, a31);
          if (d16 < d) {
            let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
            for (let k = d16; k < d; k++) {
              const ku = <usize>k;
              const b0 = <i32>load<i8>(r0 + ku), b1 = <i32>load<i8>(r1 + ku);
              let x = <i32>load<i8>(x0 + ku); s00 += x * b0; s01 += x * b1;
              x = <i32>load<i8>(x1 + ku); s10 += x * b0; s11 += x * b1;
              x = <i32>load<i8>(x2 + ku); s20 += x * b0; s21 += x * b1;
              x = <i32>load<i8>(x3 + ku); s30 += x * b0; s31 += x * b1;
            }
            S0 = i32x4.add(S0, lanes4(s00, s10, s20, s30));
            S1 = i32x4.add(S1, lanes4(s01, s11, s21, s31));
          }
          // Keys of the 8 pairs, lane t = query i + t: (qn + gn) − ((2·qs)·gs)·dot, as the scalar formula.
          const K0 = f32x4.sub(f32x4.add(qnv, f32x4.splat(load<f32>(mp, 32))), f32x4.mul(f32x4.mul(twov, f32x4.splat(load<f32>(mp))), f32x4.convert_i32x4_s(S0)));
          const K1 = f32x4.sub(f32x4.add(qnv, f32x4.splat(load<f32>(mp, 36))), f32x4.mul(f32x4.mul(twov, f32x4.splat(load<f32>(mp, 4))), f32x4.convert_i32x4_s(S1)));
          const seen = j - g0;
          // Full heaps whose roots both keys exceed (most pairs of a long scan) take neither row.
          if (seen >= c) {
            const roots = lanes4f(root(outD, c, i), root(outD, c, i + 1), root(outD, c, i + 2), root(outD, c, i + 3));
            if (i32x4.all_true(v128.and(f32x4.gt(K0, roots), f32x4.gt(K1, roots)))) continue;
          }
          offer2(outD, outI, c, i, seen, j, f32x4.extract_lane(K0, 0), f32x4.extract_lane(K1, 0));
          offer2(outD, outI, c, i + 1, seen, j, f32x4.extract_lane(K0, 1), f32x4.extract_lane(K1, 1));
          offer2(outD, outI, c, i + 2, seen, j, f32x4.extract_lane(K0, 2), f32x4.extract_lane(K1, 2));
          offer2(outD, outI, c, i + 3, seen, j, f32x4.extract_lane(K0, 3), f32x4.extract_lane(K1, 3));
        }
        if (j < jb1) offerRow4(q, a, g, j, d, c, outD, outI, i, j - g0);
      }
      // The last nq % 4 queries of the block: tiles of 1 query × 4 rows.
      for (; i < qb1; i++) {
        const qi = i8Row(q, q0 + i, d);
        const hd = outD + (<usize>(i * c) << 2), hi = outI + (<usize>(i * c) << 2);
        const two = <f32>2 * i8Scale(q, q0 + i, d), qn = i8Norm2(q, q0 + i, d);
        let j = jb0;
        for (; j + 4 <= jb1; j += 4) {
          const S = dot4_i8(qi, i8Row(g, j, d), i8Row(g, j + 1, d), i8Row(g, j + 2, d), i8Row(g, j + 3, d), d);
          // Keys of rows j..j+3 (lane t = row j + t), as the scalar formula.
          const K = f32x4.sub(f32x4.add(f32x4.splat(qn), lanes4f(i8Norm2(g, j, d), i8Norm2(g, j + 1, d), i8Norm2(g, j + 2, d), i8Norm2(g, j + 3, d))),
            f32x4.mul(f32x4.mul(f32x4.splat(two), lanes4f(i8Scale(g, j, d), i8Scale(g, j + 1, d), i8Scale(g, j + 2, d), i8Scale(g, j + 3, d))), f32x4.convert_i32x4_s(S)));
          const seen = j - g0;
          if (seen >= c && i32x4.all_true(f32x4.gt(K, f32x4.splat(ldf(hd, 0))))) continue; // none enters a full heap
          offer(hd, hi, seen, c, f32x4.extract_lane(K, 0), j);
          offer(hd, hi, seen + 1, c, f32x4.extract_lane(K, 1), j + 1);
          offer(hd, hi, seen + 2, c, f32x4.extract_lane(K, 2), j + 2);
          offer(hd, hi, seen + 3, c, f32x4.extract_lane(K, 3), j + 3);
        }
        for (; j < jb1; j++) {
          const s = dot_i8(qi, i8Row(g, j, d), d);
          offer(hd, hi, j - g0, c, qn + i8Norm2(g, j, d) - two * i8Scale(g, j, d) * <f32>s, j);
        }
      }
    }
  }
  for (let i = 0; i < nq; i++) sortHeap(outD + (<usize>(i * c) << 2), outI + (<usize>(i * c) << 2), c);
}

/** Offers gallery row j (i8 blocks at g) to the heaps of queries a..a+3 (i8 blocks at q; lists i..i+3 of outD / outI), as the scalar formula. */
@inline function offerRow4(q: usize, a: i32, g: usize, j: i32, d: i32, c: i32, outD: usize, outI: usize, i: i32, seen: i32): void {
  for (let t = 0; t < 4; t++) {
    const two = <f32>2 * i8Scale(q, a + t, d);
    const s = dot_i8(i8Row(q, a + t, d), i8Row(g, j, d), d);
    offer(outD + (<usize>((i + t) * c) << 2), outI + (<usize>((i + t) * c) << 2), seen, c, i8Norm2(q, a + t, d) + i8Norm2(g, j, d) - two * i8Scale(g, j, d) * <f32>s, j);
  }
}

/** [Σ a, Σ b, Σ c, Σ e]: the lane sums of 4 int32 vectors in one vector (exact). */
@inline function sum4(a: v128, b: v128, c: v128, e: v128): v128 {
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7)); // [a0+a2, b0+b2, a1+a3, b1+b3]
  const ce = i32x4.add(v128.shuffle<i32>(c, e, 0, 4, 1, 5), v128.shuffle<i32>(c, e, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(ab, ce, 0, 1, 4, 5), v128.shuffle<i32>(ab, ce, 2, 3, 6, 7));
}

/** An int32 vector of 4 values. */
@inline function lanes4(a: i32, b: i32, c: i32, e: i32): v128 {
  return i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(a), 1, b), 2, c), 3, e);
}

/** An f32 vector of 4 values. */
@inline function lanes4f(a: f32, b: f32, c: f32, e: f32): v128 {
  return f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(a), 1, b), 2, c), 3, e);
}

/** The root (largest key) of query t's heap. */
@inline function root(outD: usize, c: i32, t: i32): f32 {
  return ldf(outD + (<usize>(t * c) << 2), 0);
}

/** Offers rows j and j + 1 with keys k0, k1 to query t's heap (offered `seen` rows before). */
@inline function offer2(outD: usize, outI: usize, c: i32, t: i32, seen: i32, j: i32, k0: f32, k1: f32): void {
  const hd = outD + (<usize>(t * c) << 2), hi = outI + (<usize>(t * c) << 2);
  offer(hd, hi, seen, c, k0, j);
  offer(hd, hi, seen + 1, c, k1, j + 1);
}

/**
 * rerank_f32(q, nq, g, d, cand, c, k, outD, outI): exact re-ranking of candidate rows. q: [nq × d]
 * f32 queries, g: the float32 gallery [· × d] (row stride d), cand: [nq × c] i32 candidate rows of
 * each query (entries < 0 are skipped; at least k valid entries per query). outD: [nq × k] f32
 * Euclidean distances sqrt(l2sq_f32) (bit-identical to knn_f32's), outI: [nq × k] i32 rows
 * (outputs), sorted by (distance, row) ascending. Lanes along d inside l2sq_f32 (scalar tail for
 * d % 4). Queries are independent: ranges of queries split over threads. Outputs must not overlap
 * the inputs.
 */
export function rerank_f32(q: usize, nq: i32, g: usize, d: i32, cand: usize, c: i32, k: i32, outD: usize, outI: usize): void {
  const row = <usize>d << 2;
  for (let i = 0; i < nq; i++) {
    const qi = q + <usize>i * row;
    const ci = cand + (<usize>(i * c) << 2);
    const hd = outD + (<usize>(i * k) << 2), hi = outI + (<usize>(i * k) << 2);
    let seen = 0;
    for (let t = 0; t < c; t++) {
      const j = ldi(ci, t);
      if (j < 0) continue;
      offer(hd, hi, seen, k, sqrt<f32>(l2sq_f32(qi, g + <usize>j * row, d)), j);
      seen++;
    }
    sortHeap(hd, hi, k);
  }
}

/**
 * i8_bounds(x, d, r0, r1, q, out): error bounds of the int8 copy of rows r0..r1−1 (quantize_i8_rows),
 * for certifying that an int8 scan's candidates hold the exact float32 top k. x: [· × d] f32 rows
 * (row stride d), q: the rows' i8 blocks. out: [2] f32 (output): out[0] = max over the rows of
 * ‖x_r − scale_r · q_r‖ (the dequantization error, computed in f32), out[1] = max over the rows of
 * their squared norms; both 0 for an empty range. Lanes run along d (4 floats a step: 4 int8
 * values widened to int32, converted, scaled, subtracted, squared), scalar tail for d % 4. Rows are
 * independent: ranges split over threads, each part with its own out, and the parts' maxima
 * combined. out must not overlap the inputs.
 */
export function i8_bounds(x: usize, d: i32, r0: i32, r1: i32, q: usize, out: usize): void {
  const d4 = d & ~3;
  let emax: f32 = 0, nmax: f32 = 0;
  for (let r = r0; r < r1; r++) {
    const xr = x + (<usize>r * <usize>d << 2);
    const qr = i8Row(q, r, d);
    const s = i8Scale(q, r, d);
    const sv = f32x4.splat(s);
    let acc = f32x4.splat(0);
    let k = 0;
    for (; k < d4; k += 4) {
      const qi = i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(qr + <usize>k)));
      const u = f32x4.sub(ldv(xr, k), f32x4.mul(sv, f32x4.convert_i32x4_s(qi)));
      acc = f32x4.add(acc, f32x4.mul(u, u));
    }
    let e = hsum(acc);
    for (; k < d; k++) {
      const u = ldf(xr, k) - s * <f32>load<i8>(qr + <usize>k);
      e += u * u;
    }
    e = sqrt<f32>(e);
    if (e > emax) emax = e;
    const n2 = i8Norm2(q, r, d);
    if (n2 > nmax) nmax = n2;
  }
  stf(out, 0, emax);
  stf(out, 1, nmax);
}

/**
 * stream_sum_f32(x, i0, i1, out): out[0] = Σ x[i0..i1−1] (f32), the streaming-read peer the
 * gallery scans are measured against (bench/megaface.ts). The range is read as eight streams, like
 * the single-query scans (one stream per core leaves this machine's memory idle part of the time):
 * eighths of Q floats (Q = the length / 8 rounded down to a multiple of 4), eighth s summed in its
 * own f32x4 accumulator a_s, 4 floats a step from each; then ((a0 + a1) + (a2 + a3)) + ((a4 + a5) +
 * (a6 + a7)) summed across lanes ((l0 + l1) + l2) + l3, then a scalar tail for the floats past 8Q.
 * Element ranges split over threads, each part with its own out. out must not overlap x.
 */
export function stream_sum_f32(x: usize, i0: i32, i1: i32, out: usize): void {
  const Q = ((i1 - i0) >> 3) & ~3;
  const q: usize = <usize>Q << 2;
  const p0 = x + (<usize>i0 << 2), p1 = p0 + q, p2 = p1 + q, p3 = p2 + q, p4 = p3 + q, p5 = p4 + q, p6 = p5 + q, p7 = p6 + q;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  for (let i = 0; i < Q; i += 4) {
    a0 = f32x4.add(a0, ldv(p0, i)); a1 = f32x4.add(a1, ldv(p1, i));
    a2 = f32x4.add(a2, ldv(p2, i)); a3 = f32x4.add(a3, ldv(p3, i));
    a4 = f32x4.add(a4, ldv(p4, i)); a5 = f32x4.add(a5, ldv(p5, i));
    a6 = f32x4.add(a6, ldv(p6, i)); a7 = f32x4.add(a7, ldv(p7, i));
  }
  let s = hsum(f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))));
  for (let i = i0 + 8 * Q; i < i1; i++) s += ldf(x, i);
  stf(out, 0, s);
}
