// Inverted dropout over flat f32 arrays. The mask is not stored: element i is kept when a
// counter-based hash of (seed, i) is >= a threshold, so the forward and the backward (and a later
// thread that handles a range of indices) all see the same mask from the seed alone:
//   k1 = mix(seed), k2 = mix(seed ^ 0x9e3779b9), h(i) = mix(mix(i ^ k1) + k2),
//   keep(i) = h(i) >= threshold (unsigned), threshold = round(rate · 2³²),
// where mix is Chris Wellons' lowbias32 (x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15;
// x *= 0x846ca68b; x ^= x >> 16; all on u32). A kept element is multiplied by scale = 1/(1 − rate).
// The 4 lanes run along i; a scalar loop finishes the last n % 4 elements.
import { ldf, stf, ldv, stv } from '../mem';

@inline function mix(x: u32): u32 {
  x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16;
  return x;
}

@inline function mixv(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x7feb352d));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(0x846ca68b));
  return v128.xor(x, i32x4.shr_u(x, 16));
}

/** dropout_hash(seed, i): returns h(i) of the header for one index (scalar, no memory access; the definition the tests check against). */
export function dropout_hash(seed: u32, i: u32): u32 {
  return mix(mix(i ^ mix(seed)) + mix(seed ^ 0x9e3779b9));
}

/**
 * dropout_f32(x, n, first, seed, threshold, scale, y): y[i] = keep(first + i) ? x[i]·scale : 0 for
 * i < n, with keep from the hash above (threshold as the bits of a u32). `first` is the index of
 * x[0] in the whole tensor, so a caller may split a tensor into ranges (threads) and get the mask
 * of the whole. The backward is the same call on dy with the same seed. A dropped NaN gives 0.
 * y may alias x exactly but must not partially overlap it.
 */
export function dropout_f32(x: usize, n: i32, first: i32, seed: u32, threshold: u32, scale: f32, y: usize): void {
  const k1 = mix(seed), k2 = mix(seed ^ 0x9e3779b9);
  const vk1 = i32x4.splat(k1), vk2 = i32x4.splat(k2);
  const vt = i32x4.splat(threshold), vs = f32x4.splat(scale);
  let idx = i32x4.add(i32x4.splat(first), i32x4(0, 1, 2, 3));
  const four = i32x4.splat(4);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const h = mixv(i32x4.add(mixv(v128.xor(idx, vk1)), vk2));
    const keep = i32x4.ge_u(h, vt);
    stv(y, i, v128.and(f32x4.mul(ldv(x, i), vs), keep));
    idx = i32x4.add(idx, four);
  }
  for (; i < n; i++) {
    const h = mix(mix(<u32>(first + i) ^ k1) + k2);
    stf(y, i, h >= threshold ? ldf(x, i) * scale : 0);
  }
}
