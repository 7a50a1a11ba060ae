// Image transforms on plain Float32Arrays (HWC): grey, resize, crop, standardise, flip, and the
// fixed preprocessing pipeline a model file records. Every function returns a new image and never
// changes its input (images are treated as immutable throughout src/data).
import { checkInt, checkNumber, checkOption, describe, rangeError, typeError } from '../errors.js';
import { checkImage, type Image } from './image.js';

/** ITU-R BT.601 luma weights. */
const LUMA = [0.299, 0.587, 0.114] as const;

/** A one-channel image: BT.601 luma (0.299 R + 0.587 G + 0.114 B); a grey image is copied. */
export function toGrey(img: Image): Image {
  checkImage('toGrey', img);
  if (img.channels === 1) return { ...img, data: img.data.slice() };
  const n = img.width * img.height;
  const src = img.data;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = LUMA[0] * src[3 * i] + LUMA[1] * src[3 * i + 1] + LUMA[2] * src[3 * i + 2];
  return { width: img.width, height: img.height, channels: 1, data: out };
}

/** A three-channel image: grey values repeated in R, G and B; a colour image is copied. */
export function toRgb(img: Image): Image {
  checkImage('toRgb', img);
  if (img.channels === 3) return { ...img, data: img.data.slice() };
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) { const v = img.data[i]; out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v; }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

export type ResizeMethod = 'bilinear' | 'area' | 'auto';
const RESIZE_METHODS: readonly ResizeMethod[] = ['bilinear', 'area', 'auto'];

/** For each output position along one axis: the source indices and weights that make it. */
interface Taps { start: Int32Array; index: Int32Array; weight: Float32Array }

/**
 * Bilinear taps, pixel-centre aligned like OpenCV's INTER_LINEAR: output d samples the source at
 * (d + 0.5) · src/dst − 0.5, clamped to the first and last pixel.
 */
function bilinearTaps(src: number, dst: number): Taps {
  const scale = src / dst;
  const start = new Int32Array(dst + 1), index = new Int32Array(2 * dst), weight = new Float32Array(2 * dst);
  for (let d = 0; d < dst; d++) {
    let f = (d + 0.5) * scale - 0.5;
    let s = Math.floor(f);
    f -= s;
    if (s < 0) { s = 0; f = 0; }
    if (s >= src - 1) { s = src - 1; f = 0; }
    start[d + 1] = 2 * (d + 1);
    index[2 * d] = s; weight[2 * d] = 1 - f;
    index[2 * d + 1] = Math.min(s + 1, src - 1); weight[2 * d + 1] = f;
  }
  return { start, index, weight };
}

/**
 * Area taps: output d averages the source interval [d · s, (d + 1) · s) with s = src/dst, each
 * source pixel weighted by how much of it the interval covers (OpenCV's INTER_AREA when shrinking).
 */
function areaTaps(src: number, dst: number): Taps {
  const scale = src / dst;
  const start = new Int32Array(dst + 1);
  const index: number[] = [], weight: number[] = [];
  for (let d = 0; d < dst; d++) {
    const a = d * scale, b = Math.min((d + 1) * scale, src);
    let total = 0;
    const first = index.length;
    for (let i = Math.floor(a); i < b && i < src; i++) {
      const cover = Math.min(b, i + 1) - Math.max(a, i);
      if (cover > 1e-9) { index.push(i); weight.push(cover); total += cover; }
    }
    for (let j = first; j < weight.length; j++) weight[j] /= total;
    start[d + 1] = index.length;
  }
  return { start, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

function axisTaps(src: number, dst: number, method: ResizeMethod): Taps {
  const m = method === 'auto' ? (src >= 2 * dst ? 'area' : 'bilinear') : method;
  return m === 'area' ? areaTaps(src, dst) : bilinearTaps(src, dst);
}

export interface ResizeOptions {
  /**
   * 'bilinear' (OpenCV INTER_LINEAR), 'area' (exact area averaging, OpenCV INTER_AREA when
   * shrinking), or 'auto' (default): area along an axis shrunk by a factor of 2 or more, bilinear
   * along the other axes.
   */
  method?: ResizeMethod;
}

/** Resizes to `width`×`height` pixels (separable: rows first, then columns). */
export function resize(img: Image, width: number, height: number, opts: ResizeOptions = {}): Image {
  const where = 'resize';
  checkImage(where, img);
  checkInt(where, 'width', width, 1);
  checkInt(where, 'height', height, 1);
  const method = checkOption(where, 'method', opts.method ?? 'auto', RESIZE_METHODS);
  const { width: sw, height: sh, channels: c, data: src } = img;
  if (sw === width && sh === height) return { ...img, data: src.slice() };
  const tx = axisTaps(sw, width, method), ty = axisTaps(sh, height, method);
  // Horizontal pass: [sh, sw, c] -> [sh, width, c].
  const mid = new Float32Array(sh * width * c);
  for (let y = 0; y < sh; y++) {
    const row = y * sw * c, orow = y * width * c;
    for (let x = 0; x < width; x++) {
      const o = orow + x * c;
      for (let t = tx.start[x]; t < tx.start[x + 1]; t++) {
        const w = tx.weight[t], s = row + tx.index[t] * c;
        for (let k = 0; k < c; k++) mid[o + k] += w * src[s + k];
      }
    }
  }
  // Vertical pass: [sh, width, c] -> [height, width, c], whole rows at a time.
  const rowLen = width * c;
  const out = new Float32Array(height * rowLen);
  for (let y = 0; y < height; y++) {
    const o = y * rowLen;
    for (let t = ty.start[y]; t < ty.start[y + 1]; t++) {
      const w = ty.weight[t], s = ty.index[t] * rowLen;
      for (let j = 0; j < rowLen; j++) out[o + j] += w * mid[s + j];
    }
  }
  return { width, height, channels: c, data: out };
}

/** The `w`×`h` rectangle whose top-left pixel is (x, y); it must lie inside the image. */
export function crop(img: Image, x: number, y: number, w: number, h: number): Image {
  const where = 'crop';
  checkImage(where, img);
  for (const [name, v, min] of [['x', x, 0], ['y', y, 0], ['w', w, 1], ['h', h, 1]] as const) checkInt(where, name, v, min);
  if (x + w > img.width || y + h > img.height) {
    throw rangeError(where, `a rectangle inside the ${img.width}×${img.height} image`, `x=${x} y=${y} w=${w} h=${h}`);
  }
  const c = img.channels, rowLen = w * c;
  const out = new Float32Array(h * rowLen);
  for (let r = 0; r < h; r++) {
    const s = ((y + r) * img.width + x) * c;
    out.set(img.data.subarray(s, s + rowLen), r * rowLen);
  }
  return { width: w, height: h, channels: c, data: out };
}

/** The centred `w`×`h` rectangle (left/top margin = floor of half the difference). */
export function centerCrop(img: Image, w: number, h: number): Image {
  const where = 'centerCrop';
  checkImage(where, img);
  checkInt(where, 'w', w, 1);
  checkInt(where, 'h', h, 1);
  if (w > img.width || h > img.height) throw rangeError(where, `a size of at most ${img.width}×${img.height} (the image)`, `${w}×${h}`);
  return crop(img, Math.floor((img.width - w) / 2), Math.floor((img.height - h) / 2), w, h);
}

/** Standard deviations below this count as a constant image. */
const STD_EPS = 1e-6;

/**
 * Per-image zero mean and unit (population) standard deviation over all pixels and channels. A
 * constant image (std below 1e-6) becomes all zeros rather than NaN. The result is not in [0, 1].
 */
export function standardize(img: Image): Image {
  checkImage('standardize', img);
  const src = img.data, n = src.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += src[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) { const d = src[i] - mean; ss += d * d; }
  const std = Math.sqrt(ss / n);
  const out = new Float32Array(n);
  if (std >= STD_EPS) {
    const inv = 1 / std;
    for (let i = 0; i < n; i++) out[i] = (src[i] - mean) * inv;
  }
  return { width: img.width, height: img.height, channels: img.channels, data: out };
}

/** Mirror image (left and right swapped). */
export function flipHorizontal(img: Image): Image {
  checkImage('flipHorizontal', img);
  const { width: w, height: h, channels: c, data: src } = img;
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    for (let x = 0; x < w; x++) {
      const s = row + x * c, d = row + (w - 1 - x) * c;
      for (let k = 0; k < c; k++) out[d + k] = src[s + k];
    }
  }
  return { width: w, height: h, channels: c, data: out };
}

/** The fixed preprocessing a model records: crop → grey (or RGB) → resize → standardise. */
export interface Preprocess {
  /** Output size [width, height] in pixels. */
  size: [number, number];
  /** true: one BT.601 luma channel; false: three channels (grey photos are repeated into R, G, B). */
  grey: boolean;
  /**
   * Centre crop before resizing: a square whose side is this fraction of the image's shorter side
   * (rounded), e.g. 0.6 for LFW's 250×250 deep-funneled photos (150×150). 1 or absent: no crop.
   */
  crop?: number;
  /** Per-image zero mean, unit standard deviation (see standardize). */
  standardize: boolean;
}

/** Throws unless `p` is a valid Preprocess; returns it. */
export function checkPreprocess(where: string, p: unknown): Preprocess {
  const q = p as Preprocess;
  if (q === null || typeof q !== 'object') throw typeError(where, 'a Preprocess { size: [w, h], grey, crop?, standardize }', describe(p));
  if (!Array.isArray(q.size) || q.size.length !== 2) throw rangeError(where, 'preprocess.size to be [width, height]', describe(q.size));
  checkInt(where, 'preprocess.size[0] (width)', q.size[0], 1);
  checkInt(where, 'preprocess.size[1] (height)', q.size[1], 1);
  if (typeof q.grey !== 'boolean') throw typeError(where, 'preprocess.grey to be a boolean', describe(q.grey));
  if (typeof q.standardize !== 'boolean') throw typeError(where, 'preprocess.standardize to be a boolean', describe(q.standardize));
  if (q.crop !== undefined) {
    checkNumber(where, 'preprocess.crop', q.crop, 0, 1);
    if (q.crop === 0) throw rangeError(where, 'preprocess.crop to be a fraction in (0, 1]', '0');
  }
  return q;
}

/** Runs the Preprocess pipeline: centre crop → grey or RGB → resize ('auto') → standardise. */
export function preprocess(img: Image, p: Preprocess): Image {
  const where = 'preprocess';
  checkImage(where, img);
  checkPreprocess(where, p);
  let out = img;
  if (p.crop !== undefined && p.crop < 1) {
    const side = Math.max(1, Math.round(p.crop * Math.min(img.width, img.height)));
    out = centerCrop(out, side, side);
  }
  if (p.grey ? out.channels !== 1 : out.channels !== 3) out = p.grey ? toGrey(out) : toRgb(out);
  const [w, h] = p.size;
  if (out.width !== w || out.height !== h) out = resize(out, w, h, { method: 'auto' });
  if (p.standardize) out = standardize(out);
  return out === img ? { ...img, data: img.data.slice() } : out;
}
