// conv2d kernels: NHWC activations, HWIO filters, f32. Each pass is an implicit GEMM on the
// register-blocked micro-kernel gemm_kernel_4x8 (gemm.ts): the A panels are packed straight from
// the activations (im2col on the fly, zeros for the padding), never as a full im2col matrix.
//
//   forward          y[N·OH·OW, O]   = im2col(x)[N·OH·OW, KH·KW·C] · W[KH·KW·C, O]
//   backward-input   dx              = the "full" correlation of dy with the flipped filter, I/O
//                                      swapped; for stride s it is split into s×s phases (the
//                                      input pixels with ih % s = rh, iw % s = rw), each a stride-1
//                                      implicit GEMM with the taps kh ≡ rh + padTop (mod s), so no
//                                      zero of the dilated dy is ever multiplied
//   backward-filter  dW[KH·KW·C, O]  = im2col(x)ᵀ · dy[N·OH·OW, O]  (reduction over the pixels)
//
// The geometry is a block of CONV2D_GEOM i32 in linear memory (field order of class Geom below),
// written by TypeScript; conv2d_geom_fields() reports its length so both sides can check it.
// Scratch: conv2d_workspace_f32(g, pass) f32 elements at a 64-byte aligned pointer `ws`.
//
// Threads (a later issue): forward and backward-input loop over output-row blocks of MC rows
// (igemm_rows(p, src, r0, r1, out) takes the row range; the packed filter is shared, the row info,
// A panels and C tiles would be per thread); backward-filter loops over 4-row panels of dW
// (bwdf_panels takes the panel range; each dW element is summed over the pixels in one fixed
// order whatever the split, so the result does not depend on it).
import { gemm_kernel_4x8 } from './gemm';
import { ldf, stf, ldi, sti } from '../mem';

/** Output rows per block in forward/backward-input (multiple of 4). */
const MC: i32 = 64;
/** Reduction chunk in forward/backward-input (elements of KH·KW·C). */
const KC: i32 = 256;
/** Pixel chunk of the reduction in backward-filter. */
const KCF: i32 = 256;
/** Bytes reserved for the Plan at the start of the workspace. */
const PLAN_BYTES: usize = 128;

/** The geometry block written by TypeScript (i32 fields, in this order). */
@unmanaged class Geom {
  N: i32; H: i32; W: i32; C: i32;
  KH: i32; KW: i32; O: i32;
  strideH: i32; strideW: i32; padTop: i32; padLeft: i32;
  OH: i32; OW: i32;
}

/** conv2d_geom_fields(): the number of i32 fields of the geometry block (N, H, W, C, KH, KW, O, strideH, strideW, padTop, padLeft, OH, OW). */
export function conv2d_geom_fields(): i32 { return <i32>(offsetof<Geom>() >> 2); }

/**
 * One implicit GEMM, kept in the workspace. Row r of the GEMM is the pixel (n, rh, rw) of an
 * N × RH × RW grid; its A row at tap (th, tw), channel c is
 *   src[n, rh·sh − ph + th, rw·sw − pw + tw, c]   (zero outside [0, srcH) × [0, srcW))
 * so K = TH·TW·srcC. Its output row goes to out[n, rh·mh + nh, rw·mw + nw, 0..OC) of an
 * [N, outH, outW, OC] tensor. `direct`: the rows map to consecutive output pixels (full tiles are
 * written in place).
 */
@unmanaged class Plan {
  N: i32; srcH: i32; srcW: i32; srcC: i32;
  TH: i32; TW: i32; sh: i32; sw: i32; ph: i32; pw: i32;
  RH: i32; RW: i32;
  OC: i32; OCP: i32; K: i32;
  outH: i32; outW: i32; mh: i32; mw: i32; nh: i32; nw: i32;
  direct: i32;
  ri: usize; zero: usize; pb: usize; pa: usize; ct: usize;
}

@inline function up(n: i32, m: i32): i32 { return (n + m - 1) / m * m; }
@inline function bytes64(nElems: i32): usize { return <usize>up(nElems, 16) << 2; }

// ---------------------------------------------------------------------------------------------
// Workspace layouts (the same function sizes the workspace and places the pieces).

/**
 * Sizes the pieces of a forward/backward-input workspace (bytes) and, when p is not 0, records
 * where they lie in the Plan at p (the workspace start).
 */
function layoutIgemm(p: usize, srcC: i32, kMax: i32, ocp: i32): usize {
  let at: usize = PLAN_BYTES;
  const ri = at; at += bytes64(MC * 4);
  const zero = at; at += bytes64(up(srcC, 4));
  const pb = at; at += bytes64(kMax * ocp);
  const pa = at; at += bytes64(MC * KC);
  const ct = at; at += bytes64(MC * ocp);
  if (p) {
    const plan = changetype<Plan>(p);
    plan.ri = p + ri; plan.zero = p + zero; plan.pb = p + pb; plan.pa = p + pa; plan.ct = p + ct;
  }
  return at;
}

/**
 * Sizes the backward-filter workspace (bytes) and, when ws is not 0, writes the pointers of its
 * pieces (pixel info, packed dy chunk, A panel, dW tile) as 4 usize at ws.
 */
function layoutBwdFilter(g: Geom, ws: usize): usize {
  const ocp = up(g.O, 8);
  let at: usize = PLAN_BYTES;
  const pix = at; at += bytes64(KCF * 3);
  const pb = at; at += bytes64(KCF * ocp);
  const pa = at; at += bytes64(KCF * 4);
  const dwt = at; at += bytes64(up(g.KH * g.KW * g.C, 4) * ocp);
  if (ws) {
    store<usize>(ws, ws + pix); store<usize>(ws, ws + pb, 4); store<usize>(ws, ws + pa, 8); store<usize>(ws, ws + dwt, 12);
  }
  return at;
}

/**
 * conv2d_workspace_f32(g, pass): the number of f32 elements of scratch that conv2d_fwd_f32
 * (pass 0), conv2d_bwd_input_f32 (pass 1) or conv2d_bwd_filter_f32 (pass 2) needs for the
 * geometry block g. Writes nothing.
 */
export function conv2d_workspace_f32(g_: usize, pass: i32): i32 {
  const g = changetype<Geom>(g_);
  let b: usize;
  if (pass == 0) b = layoutIgemm(0, g.C, g.KH * g.KW * g.C, up(g.O, 8));
  else if (pass == 1) b = layoutIgemm(0, g.O, g.KH * g.KW * g.O, up(g.C, 8));
  else b = layoutBwdFilter(g, 0);
  return <i32>(b >> 2);
}

// ---------------------------------------------------------------------------------------------
// Implicit GEMM for forward and backward-input.

/** Row info for rows mb .. mb+MC: per row [image offset, h0, w0, output offset] (elements). */
function rowInfo(p: Plan, mb: i32, r1: i32): void {
  const per = p.RH * p.RW;
  let n = mb / per;
  const rem = mb - n * per;
  let rh = rem / p.RW;
  let rw = rem - rh * p.RW;
  const img = p.srcH * p.srcW * p.srcC;
  const oimg = p.outH * p.outW * p.OC;
  const ri = p.ri;
  for (let i = 0; i < MC; i++) {
    const o = i << 2;
    if (mb + i < r1) {
      sti(ri, o, n * img);
      sti(ri, o + 1, rh * p.sh - p.ph);
      sti(ri, o + 2, rw * p.sw - p.pw);
      sti(ri, o + 3, n * oimg + ((rh * p.mh + p.nh) * p.outW + rw * p.mw + p.nw) * p.OC);
      if (++rw == p.RW) { rw = 0; if (++rh == p.RH) { rh = 0; n++; } }
    } else {
      // A row past the end: every tap falls outside the image and reads zeros.
      sti(ri, o, 0); sti(ri, o + 1, -0x20000000); sti(ri, o + 2, -0x20000000); sti(ri, o + 3, -1);
    }
  }
}

/** Pointer to src[image b, h, w, c] or to the zero row when (h, w) is outside the image. */
@inline function at(p: Plan, src: usize, b: i32, h: i32, w: i32, c: i32): usize {
  const inside = <u32>h < <u32>p.srcH && <u32>w < <u32>p.srcW;
  return select<usize>(src + (<usize>(b + (h * p.srcW + w) * p.srcC + c) << 2), p.zero, inside);
}

/** Writes len channels of 4 rows (q0..q3) k-major: dst[j*4 + i] = q_i[j]. */
@inline function transpose4(q0: usize, q1: usize, q2: usize, q3: usize, len: i32, dst: usize): void {
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    const o = <usize>j << 2;
    const v0 = v128.load(q0 + o), v1 = v128.load(q1 + o), v2 = v128.load(q2 + o), v3 = v128.load(q3 + o);
    const t0 = f32x4.shuffle(v0, v1, 0, 4, 1, 5), t1 = f32x4.shuffle(v0, v1, 2, 6, 3, 7);
    const t2 = f32x4.shuffle(v2, v3, 0, 4, 1, 5), t3 = f32x4.shuffle(v2, v3, 2, 6, 3, 7);
    const d = dst + (o << 2);
    v128.store(d, f32x4.shuffle(t0, t2, 0, 1, 4, 5));
    v128.store(d, f32x4.shuffle(t0, t2, 2, 3, 6, 7), 16);
    v128.store(d, f32x4.shuffle(t1, t3, 0, 1, 4, 5), 32);
    v128.store(d, f32x4.shuffle(t1, t3, 2, 3, 6, 7), 48);
  }
  for (; j < len; j++) {
    const o = <usize>j << 2;
    const d = dst + (o << 2);
    store<f32>(d, load<f32>(q0 + o));
    store<f32>(d, load<f32>(q1 + o), 4);
    store<f32>(d, load<f32>(q2 + o), 8);
    store<f32>(d, load<f32>(q3 + o), 12);
  }
}

/** Packs the A panel of block rows i0..i0+3 over k0 .. k0+kc (k-major, 4 per k) into dst. */
function packA(p: Plan, src: usize, i0: i32, k0: i32, kc: i32, dst: usize): void {
  const ri = p.ri + (<usize>i0 << 4);
  const b0 = ldi(ri, 0), h0 = ldi(ri, 1), w0 = ldi(ri, 2);
  const b1 = ldi(ri, 4), h1 = ldi(ri, 5), w1 = ldi(ri, 6);
  const b2 = ldi(ri, 8), h2 = ldi(ri, 9), w2 = ldi(ri, 10);
  const b3 = ldi(ri, 12), h3 = ldi(ri, 13), w3 = ldi(ri, 14);
  const C = p.srcC, TW = p.TW;
  // One channel, stride 1 along w and the 4 rows side by side in one image row: a tap of the
  // 4 rows is 4 consecutive values of src.
  const row4 = C == 1 && p.sw == 1 && b1 == b0 && b2 == b0 && b3 == b0 && h1 == h0 && h2 == h0 && h3 == h0 &&
    w1 == w0 + 1 && w2 == w0 + 2 && w3 == w0 + 3;
  let t = k0 / C, c = k0 - t * C, k = 0;
  while (k < kc) {
    const len = min(C - c, kc - k);
    const th = t / TW, tw = t - th * TW;
    const d = dst + (<usize>k << 4);
    if (row4 && <u32>(h0 + th) < <u32>p.srcH && w0 + tw >= 0 && w0 + tw + 3 < p.srcW) {
      v128.store(d, v128.load(src + (<usize>(b0 + (h0 + th) * p.srcW + w0 + tw) << 2)));
    } else {
      transpose4(at(p, src, b0, h0 + th, w0 + tw, c), at(p, src, b1, h1 + th, w1 + tw, c),
        at(p, src, b2, h2 + th, w2 + tw, c), at(p, src, b3, h3 + th, w3 + tw, c), len, d);
    }
    k += len; t++; c = 0;
  }
}

/** One block of `rows` (≤ MC) GEMM rows starting at row mb: packs, multiplies, writes out. */
function igemmBlock(p: Plan, src: usize, mb: i32, rows: i32, out: usize): void {
  rowInfo(p, mb, mb + rows);
  const K = p.K, OC = p.OC, OCP = p.OCP, NP = OCP >> 3, OC8 = OC & ~7;
  const panels = (rows + 3) >> 2;
  const direct = p.direct;
  const pa = p.pa, pb = p.pb, ct = p.ct;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const pstride = <usize>kc << 4;
    for (let ip = 0; ip < panels; ip++) packA(p, src, ip << 2, k0, kc, pa + <usize>ip * pstride);
    for (let jp = 0; jp < NP; jp++) {
      const pbj = pb + ((<usize>jp * K + k0) << 5);
      const fullCol = (jp << 3) + 8 <= OC;
      for (let ip = 0; ip < panels; ip++) {
        if (direct != 0 && fullCol && (ip << 2) + 4 <= rows) {
          gemm_kernel_4x8(kc, pa + <usize>ip * pstride, pbj, out + (<usize>((mb + (ip << 2)) * OC + (jp << 3)) << 2), OC, <i32>(k0 > 0));
        } else {
          gemm_kernel_4x8(kc, pa + <usize>ip * pstride, pbj, ct + (<usize>((ip << 2) * OCP + (jp << 3)) << 2), OCP, <i32>(k0 > 0));
        }
      }
    }
  }
  // Copy out what went through the C tile.
  for (let i = 0; i < rows; i++) {
    const from = direct != 0 && (i & ~3) + 4 <= rows ? OC8 : 0;
    const dst = out + (<usize>ldi(p.ri, (i << 2) + 3) << 2);
    const s = ct + (<usize>(i * OCP) << 2);
    for (let j = from; j < OC; j++) stf(dst, j, ldf(s, j));
  }
}

/** GEMM rows r0 .. r1 of plan p (the unit a thread would take). */
function igemmRows(p: Plan, src: usize, r0: i32, r1: i32, out: usize): void {
  for (let mb = r0; mb < r1; mb += MC) igemmBlock(p, src, mb, min(MC, r1 - mb), out);
}

/** Fills zeros for the padding rows and a zero row of srcC channels. */
function zeroRow(p: Plan): void {
  const n = up(p.srcC, 4);
  for (let i = 0; i < n; i += 4) v128.store(p.zero + (<usize>i << 2), f32x4.splat(0));
}

/**
 * conv2d_fwd_f32(x, w, g, ws, y): forward convolution.
 *   x:  [N, H, W, C] NHWC, contiguous
 *   w:  [KH, KW, C, O] HWIO, contiguous (read as the matrix [KH·KW·C, O])
 *   g:  geometry block (conv2d_geom_fields() i32): N, H, W, C, KH, KW, O, strideH, strideW,
 *       padTop, padLeft, OH, OW — with OH = (H + padTop + padBottom − KH) / strideH + 1 (floor),
 *       OW likewise; the bottom/right padding is whatever OH/OW imply
 *   ws: scratch of conv2d_workspace_f32(g, 0) f32 elements (64-byte aligned)
 *   y:  [N, OH, OW, O], written (not accumulated)
 * y[n, oh, ow, o] = Σ_{kh, kw, c} x[n, oh·sh − padTop + kh, ow·sw − padLeft + kw, c] · w[kh, kw, c, o]
 * (x is zero outside the image). Implicit GEMM: 4-pixel × 8-channel tiles, the 4 SIMD lanes run
 * along o; packed panels are zero-padded to 4 pixels and 8 channels, so every tail goes through
 * the same micro-kernel and a scratch tile. y must not overlap x, w, g or ws.
 */
export function conv2d_fwd_f32(x: usize, w: usize, g_: usize, ws: usize, y: usize): void {
  const g = changetype<Geom>(g_);
  const p = changetype<Plan>(ws);
  p.N = g.N; p.srcH = g.H; p.srcW = g.W; p.srcC = g.C;
  p.TH = g.KH; p.TW = g.KW; p.sh = g.strideH; p.sw = g.strideW; p.ph = g.padTop; p.pw = g.padLeft;
  p.RH = g.OH; p.RW = g.OW;
  p.OC = g.O; p.OCP = up(g.O, 8); p.K = g.KH * g.KW * g.C;
  p.outH = g.OH; p.outW = g.OW; p.mh = 1; p.mw = 1; p.nh = 0; p.nw = 0; p.direct = 1;
  layoutIgemm(ws, g.C, p.K, p.OCP);
  zeroRow(p);
  // Packed filter: panel jp holds columns 8jp .. 8jp+7 for every k: pb[(jp·K + k)·8 + j].
  const K = p.K, O = g.O, NP = p.OCP >> 3;
  for (let jp = 0; jp < NP; jp++) {
    const d = p.pb + ((<usize>jp * K) << 5);
    const c0 = jp << 3;
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < 8; j++) stf(d, (k << 3) + j, c0 + j < O ? ldf(w, k * O + c0 + j) : 0);
    }
  }
  igemmRows(p, x, 0, g.N * g.OH * g.OW, y);
}

/**
 * conv2d_bwd_input_f32(dy, w, g, ws, dx): gradient of the forward convolution with respect to
 * its input.
 *   dy: [N, OH, OW, O] (gradient of y), w: [KH, KW, C, O], g: geometry block as in conv2d_fwd_f32
 *   ws: scratch of conv2d_workspace_f32(g, 1) f32 elements
 *   dx: [N, H, W, C], written (not accumulated)
 * dx[n, ih, iw, c] = Σ over the (kh, kw, oh, ow) with oh·sh − padTop + kh = ih (and likewise w)
 * of dy[n, oh, ow, o] · w[kh, kw, c, o]. Computed per phase (ih mod sh, iw mod sw) as a stride-1
 * implicit GEMM whose rows are the phase's input pixels and whose K runs over the phase's taps
 * (flipped) × O; pixels no tap reaches (stride > kernel) are zero. Lanes run along c (8-channel
 * panels, zero-padded). dx must not overlap dy, w, g or ws.
 */
export function conv2d_bwd_input_f32(dy: usize, w: usize, g_: usize, ws: usize, dx: usize): void {
  const g = changetype<Geom>(g_);
  const p = changetype<Plan>(ws);
  const s = g.strideH, t = g.strideW, C = g.C, O = g.O, KW = g.KW;
  const ocp = up(C, 8);
  layoutIgemm(ws, O, g.KH * g.KW * O, ocp);
  if (s > g.KH || t > g.KW) {
    const n = g.N * g.H * g.W * C;
    for (let i = 0; i < n; i++) stf(dx, i, 0);
  }
  for (let rh = 0; rh < min(s, g.H); rh++) {
    const kh0 = (rh + g.padTop) % s;
    if (kh0 >= g.KH) continue;
    const na = (g.KH - kh0 + s - 1) / s;
    for (let rw = 0; rw < min(t, g.W); rw++) {
      const kw0 = (rw + g.padLeft) % t;
      if (kw0 >= g.KW) continue;
      const nb = (g.KW - kw0 + t - 1) / t;
      p.N = g.N; p.srcH = g.OH; p.srcW = g.OW; p.srcC = O;
      p.TH = na; p.TW = nb; p.sh = 1; p.sw = 1;
      p.ph = na - 1 - (rh + g.padTop - kh0) / s;
      p.pw = nb - 1 - (rw + g.padLeft - kw0) / t;
      p.RH = (g.H - rh + s - 1) / s; p.RW = (g.W - rw + t - 1) / t;
      p.OC = C; p.OCP = ocp; p.K = na * nb * O;
      p.outH = g.H; p.outW = g.W; p.mh = s; p.mw = t; p.nh = rh; p.nw = rw;
      p.direct = s == 1 && t == 1 ? 1 : 0;
      zeroRow(p);
      // Packed flipped filter: pb[(jp·K + (a·nb + b)·O + o)·8 + j] = w[kh, kw, 8jp + j, o] with
      // kh = kh0 + (na − 1 − a)·s, kw = kw0 + (nb − 1 − b)·t.
      const K = p.K, NP = ocp >> 3;
      for (let jp = 0; jp < NP; jp++) {
        const d = p.pb + ((<usize>jp * K) << 5);
        for (let a = 0; a < na; a++) {
          const kh = kh0 + (na - 1 - a) * s;
          for (let b = 0; b < nb; b++) {
            const kw = kw0 + (nb - 1 - b) * t;
            const base = (kh * KW + kw) * C;
            const k = (a * nb + b) * O;
            for (let o = 0; o < O; o++) {
              for (let j = 0; j < 8; j++) {
                const c = (jp << 3) + j;
                stf(d, ((k + o) << 3) + j, c < C ? ldf(w, (base + c) * O + o) : 0);
              }
            }
          }
        }
      }
      igemmRows(p, dy, 0, g.N * p.RH * p.RW, dx);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Backward to the filter.

/**
 * Panels kp0 .. kp1 (4 rows of dW each) of the filter gradient: for every pixel chunk, in order,
 * pack the chunk of dy once and every A panel, accumulating into the dW tile dwt [KP × OCP].
 */
function bwdfPanels(x: usize, dy: usize, g: Geom, kp0: i32, kp1: i32, pix: usize, pb: usize, pa: usize, dwt: usize): void {
  const C = g.C, W = g.W, H = g.H, KW = g.KW, O = g.O;
  const K = g.KH * KW * C;
  const ocp = up(O, 8), NP = ocp >> 3;
  const M = g.N * g.OH * g.OW;
  const per = g.OH * g.OW, img = H * W * C;
  for (let m0 = 0; m0 < M; m0 += KCF) {
    const kc = min(KCF, M - m0);
    // Pixel info: image offset, top-left input row and column of the window.
    let n = m0 / per;
    const rem = m0 - n * per;
    let oh = rem / g.OW, ow = rem - oh * g.OW;
    for (let m = 0; m < kc; m++) {
      sti(pix, m * 3, n * img);
      sti(pix, m * 3 + 1, oh * g.strideH - g.padTop);
      sti(pix, m * 3 + 2, ow * g.strideW - g.padLeft);
      if (++ow == g.OW) { ow = 0; if (++oh == g.OH) { oh = 0; n++; } }
    }
    // Packed dy chunk: pb[(jp·kc + m)·8 + j] = dy[m0 + m, 8jp + j] (zero past O).
    for (let jp = 0; jp < NP; jp++) {
      const d = pb + ((<usize>jp * kc) << 5);
      const c0 = jp << 3;
      if (c0 + 8 <= O) {
        for (let m = 0; m < kc; m++) {
          const s = dy + (<usize>((m0 + m) * O + c0) << 2);
          v128.store(d + (<usize>m << 5), v128.load(s));
          v128.store(d + (<usize>m << 5), v128.load(s, 16), 16);
        }
      } else {
        for (let m = 0; m < kc; m++) {
          for (let j = 0; j < 8; j++) stf(d, (m << 3) + j, c0 + j < O ? ldf(dy, (m0 + m) * O + c0 + j) : 0);
        }
      }
    }
    for (let kp = kp0; kp < kp1; kp++) {
      const k0 = kp << 2;
      const t0 = k0 / C, c0 = k0 - t0 * C;
      const kh = t0 / KW, kw = t0 - kh * KW;
      if (c0 + 4 <= C) {
        // The 4 rows are 4 consecutive channels of one tap: one vector per pixel.
        for (let m = 0; m < kc; m++) {
          const h = ldi(pix, m * 3 + 1) + kh, w = ldi(pix, m * 3 + 2) + kw;
          let v = f32x4.splat(0);
          if (<u32>h < <u32>H && <u32>w < <u32>W) v = v128.load(x + (<usize>(ldi(pix, m * 3) + (h * W + w) * C + c0) << 2));
          v128.store(pa + (<usize>m << 4), v);
        }
      } else {
        for (let i = 0; i < 4; i++) {
          const k = k0 + i;
          const t = k / C, c = k - t * C;
          const khi = t / KW, kwi = t - khi * KW;
          for (let m = 0; m < kc; m++) {
            const h = ldi(pix, m * 3 + 1) + khi, w = ldi(pix, m * 3 + 2) + kwi;
            let v: f32 = 0;
            if (k < K && <u32>h < <u32>H && <u32>w < <u32>W) v = ldf(x, ldi(pix, m * 3) + (h * W + w) * C + c);
            stf(pa, (m << 2) + i, v);
          }
        }
      }
      for (let jp = 0; jp < NP; jp++) {
        gemm_kernel_4x8(kc, pa, pb + ((<usize>jp * kc) << 5), dwt + (<usize>((k0 * ocp) + (jp << 3)) << 2), ocp, <i32>(m0 > 0));
      }
    }
  }
}

/**
 * conv2d_bwd_filter_f32(x, dy, g, ws, dw): gradient of the forward convolution with respect to
 * its filter.
 *   x:  [N, H, W, C], dy: [N, OH, OW, O], g: geometry block as in conv2d_fwd_f32
 *   ws: scratch of conv2d_workspace_f32(g, 2) f32 elements
 *   dw: [KH, KW, C, O], written (not accumulated)
 * dw[kh, kw, c, o] = Σ_{n, oh, ow} x[n, oh·sh − padTop + kh, ow·sw − padLeft + kw, c] · dy[n, oh, ow, o]
 * = im2col(x)ᵀ · dy, reduced over the pixels in chunks of KCF in order (deterministic). Tiles of
 * 4 (kh, kw, c) rows × 8 output channels; lanes run along o; rows and channels are zero-padded to
 * 4 and 8 in scratch. dw must not overlap x, dy, g or ws.
 */
export function conv2d_bwd_filter_f32(x: usize, dy: usize, g_: usize, ws: usize, dw: usize): void {
  const g = changetype<Geom>(g_);
  const K = g.KH * g.KW * g.C, O = g.O, ocp = up(O, 8);
  layoutBwdFilter(g, ws);
  const pix = load<usize>(ws), pb = load<usize>(ws, 4), pa = load<usize>(ws, 8), dwt = load<usize>(ws, 12);
  bwdfPanels(x, dy, g, 0, up(K, 4) >> 2, pix, pb, pa, dwt);
  for (let k = 0; k < K; k++) {
    for (let o = 0; o < O; o++) stf(dw, k * O + o, ldf(dwt, k * ocp + o));
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * conv2d_fwd_naive_f32(x, w, g, y): the forward convolution in plain scalar loops (same
 * arguments and result as conv2d_fwd_f32, no scratch); a reference for tests and benchmarks.
 * y must not overlap x, w or g.
 */
export function conv2d_fwd_naive_f32(x: usize, w: usize, g_: usize, y: usize): void {
  const g = changetype<Geom>(g_);
  const H = g.H, W = g.W, C = g.C, KH = g.KH, KW = g.KW, O = g.O, OH = g.OH, OW = g.OW;
  for (let n = 0; n < g.N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const yo = ((n * OH + oh) * OW + ow) * O;
        for (let o = 0; o < O; o++) {
          let s: f32 = 0;
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * g.strideH - g.padTop + kh;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * g.strideW - g.padLeft + kw;
              if (iw < 0 || iw >= W) continue;
              const xo = ((n * H + ih) * W + iw) * C, wo = (kh * KW + kw) * C * O + o;
              for (let c = 0; c < C; c++) s += ldf(x, xo + c) * ldf(w, wo + c * O);
            }
          }
          stf(y, yo + o, s);
        }
      }
    }
  }
}
