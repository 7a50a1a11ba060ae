// Verification, the lecture's second task: are two photos of the same person? Same when the
// distance between their embeddings is less than a threshold (strictly, as the lecture: "less
// than D"): either the gallery's D (the largest diameter of a person's cloud, or a percentile of
// the diameters) or a threshold calibrated on labelled pairs (evaluate.ts: calibrateThreshold).
import { kernels } from '../wasm.js';
import { describe, rangeError, typeError } from '../errors.js';
import { Gallery } from './gallery.js';
import { toRows, checkFinite, type Embeddings } from './rows.js';

interface K { l2_distance_f32(a: number, b: number, d: number): number }

export type VerifyRule = 'diameter' | 'threshold';

/** Verify by the gallery's D (optionally a percentile of the diameters, see Gallery.D). */
export interface VerifyByDiameter { rule: 'diameter'; gallery: Gallery; percentile?: number }
/** Verify by a fixed threshold. */
export interface VerifyByThreshold { threshold: number; rule?: 'threshold' }
export type VerifyOptions = VerifyByDiameter | VerifyByThreshold;

export interface Verification {
  same: boolean;
  distance: number;
  threshold: number;
  rule: VerifyRule;
}

const DISTANCE = 'distance';
const VERIFY = 'verify';

function pairDistance(where: string, a: Embeddings, b: Embeddings, dim?: number): number {
  const ra = toRows(where, 'a', a, dim);
  try {
    if (ra.rows !== 1) throw rangeError(where, 'a to be one embedding [dim]', `${ra.rows} rows of ${ra.dim}`);
    const rb = toRows(where, 'b', b, ra.dim);
    try {
      if (rb.rows !== 1) throw rangeError(where, `b to be one embedding [${ra.dim}] like a`, `${rb.rows} rows of ${ra.dim}`);
      checkFinite(where, 'values in a', ra.ptr, 1, ra.dim);
      checkFinite(where, 'values in b', rb.ptr, 1, ra.dim);
      return kernels<K>().l2_distance_f32(ra.ptr, rb.ptr, ra.dim);
    } finally {
      rb.release();
    }
  } finally {
    ra.release();
  }
}

/**
 * Euclidean distance between two embeddings of the same dimension (the value Gallery.search and
 * the diameters give for the same two vectors, bit for bit).
 */
export function distance(a: Embeddings, b: Embeddings): number {
  return pairDistance(DISTANCE, a, b);
}

/** Same person when distance(a, b) < threshold (the gallery's D, or the given threshold). */
export function verify(a: Embeddings, b: Embeddings, opts: VerifyOptions): Verification {
  if (opts === null || typeof opts !== 'object') {
    throw typeError(VERIFY, "options { rule: 'diameter', gallery, percentile? } or { threshold }", describe(opts));
  }
  if ('gallery' in opts || (opts as { rule?: unknown }).rule === 'diameter') {
    const o = opts as VerifyByDiameter;
    if (o.rule !== 'diameter') throw rangeError(VERIFY, "rule: 'diameter' with a gallery", describe(o.rule));
    if (!(o.gallery instanceof Gallery)) throw typeError(VERIFY, 'gallery to be a Gallery', describe(o.gallery));
    const threshold = o.gallery.D(o.percentile === undefined ? {} : { percentile: o.percentile }).D;
    const d = pairDistance(VERIFY, a, b, o.gallery.dim);
    return { same: d < threshold, distance: d, threshold, rule: 'diameter' };
  }
  const o = opts as VerifyByThreshold;
  if (o.rule !== undefined && o.rule !== 'threshold') {
    throw rangeError(VERIFY, "rule to be 'diameter' (with a gallery) or 'threshold' (with a threshold)", describe(o.rule));
  }
  // ±Infinity are valid thresholds (calibration can return them: reject all / accept all); NaN is not.
  const threshold = o.threshold;
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw rangeError(VERIFY, 'threshold to be a number (not NaN)', describe(threshold));
  const d = pairDistance(VERIFY, a, b);
  return { same: d < threshold, distance: d, threshold, rule: 'threshold' };
}
