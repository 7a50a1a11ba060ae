// Regression losses: mean squared error. Forward and backward side by side.
import { defineOp } from '../autograd.js';
import { Tensor, sameShape } from '../tensor.js';
import { checkOption, describe, fmtShape, rangeError, typeError } from '../errors.js';
import { kernels } from '../wasm.js';

interface K {
  mse_fwd_f32(pred: number, target: number, n: number): number;
  mse_bwd_f32(pred: number, target: number, n: number, a: number, d: number): void;
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
