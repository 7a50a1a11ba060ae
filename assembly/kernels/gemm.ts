// gemm kernels. Row-major f32 matrices.
import { ldf, stf } from '../mem';

/**
 * gemm_kernel_4x8(kc, pa, pb, c, ldc, accumulate): the register-blocked micro-kernel shared by
 * gemm and the convolutions.
 *   pa: packed A panel, kc × 4, k-major: pa[k*4 + i] = A[i, k] (i < 4)
 *   pb: packed B panel, kc × 8, k-major: pb[k*8 + j] = B[k, j] (j < 8)
 *   c:  a full 4 × 8 tile of C, row stride ldc (elements)
 * C_tile = (accumulate ? C_tile : 0) + A_panel · B_panel. Lanes run along j (2 f32x4 per row);
 * 8 f32x4 accumulators stay in registers. Callers handle partial tiles (pad panels with zeros and
 * use a scratch tile). c must not overlap pa or pb.
 */
export function gemm_kernel_4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, accumulate: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
    pa += 16;
    pb += 32;
  }
  const rs: usize = <usize>ldc << 2;
  const r0 = c, r1 = c + rs, r2 = c + 2 * rs, r3 = c + 3 * rs;
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
