// Loss kernels over flat f32 arrays of n elements. The 4 lanes run along the flat index; a scalar
// loop finishes the last n % 4 elements. A caller may split the work over threads by element
// ranges (offset every pointer by the same count) and add the partial sums in a fixed order.
import { ldf, stf, ldv, stv, hsum } from '../mem';

/** Elements summed in f32 lanes before the block's sum is added to the f64 total. */
const BLOCK = 1024;

/**
 * mse_fwd_f32(pred, target, n): returns Σ (pred[i] − target[i])² for i < n, as f64. Squares are
 * summed in two f32x4 accumulators over blocks of 1024 elements; each block's sum is added to an f64
 * total (so a loss over millions of pixels keeps its precision), then the n % 4 tail. The order
 * depends on n alone (deterministic). Writes nothing.
 */
export function mse_fwd_f32(pred: usize, target: usize, n: i32): f64 {
  let total: f64 = 0;
  const n4 = n & ~3;
  let i = 0;
  while (i < n4) {
    const end = min<i32>(i + BLOCK, n4);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    for (; i + 8 <= end; i += 8) {
      const e0 = f32x4.sub(ldv(pred, i), ldv(target, i));
      const e1 = f32x4.sub(ldv(pred, i + 4), ldv(target, i + 4));
      a0 = f32x4.add(a0, f32x4.mul(e0, e0));
      a1 = f32x4.add(a1, f32x4.mul(e1, e1));
    }
    for (; i < end; i += 4) {
      const e = f32x4.sub(ldv(pred, i), ldv(target, i));
      a0 = f32x4.add(a0, f32x4.mul(e, e));
    }
    total += <f64>hsum(f32x4.add(a0, a1));
  }
  for (; i < n; i++) {
    const e = ldf(pred, i) - ldf(target, i);
    total += <f64>(e * e);
  }
  return total;
}

/**
 * mse_bwd_f32(pred, target, n, a, d): d[i] = a · (pred[i] − target[i]) for i < n. The op calls it
 * with a = 2·g/n ('mean') or 2·g ('sum') for the gradient of pred, and with −a for that of target.
 * d may alias pred or target exactly but must not partially overlap them.
 */
export function mse_bwd_f32(pred: usize, target: usize, n: i32, a: f32, d: usize): void {
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) stv(d, i, f32x4.mul(va, f32x4.sub(ldv(pred, i), ldv(target, i))));
  for (; i < n; i++) stf(d, i, a * (ldf(pred, i) - ldf(target, i)));
}
