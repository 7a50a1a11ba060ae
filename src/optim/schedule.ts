// Learning-rate schedules. A schedule reads the optimizer's learning rate once, when it is made
// (the base rate), sets optimizer.lr to its value at t = 0, and each step() advances t by one and
// sets optimizer.lr to its value at t. t counts calls to step(): call it once per epoch or once per
// optimizer step, and give stepSize / tMax / warmup in that same unit. Rates are computed in closed
// form from t (no drift from repeated multiplication), as PyTorch's closed-form schedules.
import { checkInt, checkNumber, rangeError } from '../errors.js';

/** Something whose learning rate a schedule can set (every Optimizer). */
export interface HasLR { lr: number }

/** What a schedule offers; write your own by implementing it. */
export interface LRSchedule {
  /** Advances the schedule by one step (epoch or iteration) and sets the optimizer's lr. */
  step(): void;
  /** The learning rate at the current step. */
  readonly lr: number;
}

/** A schedule's position, for checkpoints. */
export interface ScheduleStateDict { t: number; baseLr: number }

abstract class ClosedFormSchedule implements LRSchedule {
  /** The optimizer's learning rate when the schedule was made. */
  readonly baseLr: number;
  private tNow = 0;

  constructor(readonly optimizer: HasLR, private readonly where: string) {
    if (optimizer === null || typeof optimizer !== 'object' || typeof optimizer.lr !== 'number') {
      throw new TypeError(`${where}: expected an optimizer (an object with a numeric lr), got ${optimizer === null ? 'null' : typeof optimizer}`);
    }
    this.baseLr = optimizer.lr;
  }

  /** The learning rate at step t. */
  abstract lrAt(t: number): number;

  /** How many times step() has run. */
  get t(): number { return this.tNow; }

  get lr(): number { return this.lrAt(this.tNow); }

  step(): void {
    this.tNow++;
    this.optimizer.lr = this.lr;
  }

  stateDict(): ScheduleStateDict { return { t: this.tNow, baseLr: this.baseLr }; }

  /** Moves to a saved position (the base rate must match) and sets the optimizer's lr. */
  loadStateDict(sd: ScheduleStateDict): void {
    checkInt(`${this.where}.loadStateDict`, 't', sd?.t, 0);
    if (sd.baseLr !== this.baseLr) throw rangeError(`${this.where}.loadStateDict`, `a state saved with base lr ${this.baseLr}`, `base lr ${sd.baseLr}`);
    this.tNow = sd.t;
    this.optimizer.lr = this.lr;
  }

  /** Called at the end of a subclass constructor: the optimizer starts at lrAt(0). */
  protected start(): void { this.optimizer.lr = this.lr; }
}

export interface StepLROptions {
  /** Steps between two decays (integer >= 1). */
  stepSize: number;
  /** Factor applied at each decay (> 0, default 0.1). */
  gamma?: number;
}

/** lr(t) = baseLr · gamma^floor(t / stepSize). */
export class StepLR extends ClosedFormSchedule {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: HasLR, options: StepLROptions) {
    super(optimizer, 'StepLR');
    this.stepSize = checkInt('StepLR', 'options.stepSize', options?.stepSize, 1);
    this.gamma = checkNumber('StepLR', 'options.gamma', options.gamma ?? 0.1, 0);
    if (this.gamma <= 0) throw rangeError('StepLR', 'options.gamma to be > 0', String(this.gamma));
    this.start();
  }

  lrAt(t: number): number {
    return this.baseLr * this.gamma ** Math.floor(t / this.stepSize);
  }
}

export interface CosineLROptions {
  /** Length of the schedule, warm-up included (integer >= 1); the rate stays at minLr after it. */
  tMax: number;
  /** Final rate (in [0, base lr], default 0). */
  minLr?: number;
  /** Warm-up steps (integer in [0, tMax), default 0). */
  warmup?: number;
}

/**
 * Linear warm-up, then half a cosine from the base rate down to minLr:
 *   t < warmup:        lr = baseLr · (t + 1) / (warmup + 1)     (rises to baseLr at t = warmup)
 *   warmup <= t < tMax: lr = minLr + (baseLr − minLr) · (1 + cos(π (t − warmup) / (tMax − warmup))) / 2
 *   t >= tMax:          lr = minLr
 */
export class CosineLR extends ClosedFormSchedule {
  readonly tMax: number;
  readonly minLr: number;
  readonly warmup: number;

  constructor(optimizer: HasLR, options: CosineLROptions) {
    super(optimizer, 'CosineLR');
    this.tMax = checkInt('CosineLR', 'options.tMax', options?.tMax, 1);
    this.minLr = checkNumber('CosineLR', 'options.minLr', options.minLr ?? 0, 0, this.baseLr);
    this.warmup = checkInt('CosineLR', 'options.warmup', options.warmup ?? 0, 0, this.tMax - 1);
    this.start();
  }

  lrAt(t: number): number {
    const { baseLr, minLr, warmup, tMax } = this;
    if (t < warmup) return (baseLr * (t + 1)) / (warmup + 1);
    if (t >= tMax) return minLr;
    return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * (t - warmup)) / (tMax - warmup)))) / 2;
  }
}
