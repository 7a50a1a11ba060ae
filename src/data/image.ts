// Images as plain Float32Arrays (HWC, values in [0, 1]), decoded from PNG and JPEG bytes, and
// stacked into NHWC tensors for the engine. The format is found from the first bytes, never from
// the file name. Alpha is composited on black (each colour value is multiplied by alpha), which is
// also what pngjs does with a tRNS transparent colour; grey files stay 1 channel, colour files 3.
import { readFileSync } from 'node:fs';
import pngjs, { type PNGWithMetadata } from 'pngjs';
import jpeg from 'jpeg-js';
import { Tensor } from '../tensor.js';
import { describe, rangeError, typeError } from '../errors.js';

/** An image: `height` rows of `width` pixels of `channels` values each (HWC), values in [0, 1]. */
export interface Image {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Float32Array;
}

/** Largest image decodeImage accepts, in pixels (a 50-megapixel photo). */
export const MAX_IMAGE_PIXELS = 50_000_000;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** 'png', 'jpeg' or null, from the first bytes. */
export function imageFormat(bytes: Uint8Array): 'png' | 'jpeg' | null {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** `"hello"` for printable text, `0x00 0x01 …` for anything else: what a file starts with. */
function preview(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'an empty file';
  const head = bytes.subarray(0, 16);
  const text = head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
  const more = bytes.length > head.length ? '…' : '';
  if (text) return `starts with ${JSON.stringify(String.fromCharCode(...head) + more)}`;
  return `starts with bytes ${Array.from(head.subarray(0, 8), (b) => '0x' + b.toString(16).padStart(2, '0')).join(' ')}${more}`;
}

function fail(file: string, why: string, cause?: unknown): Error {
  return new Error(`decodeImage: cannot decode ${file}: ${why}`, cause === undefined ? undefined : { cause });
}

function checkPixels(file: string, width: number, height: number): void {
  if (!(width >= 1 && height >= 1)) throw fail(file, `expected an image of at least 1×1 pixels, got ${width}×${height}`);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw fail(file, `expected at most ${MAX_IMAGE_PIXELS / 1e6} megapixels, got ${width}×${height}`);
  }
}

function decodePng(bytes: Uint8Array, file: string): Image {
  // IHDR is the first chunk: width and height are big-endian u32 at bytes 16 and 20.
  if (bytes.length >= 24) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkPixels(file, dv.getUint32(16), dv.getUint32(20));
  }
  let png: PNGWithMetadata;
  try {
    // skipRescale keeps 16-bit samples as 0..65535 (and 1/2/4-bit grey as 0..2^d-1) instead of
    // rounding them to 8 bits; palette entries are 8-bit either way.
    png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (e) {
    throw fail(file, `PNG decoder: ${(e as Error).message ?? String(e)}`, e);
  }
  const { width, height } = png;
  checkPixels(file, width, height);
  const max = png.palette ? 255 : 2 ** png.depth - 1;
  const src = png.data as ArrayLike<number>; // RGBA, Buffer (≤ 8 bits) or Uint16Array (16 bits)
  const channels: 1 | 3 = png.color ? 3 : 1;
  const n = width * height;
  const out = new Float32Array(n * channels);
  const inv = 1 / max;
  const alpha = png.alpha;
  if (channels === 1) {
    for (let i = 0; i < n; i++) {
      const v = src[4 * i] * inv;
      out[i] = alpha ? v * (src[4 * i + 3] * inv) : v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const a = alpha ? src[4 * i + 3] * inv : 1;
      out[3 * i] = src[4 * i] * inv * a;
      out[3 * i + 1] = src[4 * i + 1] * inv * a;
      out[3 * i + 2] = src[4 * i + 2] * inv * a;
    }
  }
  return { width, height, channels, data: out };
}

/** Number of components in a JPEG's frame header (SOFn), or 0 when none is found. */
function jpegComponents(bytes: Uint8Array): number {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return 0;
    const m = bytes[i + 1];
    if (m === 0xff) { i++; continue; } // fill byte
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof) return bytes[i + 9];
    if (m === 0xda || m === 0xd9) return 0;
    i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
  }
  return 0;
}

function decodeJpeg(bytes: Uint8Array, file: string): Image {
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      maxMemoryUsageInMB: 1024,
    });
  } catch (e) {
    throw fail(file, `JPEG decoder: ${(e as Error).message ?? String(e)}`, e);
  }
  const { width, height } = img;
  checkPixels(file, width, height);
  const n = width * height;
  const src = img.data; // RGB, 8 bits
  const inv = 1 / 255;
  if (jpegComponents(bytes) === 1) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[3 * i] * inv;
    return { width, height, channels: 1, data: out };
  }
  const out = new Float32Array(3 * n);
  for (let i = 0; i < 3 * n; i++) out[i] = src[i] * inv;
  return { width, height, channels: 3, data: out };
}

/**
 * Decodes a PNG (grey, grey+alpha, RGB, RGBA, palette; 1 to 16 bits) or a baseline/progressive
 * JPEG into an Image with values in [0, 1]. Grey PNGs and one-component JPEGs give 1 channel,
 * everything else 3 (a palette PNG counts as colour even when its palette is grey). Alpha (and a
 * tRNS transparent colour) is composited on black. `file` only names the source in error messages.
 */
export function decodeImage(bytes: Uint8Array, file = 'image bytes'): Image {
  if (!(bytes instanceof Uint8Array)) throw typeError('decodeImage', 'the bytes of a PNG or JPEG file as a Uint8Array', describe(bytes));
  const format = imageFormat(bytes);
  if (format === 'png') return decodePng(bytes, file);
  if (format === 'jpeg') return decodeJpeg(bytes, file);
  throw fail(file, `not a PNG or JPEG file (${preview(bytes)})`);
}

/** Reads a PNG or JPEG file synchronously and decodes it. */
export function loadImage(path: string): Image {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
    throw new Error(`loadImage: cannot read ${path}: ${why}`, { cause: e });
  }
  return decodeImage(bytes, path);
}

/** `92×112×1` */
export function fmtImage(img: Pick<Image, 'width' | 'height' | 'channels'>): string {
  return `${img.width}×${img.height}×${img.channels}`;
}

/** Throws unless `img` is a well-formed Image (positive integer sizes, 1 or 3 channels, matching data). */
export function checkImage(where: string, img: unknown, name = 'image'): Image {
  const m = img as Image;
  if (m === null || typeof m !== 'object' || !(m.data instanceof Float32Array)) {
    throw typeError(where, `${name} to be an Image { width, height, channels, data: Float32Array }`, describe(img));
  }
  if (!Number.isInteger(m.width) || !Number.isInteger(m.height) || m.width < 1 || m.height < 1 || (m.channels !== 1 && m.channels !== 3)) {
    throw rangeError(where, `${name} with integer width, height >= 1 and 1 or 3 channels`, `${m.width}×${m.height}×${m.channels}`);
  }
  if (m.data.length !== m.width * m.height * m.channels) {
    throw rangeError(where, `${name} data of ${m.width}×${m.height}×${m.channels} = ${m.width * m.height * m.channels} values`, `${m.data.length}`);
  }
  return m;
}

/** Stacks images of one size and channel count into an NHWC float32 tensor [N, H, W, C]. */
export function imagesToTensor(images: readonly Image[]): Tensor {
  const where = 'imagesToTensor';
  if (!Array.isArray(images) || images.length === 0) throw rangeError(where, 'a non-empty array of images', describe(images));
  const first = checkImage(where, images[0], 'image 0');
  const per = first.data.length;
  for (let i = 1; i < images.length; i++) {
    const m = checkImage(where, images[i], `image ${i}`);
    if (m.width !== first.width || m.height !== first.height || m.channels !== first.channels) {
      throw rangeError(where, `every image to be ${fmtImage(first)} (w×h×c) like image 0`, `${fmtImage(m)} at index ${i}`,
        'preprocess them to one size and channel count first');
    }
  }
  const t = new Tensor([images.length, first.height, first.width, first.channels]);
  const data = t.data;
  for (let i = 0; i < images.length; i++) data.set(images[i].data, i * per);
  return t;
}
