// Batch normalisation over the last axis of an f32 tensor seen as a row-major [rows × c] matrix
// (an NHWC activation [N,H,W,C] has rows = N·H·W; a dense output [N,D] has rows = N, c = D).
// Per channel j: mean_j and the biased variance var_j over the rows, invstd_j = 1/sqrt(var_j + eps),
// x̂ = (x − mean)·invstd, y = x̂·gamma + beta.
// The 4 lanes run along c; a scalar loop finishes the last c % 4 channels. Reductions over rows
// are accumulated in f64 (two f64x2 per f32x4), rows added in order r = 0, 1, … (deterministic).
// Element-wise passes treat rows independently: a caller may split them over threads by offsetting
// x, dy, y and dx by whole rows (the per-channel reductions then need one partial sum per thread).
// Outputs must not overlap inputs.
import { ldf, stf, ldv, stv } from '../mem';
import { max2x2Store } from './pool';

/** Rows per block of the reductions (a block of a 32-channel activation is 16 KiB: it stays in L1). */
const ROW_BLOCK: i32 = 128;

@inline function ldd(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
@inline function stdd(p: usize, i: i32, v: f64): void { store<f64>(p + (<usize>i << 3), v); }
@inline function lddv(p: usize, i: i32): v128 { return v128.load(p + (<usize>i << 3)); }
@inline function stdv(p: usize, i: i32, v: v128): void { v128.store(p + (<usize>i << 3), v); }

/** Sets the f64 accumulators acc[0 .. c) to zero. */
@inline function zeroAcc(acc: usize, c: i32): void {
  memory.fill(acc, 0, <usize>c << 3);
}

/**
 * batchnorm_stats_f32(x, rows, c, eps, work, mean, variance, invstd): the batch statistics of
 * x [rows × c] per channel j < c: mean[j] = Σ_r x[r,j] / rows, variance[j] = Σ_r (x[r,j] − mean[j])² / rows
 * (biased; two passes, the second around the f32 mean), invstd[j] = 1/sqrt(variance[j] + eps).
 * work: scratch of 2·c f32 elements (c f64 accumulators). mean, variance, invstd: [c] each.
 * Lanes along c, scalar tail for c % 4. rows >= 1. Outputs must not overlap x or work.
 */
export function batchnorm_stats_f32(x: usize, rows: i32, c: i32, eps: f32, work: usize, mean: usize, variance: usize, invstd: usize): void {
  batchnorm_stats_part_f32(x, rows, c, 0, c, eps, work, mean, variance, invstd);
}

/**
 * batchnorm_stats_part_f32(x, rows, ld, c0, c1, eps, work, mean, variance, invstd):
 * batchnorm_stats_f32 for the channels c0 .. c1 of x [rows × ld] (row stride ld); writes only
 * those channels of mean, variance, invstd (vectors [ld]) and of work (2·ld f32), each channel
 * summed exactly as in the whole call, so channel ranges (multiples of 4 apart) split over
 * threads give its bits.
 */
export function batchnorm_stats_part_f32(x: usize, rows: i32, ld: i32, c0: i32, c1: i32, eps: f32, work: usize, mean: usize, variance: usize, invstd: usize): void {
  const inv: f64 = 1.0 / <f64>rows;
  const acc = work + (<usize>c0 << 3);
  const c4 = c0 + ((c1 - c0) & ~3);
  zeroAcc(acc, c1 - c0);
  // Blocks of rows: each channel group's accumulators stay in registers over the block's rows (the
  // block in L1), the same additions in the same order as row by row.
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const r1 = min(rows, r0 + ROW_BLOCK);
    for (let j = c0; j < c4; j += 4) {
      let lo = lddv(work, j), hi = lddv(work, j + 2);
      let xr = x + (<usize>(r0 * ld + j) << 2);
      for (let r = r0; r < r1; r++) {
        const v = v128.load(xr);
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
        hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
        xr += <usize>ld << 2;
      }
      stdv(work, j, lo); stdv(work, j + 2, hi);
    }
    for (let r = r0; r < r1; r++) {
      const xr = x + (<usize>(r * ld) << 2);
      for (let j = c4; j < c1; j++) stdd(work, j, ldd(work, j) + <f64>ldf(xr, j));
    }
  }
  for (let j = c0; j < c1; j++) stf(mean, j, <f32>(ldd(work, j) * inv));
  zeroAcc(acc, c1 - c0);
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const r1 = min(rows, r0 + ROW_BLOCK);
    for (let j = c0; j < c4; j += 4) {
      let lo = lddv(work, j), hi = lddv(work, j + 2);
      const m = ldv(mean, j);
      let xr = x + (<usize>(r0 * ld + j) << 2);
      for (let r = r0; r < r1; r++) {
        const d = f32x4.sub(v128.load(xr), m);
        const dl = f64x2.promote_low_f32x4(d);
        const dh = f64x2.promote_low_f32x4(v128.shuffle<f32>(d, d, 2, 3, 0, 1));
        lo = f64x2.add(lo, f64x2.mul(dl, dl));
        hi = f64x2.add(hi, f64x2.mul(dh, dh));
        xr += <usize>ld << 2;
      }
      stdv(work, j, lo); stdv(work, j + 2, hi);
    }
    for (let r = r0; r < r1; r++) {
      const xr = x + (<usize>(r * ld) << 2);
      for (let j = c4; j < c1; j++) {
        const d = <f64>(ldf(xr, j) - ldf(mean, j));
        stdd(work, j, ldd(work, j) + d * d);
      }
    }
  }
  for (let j = c0; j < c1; j++) {
    const v = ldd(work, j) * inv;
    stf(variance, j, <f32>v);
    stf(invstd, j, <f32>(1.0 / Math.sqrt(v + <f64>eps)));
  }
}

/**
 * batchnorm_fwd_f32(x, rows, c, mean, invstd, gamma, beta, y): y[r,j] = (x[r,j] − mean[j])·(invstd[j]·gamma[j]) + beta[j]
 * for x, y [rows × c] and mean, invstd, gamma, beta [c] (batch statistics in training, running
 * statistics in evaluation). Lanes along c, scalar tail for c % 4. y may alias x exactly; it must
 * not overlap the per-channel vectors.
 */
export function batchnorm_fwd_f32(x: usize, rows: i32, c: i32, mean: usize, invstd: usize, gamma: usize, beta: usize, y: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      const a = f32x4.mul(ldv(invstd, j), ldv(gamma, j));
      stv(y, o + j, f32x4.add(f32x4.mul(f32x4.sub(ldv(x, o + j), ldv(mean, j)), a), ldv(beta, j)));
    }
    for (; j < c; j++) stf(y, o + j, (ldf(x, o + j) - ldf(mean, j)) * (ldf(invstd, j) * ldf(gamma, j)) + ldf(beta, j));
  }
}

/**
 * batchnorm_bwd_f32(x, dy, rows, c, mean, invstd, gamma, batchStats, work, dx, dgamma, dbeta): the
 * gradients of batchnorm_fwd_f32 given dy [rows × c], with x̂ = (x − mean)·invstd:
 *   dbeta[j] = Σ_r dy[r,j], dgamma[j] = Σ_r dy[r,j]·x̂[r,j] (f64 sums, rows in order);
 *   batchStats != 0 (mean and invstd are the batch's own statistics, so they depend on x):
 *     dx = gamma·invstd·(dy − dbeta/rows − x̂·dgamma/rows);
 *   batchStats == 0 (running statistics, constants): dx = dy·gamma·invstd.
 * dx is skipped when its pointer is 0. work: scratch of 4·c f32 elements. Lanes along c, scalar
 * tail for c % 4. dx may alias dy exactly; no output may overlap another or x, mean, invstd, gamma.
 */
export function batchnorm_bwd_f32(
  x: usize, dy: usize, rows: i32, c: i32, mean: usize, invstd: usize, gamma: usize, batchStats: i32,
  work: usize, dx: usize, dgamma: usize, dbeta: usize,
): void {
  batchnorm_bwd_sums_part_f32(x, dy, rows, c, 0, c, mean, invstd, work, dgamma, dbeta);
  if (dx == 0) return;
  // Per-channel coefficients, written over the (no longer needed) accumulators.
  batchnorm_bwd_coef_f32(gamma, invstd, dgamma, dbeta, rows, c, batchStats, work);
  batchnorm_bwd_dx_f32(x, dy, rows, c, mean, invstd, batchStats, work, dx);
}

/**
 * batchnorm_bwd_sums_part_f32(x, dy, rows, ld, c0, c1, mean, invstd, work, dgamma, dbeta): the
 * sums of batchnorm_bwd_f32 (dbeta, dgamma) for the channels c0 .. c1 of x, dy [rows × ld]; writes
 * only those channels of dgamma, dbeta and of work (4·ld f32: two f64 accumulators per channel).
 * Each channel is summed as in the whole call, so channel ranges (multiples of 4 apart) split over
 * threads give its bits.
 */
export function batchnorm_bwd_sums_part_f32(
  x: usize, dy: usize, rows: i32, ld: i32, c0: i32, c1: i32, mean: usize, invstd: usize, work: usize, dgamma: usize, dbeta: usize,
): void {
  bwdSums(x, dy, 0, 0, rows, 1, 1, ld, c0, c1, mean, invstd, work, dgamma, dbeta, false);
}

/**
 * The sums of the batch norm backward for channels c0 … c1 of x [rows × ld], dy read from dy, or
 * (pooled, c0 and c1 multiples of 4, ld = c, rows = N·H·W) formed pixel by pixel from a pool's
 * gradient dp and winners pa (poolGradAt). Blocks of rows, accumulators in registers over a block
 * (see batchnorm_stats_part_f32): the same additions in the same order as row by row.
 */
@inline function bwdSums(x: usize, dy: usize, dp: usize, pa: usize, rows: i32, H: i32, W: i32, ld: i32, c0: i32, c1: i32,
  mean: usize, invstd: usize, work: usize, dgamma: usize, dbeta: usize, pooled: bool): void {
  const sdy = work, sdyx = work + (<usize>ld << 3);
  const c4 = c0 + ((c1 - c0) & ~3);
  zeroAcc(sdy + (<usize>c0 << 3), c1 - c0);
  zeroAcc(sdyx + (<usize>c0 << 3), c1 - c0);
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const r1 = min(rows, r0 + ROW_BLOCK);
    for (let j = c0; j < c4; j += 4) {
      let a0 = lddv(sdy, j), a1 = lddv(sdy, j + 2), b0 = lddv(sdyx, j), b1 = lddv(sdyx, j + 2);
      const m = ldv(mean, j), s = ldv(invstd, j);
      // Row r is pixel (n, h, w) of the pooled case, stepped along with r.
      let n = r0 / (H * W), h = (r0 - n * H * W) / W, w = r0 - (n * H + h) * W;
      let o: usize = <usize>(r0 * ld + j) << 2;
      for (let r = r0; r < r1; r++) {
        let g: v128;
        if (pooled) {
          g = poolGradAt(dp, pa, H, W, ld, n, h, w, j);
          if (++w == W) { w = 0; if (++h == H) { h = 0; n++; } }
        } else {
          g = v128.load(dy + o);
        }
        const p = f32x4.mul(g, f32x4.mul(f32x4.sub(v128.load(x + o), m), s));
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(g));
        a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(g, g, 2, 3, 0, 1)));
        b0 = f64x2.add(b0, f64x2.promote_low_f32x4(p));
        b1 = f64x2.add(b1, f64x2.promote_low_f32x4(v128.shuffle<f32>(p, p, 2, 3, 0, 1)));
        o += <usize>ld << 2;
      }
      stdv(sdy, j, a0); stdv(sdy, j + 2, a1); stdv(sdyx, j, b0); stdv(sdyx, j + 2, b1);
    }
    if (!pooled) {
      for (let r = r0; r < r1; r++) {
        const o = r * ld;
        for (let j = c4; j < c1; j++) {
          const g = ldf(dy, o + j);
          const xh = (ldf(x, o + j) - ldf(mean, j)) * ldf(invstd, j);
          stdd(sdy, j, ldd(sdy, j) + <f64>g);
          stdd(sdyx, j, ldd(sdyx, j) + <f64>(g * xh));
        }
      }
    }
  }
  for (let j = c0; j < c1; j++) {
    stf(dbeta, j, <f32>ldd(sdy, j));
    stf(dgamma, j, <f32>ldd(sdyx, j));
  }
}

/**
 * batchnorm_bwd_coef_f32(gamma, invstd, dgamma, dbeta, rows, c, batchStats, coef): the
 * per-channel coefficients of batchnorm_bwd_dx_f32 into coef [3·c] f32: a = gamma·invstd,
 * mb = dbeta/rows, mg = dgamma/rows (both 0 when batchStats is 0). coef must not overlap the inputs.
 */
export function batchnorm_bwd_coef_f32(gamma: usize, invstd: usize, dgamma: usize, dbeta: usize, rows: i32, c: i32, batchStats: i32, coef: usize): void {
  const a = coef, mb = coef + (<usize>c << 2), mg = coef + (<usize>c << 3);
  const inv: f32 = batchStats ? <f32>(1.0 / <f64>rows) : 0;
  for (let j = 0; j < c; j++) {
    stf(a, j, ldf(gamma, j) * ldf(invstd, j));
    stf(mb, j, ldf(dbeta, j) * inv);
    stf(mg, j, ldf(dgamma, j) * inv);
  }
}

/**
 * batchnorm_bwd_dx_f32(x, dy, rows, c, mean, invstd, batchStats, coef, dx): dx of
 * batchnorm_bwd_f32 from the coefficients of batchnorm_bwd_coef_f32: with batchStats,
 * dx = a·((dy − mb) − x̂·mg), x̂ = (x − mean)·invstd; without, dx = dy·a. Rows are independent
 * (split over threads by offsetting x, dy, dx by whole rows). dx may alias dy exactly.
 */
export function batchnorm_bwd_dx_f32(x: usize, dy: usize, rows: i32, c: i32, mean: usize, invstd: usize, batchStats: i32, coef: usize, dx: usize): void {
  const a = coef, mb = coef + (<usize>c << 2), mg = coef + (<usize>c << 3);
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    let j = 0;
    if (batchStats) {
      for (; j + 4 <= c; j += 4) {
        const xh = f32x4.mul(f32x4.sub(ldv(x, o + j), ldv(mean, j)), ldv(invstd, j));
        const t = f32x4.sub(f32x4.sub(ldv(dy, o + j), ldv(mb, j)), f32x4.mul(xh, ldv(mg, j)));
        stv(dx, o + j, f32x4.mul(ldv(a, j), t));
      }
      for (; j < c; j++) {
        const xh = (ldf(x, o + j) - ldf(mean, j)) * ldf(invstd, j);
        stf(dx, o + j, ldf(a, j) * ((ldf(dy, o + j) - ldf(mb, j)) - xh * ldf(mg, j)));
      }
    } else {
      for (; j + 4 <= c; j += 4) stv(dx, o + j, f32x4.mul(ldv(dy, o + j), ldv(a, j)));
      for (; j < c; j++) stf(dx, o + j, ldf(dy, o + j) * ldf(a, j));
    }
  }
}

/**
 * batchnorm_running_f32(mean, variance, c, momentum, unbias, runMean, runVar): the running
 * statistics' update, in place: runMean[j] = (1 − momentum)·runMean[j] + momentum·mean[j],
 * runVar[j] = (1 − momentum)·runVar[j] + momentum·variance[j]·unbias (unbias = rows/(rows − 1)
 * turns the biased batch variance into the unbiased estimate, as PyTorch does). All vectors [c].
 * Lanes along c, scalar tail for c % 4. runMean and runVar must not overlap each other or the inputs.
 */
export function batchnorm_running_f32(mean: usize, variance: usize, c: i32, momentum: f32, unbias: f32, runMean: usize, runVar: usize): void {
  const m = f32x4.splat(momentum), k = f32x4.splat(1 - momentum), u = f32x4.splat(momentum * unbias);
  let j = 0;
  for (; j + 4 <= c; j += 4) {
    stv(runMean, j, f32x4.add(f32x4.mul(k, ldv(runMean, j)), f32x4.mul(m, ldv(mean, j))));
    stv(runVar, j, f32x4.add(f32x4.mul(k, ldv(runVar, j)), f32x4.mul(u, ldv(variance, j))));
  }
  for (; j < c; j++) {
    stf(runMean, j, (1 - momentum) * ldf(runMean, j) + momentum * ldf(mean, j));
    stf(runVar, j, (1 - momentum) * ldf(runVar, j) + (momentum * unbias) * ldf(variance, j));
  }
}

// ---- Batch norm followed by a 2×2 max-pool (stride 2, 'valid') and optionally a ReLU, over an NHWC
// activation x [N, H, W, c] (rows = N·H·W): the normalised values are pooled as they are computed
// and never written; the backward reads the pool's gradient dp [N, ⌊H/2⌋, ⌊W/2⌋, c] and winners pa
// (maxpool2d_fwd_f32's indices, −1 where the ReLU cut the window) and forms the batch norm's output
// gradient (maxpool2d_bwd_tiled_f32's values: the window's gradient at its winner, +0 elsewhere)
// pixel by pixel as it goes. Every value and every sum is the one batchnorm_fwd_f32,
// maxpool2d_fwd_f32, relu_fwd_f32, maxpool2d_bwd_tiled_f32 and the batch norm backward compute one
// after the other, in the same order, so the results are theirs bit for bit. c % 4 = 0.

/** Batch norm of the 4 channels j … j+3 of pixel value v: (v − mean)·(invstd·gamma) + beta, batchnorm_fwd_f32's operations. */
@inline function bnValue(v: v128, m: v128, a: v128, b: v128): v128 { return f32x4.add(f32x4.mul(f32x4.sub(v, m), a), b); }

/**
 * batchnorm_pool_fwd_f32(x, N, H, W, c, mean, invstd, gamma, beta, py, pa, relu): py [N, ⌊H/2⌋,
 * ⌊W/2⌋, c] = the 2×2 max-pool of batchnorm_fwd_f32(x) (its ReLU when relu ≠ 0), winners at pa
 * unless it is 0 (see max2x2Store). Images are independent: split over threads by offsetting x,
 * py and pa by whole images. Outputs must not overlap the inputs.
 */
export function batchnorm_pool_fwd_f32(x: usize, N: i32, H: i32, W: i32, c: i32, mean: usize, invstd: usize, gamma: usize, beta: usize,
  py: usize, pa: usize, relu: i32): void {
  const PH = H >> 1, PW = W >> 1, rowC = W * c;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < PH; i++) {
      for (let jw = 0; jw < PW; jw++) {
        const p00 = (2 * i * W + 2 * jw) * c;
        const xs = x + (<usize>(n * H * W * c + p00) << 2);
        const out: usize = <usize>(((n * PH + i) * PW + jw) * c) << 2;
        for (let j = 0; j < c; j += 4) {
          const jb: usize = <usize>j << 2;
          const m = v128.load(mean + jb), a = f32x4.mul(v128.load(invstd + jb), v128.load(gamma + jb)), b = v128.load(beta + jb);
          const q = xs + jb;
          max2x2Store(bnValue(v128.load(q), m, a, b), bnValue(v128.load(q + (<usize>c << 2)), m, a, b),
            bnValue(v128.load(q + (<usize>rowC << 2)), m, a, b), bnValue(v128.load(q + (<usize>(rowC + c) << 2)), m, a, b),
            p00 + j, c, rowC, py + out + jb, pa ? pa + out + jb : 0, 4, relu);
        }
      }
    }
  }
}

/**
 * The batch norm's output gradient at row r (pixel (n, h, w) of an [N, H, W, c] activation),
 * channels j … j+3, from the pool's gradient dp and winners pa: maxpool2d_bwd_tiled_f32's value.
 */
@inline function poolGradAt(dp: usize, pa: usize, H: i32, W: i32, c: i32, n: i32, h: i32, w: i32, j: i32): v128 {
  const PH = H >> 1, PW = W >> 1, i = h >> 1, jw = w >> 1;
  if (i >= PH || jw >= PW) return f32x4.splat(0);
  const at: usize = <usize>(((n * PH + i) * PW + jw) * c + j) << 2;
  const hit = i32x4.eq(v128.load(pa + at), i32x4.add(i32x4.splat((h * W + w) * c + j), i32x4(0, 1, 2, 3)));
  return f32x4.add(f32x4.splat(0), v128.and(v128.load(dp + at), hit));
}

/**
 * batchnorm_pool_bwd_sums_part_f32(x, dp, pa, N, H, W, c, c0, c1, mean, invstd, work, dgamma, dbeta):
 * batchnorm_bwd_sums_part_f32 for channels c0 … c1 (multiples of 4) where dy is the pool's backward
 * of dp at the winners pa (formed pixel by pixel, see poolGradAt): the same sums in the same order.
 */
export function batchnorm_pool_bwd_sums_part_f32(x: usize, dp: usize, pa: usize, N: i32, H: i32, W: i32, c: i32, c0: i32, c1: i32,
  mean: usize, invstd: usize, work: usize, dgamma: usize, dbeta: usize): void {
  bwdSums(x, 0, dp, pa, N * H * W, H, W, c, c0, c1, mean, invstd, work, dgamma, dbeta, true);
}

/**
 * batchnorm_pool_bwd_dx_f32(x, dp, pa, N, H, W, c, mean, invstd, batchStats, coef, dx):
 * batchnorm_bwd_dx_f32 where dy is the pool's backward of dp at the winners pa (poolGradAt): the
 * same values. Images are independent: split over threads by offsetting x, dp, pa and dx by whole
 * images.
 */
export function batchnorm_pool_bwd_dx_f32(x: usize, dp: usize, pa: usize, N: i32, H: i32, W: i32, c: i32, mean: usize, invstd: usize,
  batchStats: i32, coef: usize, dx: usize): void {
  const PH = H >> 1, PW = W >> 1, rowC = W * c;
  const lane = i32x4(0, 1, 2, 3), zero = f32x4.splat(0);
  for (let n = 0; n < N; n++) {
    const xn = n * H * W * c;
    // Window by window: its gradient and winners read once for its four pixels.
    for (let i = 0; i < PH; i++) {
      for (let jw = 0; jw < PW; jw++) {
        const p00 = (2 * i * W + 2 * jw) * c, at: usize = <usize>(((n * PH + i) * PW + jw) * c) << 2;
        for (let j = 0; j < c; j += 4) {
          const jb: usize = <usize>j << 2;
          const d = v128.load(dp + at + jb), win = v128.load(pa + at + jb), idx = i32x4.add(i32x4.splat(p00 + j), lane);
          dxPixel(x, dx, xn + p00 + j, f32x4.add(zero, v128.and(d, i32x4.eq(win, idx))), j, mean, invstd, batchStats, coef, c);
          dxPixel(x, dx, xn + p00 + c + j, f32x4.add(zero, v128.and(d, i32x4.eq(win, i32x4.add(idx, i32x4.splat(c))))), j, mean, invstd, batchStats, coef, c);
          dxPixel(x, dx, xn + p00 + rowC + j, f32x4.add(zero, v128.and(d, i32x4.eq(win, i32x4.add(idx, i32x4.splat(rowC))))), j, mean, invstd, batchStats, coef, c);
          dxPixel(x, dx, xn + p00 + rowC + c + j, f32x4.add(zero, v128.and(d, i32x4.eq(win, i32x4.add(idx, i32x4.splat(rowC + c))))), j, mean, invstd, batchStats, coef, c);
        }
      }
    }
    // Pixels outside every window (an odd last row or column): gradient +0.
    for (let h = 0; h < H; h++) {
      for (let w = h < 2 * PH ? 2 * PW : 0; w < W; w++) {
        for (let j = 0; j < c; j += 4) dxPixel(x, dx, xn + (h * W + w) * c + j, zero, j, mean, invstd, batchStats, coef, c);
      }
    }
  }
}

/** batchnorm_bwd_dx_f32's value for the 4 channels j … j+3 at element o (an index into x and dx) with output gradient g. */
@inline function dxPixel(x: usize, dx: usize, o: i32, g: v128, j: i32, mean: usize, invstd: usize, batchStats: i32, coef: usize, c: i32): void {
  const a = coef, mb = coef + (<usize>c << 2), mg = coef + (<usize>c << 3);
  if (batchStats) {
    const xh = f32x4.mul(f32x4.sub(ldv(x, o), ldv(mean, j)), ldv(invstd, j));
    stv(dx, o, f32x4.mul(ldv(a, j), f32x4.sub(f32x4.sub(g, ldv(mb, j)), f32x4.mul(xh, ldv(mg, j)))));
  } else {
    stv(dx, o, f32x4.mul(g, ldv(a, j)));
  }
}
