// Losses: mean squared error (regression) and softmax cross-entropy with an optional additive
// margin (classification; CosFace on cosines). Forward and backward side by side.
import { defineOp } from '../autograd.js';
import { Tensor, sameShape } from '../tensor.js';
import { Storage } from '../memory.js';
import { checkNumber, checkOption, describe, fmtShape, rangeError, typeError } from '../errors.js';
import { kernels } from '../wasm.js';
import { checkLabels } from './triplet.js';

interface K {
  mse_fwd_f32(pred: number, target: number, n: number): number;
  mse_bwd_f32(pred: number, target: number, n: number, a: number, d: number): void;
  margin_xent_fwd_f32(cos: number, labels: number, n: number, c: number, s: number, m: number, prob: number): number;
  margin_xent_bwd_f32(prob: number, labels: number, n: number, c: number, a: number, dcos: number): void;
  count_nonfinite_f32(x: number, n: number): number;
}
const k = () => kernels<K>();

/** How a loss over many elements is reduced to one number. */
export type Reduction = 'mean' | 'sum';
const REDUCTIONS: readonly Reduction[] = ['mean', 'sum'];

export interface MseLossOptions {
  /** 'mean' (default): divide the sum of squared errors by the number of elements. */
  reduction?: Reduction;
}

const MSE = 'mseLoss';
const mseOp = defineOp<{ mean: boolean }>({
  name: MSE,
  check([pred, target]) {
    if (!sameShape(pred.shape, target.shape)) {
      throw rangeError(MSE, 'pred and target of the same shape', `${fmtShape(pred.shape)} and ${fmtShape(target.shape)}`);
    }
    if (pred.size === 0) throw rangeError(MSE, 'pred and target with at least one element', `shape ${fmtShape(pred.shape)}`);
  },
  forward({ inputs: [pred, target], attrs: { mean } }) {
    const y = new Tensor([]);
    const s = k().mse_fwd_f32(pred.ptr, target.ptr, pred.size);
    y.data[0] = mean ? s / pred.size : s;
    return y;
  },
  backward({ inputs: [pred, target], attrs: { mean }, needsInputGrad }, dy) {
    const a = (2 * dy.data[0]) / (mean ? pred.size : 1);
    let dp: Tensor | null = null, dt: Tensor | null = null;
    if (needsInputGrad[0]) { dp = new Tensor(pred.shape); k().mse_bwd_f32(pred.ptr, target.ptr, pred.size, a, dp.ptr); }
    if (needsInputGrad[1]) { dt = new Tensor(target.shape); k().mse_bwd_f32(pred.ptr, target.ptr, pred.size, -a, dt.ptr); }
    return [dp, dt];
  },
});

/**
 * Squared error between pred and target (same shape, any rank), as a scalar tensor:
 * Σ (pred − target)² / n with reduction 'mean' (default), or the plain sum with 'sum'. Gradients
 * flow to pred, and to target when it requires one. The sum is accumulated in f64 blocks.
 */
export function mseLoss(pred: Tensor, target: Tensor, opts: MseLossOptions = {}): Tensor {
  if (opts === null || typeof opts !== 'object') throw typeError(MSE, 'options { reduction? }', describe(opts));
  const reduction = checkOption(MSE, 'reduction', opts.reduction ?? 'mean', REDUCTIONS);
  return mseOp([pred, target], { mean: reduction === 'mean' });
}

export interface SoftmaxCrossEntropyOptions {
  /** s > 0: the logits are multiplied by s (default 1). With cosines as inputs, 16–64 is usual. */
  scale?: number;
  /** m ≥ 0: subtracted from each row's true-class logit before scaling (default 0). */
  margin?: number;
  /** 'mean' (default) over the rows, or 'sum'. */
  reduction?: Reduction;
}

const XENT = 'softmaxCrossEntropy';
interface XentAttrs { labels: Int32Array; s: number; m: number; mean: boolean }

function withLabels<T>(labels: Int32Array, f: (ptr: number) => T): T {
  const lab = new Storage(labels.length);
  try {
    lab.i32view().set(labels);
    return f(lab.ptr);
  } finally {
    lab.dispose();
  }
}

const xentOp = defineOp<XentAttrs, { prob: Tensor }>({
  name: XENT,
  forward(ctx) {
    const [x] = ctx.inputs;
    const { labels, s, m, mean } = ctx.attrs;
    const [n, c] = x.shape;
    const prob = new Tensor([n, c]);
    const total = withLabels(labels, (lab) => k().margin_xent_fwd_f32(x.ptr, lab, n, c, s, m, prob.ptr));
    const y = new Tensor([]);
    y.data[0] = mean ? total / n : total;
    if (ctx.needsInputGrad[0]) ctx.saved = { prob };
    else prob.dispose();
    return y;
  },
  backward({ inputs: [x], attrs: { labels, s, mean }, saved: { prob } }, dy) {
    const [n, c] = x.shape;
    const dx = new Tensor([n, c]);
    const a = (s * dy.data[0]) / (mean ? n : 1);
    withLabels(labels, (lab) => k().margin_xent_bwd_f32(prob.ptr, lab, n, c, a, dx.ptr));
    return [dx];
  },
});

/**
 * Softmax cross-entropy of logits x [N,C] against one class per row (integers 0 ≤ label < C), as a
 * scalar tensor: with z_ij = s·(x_ij − m·[j = label_i]), the loss is Σ_i −log softmax(z_i)[label_i],
 * averaged over the rows ('mean', default) or summed. s = 1, m = 0 (the defaults) is the plain
 * softmax loss; on cosines between L2-normalised embeddings and L2-normalised class weights it is
 * NormFace (m = 0) or CosFace (m > 0; Wang et al. 2018, usually s 30–64, m 0.2–0.35). Computed with
 * the row maximum subtracted (no overflow at any scale) and an f64 sum per row. Non-finite logits are
 * refused with a count, so NaN never reaches the gradients.
 */
export function softmaxCrossEntropy(x: Tensor, labels: ArrayLike<number>, opts: SoftmaxCrossEntropyOptions = {}): Tensor {
  if (!(x instanceof Tensor)) throw typeError(XENT, 'logits to be a Tensor', describe(x));
  if (opts === null || typeof opts !== 'object') throw typeError(XENT, 'options { scale?, margin?, reduction? }', describe(opts));
  if (x.rank !== 2 || x.shape[0] === 0 || x.shape[1] === 0) throw rangeError(XENT, 'logits of rank 2 [N,C] with N, C ≥ 1', `shape ${fmtShape(x.shape)}`);
  const [n, c] = x.shape;
  const s = checkNumber(XENT, 'scale', opts.scale ?? 1, Number.MIN_VALUE);
  const m = checkNumber(XENT, 'margin', opts.margin ?? 0, 0);
  const reduction = checkOption(XENT, 'reduction', opts.reduction ?? 'mean', REDUCTIONS);
  const lab = checkLabels(XENT, labels, n, { count: c, of: `logits ${fmtShape(x.shape)}` });
  const bad = k().count_nonfinite_f32(x.ptr, x.size);
  if (bad > 0) throw rangeError(XENT, 'finite logits', `${bad} NaN or infinite value${bad === 1 ? '' : 's'} in the ${fmtShape(x.shape)} logits`);
  return xentOp([x], { labels: lab, s, m, mean: reduction === 'mean' });
}
