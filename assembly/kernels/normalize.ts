// Row-wise L2 normalisation of a row-major [rows × d] f32 matrix (embeddings). Rows are
// independent: a caller may split the rows over threads by offsetting x, y, norms, dy and dx by
// whole rows.
import { ldf, stf, ldv, stv, hsum } from '../mem';

/** Sum of a[i]·b[i] for i < d, in the fixed order of dot_f32 (two f32x4 accumulators, then tail). */
@inline function rowDot(a: usize, b: usize, d: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= d; i += 8) {
    a0 = f32x4.add(a0, f32x4.mul(ldv(a, i), ldv(b, i)));
    a1 = f32x4.add(a1, f32x4.mul(ldv(a, i + 4), ldv(b, i + 4)));
  }
  for (; i + 4 <= d; i += 4) a0 = f32x4.add(a0, f32x4.mul(ldv(a, i), ldv(b, i)));
  let s = hsum(f32x4.add(a0, a1));
  for (; i < d; i++) s += ldf(a, i) * ldf(b, i);
  return s;
}

/**
 * l2normalize_fwd_f32(x, rows, d, eps, y, norms): for each row r of x [rows × d],
 * norms[r] = ‖x[r]‖₂ = sqrt(Σ x[r,i]²) (f32 sums: rows whose squares overflow f32, |x| ≳ 1.8e19,
 * get norm ∞) and y[r, i] = x[r, i] / max(norms[r], eps) (a NaN norm divides by eps). y is
 * [rows × d], norms is [rows]. Lanes run along i, scalar tail for d % 4. y may alias x exactly;
 * norms must not overlap x or y.
 */
export function l2normalize_fwd_f32(x: usize, rows: i32, d: i32, eps: f32, y: usize, norms: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * d) << 2);
    const yr = y + (<usize>(r * d) << 2);
    const norm = Mathf.sqrt(rowDot(xr, xr, d));
    stf(norms, r, norm);
    const den: f32 = norm > eps ? norm : eps;
    const vden = f32x4.splat(den);
    let i = 0;
    for (; i + 4 <= d; i += 4) stv(yr, i, f32x4.div(ldv(xr, i), vden));
    for (; i < d; i++) stf(yr, i, ldf(xr, i) / den);
  }
}

/**
 * l2normalize_bwd_f32(y, dy, norms, rows, d, eps, dx): the gradient of y = x / max(‖x‖, eps) given
 * the forward's y and norms: for each row r, if norms[r] > eps,
 * dx[r] = (dy[r] − y[r] · (y[r]·dy[r])) / norms[r], else dx[r] = dy[r] / eps. All of y, dy, dx are
 * [rows × d]. Lanes run along i, scalar tail for d % 4. dx may alias dy exactly; it must not
 * overlap y or norms.
 */
export function l2normalize_bwd_f32(y: usize, dy: usize, norms: usize, rows: i32, d: i32, eps: f32, dx: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * d) << 2;
    const yr = y + o, dyr = dy + o, dxr = dx + o;
    const norm = ldf(norms, r);
    let i = 0;
    if (norm > eps) {
      const dot = rowDot(yr, dyr, d);
      const vdot = f32x4.splat(dot);
      const vnorm = f32x4.splat(norm);
      for (; i + 4 <= d; i += 4) {
        stv(dxr, i, f32x4.div(f32x4.sub(ldv(dyr, i), f32x4.mul(ldv(yr, i), vdot)), vnorm));
      }
      for (; i < d; i++) stf(dxr, i, (ldf(dyr, i) - ldf(yr, i) * dot) / norm);
    } else {
      const veps = f32x4.splat(eps);
      for (; i + 4 <= d; i += 4) stv(dxr, i, f32x4.div(ldv(dyr, i), veps));
      for (; i < d; i++) stf(dxr, i, ldf(dyr, i) / eps);
    }
  }
}
