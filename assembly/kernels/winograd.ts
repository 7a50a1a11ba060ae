// Winograd F(2×2, 3×3) convolution: 3×3 filters, stride 1, NHWC activations, HWIO filters, f32.
//
// The output is cut into 2×2 tiles; each reads a 4×4 input patch d (zeros outside the image).
// With the transforms (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016)
//   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]    (input,  4×4 → 4×4: V = Bᵀ d B)
//   G  = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]             (filter, 3×3 → 4×4: U = G g Gᵀ)
//   Aᵀ = [1 1 1 0; 0 1 -1 -1]                       (output, 4×4 → 2×2: Y = Aᵀ M A)
// a tile's output is Y = Aᵀ [Σ_c U_c ⊙ V_c] A: 16 products per 4 outputs and channel pair instead
// of 36, so the multiplications are 16 independent GEMMs (one per point ξ of the 4×4 transform
// domain) M[ξ] (tiles × O) = V[ξ] (tiles × C) · U[ξ] (C × O), with 4/9 of the direct convolution's
// flops. The transforms only add and subtract (and halve, in G), so the results agree with the
// direct convolution to a few units of f32 rounding (tests compare with a float64 reference).
//
//   forward          y = conv(x, w): the above, tile blocks of TB tiles (across images)
//   backward-input   the forward kernel on dy with the filter flipped in both axes and its I/O
//                    swapped (flip = 1), padding 2 − pad: a stride-1 "full" correlation
//   backward-filter  dU[ξ] (C × O) = Σ_tiles V[ξ]ᵀ · dM[ξ], dM = A dY Aᵀ (the 2×2 output gradient
//                    of a tile taken back to the transform domain), then dW = Gᵀ dU G
//
// Per block of TB = 64 tiles the forward keeps V (16 × 64 × C floats), M (16 × 64 × O') and the
// transformed filter U (16 × C × O') in L2 (O' = O rounded up to 8): 1.3 MiB at C = 64, O = 128.
// The GEMMs run on a 4 × 8 register tile like gemm_kernel_4x8 (gemm.ts) but read A in place
// through two strides (rows of V for the forward, columns of V for backward-filter), so V is
// written once by the transform with lanes along the channels and never repacked.
//
// Every output element is one fixed sum whatever the thread split: the forward splits by images
// (tiles never mix images in a sum), backward-filter by points ξ (each dU[ξ] summed over all tiles
// in tile order). Requirements (checked by src/ops/conv2d.ts): C % 4 = 0 (the transforms run along
// 4 channels), 0 ≤ padTop, padLeft ≤ 2.
import { ldf, stf } from '../mem';
import { kernel_4x8_strided } from './gemm';

/** Tiles per block (multiple of 4: the register tile covers 4 tiles). */
const TB: i32 = 64;

@inline function up(n: i32, m: i32): i32 { return (n + m - 1) / m * m; }
/** Floats from one region to the next: whole 64-byte lines. */
@inline function span(n: i32): i32 { return up(n, 16); }

/** The floats p[0 .. min(n, 4)) in lanes 0 …, zeros in the rest (none read when n ≤ 0). */
@inline function loadUpTo(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** The 4 × 8 register tile of gemm.ts reading A in place (see kernel_4x8_strided), not inlined. */
function wino_kernel_4x8(kc: i32, a: usize, rs: usize, ks: usize, pb: usize, c: usize, ldc: i32, accumulate: i32): void {
  kernel_4x8_strided(kc, a, rs, ks, pb, c, ldc, accumulate);
}

/**
 * wino_workspace_f32(C, O, pass): f32 elements of scratch the kernels need (pass 0: forward and
 * backward-input with C input and O output channels; pass 2: backward-filter), every region on a
 * 64-byte boundary when the workspace is.
 */
export function wino_workspace_f32(C: i32, O: i32, pass: i32): i32 {
  const Op = up(O, 8);
  const common = span(16 * TB * C) + span(C) + span(16);
  return pass == 2 ? common + span(16 * TB * Op) : common + span(16 * C * Op) + span(16 * TB * Op);
}

/**
 * Transforms TB-block tiles t0 .. t0+cnt−1 of x [N, H, W, C], channels c0 … c1 − 1, into V [16][TB][C]
 * (tile i of the block in row i), V[ξ = 4p + q][i][c] = (Bᵀ d B)[p][q] of the 4×4 patch d at rows 2·th − padTop …,
 * columns 2·tw − padLeft … (zeros outside the image, read from the zero row z of C floats). P: 16
 * i32 of scratch for the patch's pixel addresses. Rows cnt … up(cnt, 4) − 1 are zeroed.
 */
function inputTransform(x: usize, H: i32, W: i32, C: i32, c0: i32, c1: i32, padTop: i32, padLeft: i32, TH: i32, TW: i32,
  t0: i32, cnt: i32, z: usize, P: usize, V: usize): void {
  const plane: usize = <usize>(TB * C) << 2;
  const rowC: usize = <usize>C << 2;
  for (let i = 0; i < cnt; i++) {
    const t = t0 + i;
    const n = t / (TH * TW), rem = t - n * TH * TW;
    const th = rem / TW, tw = rem - th * TW;
    const ih0 = 2 * th - padTop, iw0 = 2 * tw - padLeft;
    for (let p = 0; p < 4; p++) {
      for (let q = 0; q < 4; q++) {
        const ih = ih0 + p, iw = iw0 + q;
        const inside = <u32>ih < <u32>H && <u32>iw < <u32>W;
        store<usize>(P + (<usize>(4 * p + q) << 2), inside ? x + <usize>((n * H + ih) * W + iw) * rowC : z);
      }
    }
    const vrow = V + <usize>i * rowC;
    for (let c = c0; c < c1; c += 4) {
      const off: usize = <usize>c << 2;
      // Rows of Bᵀ d, one row r at a time, then the same along the columns.
      for (let r = 0; r < 4; r++) {
        // Bᵀ row r combines patch rows (a, b) as d_a − d_b (r = 0: 0, 2; r = 3: 1, 3), d_a + d_b
        // (r = 1: 1, 2) or d_b − d_a (r = 2: 1, 2 as d2 − d1).
        let e0: v128, e1: v128, e2: v128, e3: v128;
        if (r == 0) {
          e0 = f32x4.sub(v128.load(load<usize>(P) + off), v128.load(load<usize>(P, 32) + off));
          e1 = f32x4.sub(v128.load(load<usize>(P, 4) + off), v128.load(load<usize>(P, 36) + off));
          e2 = f32x4.sub(v128.load(load<usize>(P, 8) + off), v128.load(load<usize>(P, 40) + off));
          e3 = f32x4.sub(v128.load(load<usize>(P, 12) + off), v128.load(load<usize>(P, 44) + off));
        } else if (r == 1) {
          e0 = f32x4.add(v128.load(load<usize>(P, 16) + off), v128.load(load<usize>(P, 32) + off));
          e1 = f32x4.add(v128.load(load<usize>(P, 20) + off), v128.load(load<usize>(P, 36) + off));
          e2 = f32x4.add(v128.load(load<usize>(P, 24) + off), v128.load(load<usize>(P, 40) + off));
          e3 = f32x4.add(v128.load(load<usize>(P, 28) + off), v128.load(load<usize>(P, 44) + off));
        } else if (r == 2) {
          e0 = f32x4.sub(v128.load(load<usize>(P, 32) + off), v128.load(load<usize>(P, 16) + off));
          e1 = f32x4.sub(v128.load(load<usize>(P, 36) + off), v128.load(load<usize>(P, 20) + off));
          e2 = f32x4.sub(v128.load(load<usize>(P, 40) + off), v128.load(load<usize>(P, 24) + off));
          e3 = f32x4.sub(v128.load(load<usize>(P, 44) + off), v128.load(load<usize>(P, 28) + off));
        } else {
          e0 = f32x4.sub(v128.load(load<usize>(P, 16) + off), v128.load(load<usize>(P, 48) + off));
          e1 = f32x4.sub(v128.load(load<usize>(P, 20) + off), v128.load(load<usize>(P, 52) + off));
          e2 = f32x4.sub(v128.load(load<usize>(P, 24) + off), v128.load(load<usize>(P, 56) + off));
          e3 = f32x4.sub(v128.load(load<usize>(P, 28) + off), v128.load(load<usize>(P, 60) + off));
        }
        const base = vrow + off + <usize>(4 * r) * plane;
        v128.store(base, f32x4.sub(e0, e2));
        v128.store(base + plane, f32x4.add(e1, e2));
        v128.store(base + 2 * plane, f32x4.sub(e2, e1));
        v128.store(base + 3 * plane, f32x4.sub(e1, e3));
      }
    }
  }
  for (let i = cnt; i < up(cnt, 4); i++) {
    for (let xi = 0; xi < 16; xi++) memory.fill(V + <usize>xi * plane + <usize>i * rowC, 0, rowC);
  }
}

/**
 * wino_filter_f32(w, C, O, flip, U): the transformed filter U = G g Gᵀ for every (c, o), packed for
 * the GEMMs as U[ξ][o / 8][c][o % 8] (zeros for o ≥ O; O' = O rounded up to 8 columns).
 * flip = 0: g(c, o) = w[kh][kw][c][o], w [3, 3, C, O] (forward).
 * flip = 1: g(c, o) = w[2 − kh][2 − kw][o][c], w [3, 3, O, C] (backward-input of the convolution
 * whose filter is w).
 */
export function wino_filter_f32(w: usize, C: i32, O: i32, flip: i32, U: usize): void {
  const Op = up(O, 8), og = Op >> 3;
  const panel = C * 8;
  for (let c = 0; c < C; c++) {
    for (let o = 0; o < Op; o++) {
      const at = (o >> 3) * panel + c * 8 + (o & 7);
      if (o >= O) {
        for (let xi = 0; xi < 16; xi++) stf(U, xi * og * panel + at, 0);
        continue;
      }
      // g[kh][kw] for this (c, o)
      let g0: f32, g1: f32, g2: f32, g3: f32, g4: f32, g5: f32, g6: f32, g7: f32, g8: f32;
      if (flip) {
        const s = O * C, b = o * C + c;
        g0 = ldf(w, 8 * s + b); g1 = ldf(w, 7 * s + b); g2 = ldf(w, 6 * s + b);
        g3 = ldf(w, 5 * s + b); g4 = ldf(w, 4 * s + b); g5 = ldf(w, 3 * s + b);
        g6 = ldf(w, 2 * s + b); g7 = ldf(w, s + b); g8 = ldf(w, b);
      } else {
        const s = C * O, b = c * O + o;
        g0 = ldf(w, b); g1 = ldf(w, s + b); g2 = ldf(w, 2 * s + b);
        g3 = ldf(w, 3 * s + b); g4 = ldf(w, 4 * s + b); g5 = ldf(w, 5 * s + b);
        g6 = ldf(w, 6 * s + b); g7 = ldf(w, 7 * s + b); g8 = ldf(w, 8 * s + b);
      }
      // G g: 4 rows × 3 columns
      const a0 = g0, a1 = g1, a2 = g2;
      const b0: f32 = 0.5 * (g0 + g3 + g6), b1: f32 = 0.5 * (g1 + g4 + g7), b2: f32 = 0.5 * (g2 + g5 + g8);
      const c0: f32 = 0.5 * (g0 - g3 + g6), c1: f32 = 0.5 * (g1 - g4 + g7), c2: f32 = 0.5 * (g2 - g5 + g8);
      const d0 = g6, d1 = g7, d2 = g8;
      // (G g) Gᵀ: each row (u0, u1, u2) → (u0, ½(u0+u1+u2), ½(u0−u1+u2), u2)
      const s = og * panel;
      stf(U, 0 * s + at, a0); stf(U, 1 * s + at, <f32>0.5 * (a0 + a1 + a2)); stf(U, 2 * s + at, <f32>0.5 * (a0 - a1 + a2)); stf(U, 3 * s + at, a2);
      stf(U, 4 * s + at, b0); stf(U, 5 * s + at, <f32>0.5 * (b0 + b1 + b2)); stf(U, 6 * s + at, <f32>0.5 * (b0 - b1 + b2)); stf(U, 7 * s + at, b2);
      stf(U, 8 * s + at, c0); stf(U, 9 * s + at, <f32>0.5 * (c0 + c1 + c2)); stf(U, 10 * s + at, <f32>0.5 * (c0 - c1 + c2)); stf(U, 11 * s + at, c2);
      stf(U, 12 * s + at, d0); stf(U, 13 * s + at, <f32>0.5 * (d0 + d1 + d2)); stf(U, 14 * s + at, <f32>0.5 * (d0 - d1 + d2)); stf(U, 15 * s + at, d2);
    }
  }
}

/**
 * wino_fwd_f32(x, N, H, W, C, w, flip, O, padTop, padLeft, OH, OW, ws, y):
 * y [N, OH, OW, O] = the stride-1 correlation of x [N, H, W, C] with the 3×3 filter given by
 * (w, flip) (see wino_filter_f32), x padded by padTop rows and padLeft columns of zeros at the
 * start (and as many as OH, OW need at the end). ws: wino_workspace_f32(C, O, 0) floats. Requires
 * C % 4 = 0, 0 ≤ padTop, padLeft. y must not overlap x, w or ws. The bias is not added.
 */
export function wino_fwd_f32(x: usize, N: i32, H: i32, W: i32, C: i32, w: usize, flip: i32, O: i32,
  padTop: i32, padLeft: i32, OH: i32, OW: i32, ws: usize, y: usize): void {
  const Op = up(O, 8), og = Op >> 3;
  const V = ws;
  const z = V + (<usize>span(16 * TB * C) << 2);
  const P = z + (<usize>span(C) << 2);
  const U = P + (<usize>span(16) << 2);
  const M = U + (<usize>span(16 * C * Op) << 2);
  memory.fill(z, 0, <usize>C << 2);
  wino_filter_f32(w, C, O, flip, U);
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  const total = N * TH * TW;
  const vPlane: usize = <usize>(TB * C) << 2, mPlane: usize = <usize>(TB * Op) << 2;
  const uPlane: usize = <usize>(C * Op) << 2, uPanel: usize = <usize>(C * 8) << 2;
  const vRow: usize = <usize>C << 2, mRow: usize = <usize>Op << 2;
  const O4 = O & ~3;
  for (let t0 = 0; t0 < total; t0 += TB) {
    const cnt = min(TB, total - t0), cnt4 = up(cnt, 4);
    inputTransform(x, H, W, C, 0, C, padTop, padLeft, TH, TW, t0, cnt, z, P, V);
    for (let xi = 0; xi < 16; xi++) {
      const vx = V + <usize>xi * vPlane, mx = M + <usize>xi * mPlane, ux = U + <usize>xi * uPlane;
      for (let j = 0; j < og; j++) {
        const pb = ux + <usize>j * uPanel;
        for (let i = 0; i < cnt4; i += 4) {
          wino_kernel_4x8(C, vx + <usize>i * vRow, vRow, 4, pb, mx + <usize>i * mRow + (<usize>j << 5), Op, 0);
        }
      }
    }
    // Output transform Y = Aᵀ M A, 4 channels at a time, for the tile's pixels inside the image.
    for (let i = 0; i < cnt; i++) {
      const t = t0 + i;
      const n = t / (TH * TW), rem = t - n * TH * TW;
      const th = rem / TW, tw = rem - th * TW;
      const oh = 2 * th, ow = 2 * tw;
      const down = oh + 1 < OH, right = ow + 1 < OW;
      const y00 = y + (<usize>((n * OH + oh) * OW + ow) * O << 2);
      const y01 = y00 + (<usize>O << 2), y10 = y00 + (<usize>(OW * O) << 2), y11 = y10 + (<usize>O << 2);
      const m = M + <usize>i * mRow;
      let o = 0;
      for (; o < O4; o += 4) {
        const mo = m + (<usize>o << 2);
        // rows of Aᵀ M: s = m0 + m1 + m2, d = m1 − m2 − m3 (per column q)
        const m0 = v128.load(mo), m1 = v128.load(mo + mPlane), m2 = v128.load(mo + 2 * mPlane), m3 = v128.load(mo + 3 * mPlane);
        const m4 = v128.load(mo + 4 * mPlane), m5 = v128.load(mo + 5 * mPlane), m6 = v128.load(mo + 6 * mPlane), m7 = v128.load(mo + 7 * mPlane);
        const m8 = v128.load(mo + 8 * mPlane), m9 = v128.load(mo + 9 * mPlane), m10 = v128.load(mo + 10 * mPlane), m11 = v128.load(mo + 11 * mPlane);
        const m12 = v128.load(mo + 12 * mPlane), m13 = v128.load(mo + 13 * mPlane), m14 = v128.load(mo + 14 * mPlane), m15 = v128.load(mo + 15 * mPlane);
        const s0 = f32x4.add(f32x4.add(m0, m4), m8), s1 = f32x4.add(f32x4.add(m1, m5), m9);
        const s2 = f32x4.add(f32x4.add(m2, m6), m10), s3 = f32x4.add(f32x4.add(m3, m7), m11);
        const d0 = f32x4.sub(f32x4.sub(m4, m8), m12), d1 = f32x4.sub(f32x4.sub(m5, m9), m13);
        const d2 = f32x4.sub(f32x4.sub(m6, m10), m14), d3 = f32x4.sub(f32x4.sub(m7, m11), m15);
        const off: usize = <usize>o << 2;
        v128.store(y00 + off, f32x4.add(f32x4.add(s0, s1), s2));
        if (right) v128.store(y01 + off, f32x4.sub(f32x4.sub(s1, s2), s3));
        if (down) {
          v128.store(y10 + off, f32x4.add(f32x4.add(d0, d1), d2));
          if (right) v128.store(y11 + off, f32x4.sub(f32x4.sub(d1, d2), d3));
        }
      }
      for (; o < O; o++) {
        const mo = m + (<usize>o << 2);
        const v0 = load<f32>(mo), v1 = load<f32>(mo + mPlane), v2 = load<f32>(mo + 2 * mPlane), v3 = load<f32>(mo + 3 * mPlane);
        const v4 = load<f32>(mo + 4 * mPlane), v5 = load<f32>(mo + 5 * mPlane), v6 = load<f32>(mo + 6 * mPlane), v7 = load<f32>(mo + 7 * mPlane);
        const v8 = load<f32>(mo + 8 * mPlane), v9 = load<f32>(mo + 9 * mPlane), v10 = load<f32>(mo + 10 * mPlane), v11 = load<f32>(mo + 11 * mPlane);
        const v12 = load<f32>(mo + 12 * mPlane), v13 = load<f32>(mo + 13 * mPlane), v14 = load<f32>(mo + 14 * mPlane), v15 = load<f32>(mo + 15 * mPlane);
        const s0 = v0 + v4 + v8, s1 = v1 + v5 + v9, s2 = v2 + v6 + v10, s3 = v3 + v7 + v11;
        const d0 = v4 - v8 - v12, d1 = v5 - v9 - v13, d2 = v6 - v10 - v14, d3 = v7 - v11 - v15;
        const off: usize = <usize>o << 2;
        store<f32>(y00 + off, s0 + s1 + s2);
        if (right) store<f32>(y01 + off, s1 - s2 - s3);
        if (down) {
          store<f32>(y10 + off, d0 + d1 + d2);
          if (right) store<f32>(y11 + off, d1 - d2 - d3);
        }
      }
    }
  }
}

/**
 * wino_bwd_filter_f32(x, N, H, W, C, dy, O, padTop, padLeft, OH, OW, c0, c1, o0, o1, ws, dU):
 * dU[ξ] (C × O', row stride O' = O rounded up to 8) = Σ over all tiles of V[ξ]ᵀ · dM[ξ] for rows
 * c0 ≤ c < c1 (multiples of 4, or C) and columns o0 ≤ o < o1 (multiples of 8, or O') of every ξ
 * (overwritten; the rest of dU untouched), where V is the input transform of x (as in wino_fwd_f32)
 * and dM = A dY Aᵀ of the tile's 2×2 block of dy [N, OH, OW, O] (zeros past the edges). A part only
 * transforms the channels it needs. wino_filter_grad_f32 turns dU into dW. ws:
 * wino_workspace_f32(C, O, 2) floats. Tiles are summed in increasing order, so the result does not
 * depend on the split.
 */
export function wino_bwd_filter_f32(x: usize, N: i32, H: i32, W: i32, C: i32, dy: usize, O: i32,
  padTop: i32, padLeft: i32, OH: i32, OW: i32, c0: i32, c1: i32, o0: i32, o1: i32, ws: usize, dU: usize): void {
  const Op = up(O, 8), og = Op >> 3;
  const V = ws;
  const z = V + (<usize>span(16 * TB * C) << 2);
  const P = z + (<usize>span(C) << 2);
  const D = P + (<usize>span(16) << 2);
  memory.fill(z, 0, <usize>C << 2);
  const uPlane: usize = <usize>(C * Op) << 2, uRow: usize = <usize>Op << 2;
  for (let xi = 0; xi < 16; xi++) {
    for (let c = c0; c < c1; c++) memory.fill(dU + <usize>xi * uPlane + <usize>c * uRow + (<usize>o0 << 2), 0, <usize>(o1 - o0) << 2);
  }
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  const total = N * TH * TW;
  const vPlane: usize = <usize>(TB * C) << 2, vRow: usize = <usize>C << 2;
  const dPanel: usize = <usize>(TB * 8) << 2, dPlane: usize = <usize>og * dPanel;
  const zero = f32x4.splat(0);
  for (let t0 = 0; t0 < total; t0 += TB) {
    const cnt = min(TB, total - t0);
    inputTransform(x, H, W, C, c0, c1, padTop, padLeft, TH, TW, t0, cnt, z, P, V);
    // dM = A dY Aᵀ, packed D[ξ][o / 8][i][o % 8] (8-column panels over the block's tiles).
    for (let i = 0; i < cnt; i++) {
      const t = t0 + i;
      const n = t / (TH * TW), rem = t - n * TH * TW;
      const th = rem / TW, tw = rem - th * TW;
      const oh = 2 * th, ow = 2 * tw;
      const down = oh + 1 < OH, right = ow + 1 < OW;
      const y00 = dy + (<usize>((n * OH + oh) * OW + ow) * O << 2);
      const y01 = y00 + (<usize>O << 2), y10 = y00 + (<usize>(OW * O) << 2), y11 = y10 + (<usize>O << 2);
      for (let o = o0; o < o1; o += 4) {
        const off: usize = <usize>o << 2;
        // dY[0][0], dY[0][1], dY[1][0], dY[1][1] for channels o … o + 3 (zeros past O and the edge)
        const lanes = O - o;
        const a = loadUpTo(y00 + off, lanes);
        const b = right ? loadUpTo(y01 + off, lanes) : zero;
        const c = down ? loadUpTo(y10 + off, lanes) : zero;
        const d = down && right ? loadUpTo(y11 + off, lanes) : zero;
        // rows of A dY (A = [1 0; 1 1; 1 -1; 0 -1]): (a, b), (a + c, b + d), (a − c, b − d), (−c, −d)
        const r1a = f32x4.add(a, c), r1b = f32x4.add(b, d), r2a = f32x4.sub(a, c), r2b = f32x4.sub(b, d);
        const r3a = f32x4.neg(c), r3b = f32x4.neg(d);
        // each row (u, v) → (u, u + v, u − v, −v) along the columns
        const at = D + <usize>(o >> 3) * dPanel + (<usize>i << 5) + (<usize>(o & 7) << 2);
        v128.store(at, a); v128.store(at + dPlane, f32x4.add(a, b)); v128.store(at + 2 * dPlane, f32x4.sub(a, b)); v128.store(at + 3 * dPlane, f32x4.neg(b));
        v128.store(at + 4 * dPlane, r1a); v128.store(at + 5 * dPlane, f32x4.add(r1a, r1b)); v128.store(at + 6 * dPlane, f32x4.sub(r1a, r1b)); v128.store(at + 7 * dPlane, f32x4.neg(r1b));
        v128.store(at + 8 * dPlane, r2a); v128.store(at + 9 * dPlane, f32x4.add(r2a, r2b)); v128.store(at + 10 * dPlane, f32x4.sub(r2a, r2b)); v128.store(at + 11 * dPlane, f32x4.neg(r2b));
        v128.store(at + 12 * dPlane, r3a); v128.store(at + 13 * dPlane, f32x4.add(r3a, r3b)); v128.store(at + 14 * dPlane, f32x4.sub(r3a, r3b)); v128.store(at + 15 * dPlane, f32x4.neg(r3b));
      }
    }
    for (let xi = 0; xi < 16; xi++) {
      const vx = V + <usize>xi * vPlane, dx = D + <usize>xi * dPlane, ux = dU + <usize>xi * uPlane;
      for (let j = o0 >> 3; j < o1 >> 3; j++) {
        const pb = dx + <usize>j * dPanel;
        for (let c = c0; c < c1; c += 4) {
          wino_kernel_4x8(cnt, vx + (<usize>c << 2), 4, vRow, pb, ux + <usize>c * uRow + (<usize>j << 5), Op, 1);
        }
      }
    }
  }
}

/**
 * wino_filter_grad_f32(dU, C, O, dw): dw [3, 3, C, O] = Gᵀ dU G for every (c, o), dU as written
 * by wino_bwd_filter_f32 ([16][C][O'], O' = O rounded up to 8).
 */
export function wino_filter_grad_f32(dU: usize, C: i32, O: i32, dw: usize): void {
  const Op = up(O, 8);
  const s = C * Op, t = C * O;
  for (let c = 0; c < C; c++) {
    for (let o = 0; o < O; o++) {
      const b = c * Op + o;
      // Gᵀ rows: (1, ½, ½, 0), (0, ½, −½, 0), (0, ½, ½, 1); first along p (rows of dU), then q.
      let r00: f32 = 0, r01: f32 = 0, r02: f32 = 0, r03: f32 = 0;
      let r10: f32 = 0, r11: f32 = 0, r12: f32 = 0, r13: f32 = 0;
      let r20: f32 = 0, r21: f32 = 0, r22: f32 = 0, r23: f32 = 0;
      for (let q = 0; q < 4; q++) {
        const u0 = ldf(dU, q * s + b), u1 = ldf(dU, (4 + q) * s + b), u2 = ldf(dU, (8 + q) * s + b), u3 = ldf(dU, (12 + q) * s + b);
        const v0 = u0 + <f32>0.5 * (u1 + u2), v1 = <f32>0.5 * (u1 - u2), v2 = <f32>0.5 * (u1 + u2) + u3;
        if (q == 0) { r00 = v0; r10 = v1; r20 = v2; } else if (q == 1) { r01 = v0; r11 = v1; r21 = v2; }
        else if (q == 2) { r02 = v0; r12 = v1; r22 = v2; } else { r03 = v0; r13 = v1; r23 = v2; }
      }
      const w0 = c * O + o;
      stf(dw, w0, r00 + <f32>0.5 * (r01 + r02)); stf(dw, t + w0, <f32>0.5 * (r01 - r02)); stf(dw, 2 * t + w0, <f32>0.5 * (r01 + r02) + r03);
      stf(dw, 3 * t + w0, r10 + <f32>0.5 * (r11 + r12)); stf(dw, 4 * t + w0, <f32>0.5 * (r11 - r12)); stf(dw, 5 * t + w0, <f32>0.5 * (r11 + r12) + r13);
      stf(dw, 6 * t + w0, r20 + <f32>0.5 * (r21 + r22)); stf(dw, 7 * t + w0, <f32>0.5 * (r21 - r22)); stf(dw, 8 * t + w0, <f32>0.5 * (r21 + r22) + r23);
    }
  }
}
