// Adam and AdamW (PyTorch semantics) in one fused kernel pass per parameter. The bias corrections
// come from the parameter's own step count t: step_size = lr / (1 − β1^t), and the second moment
// is divided by sqrt(1 − β2^t). Adam adds weightDecay·p to the gradient (L2); AdamW decays the
// weights directly, p ← p − lr·weightDecay·p, before the Adam update ("decoupled").
import type { Tensor } from '../tensor.js';
import { checkNumber, describe, rangeError } from '../errors.js';
import { STREAM_MIN_PART, runRange } from '../threads.js';
import { Optimizer, optimizerOptions, type ParamState } from './optimizer.js';

export interface AdamOptions {
  /** Learning rate (>= 0, default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moments, each in [0, 1) (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator (> 0, default 1e-8). */
  eps?: number;
  /** Weight decay (>= 0): L2 added to the gradient for Adam (default 0), decoupled for AdamW (default 0.01). */
  weightDecay?: number;
}

type Resolved = Required<AdamOptions>;

function resolve(where: string, options: AdamOptions, weightDecay: number): Resolved {
  return optimizerOptions<Resolved>(where, options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay });
}

/** Adam with L2 weight decay (added to the gradient), PyTorch semantics. */
export class Adam extends Optimizer<Resolved> {
  /** Whether weight decay is decoupled (AdamW). */
  protected get decoupled(): boolean { return false; }

  constructor(params: Tensor[], options: AdamOptions = {}) {
    super(params, resolve('Adam', options, 0));
  }

  override get name(): string { return 'Adam'; }

  protected override checkOptions(o: Resolved): void {
    super.checkOptions(o);
    const where = this.name;
    const b = o.betas;
    if (!Array.isArray(b) || b.length !== 2) throw rangeError(where, 'options.betas to be [beta1, beta2]', describe(b));
    b.forEach((beta, i) => {
      if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) throw rangeError(where, `options.betas[${i}] to be in [0, 1)`, describe(beta));
    });
    checkNumber(where, 'options.eps', o.eps, 0);
    if (o.eps <= 0) throw rangeError(where, 'options.eps to be > 0', describe(o.eps));
    checkNumber(where, 'options.weightDecay', o.weightDecay, 0);
  }

  protected update(p: Tensor, g: Tensor, state: ParamState): void {
    const { lr, betas: [b1, b2], eps, weightDecay } = this.options;
    const t = state.step;
    const m = state.buffer('m'), v = state.buffer('v');
    const stepSize = lr / (1 - b1 ** t);
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    const [l2, decay] = this.decoupled ? [0, 1 - lr * weightDecay] : [weightDecay, 1];
    // Element-wise: split over threads by ranges (multiples of 16 elements), the bits of one call.
    runRange('adam_step_f32', p.size, 1, STREAM_MIN_PART, 16, (i, n) =>
      [g.ptr + 4 * i, n, 1 - b1, b2, 1 - b2, eps, l2, decay, stepSize, bc2Sqrt, m.ptr + 4 * i, v.ptr + 4 * i, p.ptr + 4 * i]);
  }
}

/** AdamW: Adam with decoupled weight decay (p ← p − lr·weightDecay·p), default weightDecay 0.01. */
export class AdamW extends Adam {
  protected override get decoupled(): boolean { return true; }

  constructor(params: Tensor[], options: AdamOptions = {}) {
    super(params, resolve('AdamW', options, 0.01));
  }

  override get name(): string { return 'AdamW'; }
}
