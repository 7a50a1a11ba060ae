// Pairwise distances and the triplet loss (the lecture's L(A, P, N) = max(d(A,P) − d(A,N) + α, 0)).
// Three pieces, composed the way pytorch-metric-learning composes a loss:
//   pairwiseDistances          [N,D] → [N,N] distances (an op; backward gives dX)
//   tripletLossFromDistances   [N,N] distances + labels → scalar loss (an op; backward gives dDist),
//                              mining the triplets ('all', 'hard', 'semihard') inside the kernel
//   tripletLoss                the two together, from embeddings.
// Triplets are never listed in memory: the miner kernels read the distance matrix and write the
// loss, the counts and dL/dDist (an [N,N] block of integer counts) directly.
import { defineOp, isGradEnabled } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { Storage } from '../memory.js';
import { kernels, wasmMemory } from '../wasm.js';
import { checkNumber, checkOption, describe, fmtShape, rangeError, typeError } from '../errors.js';

interface K {
  pairwise_dist_f32(x: number, n: number, d: number, squared: number, i0: number, i1: number, y: number): void;
  pairwise_dist_bwd_f32(x: number, n: number, d: number, dist: number, g: number, squared: number, i0: number, i1: number, dx: number): void;
  triplet_all_f32(dist: number, labels: number, n: number, margin: number, a0: number, a1: number, stats: number, coef: number): void;
  triplet_hard_f32(dist: number, labels: number, n: number, margin: number, a0: number, a1: number, stats: number, coef: number): void;
  triplet_semihard_f32(dist: number, labels: number, n: number, margin: number, a0: number, a1: number, stats: number, coef: number): void;
  scale_f32(x: number, n: number, a: number, y: number): void;
  count_nonfinite_f32(x: number, n: number): number;
}
const k = () => kernels<K>();

/** Which triplets a loss uses: every valid one, the hardest per anchor, or FaceNet's semi-hard ones. */
export type Miner = 'all' | 'hard' | 'semihard';
export type TripletDistance = 'euclidean' | 'squared';
export type TripletReduction = 'sum' | 'mean';
export const MINERS: readonly Miner[] = ['all', 'hard', 'semihard'];
export const TRIPLET_DISTANCES: readonly TripletDistance[] = ['euclidean', 'squared'];
export const TRIPLET_REDUCTIONS: readonly TripletReduction[] = ['sum', 'mean'];

export interface TripletLossOptions {
  /** α ≥ 0: the minimum gap wanted between d(A,N) and d(A,P). */
  margin: number;
  /** Default 'all' (the lecture's choice). */
  miner?: Miner;
  /** Default 'euclidean'. */
  distance?: TripletDistance;
  /** 'sum' over the triplets (the lecture) or 'mean' over those with a non-zero loss. Default 'sum'. */
  reduction?: TripletReduction;
}

export interface TripletLossResult {
  /** Scalar, on the autograd graph (an exact 0 that still back-propagates when nothing was mined). */
  loss: Tensor;
  /** How many triplets the miner chose. */
  triplets: number;
  /** How many of them have a loss > 0. */
  active: number;
  /** Mean d(A,P) over the chosen triplets (NaN when none). */
  meanPositive: number;
  /** Mean d(A,N) over the chosen triplets (NaN when none). */
  meanNegative: number;
}

// ---------------------------------------------------------------------------------------------
// pairwiseDistances

const PAIRWISE = 'pairwiseDistances';
const pairwiseOp = defineOp<{ squared: boolean }, { y: Tensor }>({
  name: PAIRWISE,
  check: ([x]) => {
    if (x.rank !== 2) throw rangeError(PAIRWISE, 'x of rank 2 [N,D]', `shape ${fmtShape(x.shape)}`);
  },
  forward(ctx) {
    const [x] = ctx.inputs;
    const [n, d] = x.shape;
    const y = new Tensor([n, n]);
    k().pairwise_dist_f32(x.ptr, n, d, ctx.attrs.squared ? 1 : 0, 0, n, y.ptr);
    ctx.saved = { y };
    return y;
  },
  backward({ inputs: [x], attrs: { squared }, saved: { y } }, g) {
    const [n, d] = x.shape;
    const dx = new Tensor(x.shape);
    k().pairwise_dist_bwd_f32(x.ptr, n, d, y.ptr, g.ptr, squared ? 1 : 0, 0, n, dx.ptr);
    return [dx];
  },
});

/**
 * Distances between the rows of x [N,D] → [N,N]: Euclidean (default) or squared Euclidean. Computed
 * from the differences x_i − x_j (accurate for near-duplicate rows), exactly symmetric, with an
 * exact 0 on the diagonal. The Euclidean gradient is 0 where a distance is 0 (never NaN).
 */
export function pairwiseDistances(x: Tensor, opts: { squared?: boolean } = {}): Tensor {
  if (opts === null || typeof opts !== 'object') throw typeError(PAIRWISE, 'options { squared?: boolean }', describe(opts));
  const squared = opts.squared ?? false;
  if (typeof squared !== 'boolean') throw typeError(PAIRWISE, 'squared to be a boolean', describe(squared));
  return pairwiseOp([x], { squared });
}

// ---------------------------------------------------------------------------------------------
// tripletLossFromDistances

const FROM_DIST = 'tripletLossFromDistances';
const TRIPLET = 'tripletLoss';

interface Report { triplets: number; active: number; sumPos: number; sumNeg: number }
interface TripletAttrs {
  labels: Int32Array;
  margin: number;
  miner: Miner;
  reduction: TripletReduction;
  /** Whether the graph is being recorded (decided before the op runs its forward under noGrad). */
  recording: boolean;
  /** Filled by forward: what the miner counted. */
  report: Report;
}
interface TripletSaved { coef: Tensor | null; denom: number }

const MINER_KERNEL: Record<Miner, 'triplet_all_f32' | 'triplet_hard_f32' | 'triplet_semihard_f32'> = {
  all: 'triplet_all_f32', hard: 'triplet_hard_f32', semihard: 'triplet_semihard_f32',
};

const tripletOp = defineOp<TripletAttrs, TripletSaved>({
  name: FROM_DIST,
  forward(ctx) {
    const [dist] = ctx.inputs;
    const { labels, margin, miner, reduction, recording, report } = ctx.attrs;
    const n = dist.shape[0];
    const lab = new Storage(n);
    const stats = new Storage(10); // 5 f64
    const coef = new Tensor([n, n]);
    try {
      lab.i32view().set(labels);
      k()[MINER_KERNEL[miner]](dist.ptr, lab.ptr, n, margin, 0, n, stats.ptr, coef.ptr);
      const [lossSum, triplets, active, sumPos, sumNeg] = new Float64Array(wasmMemory().buffer, stats.ptr, 5);
      Object.assign(report, { triplets, active, sumPos, sumNeg });
      // 'mean' divides by the active count; with none active the sum is an exact 0 already.
      const denom = reduction === 'mean' && active > 0 ? active : 1;
      const y = new Tensor([]);
      y.data[0] = lossSum / denom;
      if (ctx.needsInputGrad[0] && recording) ctx.saved = { coef, denom };
      else { coef.dispose(); ctx.saved = { coef: null, denom }; }
      return y;
    } finally {
      lab.dispose();
      stats.dispose();
    }
  },
  backward({ inputs: [dist], saved: { coef, denom } }, g) {
    if (coef === null || coef.disposed) throw new Error(`${FROM_DIST} backward: the mining result was not kept (was the loss computed under noGrad?)`);
    const dd = new Tensor(dist.shape);
    k().scale_f32(coef.ptr, coef.size, g.data[0] / denom, dd.ptr);
    return [dd];
  },
});

interface Checked { labels: Int32Array; margin: number; miner: Miner; reduction: TripletReduction; distance: TripletDistance }

/**
 * One integer label per row, copied to an Int32Array: in the int32 range (no silent rounding: 0.5
 * and 0.7 would merge classes), or with `classes` class numbers 0…classes.count−1.
 */
export function checkLabels(where: string, labels: unknown, n: number, classes?: { count: number; of: string }): Int32Array {
  if (labels === null || typeof labels !== 'object' || typeof (labels as ArrayLike<number>).length !== 'number') {
    throw typeError(where, 'labels to be an array or typed array of integers', describe(labels));
  }
  const src = labels as ArrayLike<unknown>;
  if (src.length !== n) throw rangeError(where, `one label per row (${n})`, `${src.length} labels`);
  const [lo, hi] = classes ? [0, classes.count - 1] : [-2147483648, 2147483647];
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw rangeError(where, classes ? `labels to be class numbers 0…${hi} (${classes.of})` : 'labels to be integers in the int32 range', `labels[${i}] = ${describe(v)}`);
    }
    out[i] = v;
  }
  return out;
}

function checkOptions(where: string, opts: unknown): Omit<Checked, 'labels'> {
  if (opts === null || typeof opts !== 'object') {
    throw typeError(where, 'options { margin, miner?, distance?, reduction? }', describe(opts));
  }
  const o = opts as Partial<TripletLossOptions>;
  return {
    margin: checkNumber(where, 'margin', o.margin, 0),
    miner: checkOption(where, 'miner', o.miner ?? 'all', MINERS),
    distance: checkOption(where, 'distance', o.distance ?? 'euclidean', TRIPLET_DISTANCES),
    reduction: checkOption(where, 'reduction', o.reduction ?? 'sum', TRIPLET_REDUCTIONS),
  };
}

function lossFromDistances(where: string, dist: Tensor, c: Checked): TripletLossResult {
  const bad = dist.size === 0 ? 0 : k().count_nonfinite_f32(dist.ptr, dist.size);
  if (bad > 0) throw rangeError(where, 'finite distances', `${bad} NaN or infinite value${bad === 1 ? '' : 's'} in the ${fmtShape(dist.shape)} distance matrix`);
  const report: Report = { triplets: 0, active: 0, sumPos: 0, sumNeg: 0 };
  const loss = tripletOp([dist], {
    labels: c.labels, margin: c.margin, miner: c.miner, reduction: c.reduction, recording: isGradEnabled(), report,
  });
  const { triplets, active } = report;
  return {
    loss,
    triplets,
    active,
    meanPositive: triplets > 0 ? report.sumPos / triplets : NaN,
    meanNegative: triplets > 0 ? report.sumNeg / triplets : NaN,
  };
}

/**
 * The triplet loss from a distance matrix dist [N,N] (row a holds d(a, ·)) and one integer label
 * per row. Its backward gives dL/dDist, so it composes with pairwiseDistances or any distance op.
 * `distance` in the options is ignored here (the matrix already is what it is).
 */
export function tripletLossFromDistances(dist: Tensor, labels: ArrayLike<number>, opts: Omit<TripletLossOptions, 'distance'>): TripletLossResult {
  if (!(dist instanceof Tensor)) throw typeError(FROM_DIST, 'dist to be a Tensor', describe(dist));
  if (dist.rank !== 2 || dist.shape[0] !== dist.shape[1]) {
    throw rangeError(FROM_DIST, 'a square distance matrix [N,N]', `shape ${fmtShape(dist.shape)}`);
  }
  const o = checkOptions(FROM_DIST, opts);
  return lossFromDistances(FROM_DIST, dist, { ...o, labels: checkLabels(FROM_DIST, labels, dist.shape[0]) });
}

/**
 * The lecture's triplet loss over a batch of embeddings [N,D] with one integer label per row:
 * Σ max(d(A,P) − d(A,N) + margin, 0) over the triplets the miner chooses ('all' by default),
 * summed (default) or averaged over the triplets with a non-zero loss. With no valid triplet the
 * loss is an exact 0 that stays on the graph (its gradients are zeros).
 */
export function tripletLoss(embeddings: Tensor, labels: ArrayLike<number>, opts: TripletLossOptions): TripletLossResult {
  if (!(embeddings instanceof Tensor)) throw typeError(TRIPLET, 'embeddings to be a Tensor', describe(embeddings));
  if (embeddings.rank !== 2) throw rangeError(TRIPLET, 'embeddings of rank 2 [N,D]', `shape ${fmtShape(embeddings.shape)}`);
  const o = checkOptions(TRIPLET, opts);
  const checked = { ...o, labels: checkLabels(TRIPLET, labels, embeddings.shape[0]) };
  const dist = pairwiseDistances(embeddings, { squared: o.distance === 'squared' });
  return lossFromDistances(TRIPLET, dist, checked);
}
