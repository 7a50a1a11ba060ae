// Top-k lists as max-heaps over raw memory, shared by the kNN scans (kernels/knn.ts) and the
// compact gallery's scans (kernels/quant.ts): a heap of capacity k is two arrays, keys hd (f32) and
// rows hi (i32), ordered by the key (value, row), so that among equal values the lower row wins
// whatever order rows are offered in, and a split scan merged afterwards gives the unsplit list.
// Not re-exported by index.ts: inlined into the kernels, never called from JavaScript.
import { ldf, stf, ldi, sti } from './mem';

/** Sifts (v, j) down from position c in the max-heap (hd, hi) of n entries. */
@inline export function siftDown(hd: usize, hi: usize, n: i32, v: f32, j: i32, c: i32): void {
  while (true) {
    let m = 2 * c + 1;
    if (m >= n) break;
    let mv = ldf(hd, m), mj = ldi(hi, m);
    const r = m + 1;
    if (r < n) {
      const rv = ldf(hd, r), rj = ldi(hi, r);
      if (rv > mv || (rv == mv && rj > mj)) { m = r; mv = rv; mj = rj; }
    }
    if (mv > v || (mv == v && mj > j)) { stf(hd, c, mv); sti(hi, c, mj); c = m; } else break;
  }
  stf(hd, c, v);
  sti(hi, c, j);
}

/** Offers (v, j) to the max-heap of capacity k that has been offered `seen` keys before. */
@inline export function offer(hd: usize, hi: usize, seen: i32, k: i32, v: f32, j: i32): void {
  if (seen < k) {
    let c = seen;
    while (c > 0) {
      const p = (c - 1) >> 1;
      const pv = ldf(hd, p), pj = ldi(hi, p);
      if (pv > v || (pv == v && pj > j)) break;
      stf(hd, c, pv);
      sti(hi, c, pj);
      c = p;
    }
    stf(hd, c, v);
    sti(hi, c, j);
  } else {
    const tv = ldf(hd, 0);
    if (v < tv || (v == tv && j < ldi(hi, 0))) siftDown(hd, hi, k, v, j, 0);
  }
}

/**
 * Offers rows j, j + s, …, j + 7s with keys Ka (lanes 0–3) and Kb (lanes 0–3) to the heap (hd, hi)
 * of capacity c that has been offered `seen` rows before; a full heap whose root all eight keys
 * exceed takes none (the common case of a long scan), without offering them one by one.
 */
@inline export function offer8(hd: usize, hi: usize, c: i32, seen: i32, Ka: v128, Kb: v128, j: i32, s: i32): void {
  if (seen < c || !i32x4.all_true(v128.and(f32x4.gt(Ka, f32x4.splat(ldf(hd, 0))), f32x4.gt(Kb, f32x4.splat(ldf(hd, 0)))))) {
    offer(hd, hi, seen, c, f32x4.extract_lane(Ka, 0), j);
    offer(hd, hi, seen + 1, c, f32x4.extract_lane(Ka, 1), j + s);
    offer(hd, hi, seen + 2, c, f32x4.extract_lane(Ka, 2), j + 2 * s);
    offer(hd, hi, seen + 3, c, f32x4.extract_lane(Ka, 3), j + 3 * s);
    offer(hd, hi, seen + 4, c, f32x4.extract_lane(Kb, 0), j + 4 * s);
    offer(hd, hi, seen + 5, c, f32x4.extract_lane(Kb, 1), j + 5 * s);
    offer(hd, hi, seen + 6, c, f32x4.extract_lane(Kb, 2), j + 6 * s);
    offer(hd, hi, seen + 7, c, f32x4.extract_lane(Kb, 3), j + 7 * s);
  }
}

/** Heap-sorts the full heap of k entries in place: ascending (value, row). */
@inline export function sortHeap(hd: usize, hi: usize, k: i32): void {
  for (let end = k - 1; end > 0; end--) {
    const tv = ldf(hd, 0), tj = ldi(hi, 0);
    const lv = ldf(hd, end), lj = ldi(hi, end);
    stf(hd, end, tv);
    sti(hi, end, tj);
    siftDown(hd, hi, end, lv, lj, 0);
  }
}
