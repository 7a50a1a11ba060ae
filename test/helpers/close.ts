// Numeric comparison for tests: reports the first index that differs.
export interface Tol { atol?: number; rtol?: number }

export function close(actual: ArrayLike<number>, expected: ArrayLike<number>, { atol = 1e-5, rtol = 1e-5 }: Tol = {}, what = 'values'): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(a) || Number.isNaN(e)) {
      if (Number.isNaN(a) && Number.isNaN(e)) continue;
      throw new Error(`${what}: index ${i}: got ${a}, expected ${e}`);
    }
    if (Math.abs(a - e) > atol + rtol * Math.abs(e)) {
      throw new Error(`${what}: index ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e).toExponential(3)} > atol ${atol} + rtol ${rtol}·|expected|)`);
    }
  }
}

/** Largest |a - e| / (atol + rtol·|e|) over the arrays (≤ 1 means within tolerance). */
export function worst(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): number {
  let w = 0;
  for (let i = 0; i < actual.length; i++) w = Math.max(w, Math.abs(actual[i] - expected[i]) / (atol + rtol * Math.abs(expected[i])));
  return w;
}
