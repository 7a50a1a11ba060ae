import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import { decodeImage, loadImage, imagesToTensor, imageFormat, type Image } from '../../src/data/image.js';
import { tidy } from '../../src/memory.js';
import { close } from '../helpers/close.js';

const dir = mkdtempSync(join(tmpdir(), 'facemetric-image-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// ---- A tiny PNG writer, independent of pngjs: raw samples, filter 0 on every row. ----
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}
/** colorType 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA; `rows` are samples per row. */
function makePng(o: { width: number; height: number; depth: number; colorType: number; rows: number[][]; palette?: number[][]; trns?: number[] }): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, o.width); dv.setUint32(4, o.height);
  ihdr[8] = o.depth; ihdr[9] = o.colorType;
  const raw: number[] = [];
  for (const row of o.rows) {
    raw.push(0);
    if (o.depth === 16) for (const s of row) raw.push(s >> 8, s & 0xff);
    else if (o.depth === 8) raw.push(...row);
    else {
      const per = 8 / o.depth; // samples per byte, most significant first
      for (let i = 0; i < row.length; i += per) {
        let byte = 0;
        for (let j = 0; j < per; j++) byte |= (row[i + j] ?? 0) << (8 - o.depth * (j + 1));
        raw.push(byte);
      }
    }
  }
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (o.palette) parts.push(chunk('PLTE', new Uint8Array(o.palette.flat())));
  if (o.trns) parts.push(chunk('tRNS', new Uint8Array(o.trns)));
  parts.push(chunk('IDAT', deflateSync(new Uint8Array(raw))), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

const e8 = (v: number) => v / 255;

test('PNG grey 8-bit 3×2 (hand-written file): one channel, v/255', () => {
  const img = decodeImage(makePng({ width: 3, height: 2, depth: 8, colorType: 0, rows: [[0, 128, 255], [1, 2, 254]] }));
  assert.equal([img.width, img.height, img.channels], [3, 2, 1]);
  close(img.data, [0, 128, 255, 1, 2, 254].map(e8), { atol: 1e-7 });
});

test('PNG grey 16-bit 2×2: full precision, v/65535 (not rounded to 8 bits)', () => {
  const img = decodeImage(makePng({ width: 2, height: 2, depth: 16, colorType: 0, rows: [[0, 1000], [32768, 65535]] }));
  assert.is(img.channels, 1);
  close(img.data, [0, 1000 / 65535, 32768 / 65535, 1], { atol: 1e-7 });
});

test('PNG grey 1-bit and 4-bit: scaled by 2^depth - 1', () => {
  const one = decodeImage(makePng({ width: 5, height: 1, depth: 1, colorType: 0, rows: [[1, 0, 1, 1, 0]] }));
  close(one.data, [1, 0, 1, 1, 0]);
  const four = decodeImage(makePng({ width: 3, height: 1, depth: 4, colorType: 0, rows: [[0, 5, 15]] }));
  close(four.data, [0, 5 / 15, 1], { atol: 1e-7 });
});

test('PNG grey+alpha 8-bit: composited on black (v · a), one channel', () => {
  const img = decodeImage(makePng({ width: 2, height: 1, depth: 8, colorType: 4, rows: [[200, 255, 200, 128]] }));
  assert.is(img.channels, 1);
  close(img.data, [200 / 255, (200 / 255) * (128 / 255)], { atol: 1e-7 });
});

test('PNG RGB 8-bit and 16-bit: three channels in order', () => {
  const a = decodeImage(makePng({ width: 2, height: 1, depth: 8, colorType: 2, rows: [[255, 0, 10, 20, 30, 40]] }));
  assert.equal([a.width, a.height, a.channels], [2, 1, 3]);
  close(a.data, [255, 0, 10, 20, 30, 40].map(e8), { atol: 1e-7 });
  const b = decodeImage(makePng({ width: 1, height: 1, depth: 16, colorType: 2, rows: [[65535, 257, 12345]] }));
  close(b.data, [1, 257 / 65535, 12345 / 65535], { atol: 1e-7 });
});

test('PNG RGBA 8-bit and 16-bit: alpha composited on black', () => {
  const a = decodeImage(makePng({ width: 2, height: 1, depth: 8, colorType: 6, rows: [[255, 100, 0, 255, 255, 100, 0, 0]] }));
  assert.is(a.channels, 3);
  close(a.data, [1, 100 / 255, 0, 0, 0, 0], { atol: 1e-7 });
  const b = decodeImage(makePng({ width: 1, height: 1, depth: 16, colorType: 6, rows: [[65535, 32768, 0, 32768]] }));
  const h = 32768 / 65535;
  close(b.data, [h, h * h, 0], { atol: 1e-7 });
});

test('PNG palette 2-bit with tRNS: colours looked up, transparent entry becomes black', () => {
  const img = decodeImage(makePng({
    width: 4, height: 1, depth: 2, colorType: 3, rows: [[0, 1, 2, 1]],
    palette: [[255, 0, 0], [0, 128, 255], [10, 20, 30]], trns: [255, 255, 0],
  }));
  assert.equal([img.width, img.height, img.channels], [4, 1, 3]);
  close(img.data, [1, 0, 0, 0, 128 / 255, 1, 0, 0, 0, 0, 128 / 255, 1], { atol: 1e-7 });
});

test('PNG written by pngjs (grey 8, RGBA 8, grey 16) reads back', () => {
  const { PNG } = pngjs;
  const w = 3, h = 2;
  const rgba = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h * 4; i++) rgba.data[i] = (i * 37) % 256;
  for (let i = 3; i < w * h * 4; i += 4) rgba.data[i] = 255;
  const fromRgba = decodeImage(PNG.sync.write(rgba, { colorType: 6 }));
  assert.is(fromRgba.channels, 3);
  close(fromRgba.data, Array.from({ length: w * h * 3 }, (_, j) => ((Math.floor(j / 3) * 4 + (j % 3)) * 37 % 256) / 255), { atol: 1e-7 });
  const fromGrey = decodeImage(PNG.sync.write(rgba, { colorType: 0 }));
  assert.is(fromGrey.channels, 1);
  const g16 = new PNG({ width: 2, height: 1, bitDepth: 16, colorType: 0, inputColorType: 0 });
  const samples = new Uint16Array([513, 60000]);
  const png16 = PNG.sync.write(Object.assign(g16, { data: Buffer.from(samples.buffer) }), { bitDepth: 16, colorType: 0, inputColorType: 0 });
  close(decodeImage(png16).data, [513 / 65535, 60000 / 65535], { atol: 1e-7 });
});

test('JPEG RGB written by jpeg-js (quality 100) decodes to 3 channels within a few levels', () => {
  const w = 16, h = 8;
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) { data[4 * i] = 200; data[4 * i + 1] = 60; data[4 * i + 2] = 120; data[4 * i + 3] = 255; }
  const bytes = jpeg.encode({ width: w, height: h, data }, 100).data;
  assert.is(imageFormat(bytes), 'jpeg');
  const img = decodeImage(bytes);
  assert.equal([img.width, img.height, img.channels], [w, h, 3]);
  for (let i = 0; i < w * h; i++) close(img.data.subarray(3 * i, 3 * i + 3), [200, 60, 120].map(e8), { atol: 3 / 255 }, `pixel ${i}`);
});

test('JPEG greyscale (one component, hand-made 8×8 flat 144): stays 1 channel', () => {
  const seg = (m: number, body: number[]) => [0xff, m, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const bits16 = (len1: number) => [len1, ...new Array(15).fill(0)];
  const bytes = new Uint8Array([
    0xff, 0xd8,
    ...seg(0xdb, [0x00, ...new Array(64).fill(1)]),
    ...seg(0xc0, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]),
    ...seg(0xc4, [0x00, ...bits16(1), 8]), // DC: one code '0' for category 8
    ...seg(0xc4, [0x10, ...bits16(1), 0x00]), // AC: one code '0' for EOB
    ...seg(0xda, [1, 1, 0x00, 0, 63, 0]),
    0x40, 0x3f, // '0' + 10000000 (DC = +128 = 8 · (144 - 128)) + '0' (EOB), padded with 1s
    0xff, 0xd9,
  ]);
  const img = decodeImage(bytes);
  assert.equal([img.width, img.height, img.channels], [8, 8, 1]);
  close(img.data, new Array(64).fill(144 / 255), { atol: 1 / 255 });
});

test('a text file named .png: error names the file and shows its start', () => {
  const f = join(dir, 'hello.png');
  writeFileSync(f, 'hello, this is not a photo');
  assert.throws(() => loadImage(f), (e: Error) => e.message.includes(`decodeImage: cannot decode ${f}: not a PNG or JPEG file (starts with "hello, this is n…")`));
  assert.throws(() => decodeImage(new Uint8Array(0), 'x.jpg'), /decodeImage: cannot decode x\.jpg: not a PNG or JPEG file \(an empty file\)/);
  assert.throws(() => decodeImage(new Uint8Array([0, 1, 2, 200]), 'b.png'), /starts with bytes 0x00 0x01 0x02 0xc8/);
});

test('a truncated JPEG and a truncated PNG: the decoder message with the file name', () => {
  const w = 16, h = 16;
  const full = jpeg.encode({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(90) }, 90).data;
  const f = join(dir, 'cut.jpg');
  writeFileSync(f, full.subarray(0, Math.floor(full.length / 2)));
  assert.throws(() => loadImage(f), (e: Error) => e.message.startsWith(`decodeImage: cannot decode ${f}: JPEG decoder: `));
  const png = makePng({ width: 4, height: 4, depth: 8, colorType: 0, rows: new Array(4).fill([1, 2, 3, 4]) });
  assert.throws(() => decodeImage(png.subarray(0, 40), 'cut.png'), /decodeImage: cannot decode cut\.png: PNG decoder: /);
  assert.throws(() => loadImage(join(dir, 'missing.png')), /loadImage: cannot read .*missing\.png: no such file/);
  assert.throws(() => decodeImage('abc' as never), /decodeImage: expected the bytes of a PNG or JPEG file as a Uint8Array, got "abc"/);
});

test('an image larger than 50 megapixels is refused before decoding', () => {
  const huge = makePng({ width: 1, height: 1, depth: 8, colorType: 0, rows: [[0]] });
  new DataView(huge.buffer, huge.byteOffset).setUint32(16, 10000);
  new DataView(huge.buffer, huge.byteOffset).setUint32(20, 10000);
  assert.throws(() => decodeImage(huge, 'big.png'), /big\.png: expected at most 50 megapixels, got 10000×10000/);
});

test('imagesToTensor: NHWC [2,2,3,1] in order; mismatched sizes name the index', () => {
  const a: Image = { width: 3, height: 2, channels: 1, data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
  const b: Image = { width: 3, height: 2, channels: 1, data: Float32Array.from([7, 8, 9, 10, 11, 12]) };
  tidy(() => {
    const t = imagesToTensor([a, b]);
    assert.equal(t.shape, [2, 2, 3, 1]);
    close(t.data, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
  const c: Image = { width: 2, height: 3, channels: 1, data: new Float32Array(6) };
  assert.throws(() => imagesToTensor([a, b, c]), /imagesToTensor: expected every image to be 3×2×1 \(w×h×c\) like image 0, got 2×3×1 at index 2/);
  assert.throws(() => imagesToTensor([]), /imagesToTensor: expected a non-empty array of images/);
  assert.throws(() => imagesToTensor([a, { ...b, data: new Float32Array(5) }]), /imagesToTensor: expected image 1 data of 3×2×1 = 6 values, got 5/);
});

const LFW = fileURLToPath(new URL('../../../../shared/data/faces/lfw-devtrain/images/AJ_Cook', import.meta.url));
if (existsSync(LFW)) {
  test('real data: one LFW JPEG decodes to 250×250×3 in [0, 1]', () => {
    const file = join(LFW, readdirSync(LFW).filter((f) => f.endsWith('.jpg'))[0]);
    const img = loadImage(file);
    assert.equal([img.width, img.height, img.channels], [250, 250, 3]);
    let lo = Infinity, hi = -Infinity;
    for (const v of img.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    assert.ok(lo >= 0 && hi <= 1 && hi - lo > 0.5, `range [${lo}, ${hi}]`);
  });
} else {
  console.log('image.test: skipping the LFW JPEG test: ../shared/data/faces/lfw-devtrain not found (real photos are not part of the repository)');
  test.skip('real data: one LFW JPEG decodes to 250×250×3 (../shared/data absent)', () => {});
}

test.run();
