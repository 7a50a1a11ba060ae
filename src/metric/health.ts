// Health figures of a triplet-trained embedding, gathered step by step over an epoch, and the
// collapse warning: when every distance is near 0 and every triplet's loss is near the margin, the
// network maps all photos to (nearly) one point and the loss cannot tell people apart.

export interface StepFigures {
  /** The reduced loss of the step. */
  loss: number;
  /** Sum of the per-triplet losses (independent of the reduction). */
  lossSum: number;
  triplets: number;
  active: number;
  meanPositive: number;
  meanNegative: number;
  /** Norms of the embedding rows before any L2 normalisation (or of the embeddings). */
  norms: ArrayLike<number>;
}

export interface HealthFigures {
  /** Mean of the steps' reduced losses. */
  loss: number;
  /** Mean loss per mined triplet. */
  lossPerTriplet: number;
  meanPositive: number;
  meanNegative: number;
  /** Fraction of mined triplets with a non-zero loss. */
  activeFraction: number;
  triplets: number;
  normMean: number;
  /** Standard deviation of the embedding norms. */
  normStd: number;
  collapsed: boolean;
  warnings: string[];
}

/** Accumulates step figures into epoch figures. */
export class HealthMeter {
  private steps = 0;
  private loss = 0;
  private lossSum = 0;
  private triplets = 0;
  private active = 0;
  private sumPos = 0;
  private sumNeg = 0;
  private n = 0;
  private s1 = 0;
  private s2 = 0;

  constructor(private readonly margin: number) {}

  add(f: StepFigures): void {
    this.steps++;
    this.loss += f.loss;
    this.lossSum += f.lossSum;
    this.triplets += f.triplets;
    this.active += f.active;
    if (f.triplets > 0) {
      this.sumPos += f.meanPositive * f.triplets;
      this.sumNeg += f.meanNegative * f.triplets;
    }
    for (let i = 0; i < f.norms.length; i++) { const v = f.norms[i]; this.n++; this.s1 += v; this.s2 += v * v; }
  }

  result(): HealthFigures {
    const t = this.triplets;
    const meanPositive = t > 0 ? this.sumPos / t : NaN;
    const meanNegative = t > 0 ? this.sumNeg / t : NaN;
    const lossPerTriplet = t > 0 ? this.lossSum / t : NaN;
    const normMean = this.n > 0 ? this.s1 / this.n : NaN;
    const normStd = this.n > 0 ? Math.sqrt(Math.max(this.s2 / this.n - normMean * normMean, 0)) : NaN;
    const collapsed = isCollapsed(meanPositive, meanNegative, lossPerTriplet, this.margin);
    const warnings: string[] = [];
    if (collapsed) {
      warnings.push(`embedding collapsed: mean d(A,P) ${meanPositive.toFixed(4)} and d(A,N) ${meanNegative.toFixed(4)} are near 0 and the loss per triplet ` +
        `(${lossPerTriplet.toFixed(4)}) is near the margin ${this.margin}; try a lower learning rate, the 'semihard' miner, or a smaller margin`);
    }
    if (t === 0 && this.steps > 0) warnings.push('no valid triplet was mined this epoch: every batch needs ≥ 2 people with ≥ 2 photos');
    return {
      loss: this.steps > 0 ? this.loss / this.steps : NaN, lossPerTriplet, meanPositive, meanNegative,
      activeFraction: t > 0 ? this.active / t : NaN, triplets: t, normMean, normStd, collapsed, warnings,
    };
  }
}

/**
 * The collapse rule: mean d(A,N) and mean d(A,P) below a quarter of the margin, and the mean loss
 * per triplet above 80 % of the margin (every triplet sits near the margin because all distances
 * are near 0).
 */
export function isCollapsed(meanPositive: number, meanNegative: number, lossPerTriplet: number, margin: number): boolean {
  if (!(margin > 0) || !Number.isFinite(meanNegative)) return false;
  return meanNegative < 0.25 * margin && meanPositive < 0.25 * margin && lossPerTriplet > 0.8 * margin;
}
