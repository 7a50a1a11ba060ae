// 2-D pooling over NHWC activations: maxPool2d, avgPool2d, globalAvgPool2d. Forward and backward
// side by side. Padding 'same' follows TensorFlow: output = ceil(in / stride), the total padding
// max((out − 1)·stride + size − in, 0) is split with the smaller half before the image (top/left),
// and padded positions never win a max nor count in an average.
import { defineOp } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { Storage } from '../memory.js';
import { describe, checkInt, checkOption, fmtShape, rangeError, typeError } from '../errors.js';
import { kernels } from '../wasm.js';
import { STREAM_MIN_PART, runRange } from '../threads.js';

interface K {
  maxpool2d_fwd_f32(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
    padTop: number, padLeft: number, oh: number, ow: number, y: number, argmax: number): void;
  maxpool2d_fwd_inference_f32(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
    padTop: number, padLeft: number, oh: number, ow: number, y: number): void;
  maxpool2d_bwd_f32(dy: number, argmax: number, n: number, h: number, w: number, c: number, oh: number, ow: number, dx: number): void;
  maxpool2d_bwd_tiled_f32(dy: number, argmax: number, n: number, h: number, w: number, c: number, kh: number, kw: number, oh: number, ow: number, dx: number): void;
  avgpool2d_fwd_f32(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
    padTop: number, padLeft: number, oh: number, ow: number, y: number): void;
  avgpool2d_bwd_f32(dy: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
    padTop: number, padLeft: number, oh: number, ow: number, dx: number): void;
  globalavgpool2d_fwd_f32(x: number, n: number, hw: number, c: number, y: number): void;
  globalavgpool2d_bwd_f32(dy: number, n: number, hw: number, c: number, dx: number): void;
}
const k = () => kernels<K>();

export type Padding = 'valid' | 'same';
const PADDINGS: readonly Padding[] = ['valid', 'same'];

export interface Pool2dOptions {
  /** Window size: one number for a square window, or [height, width]. */
  size: number | [number, number];
  /** Step between windows (default: the window size). */
  stride?: number | [number, number];
  /** 'valid' (default): windows inside the image only; 'same': output = ceil(input / stride). */
  padding?: Padding;
}

interface PoolAttrs { kh: number; kw: number; sh: number; sw: number; padding: Padding }

/** Validated window, stride and padding from the options (independent of the input). */
function parseOpts(name: string, opts: Pool2dOptions): PoolAttrs {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw typeError(name, 'options { size, stride?, padding? }', describe(opts));
  }
  const pair = (what: string, v: unknown): [number, number] => {
    if (Array.isArray(v)) {
      if (v.length !== 2) throw rangeError(name, `${what} to be an integer >= 1 or a pair [h, w] of them`, describe(v));
      return [checkInt(name, `${what}[0]`, v[0], 1), checkInt(name, `${what}[1]`, v[1], 1)];
    }
    const s = checkInt(name, what, v, 1);
    return [s, s];
  };
  const [kh, kw] = pair('size', opts.size);
  const [sh, sw] = opts.stride === undefined ? [kh, kw] : pair('stride', opts.stride);
  const padding = checkOption(name, 'padding', opts.padding ?? 'valid', PADDINGS);
  return { kh, kw, sh, sw, padding };
}

/** Output size and padding before the image along one axis. */
function axis(inp: number, k: number, s: number, padding: Padding): { out: number; pad: number } {
  if (padding === 'valid') return { out: inp >= k ? Math.floor((inp - k) / s) + 1 : 0, pad: 0 };
  const out = Math.ceil(inp / s);
  return { out, pad: Math.floor(Math.max((out - 1) * s + k - inp, 0) / 2) };
}

interface Geometry { n: number; h: number; w: number; c: number; oh: number; ow: number; padTop: number; padLeft: number }

/** Checks x against the window and returns the geometry; throws `name: expected …` otherwise. */
function geometry(name: string, x: Tensor, { kh, kw, sh, sw, padding }: PoolAttrs): Geometry {
  if (x.rank !== 4) throw rangeError(name, 'input of rank 4 [N,H,W,C]', `shape ${fmtShape(x.shape)}`);
  const [n, h, w, c] = x.shape;
  const ah = axis(h, kh, sh, padding), aw = axis(w, kw, sw, padding);
  if (ah.out <= 0 || aw.out <= 0) {
    throw rangeError(name, `a window that fits the input (output size >= 1)`,
      `window [${kh},${kw}] stride [${sh},${sw}] padding '${padding}' on input ${fmtShape(x.shape)}, which gives output [${ah.out},${aw.out}]`);
  }
  return { n, h, w, c, oh: ah.out, ow: aw.out, padTop: ah.pad, padLeft: aw.pad };
}

const MAX = 'maxPool2d';
const maxOp = defineOp<PoolAttrs, { argmax: Storage }>({
  name: MAX,
  check: ([x], attrs) => { geometry(MAX, x, attrs); },
  forward(ctx) {
    const { inputs: [x], attrs: a } = ctx;
    const g = geometry(MAX, x, a);
    const y = new Tensor([g.n, g.oh, g.ow, g.c]);
    const imageIn = g.h * g.w * g.c, imageOut = g.oh * g.ow * g.c;
    if (ctx.needsInputGrad[0]) {
      const argmax = new Storage(y.size);
      // Threads: by images (argmax holds positions inside each image).
      runRange('maxpool2d_fwd_f32', g.n, g.h * g.w * g.c, STREAM_MIN_PART, 1, (b, n) => [x.ptr + 4 * b * imageIn, n, g.h, g.w, g.c, a.kh, a.kw, a.sh, a.sw,
        g.padTop, g.padLeft, g.oh, g.ow, y.ptr + 4 * b * imageOut, argmax.ptr + 4 * b * imageOut]);
      ctx.saved = { argmax };
    } else {
      runRange('maxpool2d_fwd_inference_f32', g.n, g.h * g.w * g.c, STREAM_MIN_PART, 1, (b, n) => [x.ptr + 4 * b * imageIn, n, g.h, g.w, g.c, a.kh, a.kw,
        a.sh, a.sw, g.padTop, g.padLeft, g.oh, g.ow, y.ptr + 4 * b * imageOut]);
    }
    return y;
  },
  backward({ inputs: [x], attrs: a, saved: { argmax } }, dy) {
    argmax.check();
    const g = geometry(MAX, x, a);
    const dx = new Tensor(x.shape);
    const imageIn = g.h * g.w * g.c, imageOut = g.oh * g.ow * g.c;
    // Windows that tile the input (stride = window, no padding: the usual 2×2) write dx in one
    // pass; others (overlapping or padded windows) zero it and scatter-add.
    if (a.kh === a.sh && a.kw === a.sw && g.padTop === 0 && g.padLeft === 0) {
      runRange('maxpool2d_bwd_tiled_f32', g.n, imageIn, STREAM_MIN_PART, 1,
        (b, n) => [dy.ptr + 4 * b * imageOut, argmax.ptr + 4 * b * imageOut, n, g.h, g.w, g.c, a.kh, a.kw, g.oh, g.ow, dx.ptr + 4 * b * imageIn]);
    } else {
      runRange('maxpool2d_bwd_f32', g.n, imageIn, STREAM_MIN_PART, 1,
        (b, n) => [dy.ptr + 4 * b * imageOut, argmax.ptr + 4 * b * imageOut, n, g.h, g.w, g.c, g.oh, g.ow, dx.ptr + 4 * b * imageIn]);
    }
    return [dx];
  },
});

/**
 * Max over each window of x [N,H,W,C] → [N,OH,OW,C]. The forward keeps the position of each max
 * (an int32 per output element) and the backward sends dy there, accumulating where windows
 * overlap. Ties: the first position in the window's scan order (row by row, left to right) wins and
 * takes the gradient. A NaN in a window wins. Padded positions never win.
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return maxOp([x], parseOpts(MAX, opts));
}

const AVG = 'avgPool2d';
const avgOp = defineOp<PoolAttrs>({
  name: AVG,
  check: ([x], attrs) => { geometry(AVG, x, attrs); },
  forward({ inputs: [x], attrs: a }) {
    const g = geometry(AVG, x, a);
    const y = new Tensor([g.n, g.oh, g.ow, g.c]);
    k().avgpool2d_fwd_f32(x.ptr, g.n, g.h, g.w, g.c, a.kh, a.kw, a.sh, a.sw, g.padTop, g.padLeft, g.oh, g.ow, y.ptr);
    return y;
  },
  backward({ inputs: [x], attrs: a }, dy) {
    const g = geometry(AVG, x, a);
    const dx = new Tensor(x.shape);
    k().avgpool2d_bwd_f32(dy.ptr, g.n, g.h, g.w, g.c, a.kh, a.kw, a.sh, a.sw, g.padTop, g.padLeft, g.oh, g.ow, dx.ptr);
    return [dx];
  },
});

/**
 * Mean over each window of x [N,H,W,C] → [N,OH,OW,C], counting only the positions inside the
 * image (with 'same', windows at the border average fewer values, as in TensorFlow).
 */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return avgOp([x], parseOpts(AVG, opts));
}

const GAP = 'globalAvgPool2d';
const gapOp = defineOp<undefined>({
  name: GAP,
  check([x]) {
    if (x.rank !== 4) throw rangeError(GAP, 'input of rank 4 [N,H,W,C]', `shape ${fmtShape(x.shape)}`);
    if (x.shape[1] * x.shape[2] === 0) throw rangeError(GAP, 'an input with H·W >= 1', `shape ${fmtShape(x.shape)}`);
  },
  forward({ inputs: [x] }) {
    const [n, h, w, c] = x.shape;
    const y = new Tensor([n, c]);
    k().globalavgpool2d_fwd_f32(x.ptr, n, h * w, c, y.ptr);
    return y;
  },
  backward({ inputs: [x] }, dy) {
    const [n, h, w, c] = x.shape;
    const dx = new Tensor(x.shape);
    k().globalavgpool2d_bwd_f32(dy.ptr, n, h * w, c, dx.ptr);
    return [dx];
  },
});

/** Mean over all positions of each image and channel: x [N,H,W,C] → [N,C]. */
export const globalAvgPool2d = (x: Tensor): Tensor => gapOp([x], undefined);
