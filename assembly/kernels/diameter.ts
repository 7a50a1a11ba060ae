// The diameter of a person's cloud of embeddings: the largest distance between two of their
// photos (the lecture's D is the largest diameter over all people). The photos of a person are not
// contiguous in the gallery, so the kernel reads them through a list of row indices. Every pair
// distance is sqrt(l2sq_f32) with knn.ts's summation order, so a diameter is bit-identical to the
// distance search() or l2_distance_f32 reports for the same two photos.
import { ldf, stf, ldi, sti, ldv, hsum } from '../mem';
import { l2sq_f32 } from './knn';

/** Keeps (v, a, b) when it beats the best so far: larger distance, ties by smaller (a, b). */
@inline function better(v: f32, a: i32, b: i32, bv: f32, ba: i32, bb: i32): bool {
  return v > bv || (v == bv && (a < ba || (a == ba && b < bb)));
}

/**
 * diameter_f32(g, d, idx, b0, b1, out): the farthest pair among photos listed by idx.
 * g: the gallery, row-major [· × d] (row stride d). idx: i32 row numbers of one person's photos,
 * in increasing order. Pairs (a, b) of positions in idx with a < b and b0 ≤ b < b1 are examined
 * (b0 = 1, b1 = n: all n(n−1)/2 pairs; b0 = n_old, b1 = n: only the pairs that involve the photos
 * added after the first n_old). out: [3] (output): out[0] the largest distance (f32,
 * sqrt(l2sq_f32)), out[1] = a, out[2] = b as i32 positions in idx; among equal distances the
 * smallest (a, b) lexicographically, whatever order the pairs are visited in, so ranges of b can
 * be split over threads or computed incrementally and merged with the same rule. When no pair is
 * examined, out = (−1, −1, −1). Lanes run along d in tiles of 1 photo b × 4 photos a (one f32x4
 * accumulator per pair, then the scalar tail over d % 4), then single pairs for the last a's.
 * out must not overlap g or idx.
 */
export function diameter_f32(g: usize, d: i32, idx: usize, b0: i32, b1: i32, out: usize): void {
  const row = <usize>d << 2;
  const d4 = d & ~3;
  let bv: f32 = -1, ba = -1, bb = -1;
  if (b0 < 1) b0 = 1;
  for (let b = b0; b < b1; b++) {
    const xb = g + <usize>ldi(idx, b) * row;
    let a = 0;
    for (; a + 4 <= b; a += 4) {
      const r0 = g + <usize>ldi(idx, a) * row, r1 = g + <usize>ldi(idx, a + 1) * row;
      const r2 = g + <usize>ldi(idx, a + 2) * row, r3 = g + <usize>ldi(idx, a + 3) * row;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (let c = 0; c < d4; c += 4) {
        const x = ldv(xb, c);
        let u = f32x4.sub(ldv(r0, c), x); a0 = f32x4.add(a0, f32x4.mul(u, u));
        u = f32x4.sub(ldv(r1, c), x); a1 = f32x4.add(a1, f32x4.mul(u, u));
        u = f32x4.sub(ldv(r2, c), x); a2 = f32x4.add(a2, f32x4.mul(u, u));
        u = f32x4.sub(ldv(r3, c), x); a3 = f32x4.add(a3, f32x4.mul(u, u));
      }
      let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
      for (let c = d4; c < d; c++) {
        const x = ldf(xb, c);
        let u = ldf(r0, c) - x; s0 += u * u;
        u = ldf(r1, c) - x; s1 += u * u;
        u = ldf(r2, c) - x; s2 += u * u;
        u = ldf(r3, c) - x; s3 += u * u;
      }
      let v = sqrt<f32>(s0);
      if (better(v, a, b, bv, ba, bb)) { bv = v; ba = a; bb = b; }
      v = sqrt<f32>(s1);
      if (better(v, a + 1, b, bv, ba, bb)) { bv = v; ba = a + 1; bb = b; }
      v = sqrt<f32>(s2);
      if (better(v, a + 2, b, bv, ba, bb)) { bv = v; ba = a + 2; bb = b; }
      v = sqrt<f32>(s3);
      if (better(v, a + 3, b, bv, ba, bb)) { bv = v; ba = a + 3; bb = b; }
    }
    for (; a < b; a++) {
      const v = sqrt<f32>(l2sq_f32(g + <usize>ldi(idx, a) * row, xb, d));
      if (better(v, a, b, bv, ba, bb)) { bv = v; ba = a; bb = b; }
    }
  }
  stf(out, 0, bv);
  sti(out, 1, ba);
  sti(out, 2, bb);
}

/**
 * diameters_f32(g, d, idx, segs, s0, s1, out): diameter_f32 for the segments s0 .. s1 of a list,
 * one call for many people (or many b ranges of one person), so that ranges of segments split
 * over threads. g, d: as in diameter_f32. idx: i32 row numbers, every person's list (increasing)
 * one after the other. segs: [· × 4] i32, segment s = [start, b0, b1, 0]: the pairs (a, b) with
 * a < b and b0 ≤ b < b1 among the positions of the list that starts at idx[start]. out: [· × 4]
 * (output): out[4s .. 4s+2] as diameter_f32's out for segment s (positions relative to start);
 * out[4s+3] is not written. out must not overlap g, idx or segs.
 */
export function diameters_f32(g: usize, d: i32, idx: usize, segs: usize, s0: i32, s1: i32, out: usize): void {
  for (let s = s0; s < s1; s++) {
    const r = segs + (<usize>s << 4);
    diameter_f32(g, d, idx + (<usize>load<i32>(r) << 2), load<i32>(r, 4), load<i32>(r, 8), out + (<usize>s << 4));
  }
}
