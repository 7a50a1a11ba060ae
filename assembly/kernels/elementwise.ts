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
 * count_nonfinite_part_f32(x, i0, i1, out): writes to out (one i32) how many of x[i0..i1) are NaN
 * or ±Inf, as count_nonfinite_f32; element ranges split over threads, each part with its own out,
 * and the parts' counts added.
 */
export function count_nonfinite_part_f32(x: usize, i0: i32, i1: i32, out: usize): void {
  store<i32>(out, count_nonfinite_f32(x + (<usize>i0 << 2), i1 - i0));
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
  colsum_part_f32(x, rows, cols, 0, cols, accumulate, y);
}

/**
 * colsum_part_f32(x, rows, cols, c0, c1, accumulate, y): colsum_f32 for the columns c0 .. c1 only
 * (y[c0 .. c1) written, the rest untouched), each column summed in the same order, so column
 * ranges split over threads give the bits of one call. Rows go in blocks of COLSUM_BYTES of x
 * (at least 8 rows); inside a block, blocks of 32 columns (8 f32x4 accumulators), then 16 (4), then
 * 4 walk the block's rows once each, reading each row's block contiguously, and the last
 * (c1 − c0) % 4 columns are summed one by one; the running sums wait in y between row blocks
 * (an f32 store and load: the same bits as one walk over all rows). Walking all rows once per
 * 32 columns read each row of a wide matrix several times from memory (4 times at 128 columns).
 * y must not overlap x.
 */
export function colsum_part_f32(x: usize, rows: i32, cols: i32, c0: i32, c1: i32, accumulate: i32, y: usize): void {
  let rb = COLSUM_BYTES / (cols > 0 ? cols << 2 : 4);
  if (rb < 8) rb = 8;
  if (rows <= 0) { colsumRows(x, 0, cols, c0, c1, accumulate, y); return; }
  for (let r0 = 0; r0 < rows; r0 += rb) {
    colsumRows(x + (<usize>r0 * <usize>cols << 2), min(rb, rows - r0), cols, c0, c1, r0 > 0 ? 1 : accumulate, y);
  }
}

/** Bytes of x per row block of colsum_part_f32 (in L1 while its column blocks walk it). */
const COLSUM_BYTES: i32 = 16384;

/** colsum_part_f32 over rows 0 .. rows − 1 of x in one walk per column block (see there). */
function colsumRows(x: usize, rows: i32, cols: i32, c0: i32, c1: i32, accumulate: i32, y: usize): void {
  const row = <usize>cols << 2;
  let j = c0;
  for (; j + 32 <= c1; j += 32) {
    const yj = y + (<usize>j << 2);
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    if (accumulate) {
      s0 = v128.load(yj); s1 = v128.load(yj, 16); s2 = v128.load(yj, 32); s3 = v128.load(yj, 48);
      s4 = v128.load(yj, 64); s5 = v128.load(yj, 80); s6 = v128.load(yj, 96); s7 = v128.load(yj, 112);
    }
    let p = x + (<usize>j << 2);
    for (let i = 0; i < rows; i++) {
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
      s4 = f32x4.add(s4, v128.load(p, 64)); s5 = f32x4.add(s5, v128.load(p, 80));
      s6 = f32x4.add(s6, v128.load(p, 96)); s7 = f32x4.add(s7, v128.load(p, 112));
      p += row;
    }
    v128.store(yj, s0); v128.store(yj, s1, 16); v128.store(yj, s2, 32); v128.store(yj, s3, 48);
    v128.store(yj, s4, 64); v128.store(yj, s5, 80); v128.store(yj, s6, 96); v128.store(yj, s7, 112);
  }
  for (; j + 16 <= c1; j += 16) {
    const yj = y + (<usize>j << 2);
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    if (accumulate) { s0 = v128.load(yj); s1 = v128.load(yj, 16); s2 = v128.load(yj, 32); s3 = v128.load(yj, 48); }
    let p = x + (<usize>j << 2);
    for (let i = 0; i < rows; i++) {
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
      p += row;
    }
    v128.store(yj, s0); v128.store(yj, s1, 16); v128.store(yj, s2, 32); v128.store(yj, s3, 48);
  }
  for (; j + 4 <= c1; j += 4) {
    let s = accumulate ? ldv(y, j) : f32x4.splat(0);
    let p = x + (<usize>j << 2);
    for (let i = 0; i < rows; i++) { s = f32x4.add(s, v128.load(p)); p += row; }
    stv(y, j, s);
  }
  for (; j < c1; j++) {
    let s: f32 = accumulate ? ldf(y, j) : 0;
    let p = x + (<usize>j << 2);
    for (let i = 0; i < rows; i++) { s += load<f32>(p); p += row; }
    stf(y, j, s);
  }
}
