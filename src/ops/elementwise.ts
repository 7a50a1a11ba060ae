// Element-wise ops and reductions: add, sub, mul, scale, sum, mean, reshape.
// Each op: its checks, forward and backward side by side.
import { defineOp } from '../autograd.js';
import { Tensor, sameShape, sizeOf, type Shape } from '../tensor.js';
import { fmtShape, rangeError, checkNumber } from '../errors.js';
import { kernels } from '../wasm.js';

interface K {
  add_f32(x: number, z: number, n: number, y: number): void;
  sub_f32(x: number, z: number, n: number, y: number): void;
  mul_f32(x: number, z: number, n: number, y: number): void;
  scale_f32(x: number, n: number, a: number, y: number): void;
  fill_f32(n: number, value: number, y: number): void;
  sum_f32(x: number, n: number): number;
}
const k = () => kernels<K>();

function checkSame(name: string) {
  return (inputs: readonly Tensor[]) => {
    const [a, b] = inputs;
    if (!sameShape(a.shape, b.shape)) throw rangeError(name, 'two tensors of the same shape', `${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  };
}

const ADD = 'add';
const addOp = defineOp<undefined>({
  name: ADD,
  check: checkSame(ADD),
  forward({ inputs: [a, b] }) {
    const y = new Tensor(a.shape);
    k().add_f32(a.ptr, b.ptr, a.size, y.ptr);
    return y;
  },
  backward(_ctx, dy) { return [dy, dy]; },
});
/** a + b (same shapes). */
export const add = (a: Tensor, b: Tensor): Tensor => addOp([a, b], undefined);

const SUB = 'sub';
const subOp = defineOp<undefined>({
  name: SUB,
  check: checkSame(SUB),
  forward({ inputs: [a, b] }) {
    const y = new Tensor(a.shape);
    k().sub_f32(a.ptr, b.ptr, a.size, y.ptr);
    return y;
  },
  backward({ needsInputGrad }, dy) {
    let db: Tensor | null = null;
    if (needsInputGrad[1]) { db = new Tensor(dy.shape); k().scale_f32(dy.ptr, dy.size, -1, db.ptr); }
    return [dy, db];
  },
});
/** a − b (same shapes). */
export const sub = (a: Tensor, b: Tensor): Tensor => subOp([a, b], undefined);

const MUL = 'mul';
const mulOp = defineOp<undefined>({
  name: MUL,
  check: checkSame(MUL),
  forward({ inputs: [a, b] }) {
    const y = new Tensor(a.shape);
    k().mul_f32(a.ptr, b.ptr, a.size, y.ptr);
    return y;
  },
  backward({ inputs: [a, b], needsInputGrad }, dy) {
    let da: Tensor | null = null, db: Tensor | null = null;
    if (needsInputGrad[0]) { da = new Tensor(a.shape); k().mul_f32(dy.ptr, b.ptr, dy.size, da.ptr); }
    if (needsInputGrad[1]) { db = new Tensor(b.shape); k().mul_f32(dy.ptr, a.ptr, dy.size, db.ptr); }
    return [da, db];
  },
});
/** a ⊙ b, element by element (same shapes). */
export const mul = (a: Tensor, b: Tensor): Tensor => mulOp([a, b], undefined);

const SCALE = 'scale';
const scaleOp = defineOp<{ a: number }>({
  name: SCALE,
  check: (_i, { a }) => { checkNumber(SCALE, 'the factor', a); },
  forward({ inputs: [x], attrs: { a } }) {
    const y = new Tensor(x.shape);
    k().scale_f32(x.ptr, x.size, a, y.ptr);
    return y;
  },
  backward({ attrs: { a } }, dy) {
    const dx = new Tensor(dy.shape);
    k().scale_f32(dy.ptr, dy.size, a, dx.ptr);
    return [dx];
  },
});
/** a · x for a number a. */
export const scale = (x: Tensor, a: number): Tensor => scaleOp([x], { a });

const SUM = 'sum';
const sumOp = defineOp<{ mean: boolean }>({
  name: SUM,
  forward({ inputs: [x], attrs: { mean } }) {
    const y = new Tensor([]);
    const s = x.size === 0 ? 0 : k().sum_f32(x.ptr, x.size);
    y.data[0] = mean ? (x.size === 0 ? NaN : s / x.size) : s;
    return y;
  },
  backward({ inputs: [x], attrs: { mean } }, dy) {
    const dx = new Tensor(x.shape);
    const g = dy.data[0];
    k().fill_f32(x.size, mean ? g / x.size : g, dx.ptr);
    return [dx];
  },
});
/** Sum of all elements (a scalar tensor). */
export const sum = (x: Tensor): Tensor => sumOp([x], { mean: false });
/** Mean of all elements (a scalar tensor). */
export const mean = (x: Tensor): Tensor => {
  if (x.size === 0) throw rangeError('mean', 'a tensor with at least one element', `shape ${fmtShape(x.shape)}`);
  return sumOp([x], { mean: true });
};

const RESHAPE = 'reshape';
const reshapeOp = defineOp<{ shape: Shape }>({
  name: RESHAPE,
  check: ([x], { shape }) => {
    const n = sizeOf(shape, RESHAPE);
    if (n !== x.size) throw rangeError(RESHAPE, `a shape with ${x.size} elements (from ${fmtShape(x.shape)})`, `${fmtShape(shape)} with ${n}`);
  },
  forward({ inputs: [x], attrs: { shape } }) { return new Tensor(shape, x.storage); },
  backward({ inputs: [x] }, dy) { return [new Tensor(x.shape, dy.storage)]; },
});
/**
 * The same values with another shape of the same size; shares memory with x (no copy). One
 * dimension may be -1 and is then inferred.
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const neg = shape.indexOf(-1);
  if (neg >= 0) {
    const rest = shape.reduce((p, d, i) => (i === neg ? p : p * d), 1);
    if (rest === 0 || x.size % rest !== 0) throw rangeError(RESHAPE, `a shape whose -1 can be inferred for ${x.size} elements`, fmtShape(shape));
    shape = shape.map((d, i) => (i === neg ? x.size / rest : d));
  }
  return reshapeOp([x], { shape });
}
