// Seeded data augmentation: a random mirror, zoom-in crop and shift (one bilinear resampling with
// the borders repeated), then a random brightness and contrast change. The same Rng state gives
// the same image, bit for bit.
import type { Rng } from '../random.js';
import { checkInt, checkNumber, describe, typeError } from '../errors.js';
import { checkImage, type Image } from './image.js';

export interface AugmentOptions {
  /** Mirror left-right with probability 1/2. */
  flip?: boolean;
  /** Largest shift in whole pixels, up/down and left/right independently (0: none). */
  shift?: number;
  /**
   * Largest relative zoom for random crops: a window of 1/z of the image, z uniform in
   * [1, 1 + scale], placed uniformly inside the image and resampled to the full size (0: none).
   */
  scale?: number;
  /** Largest value added to every pixel, uniform in [-brightness, brightness] (0: none). */
  brightness?: number;
  /** Largest relative contrast change: values move away from the image mean by a factor uniform in [1 - contrast, 1 + contrast] (0: none). */
  contrast?: number;
}

/** Bilinear sampling positions along one axis: output i reads src[i0] and src[i1] with weights (1-f, f). */
function sampleAxis(n: number, centre: number, zoom: number, shift: number, mirror: boolean) {
  const i0 = new Int32Array(n), i1 = new Int32Array(n), f = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = mirror ? n - 1 - i : i;
    const s = centre + shift + (o + 0.5 - n / 2) / zoom - 0.5;
    const fl = Math.floor(s);
    i0[i] = Math.min(Math.max(fl, 0), n - 1);
    i1[i] = Math.min(Math.max(fl + 1, 0), n - 1);
    f[i] = s - fl;
  }
  return { i0, i1, f };
}

/**
 * A randomly altered copy of `img` of the same size, drawn from `rng` in a fixed order (flip, zoom
 * and window position, shift, brightness, contrast; only the enabled ones draw). Values are not
 * clamped, so standardised images can be augmented too.
 */
export function augment(img: Image, rng: Rng, opts: AugmentOptions = {}): Image {
  const where = 'augment';
  checkImage(where, img);
  if (rng === null || typeof rng !== 'object' || typeof (rng as Rng).next !== 'function') throw typeError(where, 'an Rng', describe(rng));
  const shift = checkInt(where, 'shift', opts.shift ?? 0, 0);
  const scale = checkNumber(where, 'scale', opts.scale ?? 0, 0);
  const brightness = checkNumber(where, 'brightness', opts.brightness ?? 0, 0);
  const contrast = checkNumber(where, 'contrast', opts.contrast ?? 0, 0, 1);

  const { width: w, height: h, channels: c } = img;
  const mirror = opts.flip === true && rng.next() < 0.5;
  let zoom = 1, cx = w / 2, cy = h / 2;
  if (scale > 0) {
    zoom = 1 + rng.uniform(0, scale);
    cx += rng.uniform(-1, 1) * (w - w / zoom) / 2;
    cy += rng.uniform(-1, 1) * (h - h / zoom) / 2;
  }
  let dx = 0, dy = 0;
  if (shift > 0) { dx = rng.int(2 * shift + 1) - shift; dy = rng.int(2 * shift + 1) - shift; }
  const b = brightness > 0 ? rng.uniform(-brightness, brightness) : 0;
  const k = contrast > 0 ? rng.uniform(1 - contrast, 1 + contrast) : 1;

  const src = img.data;
  const out = new Float32Array(src.length);
  const ax = sampleAxis(w, cx, zoom, dx, mirror), ay = sampleAxis(h, cy, zoom, dy, false);
  for (let y = 0; y < h; y++) {
    const r0 = ay.i0[y] * w * c, r1 = ay.i1[y] * w * c, fy = ay.f[y];
    const o = y * w * c;
    for (let x = 0; x < w; x++) {
      const a0 = ax.i0[x] * c, a1 = ax.i1[x] * c, fx = ax.f[x];
      for (let ch = 0; ch < c; ch++) {
        const top = src[r0 + a0 + ch] + fx * (src[r0 + a1 + ch] - src[r0 + a0 + ch]);
        const bot = src[r1 + a0 + ch] + fx * (src[r1 + a1 + ch] - src[r1 + a0 + ch]);
        out[o + x * c + ch] = top + fy * (bot - top);
      }
    }
  }
  if (b !== 0 || k !== 1) {
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += out[i];
    const mean = sum / out.length;
    for (let i = 0; i < out.length; i++) out[i] = (out[i] - mean) * k + mean + b;
  }
  return { width: w, height: h, channels: c, data: out };
}
