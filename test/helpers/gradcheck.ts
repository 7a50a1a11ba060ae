// Gradient check: the engine's forward and backward (float32) against a plain-TypeScript float64
// reference of the same op. The loss is L = sum(op(x) * r) with a seeded random r; the expected
// gradient of every input is the central difference of the float64 reference,
// (L(x + eps·e_j) − L(x − eps·e_j)) / (2·eps).
import { Tensor, tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { close } from './close.js';

export interface GradCheckInput {
  shape: number[];
  /** Values (default: seeded normal). */
  values?: ArrayLike<number>;
  /** Whether to check this input's gradient (default true). */
  grad?: boolean;
}

export interface GradCheckOptions {
  inputs: GradCheckInput[];
  /** The op through the engine. */
  engine: (xs: Tensor[]) => Tensor;
  /** The same op in float64, plain TypeScript, on flat arrays. */
  reference: (xs: Float64Array[]) => ArrayLike<number>;
  seed?: number;
  eps?: number;
  /** Tolerances for the forward values. */
  fwd?: { atol?: number; rtol?: number };
  /** Tolerances for the gradients. */
  atol?: number;
  rtol?: number;
}

export function gradcheck(o: GradCheckOptions): void {
  const rng = new Rng(o.seed ?? 7);
  const eps = o.eps ?? 1e-6;
  const xs = o.inputs.map((inp) => {
    const n = inp.shape.reduce((a, b) => a * b, 1);
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = inp.values ? inp.values[i] : rng.normal();
    return v;
  });
  tidy(() => {
    const ts = o.inputs.map((inp, i) => tensor(Float32Array.from(xs[i]), inp.shape, { requiresGrad: inp.grad !== false }));
    // Use the float32-rounded inputs for the reference too.
    const xs32 = ts.map((t) => Float64Array.from(t.data));
    const out = o.engine(ts);
    const ref = o.reference(xs32);
    close(out.data, ref, o.fwd ?? { atol: 1e-5, rtol: 1e-4 }, 'forward');
    const r = new Float64Array(out.size);
    for (let i = 0; i < r.length; i++) r[i] = rng.normal();
    out.backward(tensor(Float32Array.from(r), [...out.shape]));
    const loss = (vals: Float64Array[]) => {
      const y = o.reference(vals);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i] * r[i];
      return s;
    };
    o.inputs.forEach((inp, i) => {
      if (inp.grad === false) return;
      const num = new Float64Array(xs32[i].length);
      for (let j = 0; j < num.length; j++) {
        const keepV = xs32[i][j];
        xs32[i][j] = keepV + eps; const lp = loss(xs32);
        xs32[i][j] = keepV - eps; const lm = loss(xs32);
        xs32[i][j] = keepV;
        num[j] = (lp - lm) / (2 * eps);
      }
      const g = ts[i].grad;
      if (!g) throw new Error(`gradcheck: input ${i} got no gradient`);
      close(g.data, num, { atol: o.atol ?? 1e-4, rtol: o.rtol ?? 1e-3 }, `gradient of input ${i}`);
      g.dispose();
    });
  });
}
