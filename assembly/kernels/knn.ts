// Exact k-nearest-neighbour search by Euclidean distance over a flat gallery of embeddings.
//
// Distances are computed from the differences q − g (Σ (q_k − g_k)², then sqrt), never from the
// expansion ‖q‖² + ‖g‖² − 2 q·g. The expansion needs 2 flops per element instead of 3, but for two
// close embeddings (the very case identification is about: a probe near its own person's photos)
// it subtracts two nearly equal numbers of size ~‖q‖², so a true distance of 1e-3 between unit
// vectors comes out as anything in about ±3e-4 and a squared distance can even come out negative
// (it would need clamping at 0). With differences every squared distance is a sum of non-negative
// terms (no clamp), a photo enrolled twice is at distance exactly 0, integer-valued points give
// exact distances, and the distance of a pair does not depend on the other rows it was computed
// with: every pair, in every tile shape below, is added up in the same order as l2sq_f32 (one
// f32x4 accumulator along d, lanes summed ((l0 + l1) + l2) + l3, then the scalar tail), so a query
// searched alone, in a batch, or compared with l2_distance_f32 gets bit-identical distances.
//
// Top-k is a binary max-heap per query over the key (distance, index): a candidate enters when its
// key is smaller than the root's, so among equal distances the lower gallery index wins; the heap
// is heap-sorted in place at the end (ascending distance, ties by lower index).
//
// Measured (npm run bench, 1,000,000 × 128 gallery, one thread of a 2-core x86 machine): one query
// 37.5 ms with k = 10 (13.7 GB/s of gallery streamed as eight streams, 1.13× hnswlib's brute force,
// 7× a plain-JS loop); 1,000 queries in a batch by differences 11.9 s (32 GFLOP/s counting 3 flops
// per element), through knn_gemm_f32's candidates (below) 5.9 s, the same lists.
import { ldf, stf, ldi, sti, ldv, hsum } from '../mem';
import { gemm_kernel_4x8, packA, packB } from './gemm';
import { dot_f32 } from './elementwise';
import { offer, offer8, sortHeap } from '../topk';

/**
 * l2sq_f32(a, b, d): returns Σ_k (a[k] − b[k])² over d floats (a, b: [d], contiguous). Lanes run
 * along k with one f32x4 accumulator, summed ((l0 + l1) + l2) + l3, then a scalar tail for d % 4.
 * This order is the contract every distance in knn.ts and diameter.ts follows.
 */
@inline export function l2sq_f32(a: usize, b: usize, d: i32): f32 {
  let acc = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= d; k += 4) {
    const u = f32x4.sub(ldv(a, k), ldv(b, k));
    acc = f32x4.add(acc, f32x4.mul(u, u));
  }
  let s = hsum(acc);
  for (; k < d; k++) {
    const u = ldf(a, k) - ldf(b, k);
    s += u * u;
  }
  return s;
}

/**
 * l2_distance_f32(a, b, d): returns sqrt(l2sq_f32(a, b, d)), the Euclidean distance between two
 * vectors of d floats (the same value knn_f32 and diameter_f32 report for that pair).
 */
export function l2_distance_f32(a: usize, b: usize, d: i32): f32 {
  return sqrt<f32>(l2sq_f32(a, b, d));
}

/**
 * l2sq4_f32(q, r0, r1, r2, r3, d): l2sq_f32(q, r_t, d) for four rows at once (one query vector
 * loaded once per step), lane t = row t: each sum in l2sq_f32's order, so the same bits.
 */
@inline export function l2sq4_f32(q: usize, r0: usize, r1: usize, r2: usize, r3: usize, d: i32): v128 {
  const d4 = d & ~3;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let c = 0; c < d4; c += 4) {
    const x = ldv(q, c);
    let u = f32x4.sub(x, ldv(r0, c)); a0 = f32x4.add(a0, f32x4.mul(u, u));
    u = f32x4.sub(x, ldv(r1, c)); a1 = f32x4.add(a1, f32x4.mul(u, u));
    u = f32x4.sub(x, ldv(r2, c)); a2 = f32x4.add(a2, f32x4.mul(u, u));
    u = f32x4.sub(x, ldv(r3, c)); a3 = f32x4.add(a3, f32x4.mul(u, u));
  }
  let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
  for (let c = d4; c < d; c++) {
    const x = ldf(q, c);
    let u = x - ldf(r0, c); s0 += u * u;
    u = x - ldf(r1, c); s1 += u * u;
    u = x - ldf(r2, c); s2 += u * u;
    u = x - ldf(r3, c); s3 += u * u;
  }
  return f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(s0), 1, s1), 2, s2), 3, s3);
}

/**
 * One query against rows g0 … g1 − 1 read as eight streams: the range cut into eight equal parts
 * of Q rows (rows j, j + Q, …, j + 7Q together, two l2sq4_f32 tiles of four), then the rows past
 * 8Q one by one. Each distance is the same sum as everywhere else (see l2sq_f32), and the heap's
 * key (distance, row) does not depend on the order rows are offered in, so the list is the one a
 * row-by-row scan gives; a single query is memory-bound, and eight streams keep more of the
 * gallery in flight than one (or four).
 */
function knn1_streams(qi: usize, g: usize, g0: i32, g1: i32, d: i32, k: i32, hd: usize, hi: usize): void {
  const row = <usize>d << 2;
  const Q = (g1 - g0) >> 3;
  const qstep: usize = <usize>Q * row;
  let seen = 0;
  for (let j = g0; j < g0 + Q; j++) {
    const r0 = g + <usize>j * row, r1 = r0 + qstep, r2 = r1 + qstep, r3 = r2 + qstep;
    const r4 = r3 + qstep, r5 = r4 + qstep, r6 = r5 + qstep, r7 = r6 + qstep;
    offer8(hd, hi, k, seen, f32x4.sqrt(l2sq4_f32(qi, r0, r1, r2, r3, d)), f32x4.sqrt(l2sq4_f32(qi, r4, r5, r6, r7, d)), j, Q);
    seen += 8;
  }
  for (let j = g0 + 8 * Q; j < g1; j++) {
    offer(hd, hi, seen, k, sqrt<f32>(l2sq_f32(qi, g + <usize>j * row, d)), j);
    seen++;
  }
}

/** Queries per block: each block of gallery rows is read once per block of QB queries. */
const QB: i32 = 64;

/**
 * knn_f32(q, nq, g, g0, g1, d, k, outD, outI): the k nearest gallery rows of each query.
 * q: [nq × d] queries, row-major (row stride d). g: the gallery, row-major [· × d]; rows g0..g1−1
 * are searched (indices reported are absolute row numbers). Requires 1 ≤ k ≤ g1 − g0.
 * outD: [nq × k] f32, outI: [nq × k] i32 (outputs): row i holds query i's k nearest rows sorted by
 * (Euclidean distance, row index) ascending, distances as sqrt(l2sq_f32) (see the file header).
 * Loops: one query (nq = 1) is memory-bound and reads rows g0..g1−1 as eight streams
 * (knn1_streams); otherwise blocks of QB = 64 queries × blocks of gallery rows of about 16 KiB
 * (4096 / d rows, at least 4); inside, tiles of 4 queries × 2 gallery rows (8 accumulators), then
 * 1 query × 4 rows for the last nq % 4 queries of a block, then single pairs for the gallery tail. Lanes run along d in
 * every tile; the scalar tail over d % 4 follows each tile. Each query offers rows to its heap in
 * increasing index order (the eight-stream scan in another order; the heap's key (distance, row)
 * makes the list the same). Work splits over threads by query ranges (offset q, outD, outI; each
 * query's output depends on nothing else) or by gallery ranges [g0, g1) followed by a merge.
 * Outputs must not overlap q or g.
 */
export function knn_f32(q: usize, nq: i32, g: usize, g0: i32, g1: i32, d: i32, k: i32, outD: usize, outI: usize): void {
  const row = <usize>d << 2;
  let gb = 4096 / (d > 0 ? d : 1);
  if (gb < 4) gb = 4;
  const d4 = d & ~3;
  if (nq == 1) knn1_streams(q, g, g0, g1, d, k, outD, outI);
  for (let qb0 = 0; qb0 < (nq == 1 ? 0 : nq); qb0 += QB) {
    const qb1 = min(qb0 + QB, nq);
    for (let jb0 = g0; jb0 < g1; jb0 += gb) {
      const jb1 = min(jb0 + gb, g1);
      let i = qb0;
      for (; i + 4 <= qb1; i += 4) {
        const q0 = q + <usize>i * row, q1 = q0 + row, q2 = q1 + row, q3 = q2 + row;
        let j = jb0;
        for (; j + 2 <= jb1; j += 2) {
          const r0 = g + <usize>j * row, r1 = r0 + row;
          let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
          let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
          for (let c = 0; c < d4; c += 4) {
            const b0 = ldv(r0, c), b1 = ldv(r1, c);
            let x = ldv(q0, c);
            let u = f32x4.sub(x, b0); a00 = f32x4.add(a00, f32x4.mul(u, u));
            u = f32x4.sub(x, b1); a01 = f32x4.add(a01, f32x4.mul(u, u));
            x = ldv(q1, c);
            u = f32x4.sub(x, b0); a10 = f32x4.add(a10, f32x4.mul(u, u));
            u = f32x4.sub(x, b1); a11 = f32x4.add(a11, f32x4.mul(u, u));
            x = ldv(q2, c);
            u = f32x4.sub(x, b0); a20 = f32x4.add(a20, f32x4.mul(u, u));
            u = f32x4.sub(x, b1); a21 = f32x4.add(a21, f32x4.mul(u, u));
            x = ldv(q3, c);
            u = f32x4.sub(x, b0); a30 = f32x4.add(a30, f32x4.mul(u, u));
            u = f32x4.sub(x, b1); a31 = f32x4.add(a31, f32x4.mul(u, u));
          }
          let s00 = hsum(a00), s01 = hsum(a01), s10 = hsum(a10), s11 = hsum(a11);
          let s20 = hsum(a20), s21 = hsum(a21), s30 = hsum(a30), s31 = hsum(a31);
          for (let c = d4; c < d; c++) {
            const b0 = ldf(r0, c), b1 = ldf(r1, c);
            let x = ldf(q0, c);
            let u = x - b0; s00 += u * u;
            u = x - b1; s01 += u * u;
            x = ldf(q1, c);
            u = x - b0; s10 += u * u;
            u = x - b1; s11 += u * u;
            x = ldf(q2, c);
            u = x - b0; s20 += u * u;
            u = x - b1; s21 += u * u;
            x = ldf(q3, c);
            u = x - b0; s30 += u * u;
            u = x - b1; s31 += u * u;
          }
          const seen = j - g0;
          let hd = outD + (<usize>(i * k) << 2), hi = outI + (<usize>(i * k) << 2);
          offer(hd, hi, seen, k, sqrt<f32>(s00), j);
          offer(hd, hi, seen + 1, k, sqrt<f32>(s01), j + 1);
          hd += <usize>k << 2; hi += <usize>k << 2;
          offer(hd, hi, seen, k, sqrt<f32>(s10), j);
          offer(hd, hi, seen + 1, k, sqrt<f32>(s11), j + 1);
          hd += <usize>k << 2; hi += <usize>k << 2;
          offer(hd, hi, seen, k, sqrt<f32>(s20), j);
          offer(hd, hi, seen + 1, k, sqrt<f32>(s21), j + 1);
          hd += <usize>k << 2; hi += <usize>k << 2;
          offer(hd, hi, seen, k, sqrt<f32>(s30), j);
          offer(hd, hi, seen + 1, k, sqrt<f32>(s31), j + 1);
        }
        for (; j < jb1; j++) {
          const r = g + <usize>j * row;
          const seen = j - g0;
          for (let t = 0; t < 4; t++) {
            const o = <usize>((i + t) * k) << 2;
            offer(outD + o, outI + o, seen, k, sqrt<f32>(l2sq_f32(q0 + <usize>t * row, r, d)), j);
          }
        }
      }
      for (; i < qb1; i++) {
        const qi = q + <usize>i * row;
        const hd = outD + (<usize>(i * k) << 2), hi = outI + (<usize>(i * k) << 2);
        let j = jb0;
        for (; j + 4 <= jb1; j += 4) {
          const r0 = g + <usize>j * row, r1 = r0 + row, r2 = r1 + row, r3 = r2 + row;
          const s = f32x4.sqrt(l2sq4_f32(qi, r0, r1, r2, r3, d));
          const seen = j - g0;
          offer(hd, hi, seen, k, f32x4.extract_lane(s, 0), j);
          offer(hd, hi, seen + 1, k, f32x4.extract_lane(s, 1), j + 1);
          offer(hd, hi, seen + 2, k, f32x4.extract_lane(s, 2), j + 2);
          offer(hd, hi, seen + 3, k, f32x4.extract_lane(s, 3), j + 3);
        }
        for (; j < jb1; j++) offer(hd, hi, j - g0, k, sqrt<f32>(l2sq_f32(qi, g + <usize>j * row, d)), j);
      }
    }
  }
  sortHeaps(nq, k, outD, outI);
}

/** Heap-sorts each of the nq full max-heaps of k entries (rows of outD, outI) in place: ascending (key, index). */
function sortHeaps(nq: i32, k: i32, outD: usize, outI: usize): void {
  for (let i = 0; i < nq; i++) {
    sortHeap(outD + (<usize>(i * k) << 2), outI + (<usize>(i * k) << 2), k);
  }
}

// ---------------------------------------------------------------------------------------------
// Candidates for a batch through the gemm (the expansion), re-ranked exactly by the caller.
//
// A batch's distances by differences cost 3 flops per element; the expansion
// ‖q‖² + ‖g‖² − 2 q·g costs one fused multiply-add per element through the packed gemm, but its
// rounding is not the differences' (see the top of this file). knn_gemm_f32 therefore only
// chooses candidates: the c smallest expansion keys of each query. The caller re-ranks them with
// the exact distances (rerank_f32, the same sums as knn_f32) and certifies the list: the key of
// a row differs from its true squared distance by at most (2d + 8)·2⁻²⁴·(‖q‖² + ‖g‖²) (the dot
// product's and the norms' sums of d terms, then an add and a subtract), so when even the c-th
// key, lowered by that bound, is farther than the k-th exact distance, no row left out can be
// among the k nearest, and the list is knn_f32's bit for bit; a query that cannot be certified is
// scanned by knn_f32.

/** Queries per block: their copy (GQ × d floats, 128 KiB at d = 128) stays in L2 while the gallery streams past. */
const GQ: i32 = 256;

/** knn_gemm_workspace_f32(d): f32 elements of workspace knn_gemm_f32 needs (the query block, a packed panel of rows, norms, roots, a tile). */
export function knn_gemm_workspace_f32(d: i32): i32 {
  return GQ * d + 8 * d + 2 * GQ + 32;
}

/**
 * row_norms2_f32(x, d, r0, r1, out): out[r − r0] = dot_f32(x_r, x_r, d), the squared norm of each
 * of rows r0..r1−1 of x [· × d]. The norms knn_gemm_f32 takes; the caller's bound covers their rounding.
 */
export function row_norms2_f32(x: usize, d: i32, r0: i32, r1: i32, out: usize): void {
  const row = <usize>d << 2;
  for (let r = r0; r < r1; r++) {
    const p = x + <usize>r * row;
    stf(out, r - r0, dot_f32(p, p, d));
  }
}

/** Offers row j's key v to query t's heap (of capacity c, offered `seen` keys before) when it can enter, and refreshes the query's root. */
@inline function offerRoot(hd: usize, hi: usize, roots: usize, t: i32, seen: i32, c: i32, v: f32, j: i32): void {
  if (seen >= c && !(v <= ldf(roots, t))) return;
  offer(hd, hi, seen, c, v, j);
  if (seen + 1 >= c) stf(roots, t, ldf(hd, 0));
}

/**
 * knn_gemm_f32(q, nq, qn2, g, gn2, g0, g1, d, c, ws, outD, outI): candidates of each query among
 * gallery rows g0..g1−1 (see above). q: [nq × d] queries, qn2: [nq] their row_norms2_f32; g: the
 * gallery [· × d], gn2: its row norms (gn2[j] for row j, absolute). Requires 1 ≤ c ≤ g1 − g0.
 * ws: knn_gemm_workspace_f32(d) floats. outD, outI: [nq × c] (outputs): each query's c smallest
 * keys (qn2[i] + gn2[j]) − 2·(q_i · g_j) with their rows, sorted by (key, row) ascending.
 * Loops: blocks of GQ queries, packed as gemm's A panels (packA: 4 queries, k-major, zeros past
 * nq); the rows in panels of 8 packed as its B panel (packB; 4 KiB at d = 128, in L1 while every
 * panel of queries of the block passes; the last panel zero-padded): gemm_kernel_4x8 gives 4
 * queries × 8 rows of dot products per call, and each query's 8 keys are compared with its heap's
 * root at once (most are not below it in a long scan). Work splits over threads by query ranges.
 * Outputs must not overlap the inputs or ws.
 */
export function knn_gemm_f32(q: usize, nq: i32, qn2: usize, g: usize, gn2: usize, g0: i32, g1: i32, d: i32, c: i32, ws: usize,
  outD: usize, outI: usize): void {
  const qb = ws, pg = qb + (<usize>(GQ * d) << 2), qn = pg + (<usize>(8 * d) << 2), roots = qn + (<usize>GQ << 2), tile = roots + (<usize>GQ << 2);
  const two = f32x4.splat(2);
  for (let qb0 = 0; qb0 < nq; qb0 += GQ) {
    const mq = min(GQ, nq - qb0);
    packA(q, d, 0, qb0, 0, mq, d, qb);
    for (let t = 0; t < mq; t++) {
      stf(qn, t, ldf(qn2, qb0 + t));
      stf(roots, t, Infinity); // until a heap is full every key is offered
    }
    for (let r = g0; r < g1; r += 8) {
      const w = min(8, g1 - r), seen = r - g0;
      packB(g, d, 1, 0, r, d, w, pg);
      // The panel's norms (zeros past g1: those lanes are never offered).
      let na: v128, nb: v128;
      if (w == 8) {
        na = ldv(gn2, r); nb = ldv(gn2, r + 4);
      } else {
        for (let j = 0; j < 8; j++) stf(tile, j, j < w ? ldf(gn2, r + j) : 0);
        na = ldv(tile, 0); nb = ldv(tile, 4);
      }
      for (let t0 = 0; t0 < mq; t0 += 4) {
        gemm_kernel_4x8(d, qb + (<usize>(t0 * d) << 2), pg, tile, 8, 0);
        const tend = min(4, mq - t0);
        for (let i = 0; i < tend; i++) {
          const t = t0 + i, qv = f32x4.splat(ldf(qn, t)), root = f32x4.splat(ldf(roots, t));
          const ka = f32x4.sub(f32x4.add(qv, na), f32x4.mul(two, ldv(tile, 8 * i)));
          const kb = f32x4.sub(f32x4.add(qv, nb), f32x4.mul(two, ldv(tile, 8 * i + 4)));
          if (seen >= c && !v128.any_true(v128.or(f32x4.lt(ka, root), f32x4.lt(kb, root)))) continue;
          const o = <usize>((qb0 + t) * c) << 2, hd = outD + o, hi = outI + o;
          // Over the row's dot products, which are read: keys j = 0 … w − 1 in order.
          const ti = tile + (<usize>(8 * i) << 2);
          v128.store(ti, ka); v128.store(ti, kb, 16);
          for (let j = 0; j < w; j++) offerRoot(hd, hi, roots, t, seen + j, c, ldf(tile, 8 * i + j), r + j);
        }
      }
    }
  }
  sortHeaps(nq, c, outD, outI);
}
