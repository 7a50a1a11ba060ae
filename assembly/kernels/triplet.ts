// Pairwise distances and triplet mining. Distances are computed from the differences x_i − x_j
// directly (never from ‖x_i‖² + ‖x_j‖² − 2 x_i·x_j, which cancels badly for close points), so
// near-duplicate rows get their true, tiny distance. The miners read an [n × n] distance matrix
// and an int32 label per row; they never list triplets in memory: each accumulates the loss, the
// counts and the coefficients of dL/dDist straight into an [n × n] buffer.
//
// Every kernel works on a range of rows (i0..i1 or a0..a1) and touches only the outputs that
// range owns, so a later issue can split the work over threads by row ranges; the result of a
// row never depends on where a split falls. Pass 0..n for the whole matrix.
import { ldf, stf, ldi, ldv, stv, hsum } from '../mem';

/** Σ_k (a[k] − b[k])² over d floats; lanes along k, two accumulators, scalar tail for d % 4. */
@inline function sqdist(a: usize, b: usize, d: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let k = 0;
  for (; k + 8 <= d; k += 8) {
    const u = f32x4.sub(ldv(a, k), ldv(b, k));
    const v = f32x4.sub(ldv(a, k + 4), ldv(b, k + 4));
    s0 = f32x4.add(s0, f32x4.mul(u, u));
    s1 = f32x4.add(s1, f32x4.mul(v, v));
  }
  if (k + 4 <= d) {
    const u = f32x4.sub(ldv(a, k), ldv(b, k));
    s0 = f32x4.add(s0, f32x4.mul(u, u));
    k += 4;
  }
  let s = hsum(f32x4.add(s0, s1));
  for (; k < d; k++) {
    const u = ldf(a, k) - ldf(b, k);
    s += u * u;
  }
  return s;
}

/**
 * pairwise_dist_f32(x, n, d, squared, i0, i1, y): distances between the rows of x.
 * x: [n × d] row-major (row stride d). y: [n × n] row-major, output.
 *   y[i, j] = Σ_k (x[i, k] − x[j, k])²          when squared != 0
 *   y[i, j] = sqrt(Σ_k (x[i, k] − x[j, k])²)    otherwise (the sum is ≥ 0: no clamp needed)
 * y[i, i] = 0 exactly. Row i of the range [i0, i1) computes the pairs (i, j > i) once and writes
 * both y[i, j] and y[j, i], so y is exactly symmetric; ranges covering [0, n) fill all of y.
 * Lanes run along d (two f32x4 accumulators, then one, then a scalar tail for d % 4; the order of
 * additions depends on d alone). y must not overlap x.
 */
export function pairwise_dist_f32(x: usize, n: i32, d: i32, squared: i32, i0: i32, i1: i32, y: usize): void {
  for (let i = i0; i < i1; i++) {
    const xi = x + (<usize>(i * d) << 2);
    stf(y, i * n + i, 0);
    for (let j = i + 1; j < n; j++) {
      const s = sqdist(xi, x + (<usize>(j * d) << 2), d);
      const v = squared ? s : sqrt<f32>(s);
      stf(y, i * n + j, v);
      stf(y, j * n + i, v);
    }
  }
}

/**
 * pairwise_dist_bwd_f32(x, n, d, dist, g, squared, i0, i1, dx): gradient of pairwise_dist_f32.
 * x: [n × d] the forward input. dist: [n × n] the forward output (read when squared == 0).
 * g: [n × n] dL/dy. dx: [n × d] output, rows i0..i1 overwritten:
 *   dx[i] = Σ_{j≠i} c_ij · ∂y_ij/∂x_i,  c_ij = g[i, j] + g[j, i]
 *   squared:   ∂y_ij/∂x_i = 2 (x_i − x_j)
 *   euclidean: ∂y_ij/∂x_i = (x_i − x_j) / y_ij, and 0 where y_ij == 0 (no NaN at coincident rows).
 * j runs in increasing order (deterministic). Lanes run along d, scalar tail for d % 4; the unit
 * vector (x_i − x_j) / y_ij is formed lane by lane before scaling by c_ij (exactly ±1 when d = 1).
 * dx must not overlap x, dist or g.
 */
export function pairwise_dist_bwd_f32(x: usize, n: i32, d: i32, dist: usize, g: usize, squared: i32,
  i0: i32, i1: i32, dx: usize): void {
  for (let i = i0; i < i1; i++) {
    const xi = x + (<usize>(i * d) << 2);
    const di = dx + (<usize>(i * d) << 2);
    const zero = f32x4.splat(0);
    let k = 0;
    for (; k + 4 <= d; k += 4) stv(di, k, zero);
    for (; k < d; k++) stf(di, k, 0);
    for (let j = 0; j < n; j++) {
      if (j == i) continue;
      let c = ldf(g, i * n + j) + ldf(g, j * n + i);
      if (c == 0) continue;
      const xj = x + (<usize>(j * d) << 2);
      if (squared) {
        c = c + c;
        const vc = f32x4.splat(c);
        k = 0;
        for (; k + 4 <= d; k += 4) stv(di, k, f32x4.add(ldv(di, k), f32x4.mul(vc, f32x4.sub(ldv(xi, k), ldv(xj, k)))));
        for (; k < d; k++) stf(di, k, ldf(di, k) + c * (ldf(xi, k) - ldf(xj, k)));
      } else {
        const r = ldf(dist, i * n + j);
        if (!(r > 0)) continue;
        const vc = f32x4.splat(c), vr = f32x4.splat(r);
        k = 0;
        for (; k + 4 <= d; k += 4) {
          const u = f32x4.div(f32x4.sub(ldv(xi, k), ldv(xj, k)), vr);
          stv(di, k, f32x4.add(ldv(di, k), f32x4.mul(vc, u)));
        }
        for (; k < d; k++) stf(di, k, ldf(di, k) + c * ((ldf(xi, k) - ldf(xj, k)) / r));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Miners. Common contract of triplet_{all,hard,semihard}_f32(dist, labels, n, margin, a0, a1,
// stats, coef):
//   dist:   [n × n] row-major distances, finite (checked by TypeScript); only rows a0..a1 are read.
//   labels: [n] int32 class of each row.
//   margin: α ≥ 0. A triplet (a, p, n) has p ≠ a, labels[p] == labels[a], labels[n] != labels[a];
//           its loss is v = (dist[a, p] − dist[a, n]) + α, active when v > 0 (then it adds v).
//   stats:  5 f64 written (not accumulated) for the anchors a0..a1:
//           [Σ loss of active triplets, #triplets chosen, #active, Σ dist[a,p], Σ dist[a,n]]
//           (the two sums over the chosen triplets).
//   coef:   [n × n] output (last), rows a0..a1 overwritten: dL_sum/d dist, i.e. for every active
//           triplet +1 at (a, p) and −1 at (a, n). Integer counts, exact in f32 for n < 2^24.
// Only rows a0..a1 of coef are written, so anchor ranges can go to different threads (each with
// its own stats block, added in range order). Outputs must not overlap the inputs.

/**
 * triplet_all_f32(dist, labels, n, margin, a0, a1, stats, coef): every valid triplet (the
 * lecture's choice). For each anchor a and each positive p, the negatives are scanned with the
 * lanes along the column index: v = (d_ap − d_an) + α per lane, masked by label != labels[a] and
 * v > 0; the lane losses are summed per (a, p) in f32 (then added to the f64 total), the lane
 * counts in i32, and coef[a, n] −= 1 lane-wise. Scalar tail for n % 4 with the same expression.
 * Per anchor the chosen triplets are #pos · #neg, added analytically to the counts and sums.
 */
export function triplet_all_f32(dist: usize, labels: usize, n: i32, margin: f32, a0: i32, a1: i32,
  stats: usize, coef: usize): void {
  let loss: f64 = 0, trip: f64 = 0, act: f64 = 0, sumP: f64 = 0, sumN: f64 = 0;
  const vm = f32x4.splat(margin), zero = f32x4.splat(0), one = f32x4.splat(1);
  for (let a = a0; a < a1; a++) {
    const row = dist + (<usize>(a * n) << 2);
    const crow = coef + (<usize>(a * n) << 2);
    let j = 0;
    for (; j + 4 <= n; j += 4) stv(crow, j, zero);
    for (; j < n; j++) stf(crow, j, 0);
    const la = ldi(labels, a);
    let np = 0, nn = 0;
    let sp: f64 = 0, sn: f64 = 0;
    for (j = 0; j < n; j++) {
      if (j == a) continue;
      if (ldi(labels, j) == la) { np++; sp += <f64>ldf(row, j); } else { nn++; sn += <f64>ldf(row, j); }
    }
    if (np == 0 || nn == 0) continue;
    trip += <f64>np * <f64>nn;
    sumP += sp * <f64>nn;
    sumN += sn * <f64>np;
    const vla = i32x4.splat(la);
    for (let p = 0; p < n; p++) {
      if (p == a || ldi(labels, p) != la) continue;
      const dap = ldf(row, p);
      const vp = f32x4.splat(dap);
      let accL = zero, accC = i32x4.splat(0);
      j = 0;
      for (; j + 4 <= n; j += 4) {
        const neg = v128.not(i32x4.eq(v128.load(labels + (<usize>j << 2)), vla));
        const v = f32x4.add(f32x4.sub(vp, ldv(row, j)), vm);
        const m = v128.and(neg, f32x4.gt(v, zero));
        accL = f32x4.add(accL, v128.and(v, m));
        accC = i32x4.sub(accC, m);
        stv(crow, j, f32x4.sub(ldv(crow, j), v128.and(one, m)));
      }
      let lp = hsum(accL);
      let cnt = i32x4.extract_lane(accC, 0) + i32x4.extract_lane(accC, 1) + i32x4.extract_lane(accC, 2) + i32x4.extract_lane(accC, 3);
      for (; j < n; j++) {
        if (ldi(labels, j) == la) continue;
        const v = (dap - ldf(row, j)) + margin;
        if (v > 0) { lp += v; cnt++; stf(crow, j, ldf(crow, j) - 1); }
      }
      if (cnt > 0) {
        stf(crow, p, ldf(crow, p) + <f32>cnt);
        loss += <f64>lp;
        act += <f64>cnt;
      }
    }
  }
  store<f64>(stats, loss);
  store<f64>(stats, trip, 8);
  store<f64>(stats, act, 16);
  store<f64>(stats, sumP, 24);
  store<f64>(stats, sumN, 32);
}

/** Whether candidate (i, v) beats the current best (b, bv): none yet, or better, or tied at a lower index. */
@inline function beats(i: i32, v: f32, b: i32, bv: f32, wantMax: bool): bool {
  if (i < 0) return false;
  if (b < 0) return true;
  if (wantMax ? v > bv : v < bv) return true;
  return v == bv && i < b;
}

/**
 * triplet_hard_f32(dist, labels, n, margin, a0, a1, stats, coef): batch-hard mining. For each
 * anchor with at least one positive and one negative: its farthest positive and its nearest
 * negative (ties → lowest index), one triplet per anchor. Lanes run along the column index, each
 * lane keeping its own best (value, index), merged at the end (ties → lowest index); scalar tail
 * for n % 4.
 */
export function triplet_hard_f32(dist: usize, labels: usize, n: i32, margin: f32, a0: i32, a1: i32,
  stats: usize, coef: usize): void {
  let loss: f64 = 0, trip: f64 = 0, act: f64 = 0, sumP: f64 = 0, sumN: f64 = 0;
  const none = i32x4.splat(-1), four = i32x4.splat(4), zero = f32x4.splat(0);
  for (let a = a0; a < a1; a++) {
    const row = dist + (<usize>(a * n) << 2);
    const crow = coef + (<usize>(a * n) << 2);
    const la = ldi(labels, a);
    const vla = i32x4.splat(la), va = i32x4.splat(a);
    let pv = zero, pi = none, nv = zero, ni = none;
    let jv = i32x4(0, 1, 2, 3);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      stv(crow, j, zero);
      const dv = ldv(row, j);
      const same = i32x4.eq(v128.load(labels + (<usize>j << 2)), vla);
      const pos = v128.andnot(same, i32x4.eq(jv, va));
      const bp = v128.and(pos, v128.or(f32x4.gt(dv, pv), i32x4.eq(pi, none)));
      pv = v128.bitselect(dv, pv, bp);
      pi = v128.bitselect(jv, pi, bp);
      const bn = v128.andnot(v128.or(f32x4.lt(dv, nv), i32x4.eq(ni, none)), same);
      nv = v128.bitselect(dv, nv, bn);
      ni = v128.bitselect(jv, ni, bn);
      jv = i32x4.add(jv, four);
    }
    let p = -1, q = -1;
    let dp: f32 = 0, dq: f32 = 0;
    let li = i32x4.extract_lane(pi, 0); let lv = f32x4.extract_lane(pv, 0);
    if (beats(li, lv, p, dp, true)) { p = li; dp = lv; }
    li = i32x4.extract_lane(pi, 1); lv = f32x4.extract_lane(pv, 1);
    if (beats(li, lv, p, dp, true)) { p = li; dp = lv; }
    li = i32x4.extract_lane(pi, 2); lv = f32x4.extract_lane(pv, 2);
    if (beats(li, lv, p, dp, true)) { p = li; dp = lv; }
    li = i32x4.extract_lane(pi, 3); lv = f32x4.extract_lane(pv, 3);
    if (beats(li, lv, p, dp, true)) { p = li; dp = lv; }
    li = i32x4.extract_lane(ni, 0); lv = f32x4.extract_lane(nv, 0);
    if (beats(li, lv, q, dq, false)) { q = li; dq = lv; }
    li = i32x4.extract_lane(ni, 1); lv = f32x4.extract_lane(nv, 1);
    if (beats(li, lv, q, dq, false)) { q = li; dq = lv; }
    li = i32x4.extract_lane(ni, 2); lv = f32x4.extract_lane(nv, 2);
    if (beats(li, lv, q, dq, false)) { q = li; dq = lv; }
    li = i32x4.extract_lane(ni, 3); lv = f32x4.extract_lane(nv, 3);
    if (beats(li, lv, q, dq, false)) { q = li; dq = lv; }
    for (; j < n; j++) {
      stf(crow, j, 0);
      const v = ldf(row, j);
      if (ldi(labels, j) == la) {
        if (j != a && (p < 0 || v > dp)) { p = j; dp = v; }
      } else if (q < 0 || v < dq) { q = j; dq = v; }
    }
    if (p < 0 || q < 0) continue;
    trip += 1;
    sumP += <f64>dp;
    sumN += <f64>dq;
    const v = (dp - dq) + margin;
    if (v > 0) {
      loss += <f64>v;
      act += 1;
      stf(crow, p, 1);
      stf(crow, q, -1);
    }
  }
  store<f64>(stats, loss);
  store<f64>(stats, trip, 8);
  store<f64>(stats, act, 16);
  store<f64>(stats, sumP, 24);
  store<f64>(stats, sumN, 32);
}

/**
 * triplet_semihard_f32(dist, labels, n, margin, a0, a1, stats, coef): semi-hard mining (FaceNet).
 * For each positive pair (a, p): the nearest negative q with d_ap < d_aq < d_ap + α (the bound
 * d_ap + α rounded to f32), ties → lowest index; a pair with no negative in that window gives no
 * triplet. Lanes run along the column index, each lane keeping its own nearest (value, index),
 * merged at the end (ties → lowest index); scalar tail for n % 4.
 */
export function triplet_semihard_f32(dist: usize, labels: usize, n: i32, margin: f32, a0: i32, a1: i32,
  stats: usize, coef: usize): void {
  let loss: f64 = 0, trip: f64 = 0, act: f64 = 0, sumP: f64 = 0, sumN: f64 = 0;
  const none = i32x4.splat(-1), four = i32x4.splat(4), zero = f32x4.splat(0);
  for (let a = a0; a < a1; a++) {
    const row = dist + (<usize>(a * n) << 2);
    const crow = coef + (<usize>(a * n) << 2);
    let j = 0;
    for (; j + 4 <= n; j += 4) stv(crow, j, zero);
    for (; j < n; j++) stf(crow, j, 0);
    const la = ldi(labels, a);
    const vla = i32x4.splat(la);
    for (let p = 0; p < n; p++) {
      if (p == a || ldi(labels, p) != la) continue;
      const dap = ldf(row, p);
      const hi: f32 = dap + margin;
      const vlo = f32x4.splat(dap), vhi = f32x4.splat(hi);
      let nv = zero, ni = none;
      let jv = i32x4(0, 1, 2, 3);
      j = 0;
      for (; j + 4 <= n; j += 4) {
        const dv = ldv(row, j);
        const neg = v128.not(i32x4.eq(v128.load(labels + (<usize>j << 2)), vla));
        const inside = v128.and(neg, v128.and(f32x4.gt(dv, vlo), f32x4.lt(dv, vhi)));
        const bn = v128.and(inside, v128.or(f32x4.lt(dv, nv), i32x4.eq(ni, none)));
        nv = v128.bitselect(dv, nv, bn);
        ni = v128.bitselect(jv, ni, bn);
        jv = i32x4.add(jv, four);
      }
      let q = -1;
      let dq: f32 = 0;
      let li = i32x4.extract_lane(ni, 0); let lv = f32x4.extract_lane(nv, 0);
      if (beats(li, lv, q, dq, false)) { q = li; dq = lv; }
      li = i32x4.extract_lane(ni, 1); lv = f32x4.extract_lane(nv, 1);
      if (beats(li, lv, q, dq, false)) { q = li; dq = lv; }
      li = i32x4.extract_lane(ni, 2); lv = f32x4.extract_lane(nv, 2);
      if (beats(li, lv, q, dq, false)) { q = li; dq = lv; }
      li = i32x4.extract_lane(ni, 3); lv = f32x4.extract_lane(nv, 3);
      if (beats(li, lv, q, dq, false)) { q = li; dq = lv; }
      for (; j < n; j++) {
        if (ldi(labels, j) == la) continue;
        const v = ldf(row, j);
        if (v > dap && v < hi && (q < 0 || v < dq)) { q = j; dq = v; }
      }
      if (q < 0) continue;
      trip += 1;
      sumP += <f64>dap;
      sumN += <f64>dq;
      const v = (dap - dq) + margin;
      if (v > 0) {
        loss += <f64>v;
        act += 1;
        stf(crow, p, ldf(crow, p) + 1);
        stf(crow, q, ldf(crow, q) - 1);
      }
    }
  }
  store<f64>(stats, loss);
  store<f64>(stats, trip, 8);
  store<f64>(stats, act, 16);
  store<f64>(stats, sumP, 24);
  store<f64>(stats, sumN, 32);
}
