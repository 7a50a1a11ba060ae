// Gradient clipping, applied to the parameters' .grad in place between backward() and step().
import { Tensor } from '../tensor.js';
import { describe, rangeError, typeError } from '../errors.js';
import { kernels } from '../wasm.js';

interface K {
  dot_f32(x: number, z: number, n: number): number;
  scale_f32(x: number, n: number, a: number, y: number): void;
  grad_clamp_f32(x: number, n: number, lo: number, hi: number, y: number): void;
}

function checkParams(where: string, params: unknown): Tensor[] {
  if (!Array.isArray(params)) throw typeError(where, 'params to be an array of tensors', describe(params));
  params.forEach((p, i) => { if (!(p instanceof Tensor)) throw typeError(where, `params[${i}] to be a Tensor`, describe(p)); });
  return params as Tensor[];
}

function checkPositive(where: string, name: string, v: unknown, allowInfinity: boolean): number {
  if (typeof v !== 'number' || !(v > 0) || (!allowInfinity && v === Infinity)) {
    throw rangeError(where, `${name} to be a ${allowInfinity ? '' : 'finite '}number > 0`, describe(v));
  }
  return v;
}

const NORM = 'clipGradNorm';

/**
 * Scales all gradients together so that their global L2 norm (over every element of every .grad)
 * is at most maxNorm: when the norm exceeds maxNorm each gradient is multiplied by
 * maxNorm / (norm + 1e-6), as PyTorch's clip_grad_norm_. Returns the norm before clipping.
 * Parameters without a gradient are ignored. A NaN or infinite norm is returned and nothing is
 * scaled (the next optimizer step then refuses the gradient and names the parameter).
 * maxNorm may be Infinity (only measures).
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  const ps = checkParams(NORM, params);
  checkPositive(NORM, 'maxNorm', maxNorm, true);
  const k = kernels<K>();
  let sq = 0;
  for (const p of ps) if (p.grad) sq += k.dot_f32(p.grad.ptr, p.grad.ptr, p.grad.size);
  const norm = Math.sqrt(sq);
  if (Number.isFinite(norm) && norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const p of ps) if (p.grad) k.scale_f32(p.grad.ptr, p.grad.size, s, p.grad.ptr);
  }
  return norm;
}

const VALUE = 'clipGradValue';

/** Clamps every gradient element to [−clip, clip] in place (NaN stays NaN). */
export function clipGradValue(params: Tensor[], clip: number): void {
  const ps = checkParams(VALUE, params);
  checkPositive(VALUE, 'clip', clip, false);
  const k = kernels<K>();
  for (const p of ps) if (p.grad) k.grad_clamp_f32(p.grad.ptr, p.grad.size, -clip, clip, p.grad.ptr);
}
