// Stochastic gradient descent with momentum, dampening, Nesterov momentum and (coupled, L2) weight
// decay, with PyTorch's semantics, in one fused kernel pass per parameter:
//   d = g + weightDecay·p;  v ← μ·v + (1 − dampening)·d  (v = d on the first step);
//   d ← nesterov ? d + μ·v : v;  p ← p − lr·d.
import type { Tensor } from '../tensor.js';
import { checkNumber, rangeError, typeError, describe } from '../errors.js';
import { kernels } from '../wasm.js';
import { Optimizer, optimizerOptions, type ParamState } from './optimizer.js';

interface K {
  sgd_step_f32(g: number, n: number, lr: number, weightDecay: number, p: number): void;
  sgd_momentum_step_f32(g: number, n: number, lr: number, momentum: number, oneMinusDampening: number, weightDecay: number,
    nesterov: number, first: number, buf: number, p: number): void;
}

export interface SGDOptions {
  /** Learning rate (>= 0). Required. */
  lr: number;
  /** Momentum factor μ (>= 0, default 0: no momentum buffer). */
  momentum?: number;
  /** Dampening of the momentum (in [0, 1], default 0). */
  dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (>= 0, default 0). */
  weightDecay?: number;
}

const NAME = 'SGD';
const BUF = 'momentum';

/** SGD (optionally with momentum / Nesterov / weight decay), PyTorch semantics. */
export class SGD extends Optimizer<Required<SGDOptions>> {
  constructor(params: Tensor[], options: SGDOptions) {
    super(params, optimizerOptions<Required<SGDOptions>>(NAME, options, { lr: undefined as unknown as number, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }));
  }

  override get name(): string { return NAME; }

  protected override checkOptions(o: Required<SGDOptions>): void {
    super.checkOptions(o);
    checkNumber(NAME, 'options.momentum', o.momentum, 0);
    checkNumber(NAME, 'options.dampening', o.dampening, 0, 1);
    checkNumber(NAME, 'options.weightDecay', o.weightDecay, 0);
    if (typeof o.nesterov !== 'boolean') throw typeError(NAME, 'options.nesterov to be a boolean', describe(o.nesterov));
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw rangeError(NAME, 'momentum > 0 and dampening 0 with nesterov: true', `momentum ${o.momentum}, dampening ${o.dampening}`);
    }
  }

  protected update(p: Tensor, g: Tensor, state: ParamState): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = this.options;
    if (momentum === 0) {
      kernels<K>().sgd_step_f32(g.ptr, p.size, lr, weightDecay, p.ptr);
      return;
    }
    const first = !state.has(BUF);
    const buf = state.buffer(BUF);
    kernels<K>().sgd_momentum_step_f32(g.ptr, p.size, lr, momentum, 1 - dampening, weightDecay, nesterov ? 1 : 0, first ? 1 : 0, buf.ptr, p.ptr);
  }
}
