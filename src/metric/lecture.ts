// The lecture's worked 4-point example of the triplet loss, computed with the engine.
//
// Training set (x → class): A1 = −2, A2 = −1 (class A); B1 = 1, B2 = 2 (class B). The embedding is
// e(x) = w·x + b, a dense layer 1 → 1; Euclidean distance; all 8 valid triplets; the loss is their
// sum. In closed form L(w, b) = 4·max(α − 2|w|, 0) + 2·max(α − 3|w|, 0) + 2·max(α − |w|, 0)
// (the lecture writes it for w > 0 and α = 5), independent of b.
import { Tensor, tensor, parameter } from '../tensor.js';
import { tidy } from '../memory.js';
import { dense } from '../ops/dense.js';
import { pairwiseDistances, tripletLoss } from '../ops/triplet.js';
import { SGD } from '../optim/sgd.js';
import { checkInt, checkNumber } from '../errors.js';

/** The four points of the lecture. */
export const LECTURE_POINTS: ReadonlyArray<{ name: string; x: number; label: number }> = [
  { name: 'A1', x: -2, label: 0 },
  { name: 'A2', x: -1, label: 0 },
  { name: 'B1', x: 1, label: 1 },
  { name: 'B2', x: 2, label: 1 },
];

/** The 8 valid triplets (anchor, positive, negative) in the lecture's order, as indices into LECTURE_POINTS. */
export const LECTURE_TRIPLETS: ReadonlyArray<readonly [number, number, number]> = [
  [0, 1, 2], [0, 1, 3], [1, 0, 2], [1, 0, 3], [2, 3, 0], [2, 3, 1], [3, 2, 0], [3, 2, 1],
];

/** L(w) in closed form, valid for any sign of w. */
export function lectureClosedForm(w: number, alpha = 5): number {
  const a = Math.abs(w);
  return 4 * Math.max(alpha - 2 * a, 0) + 2 * Math.max(alpha - 3 * a, 0) + 2 * Math.max(alpha - a, 0);
}

/** dL/dw of the closed form (a subgradient at the kinks: the right-hand derivative there). */
export function lectureClosedFormGrad(w: number, alpha = 5): number {
  const a = Math.abs(w);
  const s = w > 0 ? 1 : w < 0 ? -1 : 0;
  const term = (c: number, n: number) => (alpha - c * a > 0 ? -n * c : 0);
  return s * (term(2, 4) + term(3, 2) + term(1, 2));
}

export interface LectureTriplet {
  a: string; p: string; n: string;
  dAP: number; dAN: number; loss: number;
  /** The distances and the loss term as the lecture writes them: "w", "3w", "max(w − 3w + 5, 0)". */
  dAPText: string; dANText: string; lossText: string;
}

export interface LectureStep { step: number; w: number; b: number; loss: number }

export interface LectureResult {
  alpha: number; w0: number; b0: number;
  triplets: LectureTriplet[];
  /** The loss from the engine's triplet-loss kernel at (w0, b0). */
  total: number;
  closedForm: number;
  /** w, b and L before each gradient step, and finally at the point where L reached 0 (or the last step). */
  history: LectureStep[];
  final: { w: number; b: number; loss: number };
  /** Whether L reached 0 within the steps allowed. */
  converged: boolean;
  /** The gradient of b at every step was exactly 0. */
  bGradAlwaysZero: boolean;
}

export interface LectureOptions { w?: number; b?: number; alpha?: number; lr?: number; steps?: number }

/** Shortest decimal that reads back as the same float32: 1.7999999523 → 1.8. */
export function shortestFloat32(v: number): number {
  if (!Number.isFinite(v)) return v;
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return s;
  }
  return f;
}

function coeff(c: number, sym: string): string {
  return c === 1 ? sym : `${c}${sym}`;
}

/** Runs the example: the table at (w, b), then gradient descent until L = 0. */
export function lectureExample(opts: LectureOptions = {}): LectureResult {
  const where = 'lectureExample';
  const w0 = checkNumber(where, 'w', opts.w ?? 1);
  const b0 = checkNumber(where, 'b', opts.b ?? 0.5);
  const alpha = checkNumber(where, 'alpha', opts.alpha ?? 5, 0);
  const lr = checkNumber(where, 'lr', opts.lr ?? 0.05, Number.MIN_VALUE);
  const steps = checkInt(where, 'steps', opts.steps ?? 200, 0, 1e7);

  const labels = LECTURE_POINTS.map((p) => p.label);
  const w = parameter(tensor([w0], [1, 1]), 'w');
  const b = parameter(tensor([b0], [1]), 'b');
  const x = tensor(LECTURE_POINTS.map((p) => p.x), [4, 1]);
  const opt = new SGD([w, b], { lr });
  const sym = w0 < 0 ? '|w|' : 'w';
  try {
    // The table at the starting point, from the engine's distances.
    const { triplets, total } = tidy(() => {
      const e = dense(x, w, b);
      const d = pairwiseDistances(e).data;
      const loss = tripletLoss(e, labels, { margin: alpha, miner: 'all', distance: 'euclidean', reduction: 'sum' });
      const rows = LECTURE_TRIPLETS.map(([ia, ip, iN]): LectureTriplet => {
        const dAP = d[ia * 4 + ip], dAN = d[ia * 4 + iN];
        const cAP = Math.abs(LECTURE_POINTS[ia].x - LECTURE_POINTS[ip].x);
        const cAN = Math.abs(LECTURE_POINTS[ia].x - LECTURE_POINTS[iN].x);
        return {
          a: LECTURE_POINTS[ia].name, p: LECTURE_POINTS[ip].name, n: LECTURE_POINTS[iN].name,
          dAP: shortestFloat32(dAP), dAN: shortestFloat32(dAN), loss: shortestFloat32(Math.max(dAP - dAN + alpha, 0)),
          dAPText: coeff(cAP, sym), dANText: coeff(cAN, sym),
          lossText: `max(${coeff(cAP, sym)} − ${coeff(cAN, sym)} + ${alpha}, 0)`,
        };
      });
      return { triplets: rows, total: shortestFloat32(loss.loss.item()) };
    });

    // Gradient descent with the engine: dense → triplet loss → backward → SGD.
    const history: LectureStep[] = [];
    let bGradAlwaysZero = true;
    let loss = total;
    for (let step = 0; ; step++) {
      loss = tidy(() => {
        opt.zeroGrad();
        const e = dense(x, w, b);
        const l = tripletLoss(e, labels, { margin: alpha, miner: 'all', distance: 'euclidean', reduction: 'sum' }).loss;
        const value = l.item();
        if (value > 0 && step < steps) {
          l.backward();
          if ((b.grad as Tensor).data[0] !== 0) bGradAlwaysZero = false;
        }
        return value;
      });
      history.push({ step, w: shortestFloat32(w.data[0]), b: shortestFloat32(b.data[0]), loss: shortestFloat32(loss) });
      if (loss <= 0 || step >= steps) break;
      opt.step();
    }
    return {
      alpha, w0, b0, triplets, total, closedForm: lectureClosedForm(w0, alpha), history,
      final: { w: shortestFloat32(w.data[0]), b: shortestFloat32(b.data[0]), loss: shortestFloat32(loss) },
      converged: loss <= 0, bGradAlwaysZero,
    };
  } finally {
    opt.dispose();
    w.dispose(); b.dispose(); x.dispose();
  }
}
