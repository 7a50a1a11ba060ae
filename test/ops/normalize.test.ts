import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, Tensor } from '../../src/tensor.js';
import { tidy, Storage } from '../../src/memory.js';
import { kernels } from '../../src/wasm.js';
import { Rng } from '../../src/random.js';
import { l2Normalize } from '../../src/ops/normalize.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { close } from '../helpers/close.js';

interface K {
  l2normalize_fwd_f32(x: number, rows: number, d: number, eps: number, y: number, norms: number): void;
  l2normalize_bwd_f32(y: number, dy: number, norms: number, rows: number, d: number, eps: number, dx: number): void;
}
const k = () => kernels<K>();
const rng = new Rng(13);

/** Float64 reference: y = x / max(‖x‖, eps) row by row, with the norms. */
function refFwd(x: ArrayLike<number>, rows: number, d: number, eps: number) {
  const y = new Float64Array(rows * d), norms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[r * d + i] ** 2;
    norms[r] = Math.sqrt(s);
    const den = Math.max(norms[r], eps);
    for (let i = 0; i < d; i++) y[r * d + i] = x[r * d + i] / den;
  }
  return { y, norms };
}

/** Float64 reference of the gradient, from the formula (independent of the kernel's path). */
function refBwd(x: ArrayLike<number>, dy: ArrayLike<number>, rows: number, d: number, eps: number) {
  const { y, norms } = refFwd(x, rows, d, eps);
  const dx = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let i = 0; i < d; i++) dot += y[r * d + i] * dy[r * d + i];
    for (let i = 0; i < d; i++) {
      dx[r * d + i] = norms[r] > eps ? (dy[r * d + i] - y[r * d + i] * dot) / norms[r] : dy[r * d + i] / eps;
    }
  }
  return dx;
}

for (const d of [1, 3, 4, 5, 7, 17, 128]) {
  test(`l2normalize_fwd_f32 / l2normalize_bwd_f32 vs float64 reference x=[4,${d}] (row 2 zero, row 3 below eps)`, () => tidy(() => {
    const rows = 4, eps = 1e-3;
    const xv = Float32Array.from({ length: rows * d }, () => rng.normal());
    for (let i = 0; i < d; i++) { xv[2 * d + i] = 0; xv[3 * d + i] = 1e-4 / Math.sqrt(d) * (i % 2 ? 1 : -1); }
    const dyv = Float32Array.from({ length: rows * d }, () => rng.normal());
    const x = tensor(xv, [rows, d]), dy = tensor(dyv, [rows, d]);
    const y = new Tensor([rows, d]), dx = new Tensor([rows, d]), norms = new Storage(rows);
    k().l2normalize_fwd_f32(x.ptr, rows, d, eps, y.ptr, norms.ptr);
    const ref = refFwd(xv, rows, d, eps);
    close(y.data, ref.y, { atol: 1e-6, rtol: 1e-5 }, 'forward');
    close(norms.f32view(), ref.norms, { atol: 1e-7, rtol: 1e-5 }, 'norms');
    k().l2normalize_bwd_f32(y.ptr, dy.ptr, norms.ptr, rows, d, eps, dx.ptr);
    close(dx.data, refBwd(xv, dyv, rows, d, eps), { atol: 1e-5, rtol: 1e-4 }, 'backward');
    norms.dispose();
  }));

  test(`l2Normalize gradcheck x=[3,${d}]`, () => gradcheck({
    inputs: [{ shape: [3, d] }],
    engine: ([x]) => l2Normalize(x),
    reference: ([x]) => refFwd(x, 3, d, 1e-12).y,
  }));
}

test('l2Normalize gradcheck on the eps branch: x=[2,5] of norm ~0.05, eps=10 (y = x/eps)', () => {
  const values = Array.from({ length: 10 }, () => 0.02 * rng.normal());
  gradcheck({
    inputs: [{ shape: [2, 5], values }],
    engine: ([x]) => l2Normalize(x, { eps: 10 }),
    reference: ([x]) => refFwd(x, 2, 5, 10).y,
  });
});

test('golden: [3,4] → [0.6,0.8]; a zero row stays zero with gradient dy/eps; y has unit norm', () => {
  const x = tensor([[3, 4], [0, 0]], undefined, { requiresGrad: true });
  const y = l2Normalize(x, { eps: 0.5 });
  close(y.data, [0.6, 0.8, 0, 0], { atol: 1e-7, rtol: 0 });
  y.backward(tensor([[1, 0], [1, -2]]));
  // Row 0: (dy − y(y·dy)) / 5 = ([1,0] − 0.6·[0.6,0.8]) / 5 = [0.128, −0.096]. Row 1: dy / 0.5.
  close((x.grad as Tensor).data, [0.128, -0.096, 2, -4], { atol: 1e-7, rtol: 1e-6 });
  const z = l2Normalize(tensor([[1, 2, 2, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]));
  close(z.data.slice(0, 4), [0.2, 0.4, 0.4, 0.8], { atol: 1e-7, rtol: 0 });
});

test('errors: rank, eps, options', () => {
  assert.throws(() => l2Normalize(tensor([3, 4])), /l2Normalize: expected input of rank 2 \[N,D\], got shape \[2\]/);
  assert.throws(() => l2Normalize(tensor([1, 2, 3, 4], [1, 1, 2, 2])), /l2Normalize: expected input of rank 2 \[N,D\], got shape \[1,1,2,2\]/);
  const x = tensor([[3, 4]]);
  assert.throws(() => l2Normalize(x, { eps: 0 }), /l2Normalize: expected eps to be a finite number > 0 .*, got 0/);
  assert.throws(() => l2Normalize(x, { eps: -1 }), /l2Normalize: expected eps to be a finite number > 0/);
  assert.throws(() => l2Normalize(x, { eps: 1e-50 }), /l2Normalize: expected eps to be a finite number > 0 \(at least 1.4e-45, the smallest f32\), got 1e-50/);
  assert.throws(() => l2Normalize(x, { eps: NaN }), /l2Normalize: expected eps to be a finite number > 0 .*, got NaN/);
  assert.throws(() => l2Normalize(x, 1 as unknown as { eps: number }), /l2Normalize: expected options \{ eps\? \}, got 1/);
  assert.throws(() => l2Normalize({} as Tensor), /l2Normalize: expected input 0 to be a Tensor, got object/);
});

test.run();
