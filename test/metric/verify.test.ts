import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor } from '../../src/tensor.js';
import { Rng } from '../../src/random.js';
import { Gallery } from '../../src/metric/gallery.js';
import { verify, distance } from '../../src/metric/verify.js';
import { close } from '../helpers/close.js';

const v = (...x: number[]) => new Float32Array(x);

test('distance: golden values (3,4,0) → 5, d=1, identical vectors → exactly 0', () => {
  assert.is(distance(v(0, 0, 0), v(3, 4, 0)), 5);
  assert.is(distance(v(-2), v(1.5)), 3.5);
  assert.is(distance(v(1, 2, 3, 4, 5), v(1, 2, 3, 4, 5)), 0);
  assert.is(distance(tensor([1, 1, 1, 1]), v(0, 0, 0, 0)), 2);
});

for (const d of [1, 3, 4, 5, 7, 17, 128]) {
  test(`distance d=${d} equals float64 and, bit for bit, the gallery's search distance`, () => {
    const rng = new Rng(d);
    const a = new Float32Array(d).map(() => rng.normal()), b = new Float32Array(d).map(() => rng.normal());
    let s = 0;
    for (let i = 0; i < d; i++) s += (a[i] - b[i]) ** 2;
    close([distance(a, b)], [Math.sqrt(s)], { atol: 1e-6, rtol: 1e-6 });
    const g = new Gallery({ dim: d });
    g.add(b, ['b']);
    assert.is(distance(a, b), g.search(a, 1)[0].distances[0]);
    g.dispose();
  });
}

test('verify by D: a person at (0,0),(3,4) gives D = 5; same when distance < 5 (strict)', () => {
  const g = new Gallery({ dim: 2 });
  g.add(v(0, 0, 3, 4, 10, 10, 10, 11), ['ann', 'ann', 'bo', 'bo']);
  assert.equal(verify(v(0, 0), v(0, 4.5), { rule: 'diameter', gallery: g }), { same: true, distance: 4.5, threshold: 5, rule: 'diameter' });
  assert.equal(verify(v(1, 1), v(4, 5), { rule: 'diameter', gallery: g }), { same: false, distance: 5, threshold: 5, rule: 'diameter' });
  assert.is(verify(v(0, 0), v(0, 6), { rule: 'diameter', gallery: g }).same, false);
  // Percentile 0 of the diameters (1, 5) is 1; 50 → 3.
  assert.equal(verify(v(0, 0), v(0, 2), { rule: 'diameter', gallery: g, percentile: 50 }), { same: true, distance: 2, threshold: 3, rule: 'diameter' });
  assert.is(verify(v(0, 0), v(0, 2), { rule: 'diameter', gallery: g, percentile: 0 }).same, false);
  // D follows the gallery: bo's (10,11)–(20,0) = √221.
  g.add(v(20, 0), ['bo']);
  assert.is(verify(v(0, 0), v(0, 6), { rule: 'diameter', gallery: g }).threshold, Math.fround(Math.sqrt(221)));
  g.dispose();
});

test('verify by threshold: strict, ±Infinity allowed', () => {
  assert.equal(verify(v(0, 0), v(3, 4), { threshold: 5.5 }), { same: true, distance: 5, threshold: 5.5, rule: 'threshold' });
  assert.is(verify(v(0, 0), v(3, 4), { threshold: 5 }).same, false);
  assert.is(verify(v(0, 0), v(3, 4), { threshold: Infinity, rule: 'threshold' }).same, true);
  assert.is(verify(v(0, 0), v(0, 0), { threshold: -Infinity }).same, false);
});

test('error contracts', () => {
  const g = new Gallery({ dim: 2 });
  assert.throws(() => verify(v(0, 0), v(1, 1), { rule: 'diameter', gallery: g }), /Gallery.D: expected a gallery with at least one person, got an empty gallery/);
  g.add(v(0, 0, 1, 1), ['a', 'a']);
  assert.throws(() => verify(v(0, 0, 0), v(1, 1, 1), { rule: 'diameter', gallery: g }), /verify: expected a as a Float32Array of n·2 values/);
  assert.throws(() => verify(v(0, 0), v(1, 1, 1), { threshold: 1 }), /verify: expected b as a Float32Array of n·2 values/);
  assert.throws(() => verify(tensor([[0, 0], [1, 1]]), v(1, 1), { threshold: 1 }), /verify: expected a to be one embedding \[dim\], got 2 rows of 2/);
  assert.throws(() => verify(v(0, NaN), v(1, 1), { threshold: 1 }), /verify: expected finite values in a, got NaN in row 0 \(column 1\)/);
  assert.throws(() => verify(v(0, 0), v(1, 1), { threshold: NaN }), /verify: expected threshold to be a number \(not NaN\), got NaN/);
  assert.throws(() => verify(v(0, 0), v(1, 1), { rule: 'diameter' } as never), /verify: expected gallery to be a Gallery, got undefined/);
  assert.throws(() => verify(v(0, 0), v(1, 1), { gallery: g } as never), /verify: expected rule: 'diameter' with a gallery, got undefined/);
  assert.throws(() => verify(v(0, 0), v(1, 1), { rule: 'cosine', threshold: 1 } as never), /verify: expected rule to be 'diameter' \(with a gallery\) or 'threshold'/);
  assert.throws(() => verify(v(0, 0), v(1, 1), null as never), /verify: expected options/);
  assert.throws(() => distance(v(0, 0), v(1)), /distance: expected b as a Float32Array of n·2 values/);
  assert.throws(() => distance(v(), v()), /distance: expected a as a Float32Array/);
  assert.throws(() => distance([1] as never, v(1)), /distance: expected a as a Tensor or a Float32Array, got an array of length 1/);
  g.dispose();
});

test.run();
