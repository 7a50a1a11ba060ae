// Activation kernels over flat f32 arrays of n elements (any layout: the op is element-wise). The 4
// lanes run along the flat index; a scalar loop finishes the last n % 4 elements. Elements are
// independent, so a caller may split the work over threads by offsetting every pointer by the same
// element count.
import { ldf, stf, ldv, stv } from '../mem';

/**
 * relu_fwd_f32(x, n, y): y[i] = x[i] where x[i] > 0 or x[i] is NaN (the same NaN), else +0 (so −0
 * gives +0) for i < n: a compare and a select (reluV), cheaper than wasm's f32x4.max, whose NaN
 * and signed-zero rules cost V8 a long sequence on x64. y may alias x exactly (in place) but must
 * not partially overlap it.
 */
export function relu_fwd_f32(x: usize, n: i32, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) stv(y, i, reluV(ldv(x, i)));
  for (; i < n; i++) {
    const v = ldf(x, i);
    stf(y, i, v > 0 || v != v ? v : 0);
  }
}

/** relu_fwd_f32's rule on 4 lanes: v where v > 0 or NaN, else +0. */
@inline export function reluV(v: v128): v128 {
  return v128.and(v, v128.or(f32x4.gt(v, f32x4.splat(0)), f32x4.ne(v, v)));
}

/**
 * relu_bwd_f32(x, dy, n, dx): dx[i] = x[i] > 0 ? dy[i] : 0 for i < n (the gradient at exactly 0,
 * and at NaN, is 0). x is the forward input. dx may alias dy exactly but must not partially overlap
 * x or dy.
 */
export function relu_bwd_f32(x: usize, dy: usize, n: i32, dx: usize): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) stv(dx, i, v128.and(ldv(dy, i), f32x4.gt(ldv(x, i), zero)));
  for (; i < n; i++) stf(dx, i, ldf(x, i) > 0 ? ldf(dy, i) : 0);
}
