// The built-in identity set: procedurally drawn, face-like grey images. An identity is a fixed set
// of geometry and texture parameters (face outline, ears, hair and hairline, eyes, brows, nose,
// mouth, skin texture, and now and then a beard, a mole or glasses); each photo of it varies the
// pose (shift, scale, roll, a yaw that moves the features sideways), the lighting, the expression,
// the background, the noise and sometimes an occluder. Shapes are anti-aliased from signed
// distances in face coordinates. Deterministic: person p's identity and photos come from Rngs
// seeded by (seed, p) alone, so a larger set starts with the same people and the same photos.
import { Rng } from '../random.js';
import { checkInt, checkNumber, describe, typeError } from '../errors.js';
import type { Image } from './image.js';
import { ArrayDataset } from './dataset.js';

/** Side of the skin texture's value-noise lattice over the face box [-1, 1]². */
const TEX = 9;
/** Zoom of the face box in the image at scale 1 (the face box [-1, 1]² is a little larger than the image). */
const FRAME = 1.12;

/**
 * What makes one person: lengths are in face units (the face box spans [-1, 1], x right, y down),
 * grey levels ("albedo") in [0, 1].
 */
export interface SyntheticIdentity {
  faceWidth: number; faceHeight: number; /** Narrowing of the lower half (jaw, chin). */ jaw: number;
  skin: number; /** TEX×TEX value-noise lattice in [-1, 1]. */ texture: Float32Array; textureAmp: number;
  hair: number; /** How far the hair stands out of the face outline. */ hairVolume: number;
  /** Hairline height at the centre (y), its curvature and slant (a side parting). */ hairline: number; hairlineCurve: number; hairlineSlant: number;
  /** How far down the hair falls at the sides (y). */ hairLength: number;
  earSize: number;
  eyeY: number; eyeGap: number; eyeWidth: number; eyeHeight: number; eyeTilt: number; iris: number; irisSize: number;
  browGap: number; browLength: number; browThickness: number; browArch: number; browSlant: number; brow: number;
  noseLength: number; noseWidth: number; noseShade: number;
  mouthY: number; mouthWidth: number; lipThickness: number; smile: number; lip: number;
  /** Beard density (0: none). */ beard: number;
  /** Mole position and radius (radius 0: none). */ moleX: number; moleY: number; moleRadius: number;
  glasses: boolean;
}

export type SyntheticOccluder =
  | { kind: 'band'; /** Centre (face y) and height of a sunglasses-like band. */ y: number; height: number; level: number }
  | { kind: 'rect'; /** Image coordinates in [-1, 1]. */ x0: number; y0: number; x1: number; y1: number; level: number };

/** One photo's conditions. */
export interface SyntheticVariation {
  /** Shift in image units ([-1, 1] spans the image), scale, roll (radians), yaw in [-1, 1]. */
  dx: number; dy: number; scale: number; roll: number; yaw: number;
  /** Light direction (radians, in the image plane), its strength, and the ambient level. */
  lightAngle: number; lightStrength: number; ambient: number;
  background: number; backgroundGradient: number;
  /** Expression: added smile, mouth opening, brow raise, eye openness (0 shut .. 1), gaze (-1..1). */
  smile: number; mouthOpen: number; browRaise: number; eyeOpen: number; gaze: number;
  /** Standard deviation of the pixel noise, and its seed. */
  noise: number; noiseSeed: number;
  occluder: SyntheticOccluder | null;
}

export interface SyntheticOptions {
  people: number;
  photos: number;
  /** Side of the square images in pixels (default 64). */
  size?: number;
  seed?: number;
  /**
   * 0 (nearly frontal, evenly lit photos; only the background and a little noise vary) .. 1 (strong
   * pose, lighting, noise, frequent occluders); default 0.5, where raw pixels identify about 40% of
   * unseen people's photos and a small trained network about 90% (bench/synthetic.ts).
   */
  difficulty?: number;
}

export const SYNTHETIC_DEFAULT_DIFFICULTY = 0.5;

/** Draws a person's parameters. */
export function syntheticIdentity(rng: Rng): SyntheticIdentity {
  const u = (lo: number, hi: number) => rng.uniform(lo, hi);
  const faceWidth = u(0.44, 0.62), faceHeight = u(0.6, 0.76);
  const bald = rng.next() < 0.08;
  const texture = new Float32Array(TEX * TEX);
  for (let i = 0; i < texture.length; i++) texture[i] = 2 * rng.next() - 1;
  const skin = u(0.4, 0.85);
  return {
    faceWidth, faceHeight, jaw: u(0, 0.45),
    skin, texture, textureAmp: u(0.02, 0.12),
    hair: rng.next() < 0.75 ? u(0.03, 0.35) : u(0.55, 0.95), hairVolume: bald ? 0 : u(0.02, 0.2),
    hairline: bald ? -1.5 : u(-0.62, -0.3) * faceHeight / 0.68, hairlineCurve: u(-0.35, 0.45), hairlineSlant: u(-0.25, 0.25),
    hairLength: bald ? -1 : rng.next() < 0.35 ? u(0.3, 0.95) : u(-0.4, 0.1),
    earSize: u(0.06, 0.13),
    eyeY: u(-0.2, -0.02), eyeGap: u(0.15, 0.26), eyeWidth: u(0.08, 0.13), eyeHeight: u(0.035, 0.065),
    eyeTilt: u(-0.2, 0.25), iris: u(0.05, 0.5), irisSize: u(0.03, 0.05),
    browGap: u(0.07, 0.16), browLength: u(0.08, 0.15), browThickness: u(0.02, 0.06), browArch: u(0, 0.05),
    browSlant: u(-0.05, 0.05), brow: u(0.05, 0.4),
    noseLength: u(0.18, 0.34), noseWidth: u(0.05, 0.1), noseShade: u(0.1, 0.35),
    mouthY: u(0.3, 0.46), mouthWidth: u(0.12, 0.24), lipThickness: u(0.015, 0.045), smile: u(-0.03, 0.05), lip: u(0.55, 0.85),
    beard: rng.next() < 0.2 ? u(0.4, 0.9) : 0,
    moleX: u(-0.35, 0.35), moleY: u(-0.3, 0.45), moleRadius: rng.next() < 0.3 ? u(0.015, 0.03) : 0,
    glasses: rng.next() < 0.15,
  };
}

/** Draws one photo's conditions; `difficulty` in [0, 1] widens every range but the background's. */
export function syntheticVariation(rng: Rng, difficulty = SYNTHETIC_DEFAULT_DIFFICULTY): SyntheticVariation {
  const d = 0.6 * checkNumber('syntheticVariation', 'difficulty', difficulty, 0, 1);
  const sym = (r: number) => rng.uniform(-r, r);
  const v: SyntheticVariation = {
    dx: sym(0.03 + 0.12 * d), dy: sym(0.03 + 0.1 * d), scale: 1 + sym(0.04 + 0.16 * d), roll: sym(0.04 + 0.26 * d), yaw: sym(0.1 + 0.7 * d),
    lightAngle: rng.uniform(0, 2 * Math.PI), lightStrength: rng.uniform(0, 0.1 + 0.5 * d), ambient: rng.uniform(0.85 - 0.3 * d, 1.1),
    background: rng.uniform(0.1, 0.9), backgroundGradient: rng.uniform(0, 0.1 + 0.3 * d),
    smile: sym(0.01 + 0.05 * d), mouthOpen: rng.next() < 0.5 * d ? rng.uniform(0, 0.07) : 0, browRaise: sym(0.01 + 0.04 * d),
    eyeOpen: rng.next() < 0.1 * d ? rng.uniform(0.05, 0.4) : rng.uniform(0.75, 1.1), gaze: sym(0.6),
    noise: rng.uniform(0.005, 0.01 + 0.06 * d), noiseSeed: rng.nextU32(), occluder: null,
  };
  const r = rng.next();
  if (r < 0.15 * d) {
    v.occluder = { kind: 'band', y: rng.uniform(-0.13, -0.05), height: rng.uniform(0.12, 0.2), level: rng.uniform(0.02, 0.2) };
  } else if (r < 0.4 * d) {
    const w = rng.uniform(0.2, 0.6), h = rng.uniform(0.2, 0.6), x0 = rng.uniform(-1, 1 - w), y0 = rng.uniform(-1, 1 - h);
    v.occluder = { kind: 'rect', x0, y0, x1: x0 + w, y1: y0 + h, level: rng.uniform(0, 1) };
  }
  return v;
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
const lerp = (a: number, b: number, t: number) => a + (b - a) * t;
const hyp = (x: number, y: number) => Math.sqrt(x * x + y * y);

/** Approximate signed distance to an ellipse centred at the origin with half-axes rx, ry. */
function sdEllipse(x: number, y: number, rx: number, ry: number): number {
  const k0x = x / rx, k0y = y / ry, k1x = x / (rx * rx), k1y = y / (ry * ry);
  const k0 = Math.sqrt(k0x * k0x + k0y * k0y), k1 = Math.sqrt(k1x * k1x + k1y * k1y);
  return k1 < 1e-9 ? -Math.min(rx, ry) : (k0 * (k0 - 1)) / k1;
}

/** Coverage of a pixel by the inside of a shape at signed distance d (aa: pixels per face unit). */
const cover = (d: number, aa: number) => clamp01(0.5 - d * aa);

/** Coverage of a pixel at height y by the band a < y < b. */
const inBand = (y: number, aa: number, a: number, b: number) => cover(a - y, aa) * cover(y - b, aa);

/** Smooth value noise of the identity's lattice at face position (x, y) in [-1, 1]². */
function valueNoise(tex: Float32Array, x: number, y: number): number {
  const gx = clamp01((x + 1) / 2) * (TEX - 1.001), gy = clamp01((y + 1) / 2) * (TEX - 1.001);
  const ix = Math.floor(gx), iy = Math.floor(gy);
  let fx = gx - ix, fy = gy - iy;
  fx = fx * fx * (3 - 2 * fx); fy = fy * fy * (3 - 2 * fy);
  const i = iy * TEX + ix;
  return lerp(lerp(tex[i], tex[i + 1], fx), lerp(tex[i + TEX], tex[i + TEX + 1], fx), fy);
}

/** Distance to a brow: a thick arched stroke from bx - len to bx + len. */
function sdBrow(x: number, y: number, bx: number, by: number, len: number, arch: number, slant: number, thick: number): number {
  const t = (x - bx) / len;
  const tc = t < -1 ? -1 : t > 1 ? 1 : t;
  const yc = by - arch * (1 - tc * tc) + slant * tc;
  const half = 0.5 * thick * (1 - 0.45 * tc * tc);
  if (t === tc) {
    const slope = (-2 * arch * tc) / len + slant / len;
    return Math.abs(y - yc) / Math.sqrt(1 + slope * slope) - half;
  }
  const ex = bx + tc * len;
  return hyp(x - ex, y - yc) - half;
}

/** Draws one photo of a person: a size×size grey Image with values in [0, 1]. */
export function drawFace(id: SyntheticIdentity, v: SyntheticVariation, size: number): Image {
  const where = 'drawFace';
  if (id === null || typeof id !== 'object' || !(id.texture instanceof Float32Array) || id.texture.length !== TEX * TEX) {
    throw typeError(where, 'an identity from syntheticIdentity()', describe(id));
  }
  if (v === null || typeof v !== 'object') throw typeError(where, 'a variation from syntheticVariation()', describe(v));
  checkInt(where, 'size', size, 8, 1024);
  checkNumber(where, 'variation.scale', v.scale, 0.05);
  const out = new Float32Array(size * size);
  const zoom = FRAME * v.scale;
  const aa = (size / 2) * zoom; // pixels per face unit
  const cr = Math.cos(v.roll), sr = Math.sin(v.roll);
  const lx = Math.cos(v.lightAngle), ly = Math.sin(v.lightAngle);
  const yaw = v.yaw, ay = Math.abs(yaw), squash = 1 - 0.25 * ay;
  const at = (x: number, depth: number) => x * squash + yaw * depth; // a feature's x after the yaw
  // Face, hair and ears.
  const fw = id.faceWidth * (1 - 0.08 * ay), fh = id.faceHeight, fc = yaw * 0.06, hc = -yaw * 0.05;
  const hw = fw + id.hairVolume, hh = fh + id.hairVolume * 0.8, hcy = -0.04 - id.hairVolume * 0.3;
  const earX = [-(fw + 0.02) + fc, fw + 0.02 + fc], earW = [0, 1].map((s) => id.earSize * 0.55 * clamp01(1 + (s ? -1.6 : 1.6) * yaw));
  // Eyes, brows, nose, mouth.
  const eyeX = [at(-id.eyeGap, 0.3), at(id.eyeGap, 0.3)];
  const eyeW = [0, 1].map((s) => id.eyeWidth * (1 - 0.4 * Math.max(0, (s ? 1 : -1) * yaw)));
  const eyeH = id.eyeHeight * clamp01(v.eyeOpen);
  const browY = id.eyeY - id.browGap - v.browRaise;
  const noseX = at(0, 0.55), noseY = id.eyeY + id.noseLength;
  const mouthX = at(0, 0.4), mouthW = id.mouthWidth * (1 - 0.2 * ay), smile = id.smile + v.smile;
  const shadowSide = lx > 0 ? -1 : 1;
  const tc = Math.cos(id.eyeTilt), ts = Math.sin(id.eyeTilt);
  const browL = [0, 1].map((s) => id.browLength * (1 - 0.35 * Math.max(0, (s ? 1 : -1) * yaw)));
  const moleX = at(id.moleX, 0.3), browX = [at(-id.eyeGap - 0.01, 0.32), at(id.eyeGap + 0.01, 0.32)];
  // Pixel noise: two 16-bit uniforms from each draw of a seeded stream.
  const nrng = new Rng(v.noiseSeed);
  const noiseAmp = (v.noise * Math.sqrt(6)) / 65536; // (uniform + uniform − 1) has variance 1/6
  const headTop = Math.min(hcy - hh, id.hairline) - 0.05, headBottom = Math.max(fh + 0.05, id.hairLength + 0.05);
  const headX = Math.max(hw + Math.abs(hc), fw + Math.abs(fc) + 0.02 + id.earSize) + 0.05;

  for (let py = 0; py < size; py++) {
    const iy = ((py + 0.5) * 2) / size - 1;
    for (let px = 0; px < size; px++) {
      const ix = ((px + 0.5) * 2) / size - 1;
      let val = v.background + v.backgroundGradient * (ix * lx + iy * ly);
      const xr = ix - v.dx, yr = iy - v.dy;
      const x = (cr * xr + sr * yr) / zoom, y = (-sr * xr + cr * yr) / zoom;
      if (Math.abs(x) < headX && y > headTop && y < headBottom) {
        // Shading from a head-shaped normal.
        const nx = (x - fc) / (hw * 1.15), ny = (y - 0.05) / (hh * 1.15);
        const nz = Math.sqrt(Math.max(0, 1 - nx * nx - ny * ny));
        const shade = Math.max(0.05, v.ambient * (0.65 + 0.35 * nz) + v.lightStrength * (nx * lx + ny * ly));
        // Hair behind the head, cut at hairLength.
        const hairBack = cover(sdEllipse(x - hc, y - hcy, hw, hh), aa) * cover(y - id.hairLength, aa);
        val = lerp(val, id.hair * shade, hairBack);
        // Ears.
        if (id.hairLength < id.eyeY) {
          for (let s = 0; s < 2; s++) {
            if (earW[s] > 0 && Math.abs(x - earX[s]) < earW[s] + 0.05) val = lerp(val, id.skin * 0.92 * shade, cover(sdEllipse(x - earX[s], y - id.eyeY - 0.06, earW[s], id.earSize), aa));
          }
        }
        // Face outline: an ellipse whose lower half narrows.
        const lower = y > 0 ? (y / fh) * (y / fh) : 0;
        const faceCov = cover(sdEllipse((x - fc) / (1 - id.jaw * lower), y, fw, fh), aa);
        if (faceCov > 0) {
          let skin = id.skin * (1 + id.textureAmp * valueNoise(id.texture, (x - fc) / fw, y / fh));
          if (id.moleRadius > 0) skin = lerp(skin, skin * 0.35, cover(hyp(moleX - x, id.moleY - y) - id.moleRadius, aa));
          // Beard: the lower face below the nose, denser towards the chin.
          if (id.beard > 0 && y > noseY + 0.02) skin = lerp(skin, id.hair, id.beard * clamp01((y - noseY - 0.02) * 6) * (0.8 + 0.2 * valueNoise(id.texture, y, x)));
          // Hair over the forehead (above the hairline) and falling over the sides.
          const t = x - fc;
          const hairline = id.hairline + id.hairlineCurve * t * t + id.hairlineSlant * t;
          const curtain = id.hairLength > 0 ? cover(fw * 0.82 - Math.abs(t), aa) * cover(y - id.hairLength, aa) : 0;
          const onFace = Math.max(cover(y - hairline, aa), curtain);
          val = lerp(val, lerp(skin, id.hair, onFace) * shade, faceCov);
          // Eye sockets: a smooth shadow that falls to zero two radii away.
          for (let s = 0; s < 2; s++) {
            const gx = (x - eyeX[s]) / (eyeW[s] * 1.5), gy = (y - id.eyeY + 0.01) / (id.eyeHeight * 2.4), g = gx * gx + gy * gy;
            if (g < 4) val *= 1 - 0.2 * (1 - g / 4) * (1 - g / 4);
          }
          // Eyes, brows.
          for (let s = 0; s < 2; s++) {
            const side = s ? 1 : -1;
            const ex = x - eyeX[s], ey = y - id.eyeY;
            if (ex > -0.3 && ex < 0.3 && ey > -0.25 && ey < 0.25) {
              const rx = ex * tc + ey * ts * side, ry = -ex * ts * side + ey * tc;
              if (eyeH > 0.004) {
                const sd = sdEllipse(rx, ry, eyeW[s], eyeH);
                const sclera = cover(sd, aa);
                if (sclera > 0) {
                  val = lerp(val, 0.9 * shade, sclera);
                  const irisD = hyp(rx - v.gaze * eyeW[s] * 0.35, ry) - id.irisSize;
                  val = lerp(val, id.iris * shade, cover(irisD, aa) * sclera);
                  val = lerp(val, 0.03, cover(irisD + id.irisSize * 0.55, aa) * sclera);
                }
                // Upper lid line.
                val = lerp(val, 0.08 * shade, cover(Math.abs(sd) - 0.012, aa) * clamp01(0.5 - ry * aa) * (1 - onFace));
              } else {
                val = lerp(val, 0.1 * shade, cover(sdEllipse(rx, ry, eyeW[s], 0.008), aa));
              }
              if (id.glasses) {
                const gd = Math.abs(sdEllipse(ex, ey - 0.01, id.eyeWidth * 1.7, id.eyeHeight * 2.6 + 0.03)) - 0.012;
                val = lerp(val, 0.06, cover(gd, aa));
              }
            }
            if (Math.abs(x - browX[s]) > browL[s] + 0.05 || Math.abs(y - browY) > 0.12) continue;
            const bd = sdBrow(x, y, browX[s], browY, browL[s], id.browArch, side * id.browSlant, id.browThickness);
            val = lerp(val, id.brow * shade, cover(bd, aa) * (1 - onFace));
          }
          if (id.glasses && Math.abs(y - id.eyeY + 0.02) < 0.02) val = lerp(val, 0.06, cover(Math.abs(x - (eyeX[0] + eyeX[1]) / 2) - (eyeX[1] - eyeX[0]) / 2 + id.eyeWidth * 1.7, aa) * cover(Math.abs(y - id.eyeY + 0.02) - 0.01, aa));
          // Nose: a side shadow along the bridge, a tip and two nostrils.
          const nt = (y - id.eyeY) / id.noseLength;
          if (nt > 0.1 && nt < 1.15) {
            const ridge = Math.abs(x - (noseX + shadowSide * id.noseWidth * 0.55 * (0.4 + 0.6 * nt))) - 0.012 * (0.5 + nt);
            val *= 1 - id.noseShade * (0.4 + v.lightStrength) * cover(ridge, aa * 0.5) * clamp01(nt * 2);
          }
          for (let s = -1; s <= 1 && Math.abs(y - noseY) < 0.06; s += 2) {
            const nd = sdEllipse(x - noseX - s * id.noseWidth * 0.45, y - noseY, id.noseWidth * 0.32, id.noseWidth * 0.17);
            val = lerp(val, val * 0.45, cover(nd, aa));
          }
          // Mouth: centre line, upper and lower lip, and the open cavity.
          const mt = (x - mouthX) / mouthW;
          if (Math.abs(mt) < 1.2) {
            const edge = cover((Math.abs(mt) - 1) * mouthW, aa);
            const arc = Math.sqrt(Math.max(0, 1 - mt * mt));
            const c = id.mouthY - smile * mt * mt, open = v.mouthOpen * arc;
            const upper = c - open / 2, lower = c + open / 2;
            val = lerp(val, id.lip * id.skin * shade, edge * inBand(y, aa, upper - id.lipThickness * 0.8 * arc, upper));
            val = lerp(val, id.lip * id.skin * shade, edge * inBand(y, aa, lower, lower + id.lipThickness * arc));
            val = lerp(val, 0.06, edge * Math.max(inBand(y, aa, upper, lower), cover(Math.abs(y - c) - 0.006, aa)));
          }
        }
      }
      // Occluders.
      const oc = v.occluder;
      if (oc !== null) {
        if (oc.kind === 'band') {
          const d = Math.max(Math.abs(y - oc.y) - oc.height / 2, Math.abs(x - fc) - (fw + 0.05));
          val = lerp(val, oc.level, cover(d, aa));
        } else {
          const d = Math.max(oc.x0 - ix, ix - oc.x1, oc.y0 - iy, iy - oc.y1);
          val = lerp(val, oc.level, cover(d, size / 2));
        }
      }
      const r = nrng.nextU32();
      out[py * size + px] = clamp01(val + noiseAmp * ((r & 0xffff) + (r >>> 16) - 65535));
    }
  }
  return { width: size, height: size, channels: 1, data: out };
}

function mixSeed(seed: number, a: number, b: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(a + 1, 0xc2b2ae35) ^ Math.imul(b + 0x165667b1, 0x27d4eb2d);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 0;
}

/** The identity of person p of a set made with `seed`. */
export function syntheticPerson(seed: number, p: number): SyntheticIdentity {
  return syntheticIdentity(new Rng(mixSeed(seed, p, 0)));
}

/**
 * `people` made-up people (named id000, id001, …) with `photos` photos each, person by person:
 * photo i is of person ⌊i / photos⌋. Same options → the same pixels, bit for bit.
 */
export function makeSyntheticSet(opts: SyntheticOptions): ArrayDataset {
  const where = 'makeSyntheticSet';
  if (opts === null || typeof opts !== 'object') throw typeError(where, 'options { people, photos, size?, seed?, difficulty? }', describe(opts));
  const people = checkInt(where, 'people', opts.people, 2);
  const photos = checkInt(where, 'photos', opts.photos, 1);
  const size = checkInt(where, 'size', opts.size ?? 64, 8, 1024);
  const seed = checkInt(where, 'seed', opts.seed ?? 1, 0, 0xffffffff);
  const difficulty = checkNumber(where, 'difficulty', opts.difficulty ?? SYNTHETIC_DEFAULT_DIFFICULTY, 0, 1);
  const images: Image[] = [], labels: number[] = [];
  const width = Math.max(3, String(people - 1).length);
  const names = Array.from({ length: people }, (_, p) => `id${String(p).padStart(width, '0')}`);
  for (let p = 0; p < people; p++) {
    const id = syntheticPerson(seed, p);
    const rng = new Rng(mixSeed(seed, p, 1));
    for (let j = 0; j < photos; j++) {
      images.push(drawFace(id, syntheticVariation(rng, difficulty), size));
      labels.push(p);
    }
  }
  return new ArrayDataset(images, labels, names);
}
