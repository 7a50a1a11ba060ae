// Axis ticks: "nice" linear steps of 1, 2 or 5 × 10^k, decades on a log axis, and their labels.

const EPS = 1e-9;

/** The smallest step of 1, 2 or 5 × 10^k that is at least `raw` (> 0). */
export function niceStep(raw: number): number {
  const exp = Math.floor(Math.log10(raw));
  const base = 10 ** exp;
  const f = raw / base;
  const m = f <= 1 + EPS ? 1 : f <= 2 + EPS ? 2 : f <= 5 + EPS ? 5 : 10;
  return m * base;
}

/** Decimals needed to print multiples of `step` exactly (0 for steps ≥ 1). */
function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + EPS));
}

/** Rounds k·step to the digits the step has (so 3 × 0.1 is 0.3, not 0.30000000000000004). */
function multiple(k: number, step: number): number {
  const v = Number((k * step).toFixed(Math.min(20, decimalsOf(step))));
  return Object.is(v, -0) ? 0 : v;
}

/**
 * Ticks of a linear axis over [min, max]: multiples of the nice step just above
 * (max − min) / target, inside the range (ends included when they are multiples).
 * `minStep` bounds the step from below (1 for integer axes such as epochs).
 */
export function niceTicks(min: number, max: number, target = 5, minStep = 0): { ticks: number[]; step: number } {
  if (!(max > min)) return { ticks: [min], step: 0 };
  let step = niceStep((max - min) / Math.max(1, target));
  if (step < minStep) step = niceStep(minStep);
  const first = Math.ceil(min / step - EPS), last = Math.floor(max / step + EPS);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(multiple(k, step));
  return { ticks, step };
}

/** [min, max] widened outwards to multiples of the nice step for `target` ticks. */
export function niceLimits(min: number, max: number, target = 5, minStep = 0): [number, number] {
  if (!(max > min)) {
    const pad = minStep > 0 ? Math.max(1, minStep) : min === 0 ? 1 : Math.abs(min) * 0.1;
    return [min - pad, max + pad];
  }
  const { step } = niceTicks(min, max, target, minStep);
  return [multiple(Math.floor(min / step + EPS), step), multiple(Math.ceil(max / step - EPS), step)];
}

/** Decades 10^k inside [min, max] (min > 0); every n-th decade when there are more than `maxTicks`. */
export function logTicks(min: number, max: number, maxTicks = 8): number[] {
  const lo = Math.ceil(Math.log10(min) - EPS), hi = Math.floor(Math.log10(max) + EPS);
  const every = Math.max(1, Math.ceil((hi - lo + 1) / maxTicks));
  const ticks: number[] = [];
  for (let k = lo; k <= hi; k += every) ticks.push(decade(k));
  return ticks;
}

/** 2–9 × 10^k inside [min, max]: unlabelled minor ticks of a log axis. */
export function logMinorTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(min)); k <= Math.ceil(Math.log10(max)); k++) {
    for (let m = 2; m <= 9; m++) {
      const v = Number((m * decade(k)).toPrecision(6));
      if (v >= min * (1 - EPS) && v <= max * (1 + EPS)) out.push(v);
    }
  }
  return out;
}

/** 10^k as the nearest double (10 ** -3 is not 0.001 exactly; 1e-3 is). */
function decade(k: number): number {
  return Number(`1e${k}`);
}

/** [min, max] widened to whole decades. */
export function logLimits(min: number, max: number): [number, number] {
  const lo = Math.floor(Math.log10(min) + EPS);
  let hi = Math.ceil(Math.log10(max) - EPS);
  if (hi <= lo) hi = lo + 1;
  return [decade(lo), decade(hi)];
}

/** Label of a linear tick at the given step: fixed decimals, or exponent notation for extreme magnitudes. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  if (step > 0 && (step < 1e-4 || Math.abs(v) >= 1e6)) {
    const digits = Math.max(0, Math.floor(Math.log10(Math.abs(v)) + EPS) - Math.floor(Math.log10(step) + EPS));
    return v.toExponential(Math.min(20, digits)).replace(/\.?0+e/, 'e').replace('e+', 'e');
  }
  return v.toFixed(step > 0 ? Math.min(20, decimalsOf(step)) : 2);
}

/** Label of a decade tick: 0.01, 0.1, 1, 10, 100, 1000 written out, else 1e-3, 1e4. */
export function formatLogTick(v: number): string {
  const k = Math.round(Math.log10(v));
  if (Math.abs(v / decade(k) - 1) > 1e-6) return String(Number(v.toPrecision(3)));
  if (k >= -2 && k <= 3) return String(decade(k));
  return `1e${k}`;
}
