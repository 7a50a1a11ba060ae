// Activations: relu. Forward and backward side by side.
import { defineOp } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { kernels } from '../wasm.js';
import { STREAM_MIN_PART, runRange } from '../threads.js';

interface K {
  relu_fwd_f32(x: number, n: number, y: number): void;
  relu_bwd_f32(x: number, dy: number, n: number, dx: number): void;
}
const k = () => kernels<K>();

const RELU = 'relu';
const reluOp = defineOp<undefined>({
  name: RELU,
  forward({ inputs: [x] }) {
    const y = new Tensor(x.shape);
    runRange('relu_fwd_f32', x.size, 1, STREAM_MIN_PART, 16, (i, n) => [x.ptr + 4 * i, n, y.ptr + 4 * i]);
    return y;
  },
  backward({ inputs: [x] }, dy) {
    const dx = new Tensor(x.shape);
    runRange('relu_bwd_f32', x.size, 1, STREAM_MIN_PART, 16, (i, n) => [x.ptr + 4 * i, dy.ptr + 4 * i, n, dx.ptr + 4 * i]);
    return [dx];
  },
});
/**
 * max(x, 0), element by element, any shape. The gradient passes where x > 0 and is 0 elsewhere
 * (0 at exactly x = 0). NaN stays NaN.
 */
export const relu = (x: Tensor): Tensor => reluOp([x], undefined);
