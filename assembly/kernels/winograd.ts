// Winograd convolution F(m×m, 3×3), m = 2 or 4: 3×3 filters, stride 1, NHWC activations, HWIO
// filters, f32.
//
// m = 2: the output is cut into 2×2 tiles; each reads a 4×4 input patch d (zeros outside the
// image). With the transforms (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2016)
//   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]    (input,  4×4 → 4×4: V = Bᵀ d B)
//   G  = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]             (filter, 3×3 → 4×4: U = G g Gᵀ)
//   Aᵀ = [1 1 1 0; 0 1 -1 -1]                       (output, 4×4 → 2×2: Y = Aᵀ M A)
// a tile's output is Y = Aᵀ [Σ_c U_c ⊙ V_c] A: 16 products per 4 outputs and channel pair instead
// of 36, so the multiplications are 16 independent GEMMs (one per point ξ of the 4×4 transform
// domain) M[ξ] (tiles × O) = V[ξ] (tiles × C) · U[ξ] (C × O), with 4/9 of the direct convolution's
// flops. The transforms only add and subtract (and halve, in G), so the results agree with the
// direct convolution to about 1e-7 of the output's scale (tests compare with a float64 reference).
//
// m = 4 (6×6 patches, 36 points, 36 products per 16 outputs: 1/4 of the direct flops) uses Lavin &
// Gray's points 0, ±1, ±2:
//   Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G  = [¼ 0 0; -⅙ -⅙ -⅙; -⅙ ⅙ -⅙; 1/24 1/12 ⅙; 1/24 -1/12 ⅙; 0 0 1]
//   Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// Its transforms multiply by up to 8, so its rounding error is larger (a few 1e-6 of the output's
// scale); its 6-point transforms run in two passes (columns, then rows) through a small scratch.
// Everything but the transforms is shared between the two tiles.
//
//   forward          y = conv(x, w) + bias: the above over blocks of tiles (across images); the
//                    filter is transformed once per call (wino_filter_f32), the bias added in the
//                    output transform, which can also max-pool each tile's 2×2 windows (and ReLU
//                    them) so that y itself need never be written (src/ops/conv2d.ts's
//                    conv2dMaxPool)
//   backward-input   the forward kernel on dy with the filter flipped in both axes and its I/O
//                    swapped (flip = 1), padding 2 − pad: a stride-1 "full" correlation
//   backward-filter  dU[ξ] (C × O) = Σ_tiles V[ξ]ᵀ · dM[ξ], dM = A dY Aᵀ (the output gradient of
//                    a tile taken back to the transform domain), then dW = Gᵀ dU G
//                    (wino_filter_grad_f32)
//
// Per block (64 tiles for m = 2, 32 for m = 4) the forward keeps V (points × tiles × C floats) and
// M (points × tiles × O', O' = O rounded up to 8) in L2 next to the transformed filter U (points ×
// C × O'). The GEMMs run on gemm.ts's 4 × 8 register tile reading A in place through two strides
// (kernel_4x8_strided: rows of V for the forward, columns of V for backward-filter), so V is
// written once by the transform with lanes along the channels and never repacked.
//
// Every output element is one fixed sum whatever the thread split: the forward splits by images
// (tiles never mix images in a sum), backward-filter by tile ranges and blocks of output or input
// channels (each dU[ξ][c][o] summed over a range's tiles in tile order; src/ops/conv2d.ts cuts the
// tiles into two fixed halves and adds the second's dU to the first's), the filter transforms by
// channels. Requirements
// (checked by src/ops/conv2d.ts): C % 4 = 0 (the transforms run along 4 channels), 0 ≤ padTop,
// padLeft ≤ 2 for backward-input.
import { ldf, stf } from '../mem';
import { kernel_4x8_strided } from './gemm';
import { max2x2Store } from './pool';

/** Tiles per block (multiple of 4: the register tile covers 4 tiles): V and M stay in L2. */
@inline function tilesPerBlock(m: i32): i32 { return m == 2 ? 64 : 32; }
/**
 * Tiles per block of backward-filter, whose GEMMs reduce over the block's tiles: 64 for both tiles
 * (32 made its F(4×4) reduction short: measured 3 % slower at the reference network's layers).
 */
const TILES_BWDF: i32 = 64;
/** Floats of scratch for the two-pass transforms of one tile (S). */
const SCRATCH: i32 = 256;
/** Transform points: (m + 2)² (16 or 36). */
@inline function pointsOf(m: i32): i32 { return (m + 2) * (m + 2); }

@inline function up(n: i32, m: i32): i32 { return (n + m - 1) / m * m; }
/** Floats from one region to the next: whole 64-byte lines. */
@inline function span(n: i32): i32 { return up(n, 16); }
/**
 * Bytes from one transform-domain plane of the block (V, M or the output-gradient D: n floats
 * each) to the next: n floats and one more 64-byte line. The transforms touch the same place of
 * all 16 or 36 planes in a row; with n·4 a multiple of 4 KiB (32 tiles × 32 channels, …) those
 * places would share one L1 set and evict each other (measured: the F(4×4) output transform of
 * the reference network's layer 2 took 5.3 ms alone; see the commit).
 */
@inline function planeBytes(n: i32): usize { return <usize>(n + 16) << 2; }

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

/** Tiles are numbered image by image, TH × TW per image, row by row: tile t's image, row, column. */
@inline function tileImage(t: i32, TH: i32, TW: i32): i32 { return t / (TH * TW); }
@inline function tileRow(t: i32, TH: i32, TW: i32): i32 { return (t / TW) % TH; }
@inline function tileCol(t: i32, TW: i32): i32 { return t % TW; }

/** Byte address of output pixel (n, m·th, m·tw) — tile t's first — of an [N, OH, OW, O] tensor at base. */
@inline function tileOrigin(base: usize, t: i32, m: i32, TH: i32, TW: i32, OH: i32, OW: i32, O: i32): usize {
  const oh = m * tileRow(t, TH, TW), ow = m * tileCol(t, TW);
  return base + (<usize>((tileImage(t, TH, TW) * OH + oh) * OW + ow) * O << 2);
}

/**
 * wino_workspace_f32(C, O, m): f32 elements of scratch one call of wino_fwd_f32 or
 * wino_bwd_filter_f32 needs for F(m×m, 3×3) with C input and O output channels (the channels of
 * the correlation the call computes), every region on a 64-byte boundary when the workspace is.
 */
export function wino_workspace_f32(C: i32, O: i32, m: i32): i32 {
  const Op = up(O, 8), np = pointsOf(m), tb = max(tilesPerBlock(m), TILES_BWDF);
  const common = np * (tb * C + 16) + span(C) + span(np) + span(SCRATCH);
  return common + np * (tb * Op + 16);
}

/** Regions of the workspace (byte pointers), in order: V, the zero row, P, the transform scratch S. */
@inline function regionZ(ws: usize, np: i32, tb: i32, C: i32): usize { return ws + <usize>np * planeBytes(tb * C); }
@inline function regionP(z: usize, C: i32): usize { return z + (<usize>span(C) << 2); }
@inline function regionS(P: usize, np: i32): usize { return P + (<usize>span(np) << 2); }
@inline function regionRest(S: usize): usize { return S + (<usize>span(SCRATCH) << 2); }

/** v + b when there is a bias (b its 4 values), else v (adding 0 would turn −0 into +0). */
@inline function withBias(v: v128, b: v128, bias: usize): v128 { return bias ? f32x4.add(v, b) : v; }

/** Stores lanes 0 … min(n, 4) − 1 of v at p. */
@inline function storeUpTo(p: usize, v: v128, n: i32): void {
  if (n >= 4) { v128.store(p, v); return; }
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// ---- F(4×4, 3×3) one-dimensional transforms on 4 lanes (channels) at a time -----------------

/** Bᵀ (6 × 6) applied to (d0 … d5); result k stored at out + k·step. */
@inline function bt6(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, out: usize, step: usize): void {
  const four = f32x4.splat(4), five = f32x4.splat(5), two = f32x4.splat(2);
  const s12 = f32x4.add(d1, d2), d12 = f32x4.sub(d1, d2), s34 = f32x4.add(d3, d4), d43 = f32x4.sub(d4, d3);
  const d42 = f32x4.sub(d4, d2), d31 = f32x4.mul(two, f32x4.sub(d3, d1));
  v128.store(out, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
  v128.store(out + step, f32x4.sub(s34, f32x4.mul(four, s12)));
  v128.store(out + 2 * step, f32x4.add(d43, f32x4.mul(four, d12)));
  v128.store(out + 3 * step, f32x4.add(d42, d31));
  v128.store(out + 4 * step, f32x4.sub(d42, d31));
  v128.store(out + 5 * step, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
}

/** Aᵀ (4 × 6) applied to (m0 … m5); result k stored at out + k·step. */
@inline function at6(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, out: usize, step: usize): void {
  const s12 = f32x4.add(m1, m2), d12 = f32x4.sub(m1, m2), s34 = f32x4.add(m3, m4), d34 = f32x4.sub(m3, m4);
  v128.store(out, f32x4.add(f32x4.add(m0, s12), s34));
  v128.store(out + step, f32x4.add(d12, f32x4.mul(f32x4.splat(2), d34)));
  v128.store(out + 2 * step, f32x4.add(s12, f32x4.mul(f32x4.splat(4), s34)));
  v128.store(out + 3 * step, f32x4.add(f32x4.add(d12, f32x4.mul(f32x4.splat(8), d34)), m5));
}

/** A (6 × 4, the transpose of Aᵀ) applied to (e0 … e3); result k stored at out + k·step. */
@inline function a6(e0: v128, e1: v128, e2: v128, e3: v128, out: usize, step: usize): void {
  const s02 = f32x4.add(e0, e2), s13 = f32x4.add(e1, e3);
  const q02 = f32x4.add(e0, f32x4.mul(f32x4.splat(4), e2)), q13 = f32x4.add(f32x4.mul(f32x4.splat(2), e1), f32x4.mul(f32x4.splat(8), e3));
  v128.store(out, e0);
  v128.store(out + step, f32x4.add(s02, s13));
  v128.store(out + 2 * step, f32x4.sub(s02, s13));
  v128.store(out + 3 * step, f32x4.add(q02, q13));
  v128.store(out + 4 * step, f32x4.sub(q02, q13));
  v128.store(out + 5 * step, e3);
}

/** Loads 6 vectors at p, p + step, …, p + 5·step and applies Bᵀ (see bt6). */
@inline function bt6From(p: usize, step: usize, out: usize, ostep: usize): void {
  bt6(v128.load(p), v128.load(p + step), v128.load(p + 2 * step), v128.load(p + 3 * step), v128.load(p + 4 * step), v128.load(p + 5 * step), out, ostep);
}

/**
 * Transforms TB-block tiles t0 .. t0+cnt−1 of x [N, H, W, C], channels c0 … c1 − 1, into V [16][TB][C]
 * (tile i of the block in row i), V[ξ = 4p + q][i][c] = (Bᵀ d B)[p][q] of the 4×4 patch d at rows 2·th − padTop …,
 * columns 2·tw − padLeft … (zeros outside the image, read from the zero row z of C floats). P: 16
 * i32 of scratch for the patch's pixel addresses. Rows cnt … up(cnt, 4) − 1 are zeroed.
 */
function inputTransform(m: i32, x: usize, H: i32, W: i32, C: i32, c0: i32, c1: i32, padTop: i32, padLeft: i32, TH: i32, TW: i32,
  t0: i32, cnt: i32, tb: i32, z: usize, P: usize, S: usize, V: usize): void {
  const np = pointsOf(m), side = m + 2;
  const plane = planeBytes(tb * C);
  const rowC: usize = <usize>C << 2;
  for (let i = 0; i < cnt; i++) {
    const t = t0 + i;
    const n = tileImage(t, TH, TW);
    const ih0 = m * tileRow(t, TH, TW) - padTop, iw0 = m * tileCol(t, TW) - padLeft;
    for (let p = 0; p < side; p++) {
      for (let q = 0; q < side; q++) {
        const ih = ih0 + p, iw = iw0 + q;
        const inside = <u32>ih < <u32>H && <u32>iw < <u32>W;
        store<usize>(P + (<usize>(side * p + q) << 2), inside ? x + <usize>((n * H + ih) * W + iw) * rowC : z);
      }
    }
    const vrow = V + <usize>i * rowC;
    if (m == 4) {
      for (let c = c0; c < c1; c += 4) {
        const off: usize = <usize>c << 2;
        // Columns of Bᵀ d into S[r][j] (16 bytes each, row stride 96), then rows of that.
        for (let j = 0; j < 6; j++) {
          const pj = P + (<usize>j << 2);
          bt6(v128.load(load<usize>(pj) + off), v128.load(load<usize>(pj, 24) + off), v128.load(load<usize>(pj, 48) + off),
            v128.load(load<usize>(pj, 72) + off), v128.load(load<usize>(pj, 96) + off), v128.load(load<usize>(pj, 120) + off),
            S + (<usize>j << 4), 96);
        }
        for (let r = 0; r < 6; r++) bt6From(S + <usize>r * 96, 16, vrow + off + <usize>(6 * r) * plane, plane);
      }
      continue;
    }
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
    for (let xi = 0; xi < np; xi++) memory.fill(V + <usize>xi * plane + <usize>i * rowC, 0, rowC);
  }
}

/** G applied to (g0, g1, g2) for F(m×m, 3×3): 4 (m = 2) or 6 (m = 4) values at out + k·step floats. */
@inline function gCol(m: i32, g0: f32, g1: f32, g2: f32, out: usize, step: i32): void {
  if (m == 2) {
    stf(out, 0, g0); stf(out, step, <f32>0.5 * (g0 + g1 + g2)); stf(out, 2 * step, <f32>0.5 * (g0 - g1 + g2)); stf(out, 3 * step, g2);
  } else {
    const e = g0 + g2;
    stf(out, 0, <f32>0.25 * g0);
    stf(out, step, <f32>(-1.0 / 6.0) * (e + g1));
    stf(out, 2 * step, <f32>(-1.0 / 6.0) * (e - g1));
    const f = <f32>(1.0 / 24.0) * g0 + <f32>(1.0 / 6.0) * g2, h = <f32>(1.0 / 12.0) * g1;
    stf(out, 3 * step, f + h);
    stf(out, 4 * step, f - h);
    stf(out, 5 * step, g2);
  }
}

/** gCol on 4 lanes (4 output channels): the same operations, so the same values lane by lane; step in bytes. */
@inline function gColV(m: i32, g0: v128, g1: v128, g2: v128, out: usize, step: usize): void {
  if (m == 2) {
    const h = f32x4.splat(0.5);
    v128.store(out, g0); v128.store(out + step, f32x4.mul(h, f32x4.add(f32x4.add(g0, g1), g2)));
    v128.store(out + 2 * step, f32x4.mul(h, f32x4.add(f32x4.sub(g0, g1), g2))); v128.store(out + 3 * step, g2);
  } else {
    const e = f32x4.add(g0, g2), s6 = f32x4.splat(<f32>(-1.0 / 6.0));
    v128.store(out, f32x4.mul(f32x4.splat(0.25), g0));
    v128.store(out + step, f32x4.mul(s6, f32x4.add(e, g1)));
    v128.store(out + 2 * step, f32x4.mul(s6, f32x4.sub(e, g1)));
    const f = f32x4.add(f32x4.mul(f32x4.splat(<f32>(1.0 / 24.0)), g0), f32x4.mul(f32x4.splat(<f32>(1.0 / 6.0)), g2));
    const h = f32x4.mul(f32x4.splat(<f32>(1.0 / 12.0)), g1);
    v128.store(out + 3 * step, f32x4.add(f, h));
    v128.store(out + 4 * step, f32x4.sub(f, h));
    v128.store(out + 5 * step, g2);
  }
}

/** gtRow on 4 lanes: u, out and both steps in bytes. */
@inline function gtRowV(m: i32, u: usize, step: usize, out: usize, ostep: usize): void {
  if (m == 2) {
    const u0 = v128.load(u), u1 = v128.load(u + step), u2 = v128.load(u + 2 * step), u3 = v128.load(u + 3 * step);
    const h = f32x4.splat(0.5);
    v128.store(out, f32x4.add(u0, f32x4.mul(h, f32x4.add(u1, u2))));
    v128.store(out + ostep, f32x4.mul(h, f32x4.sub(u1, u2)));
    v128.store(out + 2 * ostep, f32x4.add(f32x4.mul(h, f32x4.add(u1, u2)), u3));
  } else {
    const u0 = v128.load(u), u1 = v128.load(u + step), u2 = v128.load(u + 2 * step), u3 = v128.load(u + 3 * step);
    const u4 = v128.load(u + 4 * step), u5 = v128.load(u + 5 * step);
    const s12 = f32x4.add(u1, u2), s34 = f32x4.add(u3, u4);
    const m6 = f32x4.splat(<f32>(-1.0 / 6.0));
    v128.store(out, f32x4.add(f32x4.sub(f32x4.mul(f32x4.splat(0.25), u0), f32x4.mul(f32x4.splat(<f32>(1.0 / 6.0)), s12)), f32x4.mul(f32x4.splat(<f32>(1.0 / 24.0)), s34)));
    v128.store(out + ostep, f32x4.add(f32x4.mul(m6, f32x4.sub(u1, u2)), f32x4.mul(f32x4.splat(<f32>(1.0 / 12.0)), f32x4.sub(u3, u4))));
    v128.store(out + 2 * ostep, f32x4.add(f32x4.add(f32x4.mul(m6, s12), f32x4.mul(f32x4.splat(<f32>(1.0 / 6.0)), s34)), u5));
  }
}

/** Gᵀ applied to u[0], u[step], … (4 or 6 values): the 3 results. */
@inline function gtRow(m: i32, u: usize, step: i32, out: usize, ostep: i32): void {
  if (m == 2) {
    const u0 = ldf(u, 0), u1 = ldf(u, step), u2 = ldf(u, 2 * step), u3 = ldf(u, 3 * step);
    stf(out, 0, u0 + <f32>0.5 * (u1 + u2)); stf(out, ostep, <f32>0.5 * (u1 - u2)); stf(out, 2 * ostep, <f32>0.5 * (u1 + u2) + u3);
  } else {
    const u0 = ldf(u, 0), u1 = ldf(u, step), u2 = ldf(u, 2 * step), u3 = ldf(u, 3 * step), u4 = ldf(u, 4 * step), u5 = ldf(u, 5 * step);
    const s12 = u1 + u2, s34 = u3 + u4;
    stf(out, 0, <f32>0.25 * u0 - <f32>(1.0 / 6.0) * s12 + <f32>(1.0 / 24.0) * s34);
    stf(out, ostep, <f32>(-1.0 / 6.0) * (u1 - u2) + <f32>(1.0 / 12.0) * (u3 - u4));
    stf(out, 2 * ostep, <f32>(-1.0 / 6.0) * s12 + <f32>(1.0 / 6.0) * s34 + u5);
  }
}

/**
 * wino_filter_f32(w, C, O, flip, m, c0, c1, ws, U): the transformed filter U = G g Gᵀ of
 * F(m×m, 3×3) (m = 2 or 4) for every (c, o) with c0 ≤ c < c1, packed for the GEMMs as
 * U[ξ][o / 8][c][o % 8] (zeros for o ≥ O; O' = O rounded up to 8 columns). ws: 80 floats of
 * scratch (one block per part when channel ranges run on several threads).
 * flip = 0: g(c, o) = w[kh][kw][c][o], w [3, 3, C, O] (forward).
 * flip = 1: g(c, o) = w[2 − kh][2 − kw][o][c], w [3, 3, O, C] (backward-input of the convolution
 * whose filter is w).
 */
/** Taps `tap` of g(c, o … o + 3) (see wino_filter_f32) in 4 lanes. */
@inline function filterTaps(w: usize, C: i32, O: i32, flip: i32, c: i32, o: i32, tap: i32): v128 {
  if (!flip) return v128.load(w + (<usize>(tap * C * O + c * O + o) << 2));
  const p = w + (<usize>((8 - tap) * O * C + o * C + c) << 2), s: usize = <usize>C << 2;
  return f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(p)), 1, load<f32>(p + s)), 2, load<f32>(p + 2 * s)), 3, load<f32>(p + 3 * s));
}

export function wino_filter_f32(w: usize, C: i32, O: i32, flip: i32, m: i32, c0: i32, c1: i32, ws: usize, U: usize): void {
  const Op = up(O, 8), og = Op >> 3, side = m + 2, np = side * side;
  const panel = C * 8, plane = og * panel;
  const g = ws, gg = ws + 64; // g: 9 floats, G g: side × 3 (row stride 3), then (G g) Gᵀ: side × side
  const uu = gg + <usize>(3 * side << 2);
  const O4 = O & ~3;
  for (let c = c0; c < c1; c++) {
    // Four output channels at a time (lanes along o): G g (columns, 16-byte rows of 3 in ws), then
    // each row of that times Gᵀ straight into U; the same operations as the scalar loop below.
    for (let o = 0; o < O4; o += 4) {
      const at: usize = <usize>((o >> 3) * panel + c * 8 + (o & 7)) << 2;
      for (let kw = 0; kw < 3; kw++) {
        gColV(m, filterTaps(w, C, O, flip, c, o, kw), filterTaps(w, C, O, flip, c, o, 3 + kw), filterTaps(w, C, O, flip, c, o, 6 + kw),
          ws + (<usize>kw << 4), 48);
      }
      for (let p = 0; p < side; p++) {
        const r = ws + <usize>(48 * p);
        gColV(m, v128.load(r), v128.load(r, 16), v128.load(r, 32), U + at + (<usize>(side * p * plane) << 2), <usize>plane << 2);
      }
    }
    for (let o = O4; o < Op; o++) {
      const at = (o >> 3) * panel + c * 8 + (o & 7);
      if (o >= O) {
        for (let xi = 0; xi < np; xi++) stf(U, xi * plane + at, 0);
        continue;
      }
      for (let tap = 0; tap < 9; tap++) {
        stf(g, tap, flip ? ldf(w, (8 - tap) * O * C + o * C + c) : ldf(w, tap * C * O + c * O + o));
      }
      // G g column by column (kw), then each row of that times Gᵀ.
      for (let kw = 0; kw < 3; kw++) gCol(m, ldf(g, kw), ldf(g, 3 + kw), ldf(g, 6 + kw), gg + (<usize>kw << 2), 3);
      for (let p = 0; p < side; p++) {
        const r = gg + (<usize>(3 * p) << 2);
        gCol(m, ldf(r, 0), ldf(r, 1), ldf(r, 2), uu + (<usize>(side * p) << 2), 1);
      }
      for (let xi = 0; xi < np; xi++) stf(U, xi * plane + at, ldf(uu, xi));
    }
  }
}

/**
 * Output transform of block tile i (tile number t): Y = Aᵀ M A from M [np][tb][O'] (plane mPlane
 * bytes, row i), written to the pixels of y [N, OH, OW, O] the tile covers that lie inside the
 * image (none when y is 0); S: scratch for the m = 4 two-pass transform. When py is not 0, the
 * 2×2 max-pool of Y too (windows inside the tile: m is even): the windows of pooled [N, ⌊OH/2⌋,
 * ⌊OW/2⌋, O] at py the tile covers, with their winners' indices at pa unless it is 0 (see
 * max2x2Store: maxpool2d_fwd_f32's values and indices).
 */
function outputTile(m: i32, M: usize, i: i32, mPlane: usize, Op: i32, t: i32, TH: i32, TW: i32, OH: i32, OW: i32, O: i32, bias: usize, S: usize, y: usize,
  py: usize, pa: usize, relu: i32): void {
  const rows = min(m, OH - m * tileRow(t, TH, TW)), cols = min(m, OW - m * tileCol(t, TW));
  const y0 = tileOrigin(y, t, m, TH, TW, OH, OW, O);
  const rowBytes: usize = <usize>(OW * O) << 2, pixBytes: usize = <usize>O << 2;
  const mi = M + <usize>i * (<usize>Op << 2);
  // The tile's first window: pooled pixel (n, m·th / 2, m·tw / 2); index of its first input inside the image.
  const PW = OW >> 1, rowC = OW * O, h = m >> 1;
  const pAt = (tileImage(t, TH, TW) * (OH >> 1) + h * tileRow(t, TH, TW)) * PW + h * tileCol(t, TW);
  const p0 = (m * tileRow(t, TH, TW) * OW + m * tileCol(t, TW)) * O;
  const pRow: usize = <usize>(PW * O) << 2;
  for (let o = 0; o < O; o += 4) {
    const mo = mi + (<usize>o << 2), lanes = O - o;
    const yo = y0 + (<usize>o << 2);
    const po: usize = <usize>(pAt * O + o) << 2;
    const bv = bias ? loadUpTo(bias + (<usize>o << 2), lanes) : f32x4.splat(0); // added last: y = Σ + b
    if (m == 2) {
      // rows of Aᵀ M: s = m0 + m1 + m2, d = m1 − m2 − m3 (per column q)
      const m0 = v128.load(mo), m1 = v128.load(mo + mPlane), m2 = v128.load(mo + 2 * mPlane), m3 = v128.load(mo + 3 * mPlane);
      const m4 = v128.load(mo + 4 * mPlane), m5 = v128.load(mo + 5 * mPlane), m6 = v128.load(mo + 6 * mPlane), m7 = v128.load(mo + 7 * mPlane);
      const m8 = v128.load(mo + 8 * mPlane), m9 = v128.load(mo + 9 * mPlane), m10 = v128.load(mo + 10 * mPlane), m11 = v128.load(mo + 11 * mPlane);
      const m12 = v128.load(mo + 12 * mPlane), m13 = v128.load(mo + 13 * mPlane), m14 = v128.load(mo + 14 * mPlane), m15 = v128.load(mo + 15 * mPlane);
      const s0 = f32x4.add(f32x4.add(m0, m4), m8), s1 = f32x4.add(f32x4.add(m1, m5), m9);
      const s2 = f32x4.add(f32x4.add(m2, m6), m10), s3 = f32x4.add(f32x4.add(m3, m7), m11);
      const d0 = f32x4.sub(f32x4.sub(m4, m8), m12), d1 = f32x4.sub(f32x4.sub(m5, m9), m13);
      const d2 = f32x4.sub(f32x4.sub(m6, m10), m14), d3 = f32x4.sub(f32x4.sub(m7, m11), m15);
      const y00 = withBias(f32x4.add(f32x4.add(s0, s1), s2), bv, bias), y01 = withBias(f32x4.sub(f32x4.sub(s1, s2), s3), bv, bias);
      const y10 = withBias(f32x4.add(f32x4.add(d0, d1), d2), bv, bias), y11 = withBias(f32x4.sub(f32x4.sub(d1, d2), d3), bv, bias);
      if (y) {
        storeUpTo(yo, y00, lanes);
        if (cols > 1) storeUpTo(yo + pixBytes, y01, lanes);
        if (rows > 1) {
          storeUpTo(yo + rowBytes, y10, lanes);
          if (cols > 1) storeUpTo(yo + rowBytes + pixBytes, y11, lanes);
        }
      }
      if (py && rows > 1 && cols > 1) max2x2Store(y00, y01, y10, y11, p0 + o, O, rowC, py + po, pa ? pa + po : 0, lanes, relu);
    } else {
      // Columns q of Aᵀ M into S[a][q] (row stride 96 bytes), then each row a of that times A.
      for (let q = 0; q < 6; q++) {
        const mq = mo + <usize>q * mPlane;
        at6(v128.load(mq), v128.load(mq + 6 * mPlane), v128.load(mq + 12 * mPlane), v128.load(mq + 18 * mPlane),
          v128.load(mq + 24 * mPlane), v128.load(mq + 30 * mPlane), S + (<usize>q << 4), 96);
      }
      if (rows == 4 && cols == 4 && lanes >= 4) {
        // A whole tile: rows two at a time in registers (at6's operations), stored and pooled from there.
        for (let a = 0; a < 4; a += 2) {
          const r = S + <usize>a * 96;
          let u0 = v128.load(r), u1 = v128.load(r, 16), u2 = v128.load(r, 32), u3 = v128.load(r, 48), u4 = v128.load(r, 64), u5 = v128.load(r, 80);
          let s12 = f32x4.add(u1, u2), d12 = f32x4.sub(u1, u2), s34 = f32x4.add(u3, u4), d34 = f32x4.sub(u3, u4);
          const p0v = withBias(f32x4.add(f32x4.add(u0, s12), s34), bv, bias), p1v = withBias(f32x4.add(d12, f32x4.mul(f32x4.splat(2), d34)), bv, bias);
          const p2v = withBias(f32x4.add(s12, f32x4.mul(f32x4.splat(4), s34)), bv, bias), p3v = withBias(f32x4.add(f32x4.add(d12, f32x4.mul(f32x4.splat(8), d34)), u5), bv, bias);
          u0 = v128.load(r, 96); u1 = v128.load(r, 112); u2 = v128.load(r, 128); u3 = v128.load(r, 144); u4 = v128.load(r, 160); u5 = v128.load(r, 176);
          s12 = f32x4.add(u1, u2); d12 = f32x4.sub(u1, u2); s34 = f32x4.add(u3, u4); d34 = f32x4.sub(u3, u4);
          const q0v = withBias(f32x4.add(f32x4.add(u0, s12), s34), bv, bias), q1v = withBias(f32x4.add(d12, f32x4.mul(f32x4.splat(2), d34)), bv, bias);
          const q2v = withBias(f32x4.add(s12, f32x4.mul(f32x4.splat(4), s34)), bv, bias), q3v = withBias(f32x4.add(f32x4.add(d12, f32x4.mul(f32x4.splat(8), d34)), u5), bv, bias);
          if (y) {
            const ya = yo + <usize>a * rowBytes, yb = ya + rowBytes;
            v128.store(ya, p0v); v128.store(ya + pixBytes, p1v); v128.store(ya + 2 * pixBytes, p2v); v128.store(ya + 3 * pixBytes, p3v);
            v128.store(yb, q0v); v128.store(yb + pixBytes, q1v); v128.store(yb + 2 * pixBytes, q2v); v128.store(yb + 3 * pixBytes, q3v);
          }
          if (py) {
            const pp = po + <usize>(a >> 1) * pRow, pp1 = pp + (<usize>O << 2);
            const pi = p0 + a * OW * O + o;
            max2x2Store(p0v, p1v, q0v, q1v, pi, O, rowC, py + pp, pa ? pa + pp : 0, 4, relu);
            max2x2Store(p2v, p3v, q2v, q3v, pi + 2 * O, O, rowC, py + pp1, pa ? pa + pp1 : 0, 4, relu);
          }
        }
        continue;
      }
      // Row a of the tile (with the bias) at Y = S + 384 + 64·a.
      const Y = S + 384;
      for (let a = 0; a < rows; a++) {
        const r = S + <usize>a * 96, ya = Y + (<usize>a << 6);
        at6(v128.load(r), v128.load(r, 16), v128.load(r, 32), v128.load(r, 48), v128.load(r, 64), v128.load(r, 80), ya, 16);
        if (bias) for (let b = 0; b < cols; b++) v128.store(ya + (<usize>b << 4), f32x4.add(v128.load(ya + (<usize>b << 4)), bv));
        if (y) for (let b = 0; b < cols; b++) storeUpTo(yo + <usize>a * rowBytes + <usize>b * pixBytes, v128.load(ya + (<usize>b << 4)), lanes);
      }
      if (py) {
        for (let wa = 0; 2 * wa + 1 < rows; wa++) {
          for (let wb = 0; 2 * wb + 1 < cols; wb++) {
            const q = Y + (<usize>wa << 7) + (<usize>wb << 5);
            max2x2Store(v128.load(q), v128.load(q, 16), v128.load(q, 64), v128.load(q, 80), p0 + (2 * wa * OW + 2 * wb) * O + o, O, rowC,
              py + po + <usize>wa * pRow + (<usize>(wb * O) << 2), pa ? pa + po + <usize>wa * pRow + (<usize>(wb * O) << 2) : 0, lanes, relu);
          }
        }
      }
    }
  }
}

/**
 * Output-gradient transform of block tile i (tile number t) for backward-filter: dM = A dY Aᵀ of
 * the tile's m×m block of dy [N, OH, OW, O] (zeros past the edges and past O), channels o0 … o1 − 1,
 * packed D[ξ][o / 8][i][o % 8] (dPlane bytes per ξ, dPanel per 8 channels). S: scratch.
 */
function gradTile(m: i32, dy: usize, t: i32, TH: i32, TW: i32, OH: i32, OW: i32, O: i32, o0: i32, o1: i32,
  i: i32, D: usize, dPanel: usize, dPlane: usize, S: usize): void {
  const rows = min(m, OH - m * tileRow(t, TH, TW)), cols = min(m, OW - m * tileCol(t, TW));
  const y0 = tileOrigin(dy, t, m, TH, TW, OH, OW, O);
  const rowBytes: usize = <usize>(OW * O) << 2, pixBytes: usize = <usize>O << 2;
  const zero = f32x4.splat(0);
  for (let o = o0; o < o1; o += 4) {
    const off: usize = <usize>o << 2, lanes = O - o;
    const at = D + <usize>(o >> 3) * dPanel + (<usize>i << 5) + (<usize>(o & 7) << 2);
    if (m == 2) {
      // dY[0][0], dY[0][1], dY[1][0], dY[1][1] for channels o … o + 3
      const a = loadUpTo(y0 + off, lanes);
      const b = cols > 1 ? loadUpTo(y0 + pixBytes + off, lanes) : zero;
      const c = rows > 1 ? loadUpTo(y0 + rowBytes + off, lanes) : zero;
      const d = rows > 1 && cols > 1 ? loadUpTo(y0 + rowBytes + pixBytes + off, lanes) : zero;
      // rows of A dY (A = [1 0; 1 1; 1 -1; 0 -1]): (a, b), (a + c, b + d), (a − c, b − d), (−c, −d);
      // each row (u, v) → (u, u + v, u − v, −v) along the columns
      const r1a = f32x4.add(a, c), r1b = f32x4.add(b, d), r2a = f32x4.sub(a, c), r2b = f32x4.sub(b, d);
      const r3a = f32x4.neg(c), r3b = f32x4.neg(d);
      v128.store(at, a); v128.store(at + dPlane, f32x4.add(a, b)); v128.store(at + 2 * dPlane, f32x4.sub(a, b)); v128.store(at + 3 * dPlane, f32x4.neg(b));
      v128.store(at + 4 * dPlane, r1a); v128.store(at + 5 * dPlane, f32x4.add(r1a, r1b)); v128.store(at + 6 * dPlane, f32x4.sub(r1a, r1b)); v128.store(at + 7 * dPlane, f32x4.neg(r1b));
      v128.store(at + 8 * dPlane, r2a); v128.store(at + 9 * dPlane, f32x4.add(r2a, r2b)); v128.store(at + 10 * dPlane, f32x4.sub(r2a, r2b)); v128.store(at + 11 * dPlane, f32x4.neg(r2b));
      v128.store(at + 12 * dPlane, r3a); v128.store(at + 13 * dPlane, f32x4.add(r3a, r3b)); v128.store(at + 14 * dPlane, f32x4.sub(r3a, r3b)); v128.store(at + 15 * dPlane, f32x4.neg(r3b));
    } else {
      // Columns b of A dY (the 4×4 block read straight from dy; zeros outside) into S2[p][b]
      // (16 bytes each, row stride 64), then each row p of that times Aᵀ.
      const S2 = S + 256;
      const yb = y0 + off;
      if (rows == 4 && cols == 4 && lanes >= 4) {
        for (let b = 0; b < 4; b++) {
          const q = yb + <usize>b * pixBytes;
          a6(v128.load(q), v128.load(q + rowBytes), v128.load(q + 2 * rowBytes), v128.load(q + 3 * rowBytes), S2 + (<usize>b << 4), 64);
        }
      } else {
        for (let b = 0; b < 4; b++) {
          const q = yb + <usize>b * pixBytes, inCol = b < cols;
          a6(inCol ? loadUpTo(q, lanes) : zero, inCol && rows > 1 ? loadUpTo(q + rowBytes, lanes) : zero,
            inCol && rows > 2 ? loadUpTo(q + 2 * rowBytes, lanes) : zero, inCol && rows > 3 ? loadUpTo(q + 3 * rowBytes, lanes) : zero,
            S2 + (<usize>b << 4), 64);
        }
      }
      for (let p = 0; p < 6; p++) {
        const r = S2 + <usize>p * 64;
        a6(v128.load(r), v128.load(r, 16), v128.load(r, 32), v128.load(r, 48), at + <usize>(6 * p) * dPlane, dPlane);
      }
    }
  }
}

/**
 * wino_fwd_f32(x, N, H, W, C, U, O, padTop, padLeft, OH, OW, m, bias, ws, y, py, pa, relu):
 * y [N, OH, OW, O] = the stride-1 correlation of x [N, H, W, C] with the 3×3 filter transformed
 * into U by wino_filter_f32 (same m, C, O), x padded by padTop rows and padLeft columns of zeros
 * at the start (and as many as OH, OW need at the end), by F(m×m, 3×3), m = 2 or 4; plus bias [O]
 * (added last, in the output transform) unless bias is 0. ws: wino_workspace_f32(C, O, m) floats.
 * y = 0 writes no y. py ≠ 0: also the 2×2 max-pool (stride 2, 'valid') of y, pooled [N, ⌊OH/2⌋,
 * ⌊OW/2⌋, O] at py, and when pa ≠ 0 the winners' indices [same shape, i32] at pa, exactly as
 * maxpool2d_fwd_f32 writes them for this y (the convolution + pool fusion: y need never be
 * written); relu ≠ 0: the ReLU of the pool, with the index −1 where it cuts the gradient (see
 * max2x2Store). Requires C % 4 = 0, 0 ≤ padTop, padLeft. Outputs must not overlap x, U, ws or each other.
 */
export function wino_fwd_f32(x: usize, N: i32, H: i32, W: i32, C: i32, U: usize, O: i32,
  padTop: i32, padLeft: i32, OH: i32, OW: i32, m: i32, bias: usize, ws: usize, y: usize, py: usize, pa: usize, relu: i32): void {
  const Op = up(O, 8), og = Op >> 3, np = pointsOf(m), tb = tilesPerBlock(m);
  const V = ws, z = regionZ(ws, np, tb, C), P = regionP(z, C), S = regionS(P, np);
  const M = regionRest(S);
  memory.fill(z, 0, <usize>C << 2);
  const TH = (OH + m - 1) / m, TW = (OW + m - 1) / m;
  const total = N * TH * TW;
  const vPlane = planeBytes(tb * C), mPlane = planeBytes(tb * Op);
  const uPlane: usize = <usize>(C * Op) << 2, uPanel: usize = <usize>(C * 8) << 2;
  const vRow: usize = <usize>C << 2, mRow: usize = <usize>Op << 2;
  for (let t0 = 0; t0 < total; t0 += tb) {
    const cnt = min(tb, total - t0), cnt4 = up(cnt, 4);
    inputTransform(m, x, H, W, C, 0, C, padTop, padLeft, TH, TW, t0, cnt, tb, z, P, S, V);
    for (let xi = 0; xi < np; xi++) {
      const vx = V + <usize>xi * vPlane, mx = M + <usize>xi * mPlane, ux = U + <usize>xi * uPlane;
      for (let j = 0; j < og; j++) {
        const pb = ux + <usize>j * uPanel;
        for (let i = 0; i < cnt4; i += 4) {
          wino_kernel_4x8(C, vx + <usize>i * vRow, vRow, 4, pb, mx + <usize>i * mRow + (<usize>j << 5), Op, 0);
        }
      }
    }
    for (let i = 0; i < cnt; i++) outputTile(m, M, i, mPlane, Op, t0 + i, TH, TW, OH, OW, O, bias, S, y, py, pa, relu);
  }
}

/**
 * wino_bwd_filter_f32(x, N, H, W, C, dy, O, padTop, padLeft, OH, OW, c0, c1, o0, o1, t0, t1, m, ws, dU):
 * dU[ξ] (C × O', row stride O' = O rounded up to 8) = Σ over tiles t0 ≤ t < t1 of V[ξ]ᵀ · dM[ξ]
 * for rows c0 ≤ c < c1 (multiples of 4, or C) and columns o0 ≤ o < o1 (multiples of 8, or O') of
 * every ξ (overwritten; the rest of dU untouched), where V is the input transform of x (as in
 * wino_fwd_f32) and dM = A dY Aᵀ of the tile's m×m block of dy [N, OH, OW, O] (zeros past the
 * edges). A part only transforms the channels and tiles it needs. wino_filter_grad_f32 turns dU
 * into dW. ws: wino_workspace_f32(C, O, m) floats. Tiles are summed in increasing order, so the
 * result does not depend on the split of channels.
 */
export function wino_bwd_filter_f32(x: usize, N: i32, H: i32, W: i32, C: i32, dy: usize, O: i32,
  padTop: i32, padLeft: i32, OH: i32, OW: i32, c0: i32, c1: i32, o0: i32, o1: i32, t0: i32, t1: i32, m: i32, ws: usize, dU: usize): void {
  const Op = up(O, 8), og = Op >> 3, np = pointsOf(m), tb = TILES_BWDF;
  const V = ws, z = regionZ(ws, np, tb, C), P = regionP(z, C), S = regionS(P, np);
  const D = regionRest(S);
  memory.fill(z, 0, <usize>C << 2);
  const uPlane: usize = <usize>(C * Op) << 2, uRow: usize = <usize>Op << 2;
  for (let xi = 0; xi < np; xi++) {
    for (let c = c0; c < c1; c++) memory.fill(dU + <usize>xi * uPlane + <usize>c * uRow + (<usize>o0 << 2), 0, <usize>(o1 - o0) << 2);
  }
  const TH = (OH + m - 1) / m, TW = (OW + m - 1) / m;
  const vPlane = planeBytes(tb * C), vRow: usize = <usize>C << 2;
  const dPanel: usize = <usize>(tb * 8) << 2, dPlane = planeBytes(og * tb * 8);
  for (let b0 = t0; b0 < t1; b0 += tb) {
    const cnt = min(tb, t1 - b0);
    inputTransform(m, x, H, W, C, c0, c1, padTop, padLeft, TH, TW, b0, cnt, tb, z, P, S, V);
    for (let i = 0; i < cnt; i++) gradTile(m, dy, b0 + i, TH, TW, OH, OW, O, o0, o1, i, D, dPanel, dPlane, S);
    for (let xi = 0; xi < np; xi++) {
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
 * wino_filter_grad_f32(dU, C, O, m, c0, c1, ws, dw): dw [3, 3, C, O] = Gᵀ dU G for every (c, o)
 * with c0 ≤ c < c1, dU as written by wino_bwd_filter_f32 ([(m+2)²][C][O'], O' = O rounded up to
 * 8). ws: 80 floats of scratch (one block per part).
 */
export function wino_filter_grad_f32(dU: usize, C: i32, O: i32, m: i32, c0: i32, c1: i32, ws: usize, dw: usize): void {
  const Op = up(O, 8), side = m + 2, s = C * Op, t = C * O;
  const r = ws; // Gᵀ dU: 3 × side (row stride side)
  const O4 = O & ~3;
  for (let c = c0; c < c1; c++) {
    // Four output channels at a time (lanes along o), the same operations as the scalar loop below.
    for (let o = 0; o < O4; o += 4) {
      const u = dU + (<usize>(c * Op + o) << 2);
      for (let q = 0; q < side; q++) gtRowV(m, u + (<usize>(q * s) << 2), <usize>(side * s) << 2, ws + (<usize>q << 4), <usize>side << 4);
      const w0 = dw + (<usize>(c * O + o) << 2);
      for (let kh = 0; kh < 3; kh++) gtRowV(m, ws + (<usize>(kh * side) << 4), 16, w0 + (<usize>(3 * kh * t) << 2), <usize>t << 2);
    }
    for (let o = O4; o < O; o++) {
      const u = dU + (<usize>(c * Op + o) << 2);
      // Gᵀ along p for each column q, then each of the 3 rows times G along q.
      for (let q = 0; q < side; q++) gtRow(m, u + (<usize>(q * s) << 2), side * s, r + (<usize>q << 2), side);
      const w0 = dw + (<usize>(c * O + o) << 2);
      for (let kh = 0; kh < 3; kh++) gtRow(m, r + (<usize>(kh * side) << 2), 1, w0 + (<usize>(3 * kh * t) << 2), t);
    }
  }
}
