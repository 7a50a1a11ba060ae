// L2 normalisation of rows (embeddings onto the unit sphere). Forward and backward side by side.
import { defineOp } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { Storage } from '../memory.js';
import { describe, fmtShape, rangeError, typeError } from '../errors.js';
import { kernels } from '../wasm.js';

interface K {
  l2normalize_fwd_f32(x: number, rows: number, d: number, eps: number, y: number, norms: number): void;
  l2normalize_bwd_f32(y: number, dy: number, norms: number, rows: number, d: number, eps: number, dx: number): void;
}
const k = () => kernels<K>();

export interface L2NormalizeOptions {
  /** Norms below eps divide by eps instead (default 1e-12), so a zero row stays finite. */
  eps?: number;
}

interface Saved { y: Tensor; norms: Storage }

const L2 = 'l2Normalize';
const l2Op = defineOp<{ eps: number }, Saved>({
  name: L2,
  check([x]) {
    if (x.rank !== 2) throw rangeError(L2, 'input of rank 2 [N,D]', `shape ${fmtShape(x.shape)}`);
  },
  forward(ctx) {
    const { inputs: [x], attrs: { eps } } = ctx;
    const [rows, d] = x.shape;
    const y = new Tensor(x.shape);
    const norms = new Storage(rows);
    k().l2normalize_fwd_f32(x.ptr, rows, d, eps, y.ptr, norms.ptr);
    if (ctx.needsInputGrad[0]) ctx.saved = { y, norms };
    else norms.dispose();
    return y;
  },
  backward({ inputs: [x], attrs: { eps }, saved: { y, norms } }, dy) {
    norms.check();
    const [rows, d] = x.shape;
    const dx = new Tensor(x.shape);
    k().l2normalize_bwd_f32(y.ptr, dy.ptr, norms.ptr, rows, d, eps, dx.ptr);
    return [dx];
  },
});

/**
 * Each row of x [N,D] divided by its Euclidean norm: y = x / max(‖x‖₂, eps), eps default 1e-12.
 * Gradient: (dy − y·(y·dy)) / ‖x‖ where ‖x‖ > eps, dy / eps elsewhere. Norms are computed in f32.
 */
export function l2Normalize(x: Tensor, opts: L2NormalizeOptions = {}): Tensor {
  if (opts === null || typeof opts !== 'object') throw typeError(L2, 'options { eps? }', describe(opts));
  const eps = opts.eps ?? 1e-12;
  // eps is used as an f32: it must stay > 0 after rounding.
  if (typeof eps !== 'number' || !Number.isFinite(eps) || !(Math.fround(eps) > 0)) {
    throw rangeError(L2, 'eps to be a finite number > 0 (at least 1.4e-45, the smallest f32)', describe(eps));
  }
  return l2Op([x], { eps });
}
