// Nearest-neighbour upsampling of NHWC f32 activations by integer factors fh × fw:
//   x [n, h, w, c] → y [n, h·fh, w·fw, c], y[b, i, j, :] = x[b, ⌊i/fh⌋, ⌊j/fw⌋, :].
// The 4 lanes run along c; a scalar loop finishes the last c % 4 channels. Input rows are
// independent: a caller may split the work over threads by offsetting x by whole input rows and
// y/dy by the matching fh output rows (or by whole images). Outputs must not overlap inputs.
import { ldf, stf, ldv, stv } from '../mem';

/**
 * upsample_nearest_fwd_f32(x, n, h, w, c, fh, fw, y): x [n, h, w, c] (row-major NHWC, row stride
 * w·c) → y [n, h·fh, w·fw, c], y[b, i, j, :] = x[b, ⌊i/fh⌋, ⌊j/fw⌋, :]. Each output row is built
 * once from its input row and then copied to the other fh − 1 rows. Lanes along c, scalar tail for
 * c % 4. y must not overlap x.
 */
export function upsample_nearest_fwd_f32(x: usize, n: i32, h: i32, w: i32, c: i32, fh: i32, fw: i32, y: usize): void {
  const ow = w * fw;
  const rowBytes = <usize>(ow * c) << 2;
  for (let r = 0; r < n * h; r++) {
    const xr = x + (<usize>(r * w * c) << 2);
    const yr = y + <usize>(r * fh) * rowBytes;
    for (let j = 0; j < w; j++) {
      for (let e = 0; e < fw; e++) {
        const o = (j * fw + e) * c;
        let k = 0;
        for (; k + 4 <= c; k += 4) stv(yr, o + k, ldv(xr, j * c + k));
        for (; k < c; k++) stf(yr, o + k, ldf(xr, j * c + k));
      }
    }
    for (let a = 1; a < fh; a++) memory.copy(yr + <usize>a * rowBytes, yr, rowBytes);
  }
}

/**
 * upsample_nearest_bwd_f32(dy, n, h, w, c, fh, fw, dx): the gradient dx [n, h, w, c] of the
 * forward given dy [n, h·fh, w·fw, c] (both row-major NHWC): dx[b, i, j, :] =
 * Σ_{a < fh} Σ_{e < fw} dy[b, i·fh + a, j·fw + e, :], summed from 0 in that order (a outer, e inner).
 * Lanes along c, scalar tail for c % 4 (same order). dx must not overlap dy.
 */
export function upsample_nearest_bwd_f32(dy: usize, n: i32, h: i32, w: i32, c: i32, fh: i32, fw: i32, dx: usize): void {
  const ow = w * fw;
  for (let r = 0; r < n * h; r++) {
    const dxr = dx + (<usize>(r * w * c) << 2);
    const dyr = dy + (<usize>(r * fh * ow * c) << 2);
    for (let j = 0; j < w; j++) {
      let k = 0;
      for (; k + 4 <= c; k += 4) {
        let s = f32x4.splat(0);
        for (let a = 0; a < fh; a++) {
          for (let e = 0; e < fw; e++) s = f32x4.add(s, ldv(dyr, (a * ow + j * fw + e) * c + k));
        }
        stv(dxr, j * c + k, s);
      }
      for (; k < c; k++) {
        let s: f32 = 0;
        for (let a = 0; a < fh; a++) {
          for (let e = 0; e < fw; e++) s += ldf(dyr, (a * ow + j * fw + e) * c + k);
        }
        stf(dxr, j * c + k, s);
      }
    }
  }
}
