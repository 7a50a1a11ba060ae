// Pooling kernels over NHWC f32 activations. Shared arguments:
//   x [n, h, w, c] (row-major, channels last), window kh × kw, strides sh, sw, padding pad_top,
//   pad_left (the rows/columns of zeros TensorFlow's 'same' adds before the image; 0 for 'valid'),
//   output y [n, oh, ow, c]. Window (i, j) covers input rows oh·sh − pad_top + [0, kh) and columns
//   ow·sw − pad_left + [0, kw); only the positions inside the image take part (padding never wins a
//   max and is not counted in an average). The TypeScript side guarantees every window holds at
//   least one position inside the image.
// The 4 lanes run along c; a scalar loop finishes the last c % 4 channels. Images are independent:
// a caller may split the batch over threads by offsetting x, y (and argmax, dx, dy) by whole images.
// Outputs must not overlap inputs. max2x2Store is the 2×2 window's rule for kernels that pool
// their own output in registers (conv2d.ts, winograd.ts).
import { ldf, stf, ldi, sti, ldv, stv } from '../mem';
import { reluV } from './activation';

/**
 * One 2×2 max-pool window over 4 channels held in registers (the fused convolution + pool kernels
 * of conv2d.ts and winograd.ts): v00, v01, v10, v11 are the window's rows and columns in
 * maxpool2d_fwd_f32's scan order, and its rule: a later value wins only if strictly greater or
 * NaN. Stores the max at y and, when a ≠ 0, the winner's index at a, where v00's lane 0 has index
 * p00 inside its image ((r·w + s)·c + k, as maxpool2d_fwd_f32 writes it) and rowC = w·c. relu ≠ 0:
 * the ReLU of the max (relu_fwd_f32's rule) and, where the max is not > 0 (relu_bwd_f32's
 * gradient 0), the index −1, which no position matches: maxpool2d_bwd_tiled_f32 then sends the
 * window no gradient. Stores lanes 0 … min(lanes, 4) − 1 (the channels that exist).
 */
@inline export function max2x2Store(v00: v128, v01: v128, v10: v128, v11: v128, p00: i32, c: i32, rowC: i32, y: usize, a: usize, lanes: i32, relu: i32): void {
  if (a == 0 && lanes >= 4) {
    // Inference: the same rule and the same max, without the winners' indices.
    let top = v128.bitselect(v01, v00, v128.or(f32x4.gt(v01, v00), f32x4.ne(v01, v01)));
    top = v128.bitselect(v10, top, v128.or(f32x4.gt(v10, top), f32x4.ne(v10, v10)));
    top = v128.bitselect(v11, top, v128.or(f32x4.gt(v11, top), f32x4.ne(v11, v11)));
    v128.store(y, relu ? reluV(top) : top);
    return;
  }
  const lane = i32x4(0, 1, 2, 3);
  let best = v00;
  let m = v128.or(f32x4.gt(v01, best), f32x4.ne(v01, v01));
  best = v128.bitselect(v01, best, m);
  let idx = v128.bitselect(i32x4.splat(p00 + c), i32x4.splat(p00), m);
  m = v128.or(f32x4.gt(v10, best), f32x4.ne(v10, v10));
  best = v128.bitselect(v10, best, m);
  idx = v128.bitselect(i32x4.splat(p00 + rowC), idx, m);
  m = v128.or(f32x4.gt(v11, best), f32x4.ne(v11, v11));
  best = v128.bitselect(v11, best, m);
  idx = i32x4.add(v128.bitselect(i32x4.splat(p00 + rowC + c), idx, m), lane);
  if (relu) {
    idx = v128.bitselect(idx, i32x4.splat(-1), f32x4.gt(best, f32x4.splat(0)));
    best = reluV(best);
  }
  if (lanes >= 4) {
    v128.store(y, best);
    if (a) v128.store(a, idx);
    return;
  }
  store<f32>(y, f32x4.extract_lane(best, 0));
  if (a) store<i32>(a, i32x4.extract_lane(idx, 0));
  if (lanes > 1) {
    store<f32>(y, f32x4.extract_lane(best, 1), 4);
    if (a) store<i32>(a, i32x4.extract_lane(idx, 1), 4);
  }
  if (lanes > 2) {
    store<f32>(y, f32x4.extract_lane(best, 2), 8);
    if (a) store<i32>(a, i32x4.extract_lane(idx, 2), 8);
  }
}

@inline function maxpoolImpl(
  x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  padTop: i32, padLeft: i32, oh: i32, ow: i32, y: usize, argmax: usize, save: bool,
): void {
  const lane = i32x4(0, 1, 2, 3);
  const imageIn = h * w * c;
  const imageOut = oh * ow * c;
  for (let b = 0; b < n; b++) {
    const xb = x + (<usize>(b * imageIn) << 2);
    const yb = y + (<usize>(b * imageOut) << 2);
    const ab = argmax + (<usize>(b * imageOut) << 2);
    for (let i = 0; i < oh; i++) {
      const r0 = i * sh - padTop;
      const hs = max<i32>(r0, 0), he = min<i32>(r0 + kh, h);
      for (let j = 0; j < ow; j++) {
        const c0 = j * sw - padLeft;
        const ws = max<i32>(c0, 0), we = min<i32>(c0 + kw, w);
        const o = (i * ow + j) * c;
        const first = (hs * w + ws) * c;
        let k = 0;
        if (kh == 2 && kw == 2 && he - hs == 2 && we - ws == 2) {
          // A whole 2×2 window (the common case), unrolled: the same scan order and rule.
          const rowC = w * c;
          for (; k + 4 <= c; k += 4) {
            const p0 = first + k, p1 = p0 + c, p2 = p0 + rowC, p3 = p2 + c;
            let best = ldv(xb, p0);
            let bidx = i32x4.add(i32x4.splat(p0), lane);
            let v = ldv(xb, p1);
            let m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
            best = v128.bitselect(v, best, m);
            if (save) bidx = v128.bitselect(i32x4.add(i32x4.splat(p1), lane), bidx, m);
            v = ldv(xb, p2);
            m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
            best = v128.bitselect(v, best, m);
            if (save) bidx = v128.bitselect(i32x4.add(i32x4.splat(p2), lane), bidx, m);
            v = ldv(xb, p3);
            m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
            best = v128.bitselect(v, best, m);
            if (save) bidx = v128.bitselect(i32x4.add(i32x4.splat(p3), lane), bidx, m);
            stv(yb, o + k, best);
            if (save) stv(ab, o + k, bidx);
          }
        }
        for (; k + 4 <= c; k += 4) {
          let best = ldv(xb, first + k);
          let bidx = i32x4.add(i32x4.splat(first + k), lane);
          for (let r = hs; r < he; r++) {
            for (let s = ws; s < we; s++) {
              const p = (r * w + s) * c + k;
              const v = ldv(xb, p);
              // Strictly greater: on ties the first position in scan order keeps the max. A NaN wins.
              const m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
              best = v128.bitselect(v, best, m);
              if (save) bidx = v128.bitselect(i32x4.add(i32x4.splat(p), lane), bidx, m);
            }
          }
          stv(yb, o + k, best);
          if (save) stv(ab, o + k, bidx);
        }
        for (; k < c; k++) {
          let best = ldf(xb, first + k);
          let bidx = first + k;
          for (let r = hs; r < he; r++) {
            for (let s = ws; s < we; s++) {
              const p = (r * w + s) * c + k;
              const v = ldf(xb, p);
              if (v > best || v != v) { best = v; bidx = p; }
            }
          }
          stf(yb, o + k, best);
          if (save) sti(ab, o + k, bidx);
        }
      }
    }
  }
}

/**
 * maxpool2d_fwd_f32(x, n, h, w, c, kh, kw, sh, sw, pad_top, pad_left, oh, ow, y, argmax):
 * y[b, i, j, k] = max of x[b, r, s, k] over the in-image positions (r, s) of window (i, j), and
 * argmax[b, i, j, k] (i32, same size as y) = the index of the winner inside its image,
 * (r·w + s)·c + k. Windows are scanned row by row, left to right; a later value wins only if it is
 * strictly greater (or NaN), so on ties the first position in scan order wins. Lanes along c,
 * scalar tail for c % 4. y and argmax must not overlap x or each other.
 */
export function maxpool2d_fwd_f32(
  x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  pad_top: i32, pad_left: i32, oh: i32, ow: i32, y: usize, argmax: usize,
): void {
  maxpoolImpl(x, n, h, w, c, kh, kw, sh, sw, pad_top, pad_left, oh, ow, y, argmax, true);
}

/**
 * maxpool2d_fwd_inference_f32(x, n, h, w, c, kh, kw, sh, sw, pad_top, pad_left, oh, ow, y): the
 * same y as maxpool2d_fwd_f32 without writing the argmax (for forwards that need no backward).
 */
export function maxpool2d_fwd_inference_f32(
  x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  pad_top: i32, pad_left: i32, oh: i32, ow: i32, y: usize,
): void {
  maxpoolImpl(x, n, h, w, c, kh, kw, sh, sw, pad_top, pad_left, oh, ow, y, 0, false);
}

/**
 * maxpool2d_bwd_f32(dy, argmax, n, h, w, c, oh, ow, dx): dx [n, h, w, c] = 0, then for every
 * output element o of image b, dx[b, argmax[b, o]] += dy[b, o], in increasing o (deterministic;
 * overlapping windows accumulate). dy and argmax are [n, oh, ow, c]. A scatter, so scalar (wasm
 * SIMD has no scatter). dx must not overlap dy or argmax.
 */
export function maxpool2d_bwd_f32(dy: usize, argmax: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, dx: usize): void {
  const imageIn = h * w * c;
  const imageOut = oh * ow * c;
  memory.fill(dx, 0, <usize>n * <usize>imageIn << 2);
  for (let b = 0; b < n; b++) {
    const dxb = dx + (<usize>(b * imageIn) << 2);
    const o0 = b * imageOut;
    for (let o = 0; o < imageOut; o++) {
      const p = ldi(argmax, o0 + o);
      stf(dxb, p, ldf(dxb, p) + ldf(dy, o0 + o));
    }
  }
}

/**
 * maxpool2d_bwd_tiled_f32(dy, argmax, n, h, w, c, kh, kw, oh, ow, dx): maxpool2d_bwd_f32 for
 * windows that tile the input (stride = window, no padding before the image; the last window may
 * reach past its end): every input position lies in at most
 * one window, so each element of dx is written once, as dy of its window where it is the window's
 * argmax and 0 elsewhere (positions past the last window too), with no zero-fill pass and no
 * scatter. Lanes along c (the argmax compared with the lanes' own indices), scalar tail for c % 4.
 * Same dx as maxpool2d_bwd_f32 for such windows, bit for bit.
 */
export function maxpool2d_bwd_tiled_f32(dy: usize, argmax: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, oh: i32, ow: i32, dx: usize): void {
  const imageIn = h * w * c, imageOut = oh * ow * c;
  const lane = i32x4(0, 1, 2, 3), zero = f32x4.splat(0);
  const c4 = c & ~3;
  const rowBytes: usize = <usize>(w * c) << 2;
  for (let b = 0; b < n; b++) {
    const dxb = dx + (<usize>(b * imageIn) << 2);
    const o0 = b * imageOut;
    for (let r = 0; r < h; r++) {
      const i = r / kh;
      const dxr = dxb + <usize>r * rowBytes;
      if (i >= oh) { memory.fill(dxr, 0, rowBytes); continue; }
      for (let j = 0; j < ow; j++) {
        const o = o0 + (i * ow + j) * c;
        for (let s = 0; s < kw; s++) {
          const col = j * kw + s;
          if (col >= w) break; // the last window may reach past the image ('same' padding after it)
          const p0 = (r * w + col) * c; // index of (r, col, 0) inside the image
          const d = dxr + (<usize>(col * c) << 2);
          let k = 0;
          for (; k < c4; k += 4) {
            const hit = i32x4.eq(ldv(argmax, o + k), i32x4.add(i32x4.splat(p0 + k), lane));
            // 0 + dy as the scatter-add computes it (a −0 gradient lands as +0)
            v128.store(d + (<usize>k << 2), f32x4.add(zero, v128.and(ldv(dy, o + k), hit)));
          }
          for (; k < c; k++) stf(d, k, ldi(argmax, o + k) == p0 + k ? <f32>0 + ldf(dy, o + k) : 0);
        }
      }
      const tail = min(ow * kw, w);
      if (tail < w) memory.fill(dxr + (<usize>(tail * c) << 2), 0, <usize>((w - tail) * c) << 2);
    }
  }
}

/**
 * maxpool2d_colsum_tiled_f32(dy, argmax, n, w, c, oh, ow, c0, c1, y): for columns c0 … c1 − 1,
 * y[k] = the column sums of maxpool2d_bwd_tiled_f32's dx for 2×2 windows (kh = kw = 2) — the
 * bias gradient of the convolution the pool follows — without dx: dy [n, oh, ow, c] and argmax
 * (in-image indices of an image w wide, −1 for none) as there; y [c] (only c0 … c1 − 1 written). colsum_f32 over dx
 * adds its rows (n, r, col) in order, +0 everywhere but at the winners; here each column adds the
 * same winners' dy in the same order — conv row r = 2i + dh of window row i takes the windows whose
 * winner lies in that row (index below or from (2i + 1)·w·c), left to right — and adding +0 to a
 * sum that is never −0 changes nothing, so the bits are colsum's. Lanes along c (c0, c1 multiples
 * of 4 except a scalar tail at c); one pooled row at a time (in L1 for every block of 32 columns,
 * the running sums kept in y between rows). Column ranges split over threads give one call's bits.
 */
export function maxpool2d_colsum_tiled_f32(dy: usize, argmax: usize, n: i32, w: i32, c: i32, oh: i32, ow: i32, c0: i32, c1: i32, y: usize): void {
  const wc = w * c, imageOut = oh * ow * c;
  for (let k = c0; k < c1; k++) stf(y, k, 0);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const o = b * imageOut + i * ow * c;
      const lim = (2 * i + 1) * wc; // first index of conv row 2i + 1
      let k = c0;
      for (; k + 32 <= c1; k += 32) poolColsumBlock(dy, argmax, o, ow, c, k, 8, lim, y);
      for (; k + 4 <= c1; k += 4) poolColsumBlock(dy, argmax, o, ow, c, k, 1, lim, y);
      for (; k < c1; k++) {
        let s = ldf(y, k);
        for (let j = 0; j < ow; j++) { const p = ldi(argmax, o + j * c + k); if (p >= 0 && p < lim) s += ldf(dy, o + j * c + k); }
        for (let j = 0; j < ow; j++) { if (ldi(argmax, o + j * c + k) >= lim) s += ldf(dy, o + j * c + k); }
        stf(y, k, s);
      }
    }
  }
}

/** One pooled row's part of maxpool2d_colsum_tiled_f32 for columns k … k + 4·nv − 1 (nv = 8 or 1). */
@inline function poolColsumBlock(dy: usize, argmax: usize, o: i32, ow: i32, c: i32, k: i32, nv: i32, lim: i32, y: usize): void {
  const yk = y + (<usize>k << 2), L = i32x4.splat(lim), Z = i32x4.splat(0);
  if (nv == 1) {
    let s = v128.load(yk);
    for (let dh = 0; dh < 2; dh++) {
      for (let j = 0; j < ow; j++) { const e = o + j * c + k; s = f32x4.add(s, v128.and(ldv(dy, e), rowHit(ldv(argmax, e), dh, Z, L))); }
    }
    v128.store(yk, s);
    return;
  }
  let s0 = v128.load(yk), s1 = v128.load(yk, 16), s2 = v128.load(yk, 32), s3 = v128.load(yk, 48);
  let s4 = v128.load(yk, 64), s5 = v128.load(yk, 80), s6 = v128.load(yk, 96), s7 = v128.load(yk, 112);
  for (let dh = 0; dh < 2; dh++) {
    for (let j = 0; j < ow; j++) {
      const e = <usize>(o + j * c + k) << 2;
      const a = argmax + e, d = dy + e;
      s0 = f32x4.add(s0, v128.and(v128.load(d), rowHit(v128.load(a), dh, Z, L)));
      s1 = f32x4.add(s1, v128.and(v128.load(d, 16), rowHit(v128.load(a, 16), dh, Z, L)));
      s2 = f32x4.add(s2, v128.and(v128.load(d, 32), rowHit(v128.load(a, 32), dh, Z, L)));
      s3 = f32x4.add(s3, v128.and(v128.load(d, 48), rowHit(v128.load(a, 48), dh, Z, L)));
      s4 = f32x4.add(s4, v128.and(v128.load(d, 64), rowHit(v128.load(a, 64), dh, Z, L)));
      s5 = f32x4.add(s5, v128.and(v128.load(d, 80), rowHit(v128.load(a, 80), dh, Z, L)));
      s6 = f32x4.add(s6, v128.and(v128.load(d, 96), rowHit(v128.load(a, 96), dh, Z, L)));
      s7 = f32x4.add(s7, v128.and(v128.load(d, 112), rowHit(v128.load(a, 112), dh, Z, L)));
    }
  }
  v128.store(yk, s0); v128.store(yk, s1, 16); v128.store(yk, s2, 32); v128.store(yk, s3, 48);
  v128.store(yk, s4, 64); v128.store(yk, s5, 80); v128.store(yk, s6, 96); v128.store(yk, s7, 112);
}

/** Lanes whose winner index p lies in the window's row dh: 0 ≤ p < lim (dh = 0), p ≥ lim (dh = 1). */
@inline function rowHit(p: v128, dh: i32, Z: v128, L: v128): v128 {
  return dh == 0 ? v128.and(i32x4.ge_s(p, Z), i32x4.lt_s(p, L)) : i32x4.ge_s(p, L);
}

/**
 * avgpool2d_fwd_f32(x, n, h, w, c, kh, kw, sh, sw, pad_top, pad_left, oh, ow, y):
 * y[b, i, j, k] = (sum of x[b, r, s, k] over the in-image positions of window (i, j)) / (their
 * count); padding is not counted (TensorFlow 'same'). Sums run row by row, left to right. Lanes
 * along c, scalar tail for c % 4. y must not overlap x.
 */
export function avgpool2d_fwd_f32(
  x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  pad_top: i32, pad_left: i32, oh: i32, ow: i32, y: usize,
): void {
  const imageIn = h * w * c;
  const imageOut = oh * ow * c;
  for (let b = 0; b < n; b++) {
    const xb = x + (<usize>(b * imageIn) << 2);
    const yb = y + (<usize>(b * imageOut) << 2);
    for (let i = 0; i < oh; i++) {
      const r0 = i * sh - pad_top;
      const hs = max<i32>(r0, 0), he = min<i32>(r0 + kh, h);
      for (let j = 0; j < ow; j++) {
        const c0 = j * sw - pad_left;
        const ws = max<i32>(c0, 0), we = min<i32>(c0 + kw, w);
        const count = <f32>((he - hs) * (we - ws));
        const vcount = f32x4.splat(count);
        const o = (i * ow + j) * c;
        let k = 0;
        for (; k + 4 <= c; k += 4) {
          let acc = f32x4.splat(0);
          for (let r = hs; r < he; r++) {
            for (let s = ws; s < we; s++) acc = f32x4.add(acc, ldv(xb, (r * w + s) * c + k));
          }
          stv(yb, o + k, f32x4.div(acc, vcount));
        }
        for (; k < c; k++) {
          let acc: f32 = 0;
          for (let r = hs; r < he; r++) {
            for (let s = ws; s < we; s++) acc += ldf(xb, (r * w + s) * c + k);
          }
          stf(yb, o + k, acc / count);
        }
      }
    }
  }
}

/**
 * avgpool2d_bwd_f32(dy, n, h, w, c, kh, kw, sh, sw, pad_top, pad_left, oh, ow, dx): dx [n, h, w, c]
 * = 0, then for every output (i, j) in order, dx[b, r, s, k] += dy[b, i, j, k] / count over the
 * in-image positions (r, s) of its window (count as in the forward). Overlapping windows
 * accumulate. Lanes along c, scalar tail for c % 4. dx must not overlap dy.
 */
export function avgpool2d_bwd_f32(
  dy: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  pad_top: i32, pad_left: i32, oh: i32, ow: i32, dx: usize,
): void {
  const imageIn = h * w * c;
  const imageOut = oh * ow * c;
  memory.fill(dx, 0, <usize>n * <usize>imageIn << 2);
  for (let b = 0; b < n; b++) {
    const dxb = dx + (<usize>(b * imageIn) << 2);
    const dyb = dy + (<usize>(b * imageOut) << 2);
    for (let i = 0; i < oh; i++) {
      const r0 = i * sh - pad_top;
      const hs = max<i32>(r0, 0), he = min<i32>(r0 + kh, h);
      for (let j = 0; j < ow; j++) {
        const c0 = j * sw - pad_left;
        const ws = max<i32>(c0, 0), we = min<i32>(c0 + kw, w);
        const count = <f32>((he - hs) * (we - ws));
        const vcount = f32x4.splat(count);
        const o = (i * ow + j) * c;
        let k = 0;
        for (; k + 4 <= c; k += 4) {
          const g = f32x4.div(ldv(dyb, o + k), vcount);
          for (let r = hs; r < he; r++) {
            for (let s = ws; s < we; s++) {
              const p = (r * w + s) * c + k;
              stv(dxb, p, f32x4.add(ldv(dxb, p), g));
            }
          }
        }
        for (; k < c; k++) {
          const g = ldf(dyb, o + k) / count;
          for (let r = hs; r < he; r++) {
            for (let s = ws; s < we; s++) {
              const p = (r * w + s) * c + k;
              stf(dxb, p, ldf(dxb, p) + g);
            }
          }
        }
      }
    }
  }
}

/**
 * globalavgpool2d_fwd_f32(x, n, hw, c, y): y[b, k] = (sum over p < hw of x[b, p, k]) / hw for x
 * [n, hw, c] (an NHWC image with its h·w positions flattened) and y [n, c]. Positions are added in
 * order p = 0, 1, … into y (so y must not overlap x). Lanes along c, scalar tail for c % 4.
 */
export function globalavgpool2d_fwd_f32(x: usize, n: i32, hw: i32, c: i32, y: usize): void {
  const vhw = f32x4.splat(<f32>hw);
  const fhw = <f32>hw;
  for (let b = 0; b < n; b++) {
    const xb = b * hw * c;
    const yb = b * c;
    let k = 0;
    for (; k + 4 <= c; k += 4) {
      let acc = f32x4.splat(0);
      for (let p = 0; p < hw; p++) acc = f32x4.add(acc, ldv(x, xb + p * c + k));
      stv(y, yb + k, f32x4.div(acc, vhw));
    }
    for (; k < c; k++) {
      let acc: f32 = 0;
      for (let p = 0; p < hw; p++) acc += ldf(x, xb + p * c + k);
      stf(y, yb + k, acc / fhw);
    }
  }
}

/**
 * globalavgpool2d_bwd_f32(dy, n, hw, c, dx): dx[b, p, k] = dy[b, k] / hw for dy [n, c] and dx
 * [n, hw, c]. Lanes along c, scalar tail for c % 4. dx must not overlap dy.
 */
export function globalavgpool2d_bwd_f32(dy: usize, n: i32, hw: i32, c: i32, dx: usize): void {
  const vhw = f32x4.splat(<f32>hw);
  const fhw = <f32>hw;
  for (let b = 0; b < n; b++) {
    const xb = b * hw * c;
    const yb = b * c;
    let k = 0;
    for (; k + 4 <= c; k += 4) {
      const g = f32x4.div(ldv(dy, yb + k), vhw);
      for (let p = 0; p < hw; p++) stv(dx, xb + p * c + k, g);
    }
    for (; k < c; k++) {
      const g = ldf(dy, yb + k) / fhw;
      for (let p = 0; p < hw; p++) stf(dx, xb + p * c + k, g);
    }
  }
}
