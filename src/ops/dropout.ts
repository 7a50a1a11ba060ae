// Inverted dropout: forward and backward side by side. The mask comes from a counter-based hash of
// (seed, index) computed by the kernel (assembly/kernels/dropout.ts), so it is never stored: the
// backward recomputes the same mask from the same seed.
import { defineOp } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { checkNumber, describe, rangeError, typeError } from '../errors.js';
import { kernels } from '../wasm.js';

interface K {
  dropout_f32(x: number, n: number, first: number, seed: number, threshold: number, scale: number, y: number): void;
}
const k = () => kernels<K>();

const DROPOUT = 'dropout';

export interface DropoutOptions {
  /** Probability of zeroing each element, in [0, 1). */
  rate: number;
  /** The mask's seed: an integer in [0, 2³²). Same seed, same mask. */
  seed: number;
  /** false: the identity (evaluation). Default true. */
  training?: boolean;
}

interface Attrs { seed: number; threshold: number; scale: number }

/** The kernel's keep threshold for a rate: an element is kept when its hash (u32) is >= this. */
export function dropoutThreshold(rate: number): number {
  return Math.min(Math.round(rate * 2 ** 32), 2 ** 32 - 1);
}

const dropoutOp = defineOp<Attrs>({
  name: DROPOUT,
  forward({ inputs: [x], attrs: { seed, threshold, scale } }) {
    const y = new Tensor(x.shape);
    k().dropout_f32(x.ptr, x.size, 0, seed, threshold, scale, y.ptr);
    return y;
  },
  backward({ attrs: { seed, threshold, scale } }, dy) {
    const dx = new Tensor(dy.shape);
    k().dropout_f32(dy.ptr, dy.size, 0, seed, threshold, scale, dx.ptr);
    return [dx];
  },
});

/**
 * Inverted dropout: each element of x is zeroed with probability `rate` and the others are
 * multiplied by 1/(1 − rate), so the expected value is unchanged; the mask is a deterministic
 * function of `seed` and the element's index. The gradient goes through the same mask. With
 * training false or rate 0 it returns x itself.
 */
export function dropout(x: Tensor, opts: DropoutOptions): Tensor {
  if (!(x instanceof Tensor)) throw typeError(DROPOUT, 'x to be a Tensor', describe(x));
  if (opts === null || typeof opts !== 'object') throw typeError(DROPOUT, 'options { rate, seed, training? }', describe(opts));
  const rate = checkNumber(DROPOUT, 'options.rate', opts.rate, 0);
  if (rate >= 1) throw rangeError(DROPOUT, 'options.rate to be in [0, 1)', describe(rate));
  const seed = opts.seed;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw rangeError(DROPOUT, 'options.seed to be an integer in [0, 2^32)', describe(seed));
  }
  const training = opts.training ?? true;
  if (typeof training !== 'boolean') throw typeError(DROPOUT, 'options.training to be a boolean', describe(training));
  if (!training || rate === 0) return x;
  return dropoutOp([x], { seed, threshold: dropoutThreshold(rate), scale: 1 / (1 - rate) });
}
