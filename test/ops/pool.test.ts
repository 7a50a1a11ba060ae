import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, Tensor } from '../../src/tensor.js';
import { tidy, memoryStats, Storage } from '../../src/memory.js';
import { kernels } from '../../src/wasm.js';
import { noGrad } from '../../src/autograd.js';
import { Rng } from '../../src/random.js';
import { maxPool2d, avgPool2d, globalAvgPool2d, type Padding } from '../../src/ops/pool.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { close } from '../helpers/close.js';

// ---- float64 references -------------------------------------------------------------------------

interface Cfg { n: number; h: number; w: number; c: number; k: number; s: number; padding: Padding }

function geom({ h, w, k, s, padding }: Cfg) {
  const ax = (inp: number) => {
    if (padding === 'valid') return { out: Math.floor((inp - k) / s) + 1, pad: 0 };
    const out = Math.ceil(inp / s);
    return { out, pad: Math.floor(Math.max((out - 1) * s + k - inp, 0) / 2) };
  };
  const a = ax(h), b = ax(w);
  return { oh: a.out, ow: b.out, pt: a.pad, pl: b.pad };
}

/** Max or average pool in float64; argmax = index inside the image of the first strict max. */
function refPool(kind: 'max' | 'avg', x: ArrayLike<number>, cfg: Cfg) {
  const { n, h, w, c, k, s } = cfg;
  const { oh, ow, pt, pl } = geom(cfg);
  const y = new Float64Array(n * oh * ow * c);
  const arg = new Int32Array(y.length);
  const count = new Float64Array(y.length);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let ch = 0; ch < c; ch++) {
    let best = -Infinity, bi = -1, sum = 0, cnt = 0;
    for (let r = i * s - pt; r < i * s - pt + k; r++) for (let q = j * s - pl; q < j * s - pl + k; q++) {
      if (r < 0 || r >= h || q < 0 || q >= w) continue;
      const p = (r * w + q) * c + ch;
      const v = x[b * h * w * c + p];
      if (v > best) { best = v; bi = p; }
      sum += v; cnt++;
    }
    const o = ((b * oh + i) * ow + j) * c + ch;
    y[o] = kind === 'max' ? best : sum / cnt;
    arg[o] = bi;
    count[o] = cnt;
  }
  return { y, arg, count, shape: [n, oh, ow, c] };
}

/** The gradient of the pool given dy, from the reference argmax / counts. */
function refPoolBackward(kind: 'max' | 'avg', x: ArrayLike<number>, dy: ArrayLike<number>, cfg: Cfg): Float64Array {
  const { n, h, w, c, k, s } = cfg;
  const { oh, ow, pt, pl } = geom(cfg);
  const { arg, count } = refPool(kind, x, cfg);
  const dx = new Float64Array(n * h * w * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let ch = 0; ch < c; ch++) {
    const o = ((b * oh + i) * ow + j) * c + ch;
    if (kind === 'max') { dx[b * h * w * c + arg[o]] += dy[o]; continue; }
    for (let r = i * s - pt; r < i * s - pt + k; r++) for (let q = j * s - pl; q < j * s - pl + k; q++) {
      if (r < 0 || r >= h || q < 0 || q >= w) continue;
      dx[b * h * w * c + (r * w + q) * c + ch] += dy[o] / count[o];
    }
  }
  return dx;
}

/** Distinct values (a shuffled ramp with steps of 0.05), so no max is tied or near a tie. */
function distinct(len: number, rng: Rng): number[] {
  const v = Array.from({ length: len }, (_, i) => (i - len / 2) * 0.05);
  return rng.shuffle(v);
}

const name = (cfg: Cfg) => `x=[${cfg.n},${cfg.h},${cfg.w},${cfg.c}] k=${cfg.k} s=${cfg.s} pad=${cfg.padding}`;
const opFor = (kind: 'max' | 'avg') => (kind === 'max' ? maxPool2d : avgPool2d);

// ---- kernels against the reference at awkward sizes ----------------------------------------------

const rng = new Rng(11);
for (const c of [1, 3, 4, 5, 7, 17]) {
  for (const k of [2, 3]) {
    for (const s of [1, 2, 3]) {
      for (const padding of ['valid', 'same'] as const) {
        const cfg: Cfg = { n: 2, h: 5, w: 7, c, k, s, padding };
        for (const kind of ['max', 'avg'] as const) {
          test(`${kind}Pool2d kernels vs float64 reference ${name(cfg)}`, () => tidy(() => {
            const len = cfg.n * cfg.h * cfg.w * c;
            const xv = Float32Array.from({ length: len }, () => rng.normal());
            // Some ties: a value equal to its left neighbour in the same channel.
            if (kind === 'max') for (let i = c; i < len; i += 3) xv[i] = xv[i - c];
            const ref = refPool(kind, xv, cfg);
            const x = tensor(xv, [cfg.n, cfg.h, cfg.w, c], { requiresGrad: true });
            const y = opFor(kind)(x, { size: k, stride: s, padding });
            assert.equal([...y.shape], ref.shape);
            close(y.data, ref.y, kind === 'max' ? { atol: 0, rtol: 0 } : { atol: 1e-6, rtol: 1e-5 }, 'forward');
            if (kind === 'max') {
              // The inference kernel (no argmax) gives the same values.
              const yi = opFor(kind)(tensor(xv, [cfg.n, cfg.h, cfg.w, c]), { size: k, stride: s, padding });
              close(yi.data, ref.y, { atol: 0, rtol: 0 }, 'inference forward');
            }
            const dyv = Float32Array.from({ length: y.size }, () => rng.normal());
            y.backward(tensor(dyv, [...y.shape]));
            close((x.grad as Tensor).data, refPoolBackward(kind, xv, dyv, cfg), { atol: 1e-5, rtol: 1e-5 }, 'backward');
          }));
        }
      }
    }
  }
}

// ---- the one-pass backward of tiling windows against the scatter-add, bit for bit ----------------

interface PoolK {
  maxpool2d_fwd_f32(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
    padTop: number, padLeft: number, oh: number, ow: number, y: number, argmax: number): void;
  maxpool2d_bwd_f32(dy: number, argmax: number, n: number, h: number, w: number, c: number, oh: number, ow: number, dx: number): void;
  maxpool2d_bwd_tiled_f32(dy: number, argmax: number, n: number, h: number, w: number, c: number, kh: number, kw: number, oh: number, ow: number, dx: number): void;
  maxpool2d_colsum_tiled_f32(dy: number, argmax: number, n: number, w: number, c: number, oh: number, ow: number, c0: number, c1: number, y: number): void;
  colsum_part_f32(x: number, rows: number, cols: number, c0: number, c1: number, accumulate: number, y: number): void;
}

for (const [h, w, c, kh, kw] of [[5, 7, 1, 2, 2], [6, 8, 4, 2, 2], [7, 9, 5, 3, 3], [9, 10, 17, 2, 3], [4, 4, 8, 4, 4]]) {
  for (const oh of [Math.floor(h / kh), Math.ceil(h / kh)]) {
    const ow = oh === Math.floor(h / kh) ? Math.floor(w / kw) : Math.ceil(w / kw); // 'valid', or windows reaching past the end
    test(`maxpool2d_bwd_tiled_f32 = maxpool2d_bwd_f32 bit for bit: x=[2,${h},${w},${c}] k=[${kh},${kw}] out ${oh}×${ow} (ties, −0 and NaN gradients)`, () => {
      const k = kernels<PoolK>();
      const r = new Rng(h * 100 + c);
      const n = 2, len = n * h * w * c, outLen = n * oh * ow * c;
      const x = new Storage(len), y = new Storage(outLen), arg = new Storage(outLen), dy = new Storage(outLen);
      const a = new Storage(len), b = new Storage(len);
      try {
        const xv = x.f32view();
        for (let i = 0; i < len; i++) xv[i] = Math.round(r.normal() * 2); // many ties
        const dv = dy.f32view();
        for (let i = 0; i < outLen; i++) dv[i] = i % 11 === 0 ? -0 : i % 13 === 0 ? NaN : r.normal();
        a.f32view().fill(7); b.f32view().fill(9); // both kernels must write every element
        k.maxpool2d_fwd_f32(x.ptr, n, h, w, c, kh, kw, kh, kw, 0, 0, oh, ow, y.ptr, arg.ptr);
        k.maxpool2d_bwd_f32(dy.ptr, arg.ptr, n, h, w, c, oh, ow, a.ptr);
        k.maxpool2d_bwd_tiled_f32(dy.ptr, arg.ptr, n, h, w, c, kh, kw, oh, ow, b.ptr);
        assert.equal(Array.from(b.i32view()), Array.from(a.i32view()));
      } finally {
        for (const s of [x, y, arg, dy, a, b]) s.dispose();
      }
    });
  }
}

// Column sums of the tiled backward's dx (a bias gradient) from dy and the winners, as colsum_f32
// sums dx: bit for bit, on every column-block shape (32, 4, scalar tail), odd sizes, ties, −1
// winners (a ReLU's cut), −0 and NaN gradients, values of very different sizes (order matters).
for (const [h, w, c] of [[5, 7, 1], [6, 8, 4], [7, 9, 39], [9, 10, 67], [16, 16, 64], [3, 2, 33]]) {
  test(`maxpool2d_colsum_tiled_f32 = colsum_f32 of maxpool2d_bwd_tiled_f32's dx bit for bit: x=[3,${h},${w},${c}] 2×2 (every column range)`, () => {
    const k = kernels<PoolK>();
    const r = new Rng(h * 1000 + c);
    const n = 3, oh = h >> 1, ow = w >> 1, len = n * h * w * c, outLen = n * oh * ow * c;
    const x = new Storage(len), y = new Storage(outLen), arg = new Storage(outLen), dy = new Storage(outLen);
    const dx = new Storage(len), want = new Storage(c), got = new Storage(c);
    try {
      const xv = x.f32view();
      for (let i = 0; i < len; i++) xv[i] = Math.round(r.normal() * 2); // many ties
      const dv = dy.f32view();
      for (let i = 0; i < outLen; i++) dv[i] = i % 11 === 0 ? -0 : c > 1 && i === 5 ? NaN : r.normal() * 10 ** r.uniform(-4, 4); // one NaN column
      k.maxpool2d_fwd_f32(x.ptr, n, h, w, c, 2, 2, 2, 2, 0, 0, oh, ow, y.ptr, arg.ptr);
      const av = arg.i32view();
      for (let i = 0; i < outLen; i += 7) av[i] = -1; // cut by a ReLU
      k.maxpool2d_bwd_tiled_f32(dy.ptr, arg.ptr, n, h, w, c, 2, 2, oh, ow, dx.ptr);
      k.colsum_part_f32(dx.ptr, n * h * w, c, 0, c, 0, want.ptr);
      for (const [c0, c1] of [[0, c], [0, c & ~3], [c & ~3, c], [4 * Math.floor(c / 8), c]]) {
        got.f32view().fill(5);
        k.maxpool2d_colsum_tiled_f32(dy.ptr, arg.ptr, n, w, c, oh, ow, c0, c1, got.ptr);
        const g = Array.from(got.i32view()), wv = Array.from(want.i32view());
        for (let j = 0; j < c; j++) assert.is(g[j], j >= c0 && j < c1 ? wv[j] : new Int32Array(new Float32Array([5]).buffer)[0], `[${c0}, ${c1}) column ${j}`);
      }
    } finally {
      for (const s of [x, y, arg, dy, dx, want, got]) s.dispose();
    }
  });
}

// ---- gradient checks ----------------------------------------------------------------------------

for (const c of [1, 5]) {
  for (const k of [2, 3]) {
    for (const s of [1, 2, 3]) {
      for (const padding of ['valid', 'same'] as const) {
        const cfg: Cfg = { n: 1, h: 5, w: 7, c, k, s, padding };
        const shape = [cfg.n, cfg.h, cfg.w, c];
        const len = cfg.n * cfg.h * cfg.w * c;
        test(`maxPool2d gradcheck ${name(cfg)}`, () => gradcheck({
          inputs: [{ shape, values: distinct(len, new Rng(len + k + s)) }],
          engine: ([x]) => maxPool2d(x, { size: k, stride: s, padding }),
          reference: ([x]) => refPool('max', x, cfg).y,
        }));
        test(`avgPool2d gradcheck ${name(cfg)}`, () => gradcheck({
          inputs: [{ shape }],
          engine: ([x]) => avgPool2d(x, { size: k, stride: s, padding }),
          reference: ([x]) => refPool('avg', x, cfg).y,
        }));
      }
    }
  }
}

test('maxPool2d gradcheck x=[2,6,5,3] k=[3,2] s=[1,2] pad=same (rectangular window and stride)', () => {
  const cfgRef = (x: Float64Array) => {
    // Reference for a rectangular window: run the square reference per axis is not possible, so loop directly.
    const [n, h, w, c, kh, kw, sh, sw] = [2, 6, 5, 3, 3, 2, 1, 2];
    const oh = Math.ceil(h / sh), ow = Math.ceil(w / sw);
    const pt = Math.floor(Math.max((oh - 1) * sh + kh - h, 0) / 2), pl = Math.floor(Math.max((ow - 1) * sw + kw - w, 0) / 2);
    const y = new Float64Array(n * oh * ow * c);
    for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let ch = 0; ch < c; ch++) {
      let best = -Infinity;
      for (let r = i * sh - pt; r < i * sh - pt + kh; r++) for (let q = j * sw - pl; q < j * sw - pl + kw; q++) {
        if (r >= 0 && r < h && q >= 0 && q < w) best = Math.max(best, x[((b * h + r) * w + q) * c + ch]);
      }
      y[((b * oh + i) * ow + j) * c + ch] = best;
    }
    return y;
  };
  gradcheck({
    inputs: [{ shape: [2, 6, 5, 3], values: distinct(180, new Rng(3)) }],
    engine: ([x]) => {
      const y = maxPool2d(x, { size: [3, 2], stride: [1, 2], padding: 'same' });
      assert.equal([...y.shape], [2, 6, 3, 3]);
      return y;
    },
    reference: ([x]) => cfgRef(x),
  });
});

test('globalAvgPool2d kernels vs float64 reference and gradcheck, C in {1,3,4,5,7,17}, H×W = 5×3', () => {
  for (const c of [1, 3, 4, 5, 7, 17]) {
    gradcheck({
      inputs: [{ shape: [2, 5, 3, c] }],
      engine: ([x]) => globalAvgPool2d(x),
      reference: ([x]) => {
        const y = new Float64Array(2 * c);
        for (let b = 0; b < 2; b++) for (let p = 0; p < 15; p++) for (let ch = 0; ch < c; ch++) y[b * c + ch] += x[(b * 15 + p) * c + ch] / 15;
        return y;
      },
    });
  }
});

// ---- golden values by hand ----------------------------------------------------------------------

const ramp = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

test('golden: 2×2 max and avg pool on a 4×4 image 1..16, x=[1,4,4,1] k=2 s=2 pad=valid', () => {
  const x = tensor(ramp(16), [1, 4, 4, 1], { requiresGrad: true });
  const y = maxPool2d(x, { size: 2 });
  assert.equal([...y.shape], [1, 2, 2, 1]);
  assert.equal(y.toArray(), [6, 8, 14, 16]);
  y.backward(tensor([1, 2, 3, 4], [1, 2, 2, 1]));
  assert.equal((x.grad as Tensor).toArray(), [0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4]);
  assert.equal(avgPool2d(tensor(ramp(16), [1, 4, 4, 1]), { size: 2 }).toArray(), [3.5, 5.5, 11.5, 13.5]);
});

test('golden: 3×3 image 1..9, x=[1,3,3,1] k=2 s=2 pad=same (pad 1 after, none before; padding not counted)', () => {
  const x = tensor(ramp(9), [1, 3, 3, 1]);
  assert.equal(maxPool2d(x, { size: 2, padding: 'same' }).toArray(), [5, 6, 8, 9]);
  // Windows: {1,2,4,5} → 3, {3,6} → 4.5, {7,8} → 7.5, {9} → 9.
  assert.equal(avgPool2d(x, { size: 2, padding: 'same' }).toArray(), [3, 4.5, 7.5, 9]);
});

test('golden: x=[1,3,3,1] k=3 s=1 pad=same pads one on each side', () => {
  const x = tensor(ramp(9), [1, 3, 3, 1]);
  assert.equal(maxPool2d(x, { size: 3, stride: 1, padding: 'same' }).toArray(), [5, 6, 6, 8, 9, 9, 8, 9, 9]);
  // Top-left window {1,2,4,5} → 3; centre → 5.
  const a = avgPool2d(x, { size: 3, stride: 1, padding: 'same' }).toArray();
  assert.is(a[0], 3);
  assert.is(a[4], 5);
});

test('golden: padded positions never win a max (all-negative input, pad=same)', () => {
  const x = tensor(ramp(9).map((v) => -v), [1, 3, 3, 1]);
  assert.equal(maxPool2d(x, { size: 2, padding: 'same' }).toArray(), [-1, -3, -7, -9]);
});

test('ties: the first position in window scan order wins and takes the gradient, x=[1,4,4,5] k=2 (SIMD lanes and tail)', () => {
  const c = 5;
  const x = tensor(new Array(16 * c).fill(1), [1, 4, 4, c], { requiresGrad: true });
  const y = maxPool2d(x, { size: 2 });
  y.backward(tensor(ramp(4 * c), [1, 2, 2, c]));
  const expected = new Array(16 * c).fill(0);
  // Window tops-left: (0,0), (0,2), (2,0), (2,2).
  [[0, 0], [0, 2], [2, 0], [2, 2]].forEach(([r, q], o) => { for (let ch = 0; ch < c; ch++) expected[(r * 4 + q) * c + ch] = o * c + ch + 1; });
  assert.equal((x.grad as Tensor).toArray(), expected);
});

test('overlapping windows accumulate: x=[1,5,5,1] k=3 s=2, the centre is the max of all 4 windows', () => {
  const v = new Array(25).fill(0);
  v[12] = 10;
  const x = tensor(v, [1, 5, 5, 1], { requiresGrad: true });
  const y = maxPool2d(x, { size: 3, stride: 2 });
  assert.equal(y.toArray(), [10, 10, 10, 10]);
  y.backward(tensor([1, 2, 3, 4], [1, 2, 2, 1]));
  assert.is((x.grad as Tensor).data[12], 10);
  assert.is((x.grad as Tensor).data.reduce((p, q) => p + q, 0), 10);
});

test('golden: globalAvgPool2d x=[2,2,2,1] → [N,C]', () => {
  const y = globalAvgPool2d(tensor([1, 2, 3, 4, 10, 20, 30, 40], [2, 2, 2, 1]));
  assert.equal([...y.shape], [2, 1]);
  assert.equal(y.toArray(), [2.5, 25]);
});

test('maxPool2d keeps no argmax when no gradient is needed', () => {
  const x = tensor(ramp(16), [1, 4, 4, 1]);
  tidy(() => {
    const before = memoryStats().liveBlocks;
    maxPool2d(x, { size: 2 });
    assert.is(memoryStats().liveBlocks - before, 1);
  });
  const xg = tensor(ramp(16), [1, 4, 4, 1], { requiresGrad: true });
  tidy(() => {
    const before = memoryStats().liveBlocks;
    maxPool2d(xg, { size: 2 });
    assert.is(memoryStats().liveBlocks - before, 2);
  });
  noGrad(() => assert.equal(maxPool2d(x, { size: 2 }).toArray(), [6, 8, 14, 16]));
});

// ---- error contracts ----------------------------------------------------------------------------

test('errors name the op, the contract and what was given', () => {
  const x = tensor(ramp(16), [1, 4, 4, 1]);
  for (const [op, re] of [[maxPool2d, 'maxPool2d'], [avgPool2d, 'avgPool2d']] as const) {
    assert.throws(() => op(tensor(ramp(16), [4, 4]), { size: 2 }), new RegExp(`${re}: expected input of rank 4 \\[N,H,W,C\\], got shape \\[4,4\\]`));
    assert.throws(() => op(x, { size: 0 }), new RegExp(`${re}: expected size to be an integer >= 1, got 0`));
    assert.throws(() => op(x, { size: 1.5 }), new RegExp(`${re}: expected size to be an integer >= 1, got 1.5`));
    assert.throws(() => op(x, { size: [2, 2, 2] as unknown as [number, number] }), new RegExp(`${re}: expected size to be an integer >= 1 or a pair`));
    assert.throws(() => op(x, { size: [2, -1] }), new RegExp(`${re}: expected size\\[1\\] to be an integer >= 1, got -1`));
    assert.throws(() => op(x, { size: 2, stride: 0 }), new RegExp(`${re}: expected stride to be an integer >= 1, got 0`));
    assert.throws(() => op(x, { size: 2, padding: 'full' as Padding }), new RegExp(`${re}: expected padding to be one of 'valid', 'same', got "full"`));
    assert.throws(() => op(x, { size: 5 }), new RegExp(`${re}: expected a window that fits the input \\(output size >= 1\\), got window \\[5,5\\] stride \\[5,5\\] padding 'valid' on input \\[1,4,4,1\\], which gives output \\[0,0\\]`));
    assert.throws(() => op(tensor([], [1, 0, 4, 1]), { size: 1, padding: 'same' }), new RegExp(`${re}: expected a window that fits the input`));
    assert.throws(() => op(x, undefined as unknown as { size: number }), new RegExp(`${re}: expected options \\{ size, stride\\?, padding\\? \\}, got undefined`));
    assert.throws(() => op(null as unknown as Tensor, { size: 2 }), new RegExp(`${re}: expected input 0 to be a Tensor, got null`));
  }
  assert.throws(() => avgPool2d(x, undefined as unknown as { size: number }), TypeError);
  assert.throws(() => globalAvgPool2d(tensor([1, 2], [1, 2])), /globalAvgPool2d: expected input of rank 4 \[N,H,W,C\], got shape \[1,2\]/);
  assert.throws(() => globalAvgPool2d(tensor([], [1, 0, 3, 2])), /globalAvgPool2d: expected an input with H·W >= 1, got shape \[1,0,3,2\]/);
});

test.run();
