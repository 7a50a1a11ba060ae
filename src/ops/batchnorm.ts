// Batch normalisation over the last axis ([N,D] or NHWC [N,H,W,C]): forward and backward side by
// side. In training the statistics are the batch's own (and the running estimates are updated in
// place); in evaluation the running estimates are used and are constants for the gradient.
import { defineOp } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { Storage } from '../memory.js';
import { checkNumber, describe, fmtShape, rangeError, typeError } from '../errors.js';
import { kernels } from '../wasm.js';
import { STREAM_MIN_PART, runRange } from '../threads.js';
import { maxPool2d } from './pool.js';
import { relu as reluOp } from './activation.js';

interface K {
  batchnorm_stats_f32(x: number, rows: number, c: number, eps: number, work: number, mean: number, variance: number, invstd: number): void;
  batchnorm_fwd_f32(x: number, rows: number, c: number, mean: number, invstd: number, gamma: number, beta: number, y: number): void;
  batchnorm_bwd_f32(x: number, dy: number, rows: number, c: number, mean: number, invstd: number, gamma: number, batchStats: number,
    work: number, dx: number, dgamma: number, dbeta: number): void;
  batchnorm_running_f32(mean: number, variance: number, c: number, momentum: number, unbias: number, runMean: number, runVar: number): void;
  batchnorm_bwd_coef_f32(gamma: number, invstd: number, dgamma: number, dbeta: number, rows: number, c: number, batchStats: number, coef: number): void;
}
const k = () => kernels<K>();

const BN = 'batchNorm';

export interface BatchNormOptions {
  /** true: normalise with the batch's statistics (and update the running ones); false: use the running ones. */
  training: boolean;
  /** [C] running mean, updated in place in training; required in evaluation. */
  runningMean?: Tensor | null;
  /** [C] running (unbiased) variance, updated in place in training; required in evaluation. */
  runningVar?: Tensor | null;
  /** Weight of the new batch in the running estimates (default 0.1, as PyTorch). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

interface Attrs { training: boolean; rows: number; c: number; eps: number; runningMean: Tensor | null; runningVar: Tensor | null; momentum: number }
/** mean and invstd: [C] each, the statistics the forward used. */
interface Saved { mean: Storage; invstd: Storage }

/**
 * The statistics a forward normalises with: in training the batch's (and the running estimates
 * updated in place), in evaluation the running estimates. Returns new blocks the caller owns.
 */
function statistics(x: Tensor, a: Attrs): Saved {
  const mean = new Storage(a.c), invstd = new Storage(a.c);
  if (a.training) {
    const variance = new Storage(a.c), work = new Storage(2 * a.c);
    // Threads: by channels (each channel's sums whole, in row order).
    runRange('batchnorm_stats_part_f32', a.c, a.rows, STREAM_MIN_PART, 4,
      (j, n) => [x.ptr, a.rows, a.c, j, j + n, a.eps, work.ptr, mean.ptr, variance.ptr, invstd.ptr], 1);
    if (a.runningMean && a.runningVar) {
      k().batchnorm_running_f32(mean.ptr, variance.ptr, a.c, a.momentum, a.rows / (a.rows - 1), a.runningMean.ptr, a.runningVar.ptr);
    }
    variance.dispose();
    work.dispose();
  } else {
    const rm = (a.runningMean as Tensor).data, rv = (a.runningVar as Tensor).data;
    const m = mean.f32view(), s = invstd.f32view();
    for (let j = 0; j < a.c; j++) { m[j] = rm[j]; s[j] = 1 / Math.sqrt(rv[j] + Math.fround(a.eps)); }
  }
  return { mean, invstd };
}

const bnOp = defineOp<Attrs, Saved>({
  name: BN,
  forward(ctx) {
    const { inputs: [x, gamma, beta], attrs: a } = ctx;
    const y = new Tensor(x.shape);
    const { mean, invstd } = statistics(x, a);
    runRange('batchnorm_fwd_f32', a.rows, a.c, STREAM_MIN_PART, 1,
      (r, n) => [x.ptr + 4 * r * a.c, n, a.c, mean.ptr, invstd.ptr, gamma.ptr, beta.ptr, y.ptr + 4 * r * a.c]);
    if (ctx.needsInputGrad.some(Boolean)) ctx.saved = { mean, invstd };
    else { mean.dispose(); invstd.dispose(); }
    return y;
  },
  backward({ inputs: [x, gamma], attrs: a, saved: { mean, invstd }, needsInputGrad }, dy) {
    mean.check();
    const dx = needsInputGrad[0] ? new Tensor(x.shape) : null;
    const dgamma = new Tensor([a.c]), dbeta = new Tensor([a.c]);
    const work = new Storage(4 * a.c);
    // Threads: the sums by channels, then dx by rows (the same operations as batchnorm_bwd_f32).
    const c = a.c, rows = a.rows, stats = a.training ? 1 : 0;
    runRange('batchnorm_bwd_sums_part_f32', c, rows, STREAM_MIN_PART, 4,
      (j, n) => [x.ptr, dy.ptr, rows, c, j, j + n, mean.ptr, invstd.ptr, work.ptr, dgamma.ptr, dbeta.ptr], 1);
    if (dx) {
      k().batchnorm_bwd_coef_f32(gamma.ptr, invstd.ptr, dgamma.ptr, dbeta.ptr, rows, c, stats, work.ptr);
      runRange('batchnorm_bwd_dx_f32', rows, c, STREAM_MIN_PART, 1,
        (r, n) => [x.ptr + 4 * r * c, dy.ptr + 4 * r * c, n, c, mean.ptr, invstd.ptr, stats, work.ptr, dx.ptr + 4 * r * c]);
    }
    work.dispose();
    return [dx, needsInputGrad[1] ? dgamma : null, needsInputGrad[2] ? dbeta : null];
  },
});

function checkVector(name: string, what: string, t: unknown, c: number, xShape: readonly number[]): Tensor {
  if (!(t instanceof Tensor)) throw typeError(name, `${what} to be a Tensor`, describe(t));
  if (t.rank !== 1 || t.shape[0] !== c) {
    throw rangeError(name, `${what} of shape [${c}] (C, the last axis of x ${fmtShape(xShape)})`, `shape ${fmtShape(t.shape)}`);
  }
  return t;
}

/**
 * Batch normalisation over the last axis of x (C = x.shape[rank − 1], rows = every other position:
 * [N,D] → N rows, NHWC [N,H,W,C] → N·H·W rows): y = (x − mean)/sqrt(var + eps)·gamma + beta with
 * gamma, beta [C]. Training: mean and the biased var of the batch (at least 2 rows), gradients
 * through the statistics, and runningMean/runningVar (if given) updated in place with the unbiased
 * variance: r ← (1 − momentum)·r + momentum·batch. Evaluation: the running statistics, constants.
 */
export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, opts: BatchNormOptions): Tensor {
  return bnOp([x, gamma, beta], bnAttrs(BN, x, gamma, beta, opts));
}

/** Checks batchNorm's (or batchNormMaxPool's: `name`) arguments and returns the op's attributes. */
function bnAttrs(name: string, x: Tensor, gamma: Tensor, beta: Tensor, opts: BatchNormOptions): Attrs {
  if (!(x instanceof Tensor)) throw typeError(name, 'x to be a Tensor', describe(x));
  if (opts === null || typeof opts !== 'object') throw typeError(name, 'options { training, runningMean?, runningVar?, momentum?, eps? }', describe(opts));
  if (typeof opts.training !== 'boolean') throw typeError(name, 'options.training to be a boolean', describe(opts.training));
  if (x.rank < 2) throw rangeError(name, 'x of rank >= 2 ([N,D] or [N,H,W,C]; normalised over the last axis)', `shape ${fmtShape(x.shape)}`);
  const c = x.shape[x.rank - 1];
  if (c < 1) throw rangeError(name, 'x with at least one channel (last axis)', `shape ${fmtShape(x.shape)}`);
  const rows = x.size / c;
  checkVector(name, 'gamma', gamma, c, x.shape);
  checkVector(name, 'beta', beta, c, x.shape);
  const momentum = checkNumber(name, 'options.momentum', opts.momentum ?? 0.1, 0, 1);
  const eps = checkNumber(name, 'options.eps', opts.eps ?? 1e-5, 0);
  if (!(Math.fround(eps) > 0)) throw rangeError(name, 'options.eps to be > 0 (at least 1.4e-45, the smallest f32)', describe(eps));
  const rm = opts.runningMean ?? null, rv = opts.runningVar ?? null;
  if ((rm === null) !== (rv === null)) throw rangeError(name, 'runningMean and runningVar both given or both absent', rm === null ? 'only runningVar' : 'only runningMean');
  if (rm) checkVector(name, 'runningMean', rm, c, x.shape);
  if (rv) checkVector(name, 'runningVar', rv, c, x.shape);
  if (opts.training) {
    if (rows < 2) {
      throw rangeError(name, 'at least 2 values per channel in training (the batch variance of one value is 0)', `x of shape ${fmtShape(x.shape)}`,
        'use a batch of 2 or more, or evaluation mode');
    }
  } else if (rm === null) {
    throw rangeError(name, 'runningMean and runningVar in evaluation (training: false)', 'neither');
  }
  return { training: opts.training, rows, c, eps, runningMean: rm, runningVar: rv, momentum };
}

// ---------------------------------------------------------------------------------------------
// Batch norm followed by a 2×2 max-pool (and a ReLU), as a convolution block with batch norm runs
// them: the normalised activation — the full size, 33.5 MB at the reference network's first layer —
// is pooled as it is computed and never written, and the backward forms its gradient pixel by pixel
// from the pool's (assembly/kernels/batchnorm.ts). The same values and gradients, bit for bit.

const BN_POOL = 'batchNormMaxPool';

interface PoolAttrs extends Attrs { N: number; H: number; W: number; relu: boolean }

const bnPoolOp = defineOp<PoolAttrs, Saved & { argmax: Storage }>({
  name: BN_POOL,
  forward(ctx) {
    const { inputs: [x, gamma, beta], attrs: a } = ctx;
    const PH = a.H >> 1, PW = a.W >> 1, imageIn = a.H * a.W * a.c, imageOut = PH * PW * a.c;
    const y = new Tensor([a.N, PH, PW, a.c]);
    const { mean, invstd } = statistics(x, a);
    const grad = ctx.needsInputGrad.some(Boolean);
    const argmax = grad ? new Storage(y.size) : null;
    // Threads: by images.
    runRange('batchnorm_pool_fwd_f32', a.N, imageIn, STREAM_MIN_PART, 1, (n0, n) => [x.ptr + 4 * n0 * imageIn, n, a.H, a.W, a.c, mean.ptr, invstd.ptr,
      gamma.ptr, beta.ptr, y.ptr + 4 * n0 * imageOut, argmax === null ? 0 : argmax.ptr + 4 * n0 * imageOut, a.relu ? 1 : 0]);
    if (argmax !== null) ctx.saved = { mean, invstd, argmax };
    else { mean.dispose(); invstd.dispose(); }
    return y;
  },
  backward({ inputs: [x, gamma], attrs: a, saved: { mean, invstd, argmax }, needsInputGrad }, dy) {
    mean.check();
    const dx = needsInputGrad[0] ? new Tensor(x.shape) : null;
    const dgamma = new Tensor([a.c]), dbeta = new Tensor([a.c]);
    const work = new Storage(4 * a.c);
    const c = a.c, stats = a.training ? 1 : 0, imageIn = a.H * a.W * c, imageOut = (a.H >> 1) * (a.W >> 1) * c;
    // Threads: the sums by channels, then dx by images (batchNorm's backward, with the pool's gradient formed as it goes).
    runRange('batchnorm_pool_bwd_sums_part_f32', c, a.rows, STREAM_MIN_PART, 4,
      (j, n) => [x.ptr, dy.ptr, argmax.ptr, a.N, a.H, a.W, c, j, j + n, mean.ptr, invstd.ptr, work.ptr, dgamma.ptr, dbeta.ptr], 1);
    if (dx) {
      k().batchnorm_bwd_coef_f32(gamma.ptr, invstd.ptr, dgamma.ptr, dbeta.ptr, a.rows, c, stats, work.ptr);
      runRange('batchnorm_pool_bwd_dx_f32', a.N, imageIn, STREAM_MIN_PART, 1, (n0, n) => [x.ptr + 4 * n0 * imageIn, dy.ptr + 4 * n0 * imageOut,
        argmax.ptr + 4 * n0 * imageOut, n, a.H, a.W, c, mean.ptr, invstd.ptr, stats, work.ptr, dx.ptr + 4 * n0 * imageIn]);
    }
    work.dispose();
    return [dx, needsInputGrad[1] ? dgamma : null, needsInputGrad[2] ? dbeta : null];
  },
});

export interface BatchNormMaxPoolOptions extends BatchNormOptions {
  /** Also the ReLU of the pooled values, default false. */
  relu?: boolean;
}

/**
 * maxPool2d(batchNorm(x, gamma, beta, opts), { size: 2 }) — with `relu: true` its ReLU — for an
 * NHWC x [N, H, W, C] (H, W ≥ 2): the same values and gradients bit for bit, the normalised
 * activation never written when C % 4 = 0 (otherwise the steps run one after the other). The pool
 * is 2×2, stride 2, 'valid'; ties go to the first position in the window, a NaN wins.
 */
export function batchNormMaxPool(x: Tensor, gamma: Tensor, beta: Tensor, opts: BatchNormMaxPoolOptions): Tensor {
  const a = bnAttrs(BN_POOL, x, gamma, beta, opts);
  const relu = opts.relu ?? false;
  if (typeof relu !== 'boolean') throw typeError(BN_POOL, 'options.relu to be a boolean', describe(relu));
  if (x.rank !== 4 || x.shape[1] < 2 || x.shape[2] < 2) {
    throw rangeError(BN_POOL, 'x of shape [N,H,W,C] with H, W ≥ 2 for the 2×2 max-pool', `shape ${fmtShape(x.shape)}`);
  }
  if (a.c % 4 !== 0) {
    const pooled = maxPool2d(bnOp([x, gamma, beta], a), { size: 2 });
    return relu ? reluOp(pooled) : pooled;
  }
  return bnPoolOp([x, gamma, beta], { ...a, N: x.shape[0], H: x.shape[1], W: x.shape[2], relu });
}
