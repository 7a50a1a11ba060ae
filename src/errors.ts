// Error helpers: every message reads `<op or Class.method>: expected <contract>, got <actual>`.

/** Formats a shape as `[2,3,4]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** A RangeError for a bad shape or value: `${where}: expected ${expected}, got ${got}`. */
export function rangeError(where: string, expected: string, got: string, fix?: string): RangeError {
  return new RangeError(`${where}: expected ${expected}, got ${got}${fix ? `; ${fix}` : ''}`);
}

/** A TypeError for a value of the wrong kind. */
export function typeError(where: string, expected: string, got: string): TypeError {
  return new TypeError(`${where}: expected ${expected}, got ${got}`);
}

/** Describes any value briefly for an error message. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}

/** Throws unless `v` is an integer in [min, max]. */
export function checkInt(where: string, name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw rangeError(where, `${name} to be an integer ${range}`, describe(v));
  }
  return v;
}

/** Throws unless `v` is a finite number (optionally within [min, max]). */
export function checkNumber(where: string, name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range = min === -Infinity && max === Infinity ? 'a finite number'
      : max === Infinity ? `a finite number >= ${min}` : `a finite number in [${min}, ${max}]`;
    throw rangeError(where, `${name} to be ${range}`, describe(v));
  }
  return v;
}

/** Throws unless `v` is one of `options`, listing them. */
export function checkOption<T extends string>(where: string, name: string, v: unknown, options: readonly T[]): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
    throw rangeError(where, `${name} to be one of ${options.map((o) => `'${o}'`).join(', ')}`, describe(v));
  }
  return v as T;
}
