// gemm kernels. Row-major f32 matrices.
//
// gemm_f32 follows the GotoBLAS/BLIS structure. The columns of C are cut into NC-wide blocks and
// k into KC-deep blocks; for each (NC, KC) block, op(B) is packed into k-major panels of 8
// columns (the packed block, KC × NC floats = 1 MiB, stays in L2). The rows are cut into MC-high
// blocks and op(A) is packed into k-major panels of 4 rows. The macro-kernel keeps one 4-row A
// panel (KC × 4 floats = 4 KiB, in L1) while it walks the 8-column B panels, calling the 4 × 8
// micro-kernel, whose 8 f32x4 accumulators stay in registers. Panels are zero-padded at the
// edges; partial tiles of C go through a 4 × 8 scratch tile.
//
// Measured on the 2-core Sapphire Rapids build machine (48 KiB L1d, 2 MiB L2 per core, ~3.5 GHz),
// Node 20 / V8 11.3: in the SIMD128 build the micro-kernel peaks at ~38.5-39 GFLOP/s, about 93% of
// what 3 FP ports allow without FMA (8 mul + 8 add per k step: 12 flops/cycle); gemm reaches ~38.5
// at 256³ and ~37 at 1024³. In the relaxed-SIMD build (8 fused multiply-adds per k step, see
// ../simd.ts) the micro-kernel runs at ~52 GFLOP/s and gemm at ~49 at 256³, ~45 at 1024³. KC 128/192/256, MC 16…256, NC 256…1024, the other loop order (B panel in L1, A
// streaming), inlining the micro-kernel and loading the C tile first all measured within noise of
// each other; KC 384/512 was slower. Unrolling the micro-kernel's k loop by 2 made V8 hoist all 12
// loads and spill 4 accumulators (35 instead of 39 GFLOP/s); an unrolled loop with an exit in the
// middle did not spill but was no faster.
import { ldf, stf } from '../mem';
import { madd } from '../simd';

/** Micro-tile rows (A panel height) and columns (B panel width). */
const MR = 4;
const NR = 8;
/** Depth of a k block: an A panel is KC × 4 floats = 4 KiB, a B panel KC × 8 = 8 KiB. */
const KC = 256;
/** Rows of an A block: MC × KC floats = 64 KiB of packed A. */
const MC = 64;
/** Columns of a B block: KC × NC floats = 1 MiB of packed B (L2 is 2 MiB). */
const NC = 1024;

/**
 * gemm_kernel_4x8(kc, pa, pb, c, ldc, accumulate): the register-blocked micro-kernel shared by
 * gemm and the convolutions.
 *   pa: packed A panel, kc × 4, k-major: pa[k*4 + i] = A[i, k] (i < 4)
 *   pb: packed B panel, kc × 8, k-major: pb[k*8 + j] = B[k, j] (j < 8)
 *   c:  a full 4 × 8 tile of C, row stride ldc (elements)
 * C_tile = (accumulate ? C_tile : 0) + A_panel · B_panel. Lanes run along j (2 f32x4 per row);
 * 8 f32x4 accumulators stay in registers. Callers handle partial tiles (pad panels with zeros and
 * use a scratch tile). kc = 0 gives C_tile = (accumulate ? C_tile : 0). Within the tile, the k terms
 * are summed in order and C_tile is added last. c must not overlap pa or pb.
 */
export function gemm_kernel_4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, accumulate: i32): void {
  kernel_4x8_strided(kc, pa, 4, 16, pb, c, ldc, accumulate);
}

/**
 * kernel_4x8_strided(kc, a, rs, ks, pb, c, ldc, accumulate): the same register tile with A read in
 * place through two byte strides, A[i, k] at a + i·rs + k·ks (a packed panel: rs = 4, ks = 16;
 * rows of a row-major matrix: rs = 4·lda, ks = 4; its transpose: rs = 4, ks = 4·lda). B, C and the
 * order of additions as in gemm_kernel_4x8. Inlined, so constant strides become immediates.
 */
@inline export function kernel_4x8_strided(kc: i32, a: usize, rs: usize, ks: usize, pb: usize, c: usize, ldc: i32, accumulate: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const rs2 = rs + rs, rs3 = rs2 + rs;
  let k = kc;
  if (k > 0) do {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let v = v128.load32_splat(a);
    c00 = madd(v, b0, c00); c01 = madd(v, b1, c01);
    v = v128.load32_splat(a + rs);
    c10 = madd(v, b0, c10); c11 = madd(v, b1, c11);
    v = v128.load32_splat(a + rs2);
    c20 = madd(v, b0, c20); c21 = madd(v, b1, c21);
    v = v128.load32_splat(a + rs3);
    c30 = madd(v, b0, c30); c31 = madd(v, b1, c31);
    a += ks;
    pb += 32;
  } while (--k > 0);
  const r: usize = <usize>ldc << 2;
  const r0 = c, r1 = c + r, r2 = c + 2 * r, r3 = c + 3 * r;
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(r0)); c01 = f32x4.add(c01, v128.load(r0, 16));
    c10 = f32x4.add(c10, v128.load(r1)); c11 = f32x4.add(c11, v128.load(r1, 16));
    c20 = f32x4.add(c20, v128.load(r2)); c21 = f32x4.add(c21, v128.load(r2, 16));
    c30 = f32x4.add(c30, v128.load(r3)); c31 = f32x4.add(c31, v128.load(r3, 16));
  }
  v128.store(r0, c00); v128.store(r0, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

@inline function min32(a: i32, b: i32): i32 { return a < b ? a : b; }
@inline function roundUp(x: i32, m: i32): i32 { return (x + m - 1) / m * m; }

/** Floats of packed B for a block: kc rows × nc columns rounded up to whole 8-column panels. */
@inline function packedBFloats(n: i32, k: i32): i32 { return min32(KC, k) * roundUp(min32(NC, n), NR); }
/** Floats of packed A for a block: mc rows rounded up to whole 4-row panels × kc. */
@inline function packedAFloats(m: i32, k: i32): i32 { return roundUp(min32(MC, m), MR) * min32(KC, k); }
/** The scratch tile for partial tiles, first in the workspace. */
const TILE_FLOATS = 32;

/**
 * gemm_work_size(m, n, k): the number of f32 ELEMENTS (not bytes) of scratch space gemm_f32 needs
 * for these sizes (a 4 × 8 tile, the packed B block and the packed A block, each starting on a
 * 64-byte boundary when `work` does). Allocate it once and reuse it: it is at most
 * 32 + KC·NC + MC·KC floats (about 1.1 MiB) whatever the sizes.
 */
export function gemm_work_size(m: i32, n: i32, k: i32): i32 {
  if (m <= 0 || n <= 0 || k <= 0) return TILE_FLOATS;
  return TILE_FLOATS + roundUp(packedBFloats(n, k), 16) + packedAFloats(m, k);
}

/**
 * Packs kc × nc of op(B), starting at row p0 and column j0, into ceil(nc / 8) panels of kc × 8,
 * k-major (panel q holds columns j0 + 8q … j0 + 8q + 7; dst[(q·kc + p)·8 + jj]), zero-padded.
 * op(B)[p, j] = transB ? b[j·ldb + p] : b[p·ldb + j].
 */
export function packB(b: usize, ldb: i32, transB: i32, p0: i32, j0: i32, kc: i32, nc: i32, dst: usize): void {
  for (let q = 0; q < nc; q += NR) {
    const w = min32(NR, nc - q);
    const panel = dst + (<usize>(q * kc) << 2);
    if (!transB) {
      // Rows of B are contiguous along j: copy 8 floats per k.
      let src = b + ((<usize>p0 * <usize>ldb + <usize>(j0 + q)) << 2);
      const stride = <usize>ldb << 2;
      if (w == NR) {
        for (let p = 0; p < kc; p++) {
          const o = panel + (<usize>p << 5);
          v128.store(o, v128.load(src));
          v128.store(o, v128.load(src, 16), 16);
          src += stride;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const o = panel + (<usize>p << 5);
          v128.store(o, f32x4.splat(0));
          v128.store(o, f32x4.splat(0), 16);
          for (let jj = 0; jj < w; jj++) stf(o, jj, ldf(src, jj));
          src += stride;
        }
      }
    } else {
      // Column j of op(B) is row j of b, contiguous along p: 4×4 transposes.
      const src = b + ((<usize>(j0 + q) * <usize>ldb + <usize>p0) << 2);
      const stride = <usize>ldb << 2;
      if (w == NR) {
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const s = src + (<usize>p << 2);
          const o = panel + (<usize>p << 5);
          for (let half = 0; half < 2; half++) {
            const r = s + <usize>(half * 4) * stride;
            const x0 = v128.load(r), x1 = v128.load(r + stride), x2 = v128.load(r + 2 * stride), x3 = v128.load(r + 3 * stride);
            const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
            const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
            const oh = o + (<usize>half << 4);
            v128.store(oh, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
            v128.store(oh, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
            v128.store(oh, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64);
            v128.store(oh, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
          }
        }
        for (; p < kc; p++) {
          const o = panel + (<usize>p << 5);
          for (let jj = 0; jj < NR; jj++) stf(o, jj, load<f32>(src + <usize>jj * stride + (<usize>p << 2)));
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const o = panel + (<usize>p << 5);
          v128.store(o, f32x4.splat(0));
          v128.store(o, f32x4.splat(0), 16);
          for (let jj = 0; jj < w; jj++) stf(o, jj, load<f32>(src + <usize>jj * stride + (<usize>p << 2)));
        }
      }
    }
  }
}

/**
 * Packs mc × kc of op(A), starting at row i0 and column p0, into ceil(mc / 4) panels of kc × 4,
 * k-major (panel q holds rows i0 + 4q … i0 + 4q + 3; dst[(q·kc + p)·4 + ii]), zero-padded.
 * op(A)[i, p] = transA ? a[p·lda + i] : a[i·lda + p].
 */
export function packA(a: usize, lda: i32, transA: i32, i0: i32, p0: i32, mc: i32, kc: i32, dst: usize): void {
  const stride = <usize>lda << 2;
  for (let q = 0; q < mc; q += MR) {
    const h = min32(MR, mc - q);
    const panel = dst + (<usize>(q * kc) << 2);
    if (transA) {
      // Row p of a holds op(A)[i0.., p] contiguously: copy 4 floats per k.
      let src = a + ((<usize>p0 * <usize>lda + <usize>(i0 + q)) << 2);
      if (h == MR) {
        for (let p = 0; p < kc; p++) {
          v128.store(panel + (<usize>p << 4), v128.load(src));
          src += stride;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const o = panel + (<usize>p << 4);
          v128.store(o, f32x4.splat(0));
          for (let ii = 0; ii < h; ii++) stf(o, ii, ldf(src, ii));
          src += stride;
        }
      }
    } else {
      // Rows of A are contiguous along p: 4×4 transposes.
      const src = a + ((<usize>(i0 + q) * <usize>lda + <usize>p0) << 2);
      if (h == MR) {
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const s = src + (<usize>p << 2);
          const o = panel + (<usize>p << 4);
          const x0 = v128.load(s), x1 = v128.load(s + stride), x2 = v128.load(s + 2 * stride), x3 = v128.load(s + 3 * stride);
          const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
          const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
          v128.store(o, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
          v128.store(o, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
          v128.store(o, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
          v128.store(o, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
        }
        for (; p < kc; p++) {
          const o = panel + (<usize>p << 4);
          for (let ii = 0; ii < MR; ii++) stf(o, ii, load<f32>(src + <usize>ii * stride + (<usize>p << 2)));
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const o = panel + (<usize>p << 4);
          v128.store(o, f32x4.splat(0));
          for (let ii = 0; ii < h; ii++) stf(o, ii, load<f32>(src + <usize>ii * stride + (<usize>p << 2)));
        }
      }
    }
  }
}

/**
 * The macro-kernel: C[mc × nc] (+)= packed A block · packed B block, tile by tile. Full 4 × 8 tiles
 * go straight to C; partial ones through `tile` (C += tile or C = tile, the same additions the
 * kernel would do, so edge elements round exactly like interior ones).
 */
function macroKernel(mc: i32, nc: i32, kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, accumulate: i32, tile: usize): void {
  const rowBytes = <usize>ldc << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min32(MR, mc - ir);
    const pap = pa + (<usize>(ir * kc) << 2);
    for (let jr = 0; jr < nc; jr += NR) {
      const nr = min32(NR, nc - jr);
      const pbp = pb + (<usize>(jr * kc) << 2);
      const cp = c + <usize>ir * rowBytes + (<usize>jr << 2);
      if (mr == MR && nr == NR) {
        gemm_kernel_4x8(kc, pap, pbp, cp, ldc, accumulate);
      } else {
        gemm_kernel_4x8(kc, pap, pbp, tile, NR, 0);
        for (let i = 0; i < mr; i++) {
          const row = cp + <usize>i * rowBytes;
          if (accumulate) for (let j = 0; j < nr; j++) stf(row, j, ldf(row, j) + ldf(tile, i * NR + j));
          else for (let j = 0; j < nr; j++) stf(row, j, ldf(tile, i * NR + j));
        }
      }
    }
  }
}

/**
 * gemm_f32(a, lda, b, ldb, m, n, k, transA, transB, accumulate, work, c, ldc):
 * C[m × n] = op(A) · op(B) (+ C when accumulate is 1), row-major with leading dimensions (row
 * strides, in elements) lda, ldb, ldc, so sub-matrices can be addressed.
 *   op(A) is m × k: transA = 0: A[i, p] = a[i·lda + p] (a is m × k, lda >= k);
 *                   transA = 1: A[i, p] = a[p·lda + i] (a is k × m, lda >= m).
 *   op(B) is k × n: transB = 0: B[p, j] = b[p·ldb + j] (b is k × n, ldb >= n);
 *                   transB = 1: B[p, j] = b[j·ldb + p] (b is n × k, ldb >= k).
 *   c: m × n, C[i, j] at c[i·ldc + j], ldc >= n.
 *   work: scratch of gemm_work_size(m, n, k) f32 elements (64-byte aligned for best speed).
 * Packed, cache-blocked (KC × NC blocks of B, MC × KC blocks of A) around gemm_kernel_4x8; lanes
 * run along n inside the micro-kernel. Edges (m % 4, n % 8, any k) are zero-padded in the packed
 * panels and written through a scratch tile. m = 0 or n = 0: nothing is touched; k = 0: C is left
 * alone when accumulating and set to zeros otherwise. Every element of C is a sum over k in
 * increasing order, in KC blocks, whatever m and n are (splitting C into sub-blocks, e.g. per
 * thread, gives bit-identical results). c must not overlap a, b or work.
 */
export function gemm_f32(a: usize, lda: i32, b: usize, ldb: i32, m: i32, n: i32, k: i32, transA: i32, transB: i32,
  accumulate: i32, work: usize, c: usize, ldc: i32): void {
  if (m <= 0 || n <= 0) return;
  const rowBytes = <usize>ldc << 2;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * rowBytes, 0, <usize>n << 2);
    return;
  }
  const tile = work;
  const pb = work + (<usize>TILE_FLOATS << 2);
  const pa = pb + (<usize>roundUp(packedBFloats(n, k), 16) << 2);
  // Even k blocks: k = 300 runs as 150 + 150 rather than 256 + 44.
  const kBlocks = (k + KC - 1) / KC;
  const kcStep = (k + kBlocks - 1) / kBlocks;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min32(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcStep) {
      const kc = min32(kcStep, k - pc);
      const acc = pc > 0 || accumulate != 0 ? 1 : 0;
      packB(b, ldb, transB, pc, jc, kc, nc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min32(MC, m - ic);
        packA(a, lda, transA, ic, pc, mc, kc, pa);
        macroKernel(mc, nc, kc, pa, pb, c + <usize>ic * rowBytes + (<usize>jc << 2), ldc, acc, tile);
      }
    }
  }
}

/**
 * gemm_naive_f32(a, b, m, n, k, c): C[m×n] = A[m×k] · B[k×n], plain loops; a scalar reference
 * kept for tests and benchmarks. c must not overlap a or b.
 */
export function gemm_naive_f32(a: usize, b: usize, m: i32, n: i32, k: i32, c: usize): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s: f32 = 0;
      for (let p = 0; p < k; p++) s += ldf(a, i * k + p) * ldf(b, p * n + j);
      stf(c, i * n + j, s);
    }
  }
}
