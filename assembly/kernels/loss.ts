// Loss kernels over flat f32 arrays of n elements. The 4 lanes run along the flat index; a scalar
// loop finishes the last n % 4 elements. A caller may split the work over threads by element
// ranges (offset every pointer by the same count) and add the partial sums in a fixed order.
import { ldf, stf, ldi, ldv, stv, hsum } from '../mem';

/** Elements summed in f32 lanes before the block's sum is added to the f64 total. */
const BLOCK = 1024;

/**
 * mse_fwd_f32(pred, target, n): returns Σ (pred[i] − target[i])² for i < n, as f64. Squares are
 * summed in two f32x4 accumulators over blocks of 1024 elements; each block's sum is added to an f64
 * total (so a loss over millions of pixels keeps its precision), then the n % 4 tail. The order
 * depends on n alone (deterministic). Writes nothing.
 */
export function mse_fwd_f32(pred: usize, target: usize, n: i32): f64 {
  let total: f64 = 0;
  const n4 = n & ~3;
  let i = 0;
  while (i < n4) {
    const end = min<i32>(i + BLOCK, n4);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    for (; i + 8 <= end; i += 8) {
      const e0 = f32x4.sub(ldv(pred, i), ldv(target, i));
      const e1 = f32x4.sub(ldv(pred, i + 4), ldv(target, i + 4));
      a0 = f32x4.add(a0, f32x4.mul(e0, e0));
      a1 = f32x4.add(a1, f32x4.mul(e1, e1));
    }
    for (; i < end; i += 4) {
      const e = f32x4.sub(ldv(pred, i), ldv(target, i));
      a0 = f32x4.add(a0, f32x4.mul(e, e));
    }
    total += <f64>hsum(f32x4.add(a0, a1));
  }
  for (; i < n; i++) {
    const e = ldf(pred, i) - ldf(target, i);
    total += <f64>(e * e);
  }
  return total;
}

/**
 * mse_bwd_f32(pred, target, n, a, d): d[i] = a · (pred[i] − target[i]) for i < n. The op calls it
 * with a = 2·g/n ('mean') or 2·g ('sum') for the gradient of pred, and with −a for that of target.
 * d may alias pred or target exactly but must not partially overlap them.
 */
export function mse_bwd_f32(pred: usize, target: usize, n: i32, a: f32, d: usize): void {
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) stv(d, i, f32x4.mul(va, f32x4.sub(ldv(pred, i), ldv(target, i))));
  for (; i < n; i++) stf(d, i, a * (ldf(pred, i) - ldf(target, i)));
}

/**
 * margin_xent_fwd_f32(cos, labels, n, c, s, m, prob): the large-margin cosine softmax loss
 * (CosFace; NormFace when m = 0) over n rows of c classes.
 * - cos [n, c] row-major f32: the cosine of row i's embedding with class j's weight vector;
 * - labels [n] i32: row i's class, 0 ≤ labels[i] < c (the caller checks);
 * - z_ij = s · (cos_ij − m·[j = labels[i]]); writes prob [n, c] = softmax(z_i) (row max subtracted
 *   before exp, so any s is safe) and returns Σ_i −log prob[i, labels[i]] as f64, computed as
 *   log Σ_j exp(z_ij − max_i) − (z_i,y − max_i) so a tiny probability does not underflow to log 0.
 * Reads cos and labels; writes prob only (prob must not alias cos).
 */
export function margin_xent_fwd_f32(cos: usize, labels: usize, n: i32, c: i32, s: f32, m: f32, prob: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const row = cos + (<usize>i * <usize>c << 2);
    const out = prob + (<usize>i * <usize>c << 2);
    const y = ldi(labels, i);
    let mx: f32 = -Infinity;
    for (let j = 0; j < c; j++) {
      const z = s * (ldf(row, j) - (j == y ? m : <f32>0));
      stf(out, j, z);
      if (z > mx) mx = z;
    }
    let sum: f64 = 0;
    for (let j = 0; j < c; j++) {
      const e = Mathf.exp(ldf(out, j) - mx);
      stf(out, j, e);
      sum += <f64>e;
    }
    const zy = s * (ldf(row, y) - m) - mx;
    total += Math.log(sum) - <f64>zy;
    const inv = <f32>(1.0 / sum);
    for (let j = 0; j < c; j++) stf(out, j, ldf(out, j) * inv);
  }
  return total;
}

/**
 * margin_xent_bwd_f32(prob, labels, n, c, a, dcos): the gradient of a·Σ_i loss_i with respect to
 * cos, where a = s·g/n ('mean') or s·g ('sum'): dcos_ij = a · (prob_ij − [j = labels[i]]).
 * Reads prob [n, c] (from the forward) and labels [n]; writes dcos [n, c] (may alias prob).
 */
export function margin_xent_bwd_f32(prob: usize, labels: usize, n: i32, c: i32, a: f32, dcos: usize): void {
  const total = n * c;
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= total; i += 4) stv(dcos, i, f32x4.mul(va, ldv(prob, i)));
  for (; i < total; i++) stf(dcos, i, a * ldf(prob, i));
  for (let r = 0; r < n; r++) {
    const at = r * c + ldi(labels, r);
    stf(dcos, at, ldf(dcos, at) - a);
  }
}
