// Nearest-neighbour upsampling of NHWC activations by integer factors: forward and backward side
// by side (the backward sums each block of fh × fw output gradients into its source pixel).
import { defineOp } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { checkInt, describe, fmtShape, rangeError, typeError } from '../errors.js';
import { kernels } from '../wasm.js';

interface K {
  upsample_nearest_fwd_f32(x: number, n: number, h: number, w: number, c: number, fh: number, fw: number, y: number): void;
  upsample_nearest_bwd_f32(dy: number, n: number, h: number, w: number, c: number, fh: number, fw: number, dx: number): void;
}
const k = () => kernels<K>();

const UP = 'upsampleNearest';

export interface UpsampleOptions {
  /** Integer factor for both axes, or [fh, fw]. */
  factor: number | readonly [number, number];
}

/** [fh, fw] from a factor option; throws `<where>: expected …` otherwise. */
export function upsampleFactors(where: string, factor: unknown): [number, number] {
  if (Array.isArray(factor)) {
    if (factor.length !== 2) throw rangeError(where, 'factor to be an integer >= 1 or a pair [fh, fw] of them', describe(factor));
    return [checkInt(where, 'factor[0]', factor[0], 1), checkInt(where, 'factor[1]', factor[1], 1)];
  }
  const f = checkInt(where, 'factor', factor, 1);
  return [f, f];
}

const upOp = defineOp<{ fh: number; fw: number }>({
  name: UP,
  forward({ inputs: [x], attrs: { fh, fw } }) {
    const [n, h, w, c] = x.shape;
    const y = new Tensor([n, h * fh, w * fw, c]);
    if (y.size > 0) k().upsample_nearest_fwd_f32(x.ptr, n, h, w, c, fh, fw, y.ptr);
    return y;
  },
  backward({ inputs: [x], attrs: { fh, fw } }, dy) {
    const [n, h, w, c] = x.shape;
    const dx = new Tensor(x.shape);
    if (dx.size > 0) k().upsample_nearest_bwd_f32(dy.ptr, n, h, w, c, fh, fw, dx.ptr);
    return [dx];
  },
});

/**
 * Nearest-neighbour upsampling: x [N,H,W,C] → [N, H·fh, W·fw, C], every pixel repeated in a
 * fh × fw block. `factor` is one integer for both axes or [fh, fw].
 */
export function upsampleNearest(x: Tensor, opts: UpsampleOptions): Tensor {
  if (!(x instanceof Tensor)) throw typeError(UP, 'x to be a Tensor', describe(x));
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw typeError(UP, 'options { factor }', describe(opts));
  const [fh, fw] = upsampleFactors(UP, opts.factor);
  if (x.rank !== 4) throw rangeError(UP, 'input of rank 4 [N,H,W,C]', `shape ${fmtShape(x.shape)}`);
  return upOp([x], { fh, fw });
}
