// conv2d kernels: NHWC activations, HWIO filters, f32.
//
//   forward          y[N·OH·OW, O]  = im2col(x)[N·OH·OW, KH·KW·C] · W[KH·KW·C, O]
//   backward-input   dx             = the "full" correlation of dy with the flipped filter, I/O
//                                     swapped. For stride s it is split into s×s phases (the input
//                                     pixels with ih % s = rh, iw % s = rw): each phase is a
//                                     stride-1 correlation with the taps kh ≡ rh + padTop (mod s),
//                                     so no zero of the dilated dy is ever multiplied
//   backward-filter  dW[KH·KW·C, O] = im2col(x)ᵀ · dy[N·OH·OW, O]  (reduction over the pixels)
//
// Wide layers take an implicit GEMM on the register-blocked micro-kernel gemm_kernel_4x8
// (gemm.ts): A panels are packed straight from the activations (im2col on the fly, zeros for the
// padding), never as a full im2col matrix. Narrow layers, where the packing or the zero padding of
// 4×8 tiles would cost more than the multiplications, take direct paths that keep a 4×8 register
// tile (or 8 dot products) and read padded copies of a few input rows in place:
//   forward          KH·KW·C ≤ DIRECT_FWD_K  direct (4 pixels × 8 channels), else implicit GEMM
//   backward-input   C ≤ DOT_MAX_C           dot products along o, else implicit GEMM per phase
//   backward-filter  C % 4 = 0 and C ≥ 32    packed (micro-kernel), else direct
// The thresholds were measured (bench/conv2d.ts and shapes around them). Most 3×3 stride-1 layers
// (8 or more input channels, a multiple of 4) do not come here by default: src/ops/conv2d.ts sends
// them to the Winograd kernels (winograd.ts), 2.3–2.9× faster at the network's layers 2 and 3.
//
// The geometry is a block of conv2d_geom_fields() i32 in linear memory (field order of class
// Geom), written by TypeScript. Scratch: conv2d_workspace_f32(g, pass) f32 elements at a 64-byte
// aligned pointer; the kernels never allocate.
//
// Threads (src/threads.ts, src/ops/conv2d.ts): forward and backward-input split by images (each
// thread a whole call on a sub-batch with its own geometry block and workspace); backward-filter
// by blocks of dW through conv2d_bwd_filter_part_f32 (4-row panels of one tap on the packed path,
// 8-column blocks on the direct path; past 8 images the TypeScript side runs the direct path per
// chunk of 8 images and adds the chunks in order), each thread with its own workspace. Every
// output element is summed in one fixed order whatever the split, so results do not depend on it.
// A 2×2 max-pool (and ReLU) can be fused into the direct forward (conv2d_fwd_pool_f32) and its
// gradient expanded inside the direct backward-filter (the geometry's poolGrad, poolIdx).
import { gemm_kernel_4x8 } from './gemm';
import { bias_add_f32 } from './elementwise';
import { ldf, stf, ldi, sti } from '../mem';
import { madd } from '../simd';
import { max2x2Store } from './pool';

/** Output rows per block of the implicit GEMM (multiple of 4). */
const MC: i32 = 64;
/** Reduction chunk of the implicit GEMM (elements of KH·KW·C). */
const KC: i32 = 256;
/** Pixel chunk of the reduction in the packed backward-filter. */
const KCF: i32 = 256;
/** Pixels a direct backward-filter tile runs over between loading and storing its accumulators. */
const STRIP_PIXELS: i32 = 128;
/** Forward reductions KH·KW·C up to this length take the direct path. */
const DIRECT_FWD_K: i32 = 256;
/** Backward-input with at most this many input channels takes the dot path. */
const DOT_MAX_C: i32 = 7;
/** Bytes reserved at the start of the workspace (Plan, small tiles). */
const HEAD_BYTES: usize = 256;

/** The geometry block written by TypeScript (i32 fields, in this order). */
@unmanaged class Geom {
  N: i32; H: i32; W: i32; C: i32;
  KH: i32; KW: i32; O: i32;
  strideH: i32; strideW: i32; padTop: i32; padLeft: i32;
  OH: i32; OW: i32;
  /**
   * Forward: the bias [O] to add (a pointer), or 0 for none. Backward-filter: where to write db [O]
   * = the column sums of dy, when its path sums them (conv2d_bwd_filter_sums_bias_f32), or 0.
   * Backward-input ignores it.
   */
  bias: usize;
  /**
   * Direct backward-filter only (else 0): the gradient of a 2×2 max-pool of this convolution's
   * output, [N, ⌊OH/2⌋, ⌊OW/2⌋, O] (a pointer), which stands for dy: dy is the pool's backward of
   * it, expanded strip by strip (see expandPoolGrad) instead of read from a tensor.
   */
  poolGrad: usize;
  /** With poolGrad: the pool's winners' indices (i32, poolGrad's shape; see maxpool2d_fwd_f32). */
  poolIdx: usize;
}

/**
 * conv2d_geom_fields(): the number of i32 fields of the geometry block: N, H, W, C, KH, KW, O,
 * strideH, strideW, padTop, padLeft, OH, OW, bias, poolGrad, poolIdx.
 */
export function conv2d_geom_fields(): i32 { return <i32>(offsetof<Geom>() >> 2); }

@inline function up(n: i32, m: i32): i32 { return (n + m - 1) / m * m; }
@inline function bytes64(nElems: i32): usize { return <usize>up(nElems, 16) << 2; }
@inline function clamp(v: i32, hi: i32): i32 { return max(0, min(v, hi)); }

/**
 * Copies rows row0 .. row0+rows of image n of src [·, srcH, srcW, srcC] into rb, padded: row r,
 * column j of rb (cs ≥ srcC floats per column) holds src[n, row0 + r, col0 + j, 0..srcC), zeros
 * outside the image and in channels srcC .. cs.
 */
function padRows(src: usize, srcH: i32, srcW: i32, srcC: i32, n: i32, row0: i32, rows: i32, col0: i32, Wp: i32, cs: i32, rb: usize): void {
  const rowLen = Wp * cs;
  const lo = clamp(-col0, Wp), hi = clamp(srcW - col0, Wp);
  for (let r = 0; r < rows; r++) {
    const ih = row0 + r;
    const d = rb + (<usize>(r * rowLen) << 2);
    if (<u32>ih >= <u32>srcH || hi <= lo) { memory.fill(d, 0, <usize>rowLen << 2); continue; }
    memory.fill(d, 0, <usize>(lo * cs) << 2);
    memory.fill(d + (<usize>(hi * cs) << 2), 0, <usize>((Wp - hi) * cs) << 2);
    const s = src + (<usize>(((n * srcH + ih) * srcW + lo + col0) * srcC) << 2);
    if (cs == srcC) {
      memory.copy(d + (<usize>(lo * cs) << 2), s, <usize>((hi - lo) * cs) << 2);
    } else {
      for (let j = lo; j < hi; j++) {
        const dj = d + (<usize>(j * cs) << 2);
        memory.copy(dj, s + (<usize>((j - lo) * srcC) << 2), <usize>srcC << 2);
        memory.fill(dj + (<usize>srcC << 2), 0, <usize>(cs - srcC) << 2);
      }
    }
  }
}

/** Stores a 4 × 8 register tile to rows r0, r0 + rs, … (bytes) of a matrix. */
@inline function store4x8(r0: usize, rs: usize, c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128): void {
  const r1 = r0 + rs, r2 = r1 + rs, r3 = r2 + rs;
  v128.store(r0, c00); v128.store(r0, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

// ---------------------------------------------------------------------------------------------
// Forward, direct path for a short reduction (KH·KW·C ≤ DIRECT_FWD_K, e.g. a first layer on one
// channel): per output row, the KH input rows it reads are copied once, padded; tiles of 4
// pixels × 8 channels read them at a stride of strideW·C, and the filter from panels of 8
// columns. With a reduction this short, packing A panels and the per-call cost of the
// micro-kernel would cost more than the multiplications; up to K = 256 it measured faster too.

function useDirectFwd(g: Geom): bool { return g.KH * g.KW * g.C <= DIRECT_FWD_K; }

function directFwdLayout(g: Geom): usize {
  const K = g.KH * g.KW * g.C, Wp = (up(g.OW, 4) - 1) * g.strideW + g.KW;
  return HEAD_BYTES + bytes64(K * up(g.O, 8)) + bytes64(g.KH * Wp * g.C);
}

/**
 * Output rows oh0 .. oh1 of image n, plus the bias when g has one, written from yb on (row oh0 at
 * yb, the next rows after it).
 */
function directFwdRows(x: usize, g: Geom, wp: usize, n: i32, oh0: i32, oh1: i32, rb: usize, tile: usize, yb: usize): void {
  const bias = g.bias;
  const C = g.C, KWC = g.KW * C, O = g.O, OW = g.OW;
  const Wp = (up(OW, 4) - 1) * g.strideW + g.KW, rowLen = Wp * C;
  const K = g.KH * KWC;
  const step = <usize>(g.strideW * C) << 2;
  for (let oh = oh0; oh < oh1; oh++) {
    padRows(x, g.H, g.W, C, n, oh * g.strideH - g.padTop, g.KH, -g.padLeft, Wp, C, rb);
    const yrow = yb + (<usize>((oh - oh0) * OW * O) << 2);
    for (let ow = 0; ow < OW; ow += 4) {
      for (let o0 = 0; o0 < O; o0 += 8) {
        let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
        let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
        let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
        let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
        let wq = wp + (<usize>(o0 * K) << 2);
        for (let kh = 0; kh < g.KH; kh++) {
          let xq = rb + (<usize>(kh * rowLen) << 2) + <usize>ow * step;
          for (let q = 0; q < KWC; q++) {
            const b0 = v128.load(wq);
            const b1 = v128.load(wq, 16);
            let a = v128.load32_splat(xq);
            c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
            a = v128.load32_splat(xq + step);
            c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
            a = v128.load32_splat(xq + 2 * step);
            c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
            a = v128.load32_splat(xq + 3 * step);
            c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
            xq += 4; wq += 32;
          }
        }
        if (ow + 4 <= OW && o0 + 8 <= O) {
          if (bias) {
            const b0 = v128.load(bias + (<usize>o0 << 2)), b1 = v128.load(bias + (<usize>o0 << 2), 16);
            c00 = f32x4.add(c00, b0); c01 = f32x4.add(c01, b1); c10 = f32x4.add(c10, b0); c11 = f32x4.add(c11, b1);
            c20 = f32x4.add(c20, b0); c21 = f32x4.add(c21, b1); c30 = f32x4.add(c30, b0); c31 = f32x4.add(c31, b1);
          }
          store4x8(yrow + (<usize>(ow * O + o0) << 2), <usize>O << 2, c00, c01, c10, c11, c20, c21, c30, c31);
        } else {
          store4x8(tile, 32, c00, c01, c10, c11, c20, c21, c30, c31);
          for (let i = 0; i < min(4, OW - ow); i++) {
            for (let j = 0; j < min(8, O - o0); j++) {
              const v = ldf(tile, (i << 3) + j);
              stf(yrow, (ow + i) * O + o0 + j, bias ? v + ldf(bias, o0 + j) : v);
            }
          }
        }
      }
    }
  }
}

/** The filter in panels of 8 columns (zero-padded past O): wp[o0·K + k·8 + j] = w[k, o0 + j]. */
function packDirectFilter(w: usize, g: Geom, wp: usize): void {
  const K = g.KH * g.KW * g.C, O = g.O, OP = up(O, 8);
  for (let o0 = 0; o0 < OP; o0 += 8) {
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < 8; j++) stf(wp, o0 * K + (k << 3) + j, o0 + j < O ? ldf(w, k * O + o0 + j) : 0);
    }
  }
}

function directFwd(x: usize, w: usize, g: Geom, ws: usize, y: usize): void {
  const tile = ws;
  const wp = ws + HEAD_BYTES;
  const rb = wp + bytes64(g.KH * g.KW * g.C * up(g.O, 8));
  packDirectFilter(w, g, wp);
  const image = <usize>(g.OH * g.OW * g.O) << 2;
  for (let n = 0; n < g.N; n++) directFwdRows(x, g, wp, n, 0, g.OH, rb, tile, y + <usize>n * image);
}

/**
 * conv2d_fwd_pool_workspace_f32(g): f32 elements of scratch conv2d_fwd_pool_f32 needs, or 0 when
 * the geometry does not take the direct forward (then conv2d_fwd_pool_f32 must not be called).
 */
export function conv2d_fwd_pool_workspace_f32(g_: usize): i32 {
  const g = changetype<Geom>(g_);
  if (!useDirectFwd(g)) return 0;
  // directFwdLayout's padded input rows (the last region) plus strideH more: two output rows.
  const Wp = (up(g.OW, 4) - 1) * g.strideW + g.KW;
  return <i32>((directFwdLayout(g) + bytes64(g.strideH * Wp * g.C)) >> 2);
}

/** v + b when there is a bias (b its values), else v (adding 0 would turn −0 into +0). */
@inline function plusBias(v: v128, b: v128, bias: usize): v128 { return bias ? f32x4.add(v, b) : v; }

/** The bias values o … o + 3 (zeros past O). */
@inline function biasAt(bias: usize, o: i32, O: i32): v128 {
  if (o + 4 <= O) return v128.load(bias + (<usize>o << 2));
  let v = f32x4.splat(0);
  if (o < O) v = f32x4.replace_lane(v, 0, load<f32>(bias + (<usize>o << 2)));
  if (o + 1 < O) v = f32x4.replace_lane(v, 1, load<f32>(bias + (<usize>o << 2), 4));
  if (o + 2 < O) v = f32x4.replace_lane(v, 2, load<f32>(bias + (<usize>o << 2), 8));
  return v;
}

/**
 * conv2d_fwd_pool_f32(x, w, g, ws, py, pa, relu): the forward convolution's 2×2 max-pool (stride
 * 2, 'valid') without writing the convolution: for the direct path only
 * (conv2d_fwd_pool_workspace_f32 not 0). x, w, g as in conv2d_fwd_f32 (the bias included); ws:
 * conv2d_fwd_pool_workspace_f32(g) floats. The register tile is one pool window (2 × 2 output
 * pixels) × 8 channels, each pixel summed over (kh, kw, c) in the direct path's order (the values
 * conv2d_fwd_f32 writes), then pooled in registers: pooled [N, ⌊OH/2⌋, ⌊OW/2⌋, O] at py and, when
 * pa ≠ 0, the winners' indices (i32, same shape) at pa, as maxpool2d_fwd_f32 writes them for
 * conv2d_fwd_f32's y; relu ≠ 0: the ReLU of the pool (see max2x2Store). Outputs must not overlap
 * the inputs.
 */
export function conv2d_fwd_pool_f32(x: usize, w: usize, g_: usize, ws: usize, py: usize, pa: usize, relu: i32): void {
  const g = changetype<Geom>(g_);
  const C = g.C, KWC = g.KW * C, O = g.O, OW = g.OW, PH = g.OH >> 1, PW = OW >> 1, rowC = OW * O;
  const K = g.KH * KWC, bias = g.bias;
  const wp = ws + HEAD_BYTES;
  const rb = wp + bytes64(K * up(O, 8));
  const Wp = (up(OW, 4) - 1) * g.strideW + g.KW, rowLen = Wp * C;
  const step = <usize>(g.strideW * C) << 2, down = <usize>(g.strideH * rowLen) << 2;
  packDirectFilter(w, g, wp);
  for (let n = 0; n < g.N; n++) {
    for (let i = 0; i < PH; i++) {
      // The input rows output rows 2i and 2i + 1 read, padded.
      padRows(x, g.H, g.W, C, n, 2 * i * g.strideH - g.padTop, g.strideH + g.KH, -g.padLeft, Wp, C, rb);
      const out: usize = <usize>((n * PH + i) * PW * O) << 2;
      for (let j = 0; j < PW; j++) {
        for (let o0 = 0; o0 < O; o0 += 8) {
          // Pixels (2i, 2j), (2i, 2j + 1), (2i + 1, 2j), (2i + 1, 2j + 1) × channels o0 … o0 + 7.
          let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
          let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
          let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
          let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
          let wq = wp + (<usize>(o0 * K) << 2);
          for (let kh = 0; kh < g.KH; kh++) {
            let xq = rb + (<usize>(kh * rowLen) << 2) + <usize>(2 * j) * step;
            for (let q = 0; q < KWC; q++) {
              const b0 = v128.load(wq);
              const b1 = v128.load(wq, 16);
              let a = v128.load32_splat(xq);
              c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
              a = v128.load32_splat(xq + step);
              c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
              a = v128.load32_splat(xq + down);
              c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
              a = v128.load32_splat(xq + down + step);
              c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
              xq += 4; wq += 32;
            }
          }
          const b0 = bias ? biasAt(bias, o0, O) : f32x4.splat(0), b1 = bias ? biasAt(bias, o0 + 4, O) : f32x4.splat(0);
          const p00 = (2 * i * OW + 2 * j) * O + o0;
          const at = out + (<usize>(j * O + o0) << 2);
          max2x2Store(plusBias(c00, b0, bias), plusBias(c10, b0, bias), plusBias(c20, b0, bias), plusBias(c30, b0, bias),
            p00, O, rowC, py + at, pa ? pa + at : 0, O - o0, relu);
          if (o0 + 4 < O) {
            max2x2Store(plusBias(c01, b1, bias), plusBias(c11, b1, bias), plusBias(c21, b1, bias), plusBias(c31, b1, bias),
              p00 + 4, O, rowC, py + at + 16, pa ? pa + at + 16 : 0, O - o0 - 4, relu);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Implicit GEMM (forward, backward-input phases).

/**
 * One implicit GEMM, kept at the start of the workspace. Row r of the GEMM is the pixel
 * (n, rh, rw) of an N × RH × RW grid; its A row at tap (th, tw), channel c is
 *   src[n, rh·sh − ph + th, rw·sw − pw + tw, c]   (zero outside [0, srcH) × [0, srcW))
 * so K = TH·TW·srcC. Its output row goes to out[n, rh·mh + nh, rw·mw + nw, 0..OC) of an
 * [N, outH, outW, OC] tensor. `direct`: rows map to consecutive output pixels (full tiles are
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

/**
 * Sizes an implicit-GEMM workspace (bytes) and, when ws is not 0, records where its pieces lie
 * in the Plan at ws.
 */
function igemmLayout(ws: usize, srcC: i32, kMax: i32, ocp: i32): usize {
  let at: usize = HEAD_BYTES;
  const ri = at; at += bytes64(MC * 4);
  const zero = at; at += bytes64(up(srcC, 4));
  const pb = at; at += bytes64(kMax * ocp);
  const pa = at; at += bytes64(MC * KC);
  const ct = at; at += bytes64(MC * ocp);
  if (ws) {
    const p = changetype<Plan>(ws);
    p.ri = ws + ri; p.zero = ws + zero; p.pb = ws + pb; p.pa = ws + pa; p.ct = ws + ct;
  }
  return at;
}

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
      sti(ri, o, 0); sti(ri, o + 1, -0x20000000); sti(ri, o + 2, -0x20000000); sti(ri, o + 3, 0);
    }
  }
}

/** Pointer to src[image b, h, w, c], or to the zero row when (h, w) is outside the image. */
@inline function at(p: Plan, src: usize, b: i32, h: i32, w: i32, c: i32): usize {
  const inside = <u32>h < <u32>p.srcH && <u32>w < <u32>p.srcW;
  return select<usize>(src + (<usize>(b + (h * p.srcW + w) * p.srcC + c) << 2), p.zero, inside);
}

/** Writes len channels of 4 rows (q0..q3) k-major: dst[j·4 + i] = q_i[j]. */
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

/**
 * Packs the A panel of block rows i0..i0+3 over kc values of k starting at tap (th, tw), channel
 * c (k-major, 4 per k) into dst.
 */
function packA(p: Plan, src: usize, i0: i32, kc: i32, th: i32, tw: i32, c: i32, dst: usize): void {
  const ri = p.ri + (<usize>i0 << 4);
  const b0 = ldi(ri, 0), h0 = ldi(ri, 1), w0 = ldi(ri, 2);
  const b1 = ldi(ri, 4), h1 = ldi(ri, 5), w1 = ldi(ri, 6);
  const b2 = ldi(ri, 8), h2 = ldi(ri, 9), w2 = ldi(ri, 10);
  const b3 = ldi(ri, 12), h3 = ldi(ri, 13), w3 = ldi(ri, 14);
  const C = p.srcC, TW = p.TW, SH = p.srcH, SW = p.srcW;
  // One channel, stride 1 along w and the 4 rows side by side in one image row: a tap of the
  // 4 rows is 4 consecutive values of src.
  const row4 = C == 1 && p.sw == 1 && b1 == b0 && b2 == b0 && b3 == b0 && h1 == h0 && h2 == h0 && h3 == h0 &&
    w1 == w0 + 1 && w2 == w0 + 2 && w3 == w0 + 3;
  let k = 0;
  while (k < kc) {
    const len = min(C - c, kc - k);
    const d = dst + (<usize>k << 4);
    if (row4 && <u32>(h0 + th) < <u32>SH && w0 + tw >= 0 && w0 + tw + 3 < SW) {
      v128.store(d, v128.load(src + (<usize>(b0 + (h0 + th) * SW + w0 + tw) << 2)));
    } else {
      transpose4(at(p, src, b0, h0 + th, w0 + tw, c), at(p, src, b1, h1 + th, w1 + tw, c),
        at(p, src, b2, h2 + th, w2 + tw, c), at(p, src, b3, h3 + th, w3 + tw, c), len, d);
    }
    k += len; c = 0;
    if (++tw == TW) { tw = 0; th++; }
  }
}

/** One block of `rows` (≤ MC) GEMM rows starting at row mb: packs, multiplies, writes out. */
function igemmBlock(p: Plan, src: usize, mb: i32, rows: i32, out: usize): void {
  rowInfo(p, mb, mb + rows);
  const K = p.K, OC = p.OC, OCP = p.OCP, NP = OCP >> 3, OC8 = OC & ~7;
  const panels = (rows + 3) >> 2;
  const direct = p.direct != 0;
  const pa = p.pa, pb = p.pb, ct = p.ct;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const pstride = <usize>kc << 4;
    const t0 = k0 / p.srcC, c0 = k0 - t0 * p.srcC, th0 = t0 / p.TW, tw0 = t0 - th0 * p.TW;
    for (let ip = 0; ip < panels; ip++) packA(p, src, ip << 2, kc, th0, tw0, c0, pa + <usize>ip * pstride);
    for (let jp = 0; jp < NP; jp++) {
      const pbj = pb + ((<usize>jp * K + k0) << 5);
      const fullCol = (jp << 3) + 8 <= OC;
      for (let ip = 0; ip < panels; ip++) {
        if (direct && fullCol && (ip << 2) + 4 <= rows) {
          gemm_kernel_4x8(kc, pa + <usize>ip * pstride, pbj, out + (<usize>((mb + (ip << 2)) * OC + (jp << 3)) << 2), OC, <i32>(k0 > 0));
        } else {
          gemm_kernel_4x8(kc, pa + <usize>ip * pstride, pbj, ct + (<usize>((ip << 2) * OCP + (jp << 3)) << 2), OCP, <i32>(k0 > 0));
        }
      }
    }
  }
  // Copy out what went through the C tile.
  for (let i = 0; i < rows; i++) {
    const from = direct && (i & ~3) + 4 <= rows ? OC8 : 0;
    const dst = out + (<usize>ldi(p.ri, (i << 2) + 3) << 2);
    const s = ct + (<usize>(i * OCP) << 2);
    for (let j = from; j < OC; j++) stf(dst, j, ldf(s, j));
  }
}

/** GEMM rows r0 .. r1 of plan p (the unit a thread would take). */
function igemmRows(p: Plan, src: usize, r0: i32, r1: i32, out: usize): void {
  for (let mb = r0; mb < r1; mb += MC) igemmBlock(p, src, mb, min(MC, r1 - mb), out);
}

/** Zeros the zero row (srcC channels, the value of every padding tap). */
function zeroRow(p: Plan): void {
  memory.fill(p.zero, 0, <usize>up(p.srcC, 4) << 2);
}

// ---------------------------------------------------------------------------------------------
// Backward-input, dot path for few input channels (C ≤ DOT_MAX_C, e.g. a first layer): the GEMM
// would have 1 useful column of 8. Per phase row, the dy rows it reads are copied once, padded
// (channels padded to a multiple of 4); 4 pixels at a time, each dx value is a dot product over
// (taps, o) with lanes along o, the 4 pixels' partial sums reduced together at the end.

function dotLayout(g: Geom): usize {
  const OP4 = up(g.O, 4);
  return HEAD_BYTES + bytes64(g.C * g.KH * g.KW * OP4) + bytes64(g.KH) + bytes64(g.KH * (8 + g.KW - 1) * OP4);
}

/**
 * Phase rows (n, i) for i in i0 .. i1 of plan p; wd: the flipped filter [C][TH·TW·OP4]; ws: the
 * TH row pointers, then a padded block of TH rows × (8 + TW − 1) pixels × OP4 for groups of 8
 * pixels that touch the padding (others read src in place; rows outside the image are skipped).
 */
function dotRows(p: Plan, src: usize, wd: usize, n: i32, i0: i32, i1: i32, ws: usize, out: usize): void {
  const OP4 = up(p.srcC, 4), RW = p.RW, OC = p.OC, TH = p.TH, TW = p.TW;
  const KT = TW * OP4, K4 = TH * KT, span = 8 + TW - 1;
  const pix = <usize>OP4 << 2;
  const rows = ws, eb = ws + bytes64(TH);
  const inPlace = OP4 == p.srcC;
  for (let i = i0; i < i1; i++) {
    const orow = n * p.outH * p.outW + (i * p.mh + p.nh) * p.outW;
    for (let j0 = 0; j0 < RW; j0 += 8) {
      const col0 = j0 - p.pw;
      if (inPlace && col0 >= 0 && col0 + span <= p.srcW) {
        for (let a = 0; a < TH; a++) {
          const r = i - p.ph + a;
          store<usize>(rows + (<usize>a << 2), <u32>r < <u32>p.srcH ? src + (<usize>(((n * p.srcH + r) * p.srcW + col0) * OP4) << 2) : 0);
        }
      } else {
        for (let a = 0; a < TH; a++) {
          const r = i - p.ph + a;
          const d = eb + (<usize>(a * span * OP4) << 2);
          if (<u32>r < <u32>p.srcH) padRows(src, p.srcH, p.srcW, p.srcC, n, r, 1, col0, span, OP4, d);
          store<usize>(rows + (<usize>a << 2), <u32>r < <u32>p.srcH ? d : 0);
        }
      }
      for (let c = 0; c < OC; c++) {
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
        for (let a = 0; a < TH; a++) {
          let xq = load<usize>(rows + (<usize>a << 2));
          if (xq == 0) continue;
          let wq = wd + (<usize>(c * K4 + a * KT) << 2);
          for (let q = 0; q < KT; q += 4) {
            const wv = v128.load(wq);
            a0 = madd(v128.load(xq), wv, a0);
            a1 = madd(v128.load(xq + pix), wv, a1);
            a2 = madd(v128.load(xq + 2 * pix), wv, a2);
            a3 = madd(v128.load(xq + 3 * pix), wv, a3);
            a4 = madd(v128.load(xq + 4 * pix), wv, a4);
            a5 = madd(v128.load(xq + 5 * pix), wv, a5);
            a6 = madd(v128.load(xq + 6 * pix), wv, a6);
            a7 = madd(v128.load(xq + 7 * pix), wv, a7);
            xq += 16; wq += 16;
          }
        }
        const d = out + (<usize>((orow + j0 * p.mw + p.nw) * OC + c) << 2), ds = <usize>(p.mw * OC) << 2;
        storeSums(d, ds, RW - j0, a0, a1, a2, a3);
        if (RW - j0 > 4) storeSums(d + 4 * ds, ds, RW - j0 - 4, a4, a5, a6, a7);
      }
    }
  }
}

/** Stores the lane sums of a0..a3 at d, d + ds, … (the first `left` of them, at most 4). */
@inline function storeSums(d: usize, ds: usize, left: i32, a0: v128, a1: v128, a2: v128, a3: v128): void {
  // s = [Σa0, Σa1, Σa2, Σa3]
  const s01 = f32x4.add(f32x4.shuffle(a0, a1, 0, 1, 4, 5), f32x4.shuffle(a0, a1, 2, 3, 6, 7));
  const s23 = f32x4.add(f32x4.shuffle(a2, a3, 0, 1, 4, 5), f32x4.shuffle(a2, a3, 2, 3, 6, 7));
  const s = f32x4.add(f32x4.shuffle(s01, s23, 0, 2, 4, 6), f32x4.shuffle(s01, s23, 1, 3, 5, 7));
  store<f32>(d, f32x4.extract_lane(s, 0));
  if (left > 1) store<f32>(d + ds, f32x4.extract_lane(s, 1));
  if (left > 2) store<f32>(d + 2 * ds, f32x4.extract_lane(s, 2));
  if (left > 3) store<f32>(d + 3 * ds, f32x4.extract_lane(s, 3));
}

// ---------------------------------------------------------------------------------------------
// Backward to the filter.

/** Whether backward-filter takes the packed path (4 rows of a panel = 4 channels of one tap). */
function usePackedBwdf(g: Geom): bool { return g.C % 4 == 0 && g.C >= 32; }

/** Sizes the packed backward-filter workspace: pixel info, packed dy chunk, A panel, dW tile. */
function bwdfPackedLayout(g: Geom): usize {
  const ocp = up(g.O, 8);
  return HEAD_BYTES + bytes64(KCF * 3) + bytes64(KCF * ocp) + bytes64(KCF * g.C) + bytes64(g.KH * g.KW * g.C * ocp);
}

/**
 * Packed path (C % 4 = 0), 4-row panels u0 .. u1 of dW (panel u = tap u / (C/4), channels
 * 4·(u mod C/4) .. +3; rows 4u0 .. 4u1 of dW): for every pixel chunk, in order, pack the chunk of
 * dy once, then per tap its A panels in the range (4 channels each: one vector per pixel and
 * panel), and accumulate into the dW tile dwt [K × OCP] with the micro-kernel.
 */
function bwdfPanels(x: usize, dy: usize, g: Geom, u0: i32, u1: i32, pix: usize, pb: usize, pa: usize, dwt: usize): void {
  const C = g.C, W = g.W, H = g.H, KW = g.KW, O = g.O, CB = C >> 2;
  const t0 = u0 / CB, t1 = (u1 + CB - 1) / CB;
  const ocp = up(O, 8), NP = ocp >> 3;
  const M = g.N * g.OH * g.OW;
  const per = g.OH * g.OW, img = H * W * C;
  // Pixels per chunk: the C/4 panels of a tap stay within 32 KiB.
  const kcf = max(64, min(KCF, 8192 / C));
  for (let m0 = 0; m0 < M; m0 += kcf) {
    const kc = min(kcf, M - m0);
    const pstride = <usize>kc << 4;
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
    for (let t = t0; t < t1; t++) {
      // The panels cb0 .. cb1 of tap t (4 channels each): pa[(cb·kc + m)·4 + i] = x at pixel m, channel 4cb + i.
      const kh = t / KW, kw = t - kh * KW;
      const cb0 = max(0, u0 - t * CB), cb1 = min(CB, u1 - t * CB);
      for (let m = 0; m < kc; m++) {
        const h = ldi(pix, m * 3 + 1) + kh, w = ldi(pix, m * 3 + 2) + kw;
        const d = pa + (<usize>m << 4);
        if (<u32>h < <u32>H && <u32>w < <u32>W) {
          const s = x + (<usize>(ldi(pix, m * 3) + (h * W + w) * C) << 2);
          for (let cb = cb0; cb < cb1; cb++) v128.store(d + <usize>cb * pstride, v128.load(s + (<usize>cb << 4)));
        } else {
          for (let cb = cb0; cb < cb1; cb++) v128.store(d + <usize>cb * pstride, f32x4.splat(0));
        }
      }
      for (let cb = cb0; cb < cb1; cb++) {
        const k0 = t * C + (cb << 2);
        for (let jp = 0; jp < NP; jp++) {
          gemm_kernel_4x8(kc, pa + <usize>cb * pstride, pb + ((<usize>jp * kc) << 5), dwt + (<usize>((k0 * ocp) + (jp << 3)) << 2), ocp, <i32>(m0 > 0));
        }
      }
    }
  }
}

/** Sizes the direct backward-filter workspace: tap offsets, dW tile, input strip, dy strip, db. */
function bwdfDirectLayout(g: Geom): usize {
  const KP = up(g.KH * g.KW * g.C, 4), OP = up(g.O, 8);
  const R = max(1, min(g.OH, (STRIP_PIXELS + g.OW - 1) / g.OW));
  const Wp = (g.OW - 1) * g.strideW + g.KW, SR = (R - 1) * g.strideH + g.KH;
  return HEAD_BYTES + bytes64(KP) + bytes64(KP * OP) + bytes64(SR * Wp * g.C) + bytes64(R * g.OW * OP) + bytes64(OP);
}

/**
 * Direct path, without A packing: strips of R output rows. The input rows a strip reads are
 * copied once, padded, and its dy rows once (a sequential read; read in place when O % 8 = 0); each 4 (kh, kw, c) × 8 o tile
 * of dW keeps its accumulators in registers over the strip's pixels, reading x through 4 tap
 * offsets. Only the 8-column blocks u0 .. u1 of dW are computed and stored (a thread's part).
 * With g.bias set, db[o] (the same columns) = Σ dy over the pixels in order, from the strip while
 * it is in cache: colsum_f32's order, so the same bits.
 */
/**
 * Row oh of image n of dy, channels ob0 … ob1 − 1, into out (OP floats per pixel) from the gradient
 * of the 2×2 max-pool of y (g.poolGrad, winners g.poolIdx): maxpool2d_bwd_tiled_f32's values, bit
 * for bit (0 + the window's gradient at its winner, +0 elsewhere and outside the pooled rows and
 * columns).
 */
function expandPoolGrad(g: Geom, n: i32, oh: i32, ob0: i32, ob1: i32, OP: i32, out: usize): void {
  const O = g.O, OW = g.OW, PH = g.OH >> 1, PW = OW >> 1, i = oh >> 1;
  const lane = i32x4(0, 1, 2, 3), zero = f32x4.splat(0);
  const o4 = min(ob1, O & ~3);
  for (let ow = 0; ow < OW; ow++) {
    const d = out + (<usize>(ow * OP) << 2);
    const j = ow >> 1;
    if (i >= PH || j >= PW) {
      memory.fill(d + (<usize>ob0 << 2), 0, <usize>(ob1 - ob0) << 2);
      continue;
    }
    const w: usize = <usize>(((n * PH + i) * PW + j) * O) << 2;
    const p0 = (oh * OW + ow) * O; // index of (oh, ow, 0) inside the image
    let o = ob0;
    for (; o < o4; o += 4) {
      const hit = i32x4.eq(v128.load(g.poolIdx + w + (<usize>o << 2)), i32x4.add(i32x4.splat(p0 + o), lane));
      v128.store(d + (<usize>o << 2), f32x4.add(zero, v128.and(v128.load(g.poolGrad + w + (<usize>o << 2)), hit)));
    }
    for (; o < ob1; o++) {
      const v = o < O && load<i32>(g.poolIdx + w + (<usize>o << 2)) == p0 + o ? load<f32>(g.poolGrad + w + (<usize>o << 2)) : <f32>0;
      stf(d, o, <f32>0 + v);
    }
  }
}

function bwdfDirect(x: usize, dy: usize, g: Geom, ws: usize, u0: i32, u1: i32, dw: usize): void {
  const C = g.C, KW = g.KW, K = g.KH * KW * C, KP = up(K, 4), O = g.O, OP = up(O, 8), OW = g.OW, OH = g.OH;
  const sh = g.strideH;
  // Rows in 4-row tiles (K % 4 = 3 is padded to a 4-row tile; 1 or 2 rows go one by one).
  const K4 = (K & 3) == 3 ? KP : K & ~3;
  const R = max(1, min(OH, (STRIP_PIXELS + OW - 1) / OW));
  const Wp = (OW - 1) * g.strideW + KW, rowLen = Wp * C, SR = (R - 1) * sh + g.KH;
  const offs = ws + HEAD_BYTES;
  const dwt = offs + bytes64(KP);
  const strip = dwt + bytes64(KP * OP);
  const dyb = strip + bytes64(SR * rowLen);
  const dbt = dyb + bytes64(R * OW * OP), db = g.bias;
  if (db) memory.fill(dbt, 0, <usize>OP << 2);
  // Byte offset of row k's value from a pixel's window corner in the strip; padding rows (k ≥ K)
  // read row 0's value (their results are dropped).
  for (let k = 0; k < KP; k++) {
    const kk = k < K ? k : 0;
    const kh = kk / (KW * C), q = kk - kh * KW * C;
    store<i32>(offs + (<usize>k << 2), (kh * rowLen + q) << 2);
  }
  memory.fill(dwt, 0, <usize>(KP * OP) << 2);
  const step = <usize>(g.strideW * C) << 2, rowStep = <usize>(sh * rowLen) << 2;
  const dstride = <usize>OP << 2;
  const ob0 = u0 << 3, ob1 = min(OP, u1 << 3);
  for (let n = 0; n < g.N; n++) {
    for (let oh0 = 0; oh0 < OH; oh0 += R) {
      const rr = min(R, OH - oh0);
      padRows(x, g.H, g.W, C, n, oh0 * sh - g.padTop, (rr - 1) * sh + g.KH, -g.padLeft, Wp, C, strip);
      // dy rows in the strip's layout (OP floats per pixel): read in place when O % 8 = 0, or
      // expanded from a max-pool's gradient.
      let dys = dyb;
      if (g.poolGrad) for (let r = 0; r < rr; r++) expandPoolGrad(g, n, oh0 + r, ob0, ob1, OP, dyb + (<usize>(r * OW * OP) << 2));
      else if (OP == O) dys = dy + (<usize>((n * OH + oh0) * OW * O) << 2);
      else padRows(dy, OH, OW, O, n, oh0, rr, 0, OW, OP, dyb);
      for (let kg = 0; kg < K4; kg += 4) {
        const fo = offs + (<usize>kg << 2);
        const f0 = <usize>load<i32>(fo), f1 = <usize>load<i32>(fo, 4), f2 = <usize>load<i32>(fo, 8), f3 = <usize>load<i32>(fo, 12);
        for (let ob = ob0; ob < ob1; ob += 8) {
          const t0 = dwt + (<usize>(kg * OP + ob) << 2), ts = <usize>OP << 2;
          const t1 = t0 + ts, t2 = t1 + ts, t3 = t2 + ts;
          let c00 = v128.load(t0), c01 = v128.load(t0, 16);
          let c10 = v128.load(t1), c11 = v128.load(t1, 16);
          let c20 = v128.load(t2), c21 = v128.load(t2, 16);
          let c30 = v128.load(t3), c31 = v128.load(t3, 16);
          for (let r = 0; r < rr; r++) {
            let xq = strip + <usize>r * rowStep;
            let dq = dys + (<usize>(r * OW * OP + ob) << 2);
            for (let ow = 0; ow < OW; ow++) {
              const b0 = v128.load(dq);
              const b1 = v128.load(dq, 16);
              let a = v128.load32_splat(xq + f0);
              c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
              a = v128.load32_splat(xq + f1);
              c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
              a = v128.load32_splat(xq + f2);
              c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
              a = v128.load32_splat(xq + f3);
              c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
              xq += step; dq += dstride;
            }
          }
          store4x8(t0, ts, c00, c01, c10, c11, c20, c21, c30, c31);
        }
      }
      // The last K % 4 rows (when 1 or 2): one row × 8 channels at a time.
      for (let k = K4; k < K; k++) {
        const f = <usize>load<i32>(offs + (<usize>k << 2));
        for (let ob = ob0; ob < ob1; ob += 8) {
          const t = dwt + (<usize>(k * OP + ob) << 2);
          let c0 = v128.load(t), c1 = v128.load(t, 16);
          for (let r = 0; r < rr; r++) {
            let xq = strip + <usize>r * rowStep + f;
            let dq = dys + (<usize>(r * OW * OP + ob) << 2);
            for (let ow = 0; ow < OW; ow++) {
              const a = v128.load32_splat(xq);
              c0 = madd(a, v128.load(dq), c0);
              c1 = madd(a, v128.load(dq, 16), c1);
              xq += step; dq += dstride;
            }
          }
          v128.store(t, c0); v128.store(t, c1, 16);
        }
      }
      if (db) {
        for (let ob = ob0; ob < ob1; ob += 8) {
          const t = dbt + (<usize>ob << 2);
          let d0 = v128.load(t), d1 = v128.load(t, 16);
          for (let r = 0; r < rr; r++) {
            let dq = dys + (<usize>(r * OW * OP + ob) << 2);
            for (let ow = 0; ow < OW; ow++) {
              d0 = f32x4.add(d0, v128.load(dq)); d1 = f32x4.add(d1, v128.load(dq, 16));
              dq += dstride;
            }
          }
          v128.store(t, d0); v128.store(t, d1, 16);
        }
      }
    }
  }
  const o1 = min(O, ob1);
  if (db) for (let o = ob0; o < o1; o++) stf(db, o, ldf(dbt, o));
  for (let k = 0; k < K; k++) {
    for (let o = ob0; o < o1; o++) stf(dw, k * O + o, ldf(dwt, k * OP + o));
  }
}

// ---------------------------------------------------------------------------------------------
// Exported kernels.

/**
 * conv2d_workspace_f32(g, pass): the number of f32 elements of scratch that conv2d_fwd_f32
 * (pass 0), conv2d_bwd_input_f32 (pass 1) or conv2d_bwd_filter_f32 (pass 2) needs for the
 * geometry block g. Writes nothing.
 */
export function conv2d_workspace_f32(g_: usize, pass: i32): i32 {
  const g = changetype<Geom>(g_);
  let b: usize;
  if (pass == 0) b = useDirectFwd(g) ? directFwdLayout(g) : igemmLayout(0, g.C, g.KH * g.KW * g.C, up(g.O, 8));
  else if (pass == 1) b = g.C <= DOT_MAX_C ? dotLayout(g) : igemmLayout(0, g.O, g.KH * g.KW * g.O, up(g.C, 8));
  else b = usePackedBwdf(g) ? bwdfPackedLayout(g) : bwdfDirectLayout(g);
  return <i32>(b >> 2);
}

/**
 * conv2d_fwd_f32(x, w, g, ws, y): forward convolution.
 *   x:  [N, H, W, C] NHWC, contiguous
 *   w:  [KH, KW, C, O] HWIO, contiguous (read as the matrix [KH·KW·C, O])
 *   g:  geometry block (conv2d_geom_fields() i32): N, H, W, C, KH, KW, O, strideH, strideW,
 *       padTop, padLeft, OH, OW — OH = ⌊(H + padTop + padBottom − KH) / strideH⌋ + 1, OW
 *       likewise; the bottom/right padding is whatever OH/OW imply. All ≥ 1 (N may be too).
 *   ws: scratch of conv2d_workspace_f32(g, 0) f32 elements (64-byte aligned)
 *   y:  [N, OH, OW, O], written (not accumulated)
 * y[n, oh, ow, o] = Σ_{kh, kw, c} x[n, oh·sh − padTop + kh, ow·sw − padLeft + kw, c] · w[kh, kw, c, o]
 * (+ bias[o] when the geometry's bias field is not 0, added last to the finished sum: fused into
 * the direct path's stores, a pass over this call's output after the implicit GEMM)
 * (x is zero outside the image). Tiles of 4 pixels × 8 output channels, the 4 SIMD lanes along o;
 * implicit GEMM, or the direct path when KH·KW·C ≤ DIRECT_FWD_K. Tails (pixels % 4, O % 8) are computed in
 * zero-padded panels/tiles and only the valid part is stored. y must not overlap x, w, g or ws.
 */
export function conv2d_fwd_f32(x: usize, w: usize, g_: usize, ws: usize, y: usize): void {
  const g = changetype<Geom>(g_);
  if (useDirectFwd(g)) { directFwd(x, w, g, ws, y); return; }
  const p = changetype<Plan>(ws);
  p.N = g.N; p.srcH = g.H; p.srcW = g.W; p.srcC = g.C;
  p.TH = g.KH; p.TW = g.KW; p.sh = g.strideH; p.sw = g.strideW; p.ph = g.padTop; p.pw = g.padLeft;
  p.RH = g.OH; p.RW = g.OW;
  p.OC = g.O; p.OCP = up(g.O, 8); p.K = g.KH * g.KW * g.C;
  p.outH = g.OH; p.outW = g.OW; p.mh = 1; p.mw = 1; p.nh = 0; p.nw = 0; p.direct = 1;
  igemmLayout(ws, g.C, p.K, p.OCP);
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
  if (g.bias) bias_add_f32(y, g.N * g.OH * g.OW, g.O, g.bias, y);
}

/**
 * conv2d_bwd_input_f32(dy, w, g, ws, dx): gradient of the forward convolution with respect to
 * its input.
 *   dy: [N, OH, OW, O] (gradient of y), w: [KH, KW, C, O], g: geometry block as in conv2d_fwd_f32
 *   ws: scratch of conv2d_workspace_f32(g, 1) f32 elements
 *   dx: [N, H, W, C], written (not accumulated)
 * dx[n, ih, iw, c] = Σ over (kh, kw, oh, ow) with oh·sh − padTop + kh = ih and ow·sw − padLeft +
 * kw = iw of Σ_o dy[n, oh, ow, o] · w[kh, kw, c, o]. Per phase (ih mod sh, iw mod sw), a stride-1
 * correlation whose rows are the phase's input pixels and whose reduction runs over the phase's
 * taps (flipped) × O: an implicit GEMM with 4 pixels × 8 channels tiles, lanes along c (C % 8
 * tail in zero-padded panels), or for C ≤ 3 dot products with lanes along o (O % 4 tail in
 * zero-padded rows). Pixels no tap reaches (stride > kernel) are zero. dx must not overlap dy,
 * w, g or ws.
 */
export function conv2d_bwd_input_f32(dy: usize, w: usize, g_: usize, ws: usize, dx: usize): void {
  const g = changetype<Geom>(g_);
  const p = changetype<Plan>(ws);
  const s = g.strideH, t = g.strideW, C = g.C, O = g.O, KW = g.KW;
  const dot = C <= DOT_MAX_C;
  const ocp = up(C, 8), OP4 = up(O, 4);
  if (!dot) igemmLayout(ws, O, g.KH * g.KW * O, ocp);
  const wd = ws + HEAD_BYTES, rb = wd + bytes64(C * g.KH * g.KW * OP4);
  if (s > g.KH || t > g.KW) memory.fill(dx, 0, <usize>(g.N * g.H * g.W * C) << 2);
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
      if (dot) {
        // Flipped filter per input channel: wd[c·K4 + (a·nb + b)·OP4 + o] = w[kh, kw, c, o] with
        // kh = kh0 + (na − 1 − a)·s, kw = kw0 + (nb − 1 − b)·t (zero for o ≥ O).
        const K4 = na * nb * OP4;
        for (let c = 0; c < C; c++) {
          for (let a = 0; a < na; a++) {
            for (let b = 0; b < nb; b++) {
              const base = ((kh0 + (na - 1 - a) * s) * KW + kw0 + (nb - 1 - b) * t) * C + c;
              const d = c * K4 + (a * nb + b) * OP4;
              for (let o = 0; o < OP4; o++) stf(wd, d + o, o < O ? ldf(w, base * O + o) : 0);
            }
          }
        }
        for (let n = 0; n < g.N; n++) dotRows(p, dy, wd, n, 0, p.RH, rb, dx);
        continue;
      }
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

/**
 * conv2d_bwd_filter_f32(x, dy, g, ws, dw): gradient of the forward convolution with respect to
 * its filter.
 *   x:  [N, H, W, C], dy: [N, OH, OW, O], g: geometry block as in conv2d_fwd_f32
 *   ws: scratch of conv2d_workspace_f32(g, 2) f32 elements
 *   dw: [KH, KW, C, O], written (not accumulated)
 * dw[kh, kw, c, o] = Σ_{n, oh, ow} x[n, oh·sh − padTop + kh, ow·sw − padLeft + kw, c] · dy[n, oh, ow, o]
 * = im2col(x)ᵀ · dy. Tiles of 4 (kh, kw, c) rows × 8 output channels, lanes along o; rows and
 * channels zero-padded to 4 and 8 in scratch, only the valid part stored. The pixels are summed
 * in a fixed order (chunks of pixels, in order). dw must not overlap x, dy, g or ws.
 */
export function conv2d_bwd_filter_f32(x: usize, dy: usize, g_: usize, ws: usize, dw: usize): void {
  conv2d_bwd_filter_part_f32(x, dy, g_, ws, 0, conv2d_bwd_filter_units_f32(g_), dw);
}

/**
 * conv2d_bwd_filter_sums_bias_f32(g): 1 when conv2d_bwd_filter_f32 / _part_f32 for the geometry
 * block g writes db (the column sums of dy) to g's bias field as it goes (the direct path: C % 4 ≠ 0
 * or C < 32), 0 when the caller must sum them itself.
 */
export function conv2d_bwd_filter_sums_bias_f32(g_: usize): i32 {
  return usePackedBwdf(changetype<Geom>(g_)) ? 0 : 1;
}

/**
 * conv2d_bwd_filter_units_f32(g): the number of units conv2d_bwd_filter_part_f32 splits dW into
 * for the geometry block g: on the packed path (C % 4 = 0, C ≥ 32) the KH·KW·C/4 blocks of 4 rows
 * of dW [KH·KW·C, O] (unit u = rows 4u .. 4u+3, one tap's 4 channels); otherwise the ⌈O/8⌉
 * blocks of 8 columns (unit u = columns 8u .. 8u+7).
 */
export function conv2d_bwd_filter_units_f32(g_: usize): i32 {
  const g = changetype<Geom>(g_);
  return usePackedBwdf(g) ? g.KH * g.KW * (g.C >> 2) : up(g.O, 8) >> 3;
}

/**
 * conv2d_bwd_filter_part_f32(x, dy, g, ws, u0, u1, dw): conv2d_bwd_filter_f32 restricted to the
 * units u0 .. u1 of dW (conv2d_bwd_filter_units_f32): writes only those elements of dw, each
 * summed in exactly the order of the whole call, so parts on different threads (each with its
 * own ws of conv2d_workspace_f32(g, 2) elements) give the whole call's bits. 0 ≤ u0 ≤ u1 ≤ units.
 */
export function conv2d_bwd_filter_part_f32(x: usize, dy: usize, g_: usize, ws: usize, u0: i32, u1: i32, dw: usize): void {
  const g = changetype<Geom>(g_);
  if (u1 <= u0) return;
  if (!usePackedBwdf(g)) { bwdfDirect(x, dy, g, ws, u0, u1, dw); return; }
  const O = g.O, ocp = up(O, 8);
  const pix = ws + HEAD_BYTES;
  const pb = pix + bytes64(KCF * 3);
  const pa = pb + bytes64(KCF * ocp);
  const dwt = pa + bytes64(KCF * g.C);
  bwdfPanels(x, dy, g, u0, u1, pix, pb, pa, dwt);
  for (let k = u0 << 2; k < u1 << 2; k++) {
    for (let o = 0; o < O; o++) stf(dw, k * O + o, ldf(dwt, k * ocp + o));
  }
}

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
