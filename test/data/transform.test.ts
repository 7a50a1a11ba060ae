import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Image } from '../../src/data/image.js';
import { toGrey, toRgb, resize, crop, centerCrop, standardize, flipHorizontal, preprocess, checkPreprocess, type Preprocess } from '../../src/data/transform.js';
import { Rng } from '../../src/random.js';
import { close } from '../helpers/close.js';

const grey = (width: number, height: number, values: number[]): Image => ({ width, height, channels: 1, data: Float32Array.from(values) });
const rgb = (width: number, height: number, values: number[]): Image => ({ width, height, channels: 3, data: Float32Array.from(values) });
function random(width: number, height: number, channels: 1 | 3, seed: number): Image {
  const rng = new Rng(seed);
  return { width, height, channels, data: Float32Array.from({ length: width * height * channels }, () => rng.next()) };
}

test('resize bilinear 4×1 → 2×1 and 3×1 → 2×1 (pixel centres: (d + 0.5)·s − 0.5)', () => {
  close(resize(grey(4, 1, [0, 1, 2, 3]), 2, 1, { method: 'bilinear' }).data, [0.5, 2.5]);
  // s = 1.5: d=0 samples 0.25 → 0.75·0 + 0.25·3; d=1 samples 1.75 → 0.25·3 + 0.75·6.
  close(resize(grey(3, 1, [0, 3, 6]), 2, 1, { method: 'bilinear' }).data, [0.75, 5.25]);
  // 6 → 2 (s = 3) samples pixels 1 and 4 exactly.
  close(resize(grey(6, 1, [0, 0, 3, 0, 0, 6]), 2, 1, { method: 'bilinear' }).data, [0, 0]);
});

test('resize bilinear 2×2 → 4×4 (enlarging, edges clamped like OpenCV INTER_LINEAR)', () => {
  // Along x: 0.25·s − … gives [0, 1, 3, 4] from [0, 4]; along y the same weights.
  const out = resize(grey(2, 2, [0, 4, 8, 12]), 4, 4, { method: 'bilinear' });
  assert.equal([out.width, out.height, out.channels], [4, 4, 1]);
  close(out.data, [0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12]);
});

test('resize area 6×1 → 2×1, 3×1 → 2×1 (fractional cover) and 4×4 → 2×2 (block means)', () => {
  close(resize(grey(6, 1, [0, 0, 3, 0, 0, 6]), 2, 1, { method: 'area' }).data, [1, 2]);
  // s = 1.5: [0, 1.5) = 1·0 + 0.5·3 over 1.5; [1.5, 3) = 0.5·3 + 1·6 over 1.5.
  close(resize(grey(3, 1, [0, 3, 6]), 2, 1, { method: 'area' }).data, [1, 5]);
  const blocks = resize(grey(4, 4, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]), 2, 2, { method: 'area' });
  close(blocks.data, [3.5, 5.5, 11.5, 13.5]);
});

test('resize 3 channels 2×1 → 1×1 area: channels stay apart', () => {
  close(resize(rgb(2, 1, [0, 10, 100, 1, 20, 300]), 1, 1, { method: 'area' }).data, [0.5, 15, 200]);
});

test('resize auto: area along axes shrunk by ≥ 2, bilinear along the others', () => {
  const img = random(8, 8, 3, 7);
  close(resize(img, 4, 4).data, resize(img, 4, 4, { method: 'area' }).data, { atol: 1e-6 });
  close(resize(img, 6, 6).data, resize(img, 6, 6, { method: 'bilinear' }).data, { atol: 1e-6 });
  close(resize(img, 11, 13).data, resize(img, 11, 13, { method: 'bilinear' }).data, { atol: 1e-6 });
  // x shrinks 8 → 3 (area), y 8 → 6 (bilinear): the same as doing each axis on its own.
  const mixed = resize(resize(img, 3, 8, { method: 'area' }), 3, 6, { method: 'bilinear' });
  close(resize(img, 3, 6).data, mixed.data, { atol: 1e-6 });
  assert.not.equal(Array.from(resize(img, 3, 6).data), Array.from(resize(img, 3, 6, { method: 'bilinear' }).data));
});

test('resize to the same size copies; an area-shrunk constant image stays constant', () => {
  const img = random(5, 3, 1, 1);
  const same = resize(img, 5, 3);
  assert.equal(Array.from(same.data), Array.from(img.data));
  assert.ok(same.data !== img.data);
  close(resize(grey(7, 5, new Array(35).fill(0.25)), 3, 2, { method: 'area' }).data, new Array(6).fill(0.25), { atol: 1e-7 });
});

test('crop and centerCrop on 4×3 (values 0…11)', () => {
  const img = grey(4, 3, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const c = crop(img, 1, 1, 2, 2);
  assert.equal([c.width, c.height], [2, 2]);
  close(c.data, [5, 6, 9, 10]);
  close(centerCrop(img, 2, 1).data, [5, 6]);
  close(centerCrop(img, 3, 3).data, [0, 1, 2, 4, 5, 6, 8, 9, 10]);
  const colour = rgb(2, 1, [1, 2, 3, 4, 5, 6]);
  close(crop(colour, 1, 0, 1, 1).data, [4, 5, 6]);
});

test('toGrey: BT.601 weights 0.299, 0.587, 0.114; toRgb repeats grey', () => {
  const g = toGrey(rgb(4, 1, [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]));
  assert.is(g.channels, 1);
  close(g.data, [0.299, 0.587, 0.114, 1], { atol: 1e-6 });
  close(toRgb(grey(2, 1, [0.25, 0.5])).data, [0.25, 0.25, 0.25, 0.5, 0.5, 0.5]);
});

test('standardize [1,2,3,4]: mean 2.5, std √1.25; a constant image gives zeros, not NaN', () => {
  const s = Math.sqrt(1.25);
  close(standardize(grey(2, 2, [1, 2, 3, 4])).data, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], { atol: 1e-6 });
  close(standardize(grey(3, 1, [0.7, 0.7, 0.7])).data, [0, 0, 0]);
  const r = standardize(random(9, 7, 3, 3));
  let m = 0, v = 0;
  for (const x of r.data) m += x;
  m /= r.data.length;
  for (const x of r.data) v += (x - m) ** 2;
  close([m, v / r.data.length], [0, 1], { atol: 1e-5 });
});

test('flipHorizontal 3×2 RGB mirrors pixels, keeps channel order', () => {
  const img = rgb(3, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
  close(flipHorizontal(img).data, [7, 8, 9, 4, 5, 6, 1, 2, 3, 16, 17, 18, 13, 14, 15, 10, 11, 12]);
});

test('transforms leave their input unchanged', () => {
  const img = random(6, 4, 3, 9);
  const before = Array.from(img.data);
  toGrey(img); resize(img, 3, 2); crop(img, 1, 1, 2, 2); standardize(img); flipHorizontal(img);
  preprocess(img, { size: [3, 3], grey: true, crop: 0.5, standardize: true });
  assert.equal(Array.from(img.data), before);
});

test('preprocess 10×10 RGB, crop 0.6, grey, 3×3, standardize = centerCrop 6×6 → toGrey → area resize → standardize', () => {
  const img = random(10, 10, 3, 11);
  const p: Preprocess = { size: [3, 3], grey: true, crop: 0.6, standardize: true };
  const out = preprocess(img, p);
  assert.equal([out.width, out.height, out.channels], [3, 3, 1]);
  const expected = standardize(resize(toGrey(centerCrop(img, 6, 6)), 3, 3, { method: 'area' }));
  close(out.data, expected.data, { atol: 1e-6 });
});

test('preprocess grey: false gives 3 channels even for a grey photo; crop 1 or absent: no crop', () => {
  const g = random(4, 6, 1, 5);
  const out = preprocess(g, { size: [4, 6], grey: false, standardize: false });
  assert.is(out.channels, 3);
  close(out.data, toRgb(g).data);
  close(preprocess(g, { size: [2, 3], grey: true, crop: 1, standardize: false }).data, resize(g, 2, 3).data);
});

test('errors name the function, the contract and the value', () => {
  const img = grey(4, 3, new Array(12).fill(0));
  assert.throws(() => resize(img, 0, 2), /resize: expected width to be an integer >= 1, got 0/);
  assert.throws(() => resize(img, 2, 2, { method: 'cubic' as never }), /resize: expected method to be one of 'bilinear', 'area', 'auto', got "cubic"/);
  assert.throws(() => crop(img, 3, 0, 2, 1), /crop: expected a rectangle inside the 4×3 image, got x=3 y=0 w=2 h=1/);
  assert.throws(() => centerCrop(img, 5, 1), /centerCrop: expected a size of at most 4×3 \(the image\), got 5×1/);
  assert.throws(() => toGrey({ width: 2, height: 2, channels: 1, data: new Float32Array(3) }), /toGrey: expected image data of 2×2×1 = 4 values, got 3/);
  assert.throws(() => standardize({ width: 2, height: 2, channels: 2 as never, data: new Float32Array(8) }), /standardize: expected image with integer width, height >= 1 and 1 or 3 channels, got 2×2×2/);
  assert.throws(() => checkPreprocess('p', { size: [0, 4], grey: true, standardize: true }), /p: expected preprocess.size\[0\] \(width\) to be an integer >= 1, got 0/);
  assert.throws(() => checkPreprocess('p', { size: [4, 4], grey: true, standardize: true, crop: 1.5 }), /p: expected preprocess.crop to be a finite number in \[0, 1\], got 1.5/);
  assert.throws(() => checkPreprocess('p', { size: [4, 4], grey: 'yes', standardize: true }), /p: expected preprocess.grey to be a boolean, got "yes"/);
});

test.run();
