// Element-wise kernels over flat f32 arrays of n elements. The 4 lanes run along the flat index;
// a scalar loop finishes the last n % 4 elements. Unless a header says otherwise, the output may
// alias an input exactly (same pointer) but must not partially overlap it.
import { ldf, stf, ldv, stv, hsum } from '../mem';

/** fill_f32(n, value, y): y[i] = value for i < n. */
export function fill_f32(n: i32, value: f32, y: usize): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) stv(y, i, v);
  for (; i < n; i++) stf(y, i, value);
}

/** copy_f32(x, n, y): y[i] = x[i]. x and y must not overlap. */
export function copy_f32(x: usize, n: i32, y: usize): void {
  memory.copy(y, x, <usize>n << 2);
}

/** add_f32(x, z, n, y): y[i] = x[i] + z[i]. */
export function add_f32(x: usize, z: usize, n: i32, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) stv(y, i, f32x4.add(ldv(x, i), ldv(z, i)));
  for (; i < n; i++) stf(y, i, ldf(x, i) + ldf(z, i));
}

/** sub_f32(x, z, n, y): y[i] = x[i] - z[i]. */
export function sub_f32(x: usize, z: usize, n: i32, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) stv(y, i, f32x4.sub(ldv(x, i), ldv(z, i)));
  for (; i < n; i++) stf(y, i, ldf(x, i) - ldf(z, i));
}

/** mul_f32(x, z, n, y): y[i] = x[i] * z[i]. */
export function mul_f32(x: usize, z: usize, n: i32, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) stv(y, i, f32x4.mul(ldv(x, i), ldv(z, i)));
  for (; i < n; i++) stf(y, i, ldf(x, i) * ldf(z, i));
}

/** scale_f32(x, n, a, y): y[i] = a * x[i]. */
export function scale_f32(x: usize, n: i32, a: f32, y: usize): void {
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) stv(y, i, f32x4.mul(ldv(x, i), va));
  for (; i < n; i++) stf(y, i, ldf(x, i) * a);
}

/** axpy_f32(x, n, a, y): y[i] += a * x[i] (accumulates into y; x must not overlap y). */
export function axpy_f32(x: usize, n: i32, a: f32, y: usize): void {
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) stv(y, i, f32x4.add(ldv(y, i), f32x4.mul(ldv(x, i), va)));
  for (; i < n; i++) stf(y, i, ldf(y, i) + a * ldf(x, i));
}

/**
 * sum_f32(x, n): returns sum of x[0..n). Four f32x4 partial sums are kept in 16 lanes and added
 * at the end, so the order of additions is fixed by n alone (deterministic, thread-independent).
 */
export function sum_f32(x: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = f32x4.add(a0, ldv(x, i));
    a1 = f32x4.add(a1, ldv(x, i + 4));
    a2 = f32x4.add(a2, ldv(x, i + 8));
    a3 = f32x4.add(a3, ldv(x, i + 12));
  }
  for (; i + 4 <= n; i += 4) a0 = f32x4.add(a0, ldv(x, i));
  let s = hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; i < n; i++) s += ldf(x, i);
  return s;
}

/** dot_f32(x, z, n): returns sum of x[i] * z[i], with the same fixed order as sum_f32. */
export function dot_f32(x: usize, z: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 = f32x4.add(a0, f32x4.mul(ldv(x, i), ldv(z, i)));
    a1 = f32x4.add(a1, f32x4.mul(ldv(x, i + 4), ldv(z, i + 4)));
  }
  for (; i + 4 <= n; i += 4) a0 = f32x4.add(a0, f32x4.mul(ldv(x, i), ldv(z, i)));
  let s = hsum(f32x4.add(a0, a1));
  for (; i < n; i++) s += ldf(x, i) * ldf(z, i);
  return s;
}

/**
 * count_nonfinite_f32(x, n): returns how many of x[0..n) are NaN or ±Inf (v − v is NaN exactly
 * for those). Lanes run along i, counted in an i32x4 of lane masks; scalar tail. Used to refuse
 * NaN before it is written into a model.
 */
export function count_nonfinite_f32(x: usize, n: i32): i32 {
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = ldv(x, i);
    const d = f32x4.sub(v, v);
    acc = i32x4.sub(acc, f32x4.ne(d, d));
  }
  let c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; i < n; i++) {
    const v = ldf(x, i);
    if (v - v != 0) c++;
  }
  return c;
}

/**
 * bias_add_f32(x, rows, cols, bias, y): y[i, j] = x[i, j] + bias[j] for a row-major [rows × cols]
 * matrix (a dense output, or an NHWC activation seen as [N·H·W × C]). Lanes run along j; scalar
 * tail for cols % 4. y may alias x exactly.
 */
export function bias_add_f32(x: usize, rows: i32, cols: i32, bias: usize, y: usize): void {
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let j = 0;
    for (; j + 4 <= cols; j += 4) stv(y, o + j, f32x4.add(ldv(x, o + j), ldv(bias, j)));
    for (; j < cols; j++) stf(y, o + j, ldf(x, o + j) + ldf(bias, j));
  }
}

/**
 * colsum_f32(x, rows, cols, accumulate, y): y[j] = (accumulate ? y[j] : 0) + sum_i x[i, j] over a
 * row-major [rows × cols] matrix (the gradient of a bias). Rows are added in order i = 0, 1, …
 * (deterministic). Lanes run along j; scalar tail for cols % 4. y must not overlap x.
 */
export function colsum_f32(x: usize, rows: i32, cols: i32, accumulate: i32, y: usize): void {
  if (!accumulate) fill_f32(cols, 0, y);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    let s = ldv(y, j);
    for (let i = 0; i < rows; i++) s = f32x4.add(s, ldv(x, i * cols + j));
    stv(y, j, s);
  }
  for (; j < cols; j++) {
    let s = ldf(y, j);
    for (let i = 0; i < rows; i++) s += ldf(x, i * cols + j);
    stf(y, j, s);
  }
}
