// Batch normalisation over the last axis ([N,D] or NHWC [N,H,W,C]): forward and backward side by
// side. In training the statistics are the batch's own (and the running estimates are updated in
// place); in evaluation the running estimates are used and are constants for the gradient.
import { defineOp } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { Storage } from '../memory.js';
import { checkNumber, describe, fmtShape, rangeError, typeError } from '../errors.js';
import { kernels } from '../wasm.js';
import { STREAM_MIN_PART, runRange } from '../threads.js';

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

const bnOp = defineOp<Attrs, Saved>({
  name: BN,
  forward(ctx) {
    const { inputs: [x, gamma, beta], attrs: a } = ctx;
    const y = new Tensor(x.shape);
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

function checkVector(what: string, t: unknown, c: number, xShape: readonly number[]): Tensor {
  if (!(t instanceof Tensor)) throw typeError(BN, `${what} to be a Tensor`, describe(t));
  if (t.rank !== 1 || t.shape[0] !== c) {
    throw rangeError(BN, `${what} of shape [${c}] (C, the last axis of x ${fmtShape(xShape)})`, `shape ${fmtShape(t.shape)}`);
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
  if (!(x instanceof Tensor)) throw typeError(BN, 'x to be a Tensor', describe(x));
  if (opts === null || typeof opts !== 'object') throw typeError(BN, 'options { training, runningMean?, runningVar?, momentum?, eps? }', describe(opts));
  if (typeof opts.training !== 'boolean') throw typeError(BN, 'options.training to be a boolean', describe(opts.training));
  if (x.rank < 2) throw rangeError(BN, 'x of rank >= 2 ([N,D] or [N,H,W,C]; normalised over the last axis)', `shape ${fmtShape(x.shape)}`);
  const c = x.shape[x.rank - 1];
  if (c < 1) throw rangeError(BN, 'x with at least one channel (last axis)', `shape ${fmtShape(x.shape)}`);
  const rows = x.size / c;
  checkVector('gamma', gamma, c, x.shape);
  checkVector('beta', beta, c, x.shape);
  const momentum = checkNumber(BN, 'options.momentum', opts.momentum ?? 0.1, 0, 1);
  const eps = checkNumber(BN, 'options.eps', opts.eps ?? 1e-5, 0);
  if (!(Math.fround(eps) > 0)) throw rangeError(BN, 'options.eps to be > 0 (at least 1.4e-45, the smallest f32)', describe(eps));
  const rm = opts.runningMean ?? null, rv = opts.runningVar ?? null;
  if ((rm === null) !== (rv === null)) throw rangeError(BN, 'runningMean and runningVar both given or both absent', rm === null ? 'only runningVar' : 'only runningMean');
  if (rm) checkVector('runningMean', rm, c, x.shape);
  if (rv) checkVector('runningVar', rv, c, x.shape);
  if (opts.training) {
    if (rows < 2) {
      throw rangeError(BN, 'at least 2 values per channel in training (the batch variance of one value is 0)', `x of shape ${fmtShape(x.shape)}`,
        'use a batch of 2 or more, or evaluation mode');
    }
  } else if (rm === null) {
    throw rangeError(BN, 'runningMean and runningVar in evaluation (training: false)', 'neither');
  }
  return bnOp([x, gamma, beta], { training: opts.training, rows, c, eps, runningMean: rm, runningVar: rv, momentum });
}
