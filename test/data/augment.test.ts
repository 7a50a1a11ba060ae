import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Image } from '../../src/data/image.js';
import { augment } from '../../src/data/augment.js';
import { flipHorizontal } from '../../src/data/transform.js';
import { Rng } from '../../src/random.js';
import { close } from '../helpers/close.js';

function random(width: number, height: number, channels: 1 | 3, seed: number): Image {
  const rng = new Rng(seed);
  return { width, height, channels, data: Float32Array.from({ length: width * height * channels }, () => rng.next()) };
}
const all = { flip: true, shift: 2, scale: 0.2, brightness: 0.1, contrast: 0.2 };

test('same Rng state → the same image bit for bit; another seed → another image', () => {
  const img = random(12, 10, 3, 1);
  const a = augment(img, new Rng(5), all), b = augment(img, new Rng(5), all), c = augment(img, new Rng(6), all);
  assert.equal(Array.from(a.data), Array.from(b.data));
  assert.not.equal(Array.from(a.data), Array.from(c.data));
  assert.equal([a.width, a.height, a.channels], [12, 10, 3]);
  // Successive calls on one Rng continue its stream (two different images).
  const rng = new Rng(5);
  const first = augment(img, rng, all), second = augment(img, rng, all);
  assert.equal(Array.from(first.data), Array.from(a.data));
  assert.not.equal(Array.from(second.data), Array.from(a.data));
});

test('no options: an unchanged copy, and the input is never changed', () => {
  const img = random(5, 4, 1, 2);
  const before = Array.from(img.data);
  const out = augment(img, new Rng(1));
  assert.equal(Array.from(out.data), before);
  assert.ok(out.data !== img.data);
  augment(img, new Rng(1), all);
  assert.equal(Array.from(img.data), before);
});

test('flip only: mirrored exactly when the first draw is below 1/2; both outcomes occur', () => {
  const img = random(7, 3, 3, 3);
  const seen = new Set<boolean>();
  for (let seed = 0; seed < 16; seed++) {
    const flipped = new Rng(seed).next() < 0.5;
    seen.add(flipped);
    const out = augment(img, new Rng(seed), { flip: true });
    assert.equal(Array.from(out.data), Array.from(flipped ? flipHorizontal(img).data : img.data), `seed ${seed}`);
  }
  assert.is(seen.size, 2);
});

test('shift 2 on 6×5 grey: a whole-pixel translation with the border repeated', () => {
  const img = random(6, 5, 1, 4);
  for (let seed = 0; seed < 6; seed++) {
    const r = new Rng(seed);
    const dx = r.int(5) - 2, dy = r.int(5) - 2;
    const out = augment(img, new Rng(seed), { shift: 2 });
    const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
    const expected = Array.from({ length: 30 }, (_, i) => img.data[clamp(Math.floor(i / 6) + dy, 5) * 6 + clamp((i % 6) + dx, 6)]);
    assert.equal(Array.from(out.data), expected, `seed ${seed} dx=${dx} dy=${dy}`);
  }
});

test('scale 0.5: a zoomed-in crop; values stay within the input range (bilinear mixes)', () => {
  const img = random(16, 16, 1, 5);
  let lo = Infinity, hi = -Infinity;
  for (const v of img.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const out = augment(img, new Rng(9), { scale: 0.5 });
  assert.not.equal(Array.from(out.data), Array.from(img.data));
  for (const v of out.data) assert.ok(v >= lo - 1e-6 && v <= hi + 1e-6);
});

test('brightness only adds one value; contrast only keeps the mean and scales the spread', () => {
  const img = random(8, 6, 3, 6);
  const b = new Rng(3).uniform(-0.1, 0.1);
  close(augment(img, new Rng(3), { brightness: 0.1 }).data, img.data.map((v) => v + b), { atol: 1e-6 });
  const k = new Rng(4).uniform(0.7, 1.3);
  const out = augment(img, new Rng(4), { contrast: 0.3 });
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  const m = mean(img.data);
  close([mean(out.data)], [m], { atol: 1e-6 });
  close(out.data, img.data.map((v) => (v - m) * k + m), { atol: 1e-6 });
});

test('errors name augment and the option', () => {
  const img = random(4, 4, 1, 7);
  assert.throws(() => augment(img, new Rng(1), { shift: 1.5 }), /augment: expected shift to be an integer >= 0, got 1.5/);
  assert.throws(() => augment(img, new Rng(1), { contrast: 2 }), /augment: expected contrast to be a finite number in \[0, 1\], got 2/);
  assert.throws(() => augment(img, 7 as never, {}), /augment: expected an Rng, got 7/);
});

test.run();
