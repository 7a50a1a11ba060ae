import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  makeSyntheticSet, drawFace, syntheticIdentity, syntheticVariation, syntheticPerson,
  type SyntheticIdentity, type SyntheticVariation,
} from '../../src/data/synthetic.js';
import { Rng } from '../../src/random.js';
import type { FaceDataset } from '../../src/data/dataset.js';

const pixels = (ds: FaceDataset) => Array.from({ length: ds.size }, (_, i) => Array.from(ds.get(i).data));

/** A frontal, evenly lit, noiseless photo with nothing in front of the face. */
const plain: SyntheticVariation = {
  dx: 0, dy: 0, scale: 1, roll: 0, yaw: 0, lightAngle: 0, lightStrength: 0, ambient: 1, background: 0.5, backgroundGradient: 0,
  smile: 0, mouthOpen: 0, browRaise: 0, eyeOpen: 1, gaze: 0, noise: 0, noiseSeed: 1, occluder: null,
};

/** A person whose asymmetries (texture, mole, side parting, the nose's side shadow) are switched off. */
function symmetric(seed: number): SyntheticIdentity {
  return { ...syntheticIdentity(new Rng(seed)), textureAmp: 0, moleRadius: 0, hairlineSlant: 0, beard: 0, noseShade: 0 };
}

function mirrorGap(data: Float32Array, s: number): number {
  let worst = 0;
  for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) worst = Math.max(worst, Math.abs(data[y * s + x] - data[y * s + s - 1 - x]));
  return worst;
}

function dist(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

test('people=3 photos=4 size=32 seed=5: the same options give the same pixels bit for bit; seed 6 others', () => {
  const o = { people: 3, photos: 4, size: 32, seed: 5 };
  const a = makeSyntheticSet(o), b = makeSyntheticSet(o), c = makeSyntheticSet({ ...o, seed: 6 });
  assert.equal(pixels(a), pixels(b));
  for (let i = 0; i < a.size; i++) assert.not.equal(Array.from(a.get(i).data), Array.from(c.get(i).data), `photo ${i}`);
  // Another difficulty changes the photos, not the people.
  const d = makeSyntheticSet({ ...o, difficulty: 0.9 });
  assert.not.equal(pixels(a), pixels(d));
  assert.equal(syntheticPerson(5, 1), syntheticPerson(5, 1));
});

test('a larger set starts with the same people and photos: people=2 photos=2 is part of people=3 photos=4', () => {
  const small = makeSyntheticSet({ people: 2, photos: 2, size: 16, seed: 3 });
  const large = makeSyntheticSet({ people: 3, photos: 4, size: 16, seed: 3 });
  for (let p = 0; p < 2; p++) for (let j = 0; j < 2; j++) {
    assert.equal(Array.from(small.get(p * 2 + j).data), Array.from(large.get(p * 4 + j).data), `person ${p} photo ${j}`);
  }
});

test('people=12 photos=3 size=24: shapes, value range, names, labels person by person', () => {
  const ds = makeSyntheticSet({ people: 12, photos: 3, size: 24 });
  assert.is(ds.size, 36);
  assert.equal(ds.people, Array.from({ length: 12 }, (_, p) => `id${String(p).padStart(3, '0')}`));
  for (let i = 0; i < ds.size; i++) {
    const m = ds.get(i);
    assert.equal([m.width, m.height, m.channels, m.data.length], [24, 24, 1, 576]);
    assert.ok(m.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1), `photo ${i} has values outside [0, 1]`);
    assert.is(ds.label(i), Math.floor(i / 3));
  }
  assert.equal(ds.photosOf(11), [33, 34, 35]);
  assert.is(makeSyntheticSet({ people: 2, photos: 1 }).get(0).width, 64, 'default size');
  assert.is(makeSyntheticSet({ people: 1000, photos: 1, size: 8 }).people[999], 'id999');
});

test('people=8 photos=6 size=32: photos of one person are closer than photos of two, and still vary', () => {
  const ds = makeSyntheticSet({ people: 8, photos: 6, size: 32, seed: 11 });
  let same = 0, nSame = 0, other = 0, nOther = 0;
  for (let i = 0; i < ds.size; i++) for (let j = i + 1; j < ds.size; j++) {
    const d = dist(ds.get(i).data, ds.get(j).data);
    if (ds.label(i) === ds.label(j)) { same += d; nSame++; } else { other += d; nOther++; }
  }
  same /= nSame; other /= nOther;
  assert.ok(same < 0.95 * other, `mean distance within a person ${same.toFixed(2)} vs between people ${other.toFixed(2)}`);
  // Per person: the standard deviation of each pixel over the photos, averaged over the pixels.
  for (let p = 0; p < ds.people.length; p++) {
    const idx = ds.photosOf(p), n = 32 * 32;
    let sd = 0;
    for (let k = 0; k < n; k++) {
      let m = 0, m2 = 0;
      for (const i of idx) { const v = ds.get(i).data[k]; m += v; m2 += v * v; }
      m /= idx.length;
      sd += Math.sqrt(Math.max(0, m2 / idx.length - m * m));
    }
    assert.ok(sd / n > 0.05, `person ${p}: mean pixel std ${(sd / n).toFixed(3)}`);
  }
});

test('difficulty widens the variation: mean distance within a person at 0 < at 0.5 < at 1', () => {
  const within = (difficulty: number) => {
    const ds = makeSyntheticSet({ people: 4, photos: 5, size: 24, seed: 2, difficulty });
    let s = 0, n = 0;
    for (let p = 0; p < 4; p++) {
      const idx = ds.photosOf(p);
      for (let a = 0; a < idx.length; a++) for (let b = a + 1; b < idx.length; b++) { s += dist(ds.get(idx[a]).data, ds.get(idx[b]).data); n++; }
    }
    return s / n;
  };
  const [d0, d5, d1] = [within(0), within(0.5), within(1)];
  assert.ok(d0 < d5 && d5 < d1, `${d0.toFixed(2)}, ${d5.toFixed(2)}, ${d1.toFixed(2)}`);
});

test('drawFace size=40: a frontal photo of a symmetric person is mirror-symmetric; yaw and roll break it', () => {
  for (const seed of [1, 2, 3]) {
    const id = symmetric(seed);
    const img = drawFace(id, plain, 40);
    assert.ok(mirrorGap(img.data, 40) < 1e-4, `seed ${seed}: frontal gap ${mirrorGap(img.data, 40)}`);
    assert.ok(mirrorGap(drawFace(id, { ...plain, yaw: 0.4 }, 40).data, 40) > 0.1, `seed ${seed}: yaw`);
    assert.ok(mirrorGap(drawFace(id, { ...plain, roll: 0.2 }, 40).data, 40) > 0.1, `seed ${seed}: roll`);
    // The corners are background; the face is not flat.
    assert.ok(Math.abs(img.data[0] - 0.5) < 1e-6 && Math.abs(img.data[40 * 40 - 1] - 0.5) < 1e-6);
    let lo = 1, hi = 0;
    for (const v of img.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    assert.ok(hi - lo > 0.4, `seed ${seed}: range ${lo}..${hi}`);
  }
});

test('drawFace size=32: a dark band occluder covers the eyes; a rectangle covers its image area', () => {
  const id = symmetric(4);
  const eyeRow = Math.floor(((id.eyeY * 1.12 + 1) / 2) * 32);
  const band = drawFace(id, { ...plain, occluder: { kind: 'band', y: id.eyeY, height: 0.2, level: 0 } }, 32);
  for (let x = 12; x < 20; x++) assert.ok(band.data[eyeRow * 32 + x] < 1e-6, `pixel (${x}, ${eyeRow}) = ${band.data[eyeRow * 32 + x]}`);
  const rect = drawFace(id, { ...plain, occluder: { kind: 'rect', x0: -1, y0: -1, x1: 0, y1: 0, level: 0.25 } }, 32);
  const free = drawFace(id, plain, 32);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) {
    const v = rect.data[y * 32 + x];
    if (x < 16 && y < 16) assert.is(v, 0.25);
    else assert.is(v, free.data[y * 32 + x]);
  }
});

test('syntheticVariation: seeded, and difficulty 0 keeps the photo nearly frontal with no occluder', () => {
  assert.equal(syntheticVariation(new Rng(3), 0.7), syntheticVariation(new Rng(3), 0.7));
  const rng = new Rng(9);
  for (let i = 0; i < 200; i++) {
    const v = syntheticVariation(rng, 0);
    assert.is(v.occluder, null);
    assert.ok(Math.abs(v.yaw) <= 0.1 && Math.abs(v.roll) <= 0.04 && Math.abs(v.scale - 1) <= 0.04);
  }
  const occluded = Array.from({ length: 300 }, () => syntheticVariation(rng, 1).occluder).filter((o) => o !== null);
  assert.ok(occluded.length > 20, `${occluded.length} occluded photos of 300 at difficulty 1`);
  assert.ok(occluded.some((o) => o!.kind === 'band') && occluded.some((o) => o!.kind === 'rect'));
});

test('errors name the option', () => {
  const make = (o: object) => () => makeSyntheticSet(o as never);
  assert.throws(make({ people: 0, photos: 3 }), (e: Error) => e instanceof RangeError && e.message === 'makeSyntheticSet: expected people to be an integer >= 2, got 0');
  assert.throws(make({ people: 2.5, photos: 3 }), /makeSyntheticSet: expected people to be an integer/);
  assert.throws(make({ photos: 3 }), /makeSyntheticSet: expected people to be an integer >= 2, got undefined/);
  assert.throws(make({ people: 3, photos: 0 }), /makeSyntheticSet: expected photos to be an integer >= 1, got 0/);
  assert.throws(make({ people: 3, photos: 2, size: 4 }), /makeSyntheticSet: expected size to be an integer in \[8, 1024\], got 4/);
  assert.throws(make({ people: 3, photos: 2, seed: -1 }), /makeSyntheticSet: expected seed to be an integer in \[0, 4294967295\], got -1/);
  assert.throws(make({ people: 3, photos: 2, difficulty: 1.5 }), /makeSyntheticSet: expected difficulty to be a finite number in \[0, 1\], got 1.5/);
  assert.throws(() => makeSyntheticSet(null as never), (e: Error) => e instanceof TypeError && /makeSyntheticSet: expected options/.test(e.message));
  assert.throws(() => drawFace({} as never, plain, 32), (e: Error) => e instanceof TypeError && /drawFace: expected an identity/.test(e.message));
  assert.throws(() => drawFace(symmetric(1), plain, 3), /drawFace: expected size to be an integer in \[8, 1024\], got 3/);
  assert.throws(() => syntheticVariation(new Rng(1), -0.1), /syntheticVariation: expected difficulty to be a finite number in \[0, 1\], got -0.1/);
});

test.run();
