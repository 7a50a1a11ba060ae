// Optimizer kernels: one fused pass over a parameter per step (PyTorch's update rules), plus the
// element-wise clamp used by gradient clipping. Every kernel works on flat f32 arrays of n
// elements (a parameter of any shape seen as flat); the 4 lanes run along the flat index and a
// scalar loop finishes the last n % 4 elements, computing exactly the same expression per element,
// so the result of element i does not depend on n or on where a thread split would fall.
// The state buffers (buf, m, v) and the parameter p are updated in place; they must not overlap
// each other or g. The TypeScript side checks gradients are finite before calling.
import { ldf, stf, ldv, stv } from '../mem';

/**
 * sgd_step_f32(g, n, lr, weight_decay, p): plain SGD (no momentum), PyTorch semantics:
 *   d = g[i] + weight_decay · p[i];  p[i] ← p[i] − lr · d.
 * g: [n] gradient (read only). p: [n] parameter, updated in place (output, last).
 * Lanes along the flat index; scalar tail for n % 4. p must not overlap g.
 */
export function sgd_step_f32(g: usize, n: i32, lr: f32, weight_decay: f32, p: usize): void {
  const vlr = f32x4.splat(lr), vwd = f32x4.splat(weight_decay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pv = ldv(p, i);
    const d = f32x4.add(ldv(g, i), f32x4.mul(vwd, pv));
    stv(p, i, f32x4.sub(pv, f32x4.mul(vlr, d)));
  }
  for (; i < n; i++) {
    const pv = ldf(p, i);
    const d = ldf(g, i) + weight_decay * pv;
    stf(p, i, pv - lr * d);
  }
}

/**
 * sgd_momentum_step_f32(g, n, lr, momentum, one_minus_dampening, weight_decay, nesterov, first, buf, p):
 * SGD with momentum, PyTorch semantics:
 *   d = g[i] + weight_decay · p[i]
 *   buf[i] ← first ? d : momentum · buf[i] + one_minus_dampening · d
 *   d ← nesterov ? d + momentum · buf[i] : buf[i]
 *   p[i] ← p[i] − lr · d
 * g: [n] gradient (read only). buf: [n] momentum buffer, updated in place (its old value is not
 * read when `first` != 0, the parameter's first step). p: [n] parameter, updated in place (last).
 * one_minus_dampening = 1 − dampening is computed by the caller in float64 (as PyTorch does), so that
 * it is exact to f32 precision even for a dampening close to 1. nesterov, first: 0 or 1.
 * Lanes along the flat index; scalar tail for n % 4. No overlaps.
 */
export function sgd_momentum_step_f32(g: usize, n: i32, lr: f32, momentum: f32, one_minus_dampening: f32, weight_decay: f32,
  nesterov: i32, first: i32, buf: usize, p: usize): void {
  const keep = one_minus_dampening;
  const vlr = f32x4.splat(lr), vmu = f32x4.splat(momentum), vkeep = f32x4.splat(keep), vwd = f32x4.splat(weight_decay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pv = ldv(p, i);
    const d = f32x4.add(ldv(g, i), f32x4.mul(vwd, pv));
    const b = first ? d : f32x4.add(f32x4.mul(ldv(buf, i), vmu), f32x4.mul(vkeep, d));
    stv(buf, i, b);
    const u = nesterov ? f32x4.add(d, f32x4.mul(vmu, b)) : b;
    stv(p, i, f32x4.sub(pv, f32x4.mul(vlr, u)));
  }
  for (; i < n; i++) {
    const pv = ldf(p, i);
    const d = ldf(g, i) + weight_decay * pv;
    const b = first ? d : ldf(buf, i) * momentum + keep * d;
    stf(buf, i, b);
    const u = nesterov ? d + momentum * b : b;
    stf(p, i, pv - lr * u);
  }
}

/**
 * adam_step_f32(g, n, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay, decay, step_size, bc2_sqrt, m, v, p):
 * Adam / AdamW, PyTorch semantics (bias corrections computed by the caller from the step count t):
 *   d = g[i] + weight_decay · p[i]            (Adam's L2 term; weight_decay = 0 for AdamW)
 *   q = decay · p[i]                          (AdamW's decoupled decay 1 − lr·wd; 1 for Adam)
 *   m[i] ← m[i] + one_minus_beta1 · (d − m[i])   (= beta1·m + (1 − beta1)·d, as torch.lerp)
 *   v[i] ← beta2 · v[i] + one_minus_beta2 · d²
 *   p[i] ← q − step_size · m[i] / (sqrt(v[i]) / bc2_sqrt + eps)
 * with step_size = lr / (1 − beta1^t) and bc2_sqrt = sqrt(1 − beta2^t). The caller computes
 * 1 − beta1 and 1 − beta2 in float64 (as PyTorch does): 1 − f32(0.999) in f32 would be off by 1e-5.
 * g: [n] gradient (read only). m, v: [n] first and second moments, updated in place (zeros before
 * the first step). p: [n] parameter, updated in place (last). Lanes along the flat index; scalar
 * tail for n % 4. No overlaps.
 */
export function adam_step_f32(g: usize, n: i32, one_minus_beta1: f32, beta2: f32, one_minus_beta2: f32, eps: f32,
  weight_decay: f32, decay: f32, step_size: f32, bc2_sqrt: f32, m: usize, v: usize, p: usize): void {
  const c1 = one_minus_beta1, c2 = one_minus_beta2;
  const vc1 = f32x4.splat(c1), vb2 = f32x4.splat(beta2), vc2 = f32x4.splat(c2), veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weight_decay), vdecay = f32x4.splat(decay), vstep = f32x4.splat(step_size), vbc2 = f32x4.splat(bc2_sqrt);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pv = ldv(p, i);
    const d = f32x4.add(ldv(g, i), f32x4.mul(vwd, pv));
    const q = f32x4.mul(vdecay, pv);
    const m0 = ldv(m, i);
    const m1 = f32x4.add(m0, f32x4.mul(vc1, f32x4.sub(d, m0)));
    const v1 = f32x4.add(f32x4.mul(ldv(v, i), vb2), f32x4.mul(vc2, f32x4.mul(d, d)));
    stv(m, i, m1);
    stv(v, i, v1);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v1), vbc2), veps);
    stv(p, i, f32x4.sub(q, f32x4.mul(vstep, f32x4.div(m1, denom))));
  }
  for (; i < n; i++) {
    const pv = ldf(p, i);
    const d = ldf(g, i) + weight_decay * pv;
    const q = decay * pv;
    const m0 = ldf(m, i);
    const m1 = m0 + c1 * (d - m0);
    const v1 = ldf(v, i) * beta2 + c2 * (d * d);
    stf(m, i, m1);
    stf(v, i, v1);
    const denom = Mathf.sqrt(v1) / bc2_sqrt + eps;
    stf(p, i, q - step_size * (m1 / denom));
  }
}

/**
 * grad_clamp_f32(x, n, lo, hi, y): y[i] = min(max(x[i], lo), hi) (gradient clipping by value;
 * NaN stays NaN). x: [n]; y: [n] output (last), may alias x exactly. Lanes along the flat index;
 * scalar tail for n % 4.
 */
export function grad_clamp_f32(x: usize, n: i32, lo: f32, hi: f32, y: usize): void {
  const vlo = f32x4.splat(lo), vhi = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) stv(y, i, f32x4.min(f32x4.max(ldv(x, i), vlo), vhi));
  for (; i < n; i++) {
    const a = ldf(x, i);
    stf(y, i, a != a ? a : (a < lo ? lo : (a > hi ? hi : a)));
  }
}
