// Layers: thin modules around the ops (conv2d, dense, relu, pooling, reshape, l2Normalize,
// batchNorm, dropout, upsampleNearest). Each checks its input against its own configuration (so
// the message names the layer), holds its parameters and describes itself as a config.
import { Tensor, zeros, ones } from '../tensor.js';
import { Rng } from '../random.js';
import { checkInt, checkNumber, checkOption, describe, fmtShape, rangeError, typeError } from '../errors.js';
import { conv2d, conv2dMaxPool, type Conv2dPadding } from '../ops/conv2d.js';
import { dense, matmul } from '../ops/dense.js';
import { relu } from '../ops/activation.js';
import { maxPool2d, avgPool2d, type Padding } from '../ops/pool.js';
import { reshape } from '../ops/elementwise.js';
import { l2Normalize } from '../ops/normalize.js';
import { batchNorm, batchNormMaxPool, type BatchNormOptions } from '../ops/batchnorm.js';
import { dropout } from '../ops/dropout.js';
import { upsampleNearest, upsampleFactors } from '../ops/upsample.js';
import { Module, type ModuleConfig } from './module.js';
import { registerModuleType } from './registry.js';
import { INITIALIZERS, initWeights, resolveRng, type InitName, type SeedOptions } from './init.js';

/** Throws unless opts is a plain options object. */
export function checkOptions<T>(where: string, opts: T, what: string): T {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw typeError(where, `options ${what}`, describe(opts));
  return opts;
}

/** An integer >= 1 or a pair of them, as [a, b]. */
function pair(where: string, name: string, v: unknown): [number, number] {
  if (Array.isArray(v)) {
    if (v.length !== 2) throw rangeError(where, `${name} to be an integer >= 1 or a pair of them`, describe(v));
    return [checkInt(where, `${name}[0]`, v[0], 1), checkInt(where, `${name}[1]`, v[1], 1)];
  }
  const n = checkInt(where, name, v, 1);
  return [n, n];
}

function checkBool(where: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw typeError(where, `${name} to be a boolean`, describe(v));
  return v;
}

/** Throws `<Layer>.forward: expected …` unless x is a tensor of the given rank. */
function checkInput(where: string, x: unknown, rank: number, contract: string): Tensor {
  if (!(x instanceof Tensor)) throw typeError(where, 'a Tensor', describe(x));
  if (x.rank !== rank) throw rangeError(where, contract, `shape ${fmtShape(x.shape)}`);
  return x;
}

// ---------------------------------------------------------------------------------------------

export interface Conv2dLayerOptions extends SeedOptions {
  inChannels: number;
  outChannels: number;
  /** Filter size: one number for a square filter or [KH, KW]. */
  kernelSize: number | readonly [number, number];
  /** Default 1. */
  stride?: number | readonly [number, number];
  /** 'same', 'valid' (the default), one number for every side or [top, bottom, left, right]. */
  padding?: Conv2dPadding;
  /** Default true. */
  bias?: boolean;
  /** Default 'heNormal' (for a layer followed by ReLU). */
  init?: InitName;
}

/** 2-D convolution of NHWC input [N,H,W,inChannels] with HWIO filters `w` and a bias `b`. */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: Conv2dPadding;
  readonly bias: boolean;
  readonly init: InitName;
  readonly seed?: number;
  readonly w: Tensor;
  readonly b: Tensor | null;

  constructor(opts: Conv2dLayerOptions) {
    super();
    const where = 'Conv2d';
    checkOptions(where, opts, '{ inChannels, outChannels, kernelSize, stride?, padding?, bias?, init?, seed?, rng? }');
    this.inChannels = checkInt(where, 'options.inChannels', opts.inChannels, 1);
    this.outChannels = checkInt(where, 'options.outChannels', opts.outChannels, 1);
    this.kernelSize = pair(where, 'options.kernelSize', opts.kernelSize);
    this.stride = opts.stride === undefined ? [1, 1] : pair(where, 'options.stride', opts.stride);
    const p = opts.padding ?? 'valid';
    const okInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
    if (!(p === 'same' || p === 'valid' || okInt(p) || (Array.isArray(p) && p.length === 4 && p.every(okInt)))) {
      throw rangeError(where, "options.padding to be 'same', 'valid', an integer >= 0 or [top, bottom, left, right]", describe(p));
    }
    this.padding = Array.isArray(p) ? [...p] as unknown as Conv2dPadding : p;
    this.bias = checkBool(where, 'options.bias', opts.bias, true);
    this.init = checkOption(where, 'options.init', opts.init ?? 'heNormal', INITIALIZERS);
    const { rng, seed } = resolveRng(where, opts);
    if (seed !== undefined) this.seed = seed;
    this.w = this.addParameter('w', initWeights(this.init, [...this.kernelSize, this.inChannels, this.outChannels], rng));
    this.b = this.bias ? this.addParameter('b', zeros([this.outChannels])) : null;
  }

  forward(x: Tensor): Tensor {
    this.checkX('Conv2d.forward', x);
    return conv2d(x, this.w, this.b, { stride: this.stride, padding: this.padding });
  }

  /**
   * The forward followed by a 2×2 max-pool (stride 2) and, with relu, a ReLU, in one pass where the
   * kernels allow it (conv2dMaxPool): the same values and gradients as maxPool2d(forward(x),
   * { size: 2 }) (and its ReLU).
   */
  forwardMaxPool(x: Tensor, relu = false): Tensor {
    this.checkX('Conv2d.forwardMaxPool', x);
    return conv2dMaxPool(x, this.w, this.b, { stride: this.stride, padding: this.padding, relu });
  }

  private checkX(where: string, x: Tensor): void {
    checkInput(where, x, 4, `input [N,H,W,${this.inChannels}] (NHWC with ${this.inChannels} channels)`);
    if (x.shape[3] !== this.inChannels) {
      throw rangeError(where, `input [N,H,W,${this.inChannels}] (NHWC with ${this.inChannels} channels)`, `shape ${fmtShape(x.shape)}`);
    }
  }

  config(): ModuleConfig {
    return {
      type: 'Conv2d', inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: [...this.kernelSize],
      stride: [...this.stride], padding: Array.isArray(this.padding) ? [...this.padding] : this.padding, bias: this.bias, init: this.init,
      ...(this.seed !== undefined ? { seed: this.seed } : {}),
    };
  }
}

// ---------------------------------------------------------------------------------------------

export interface DenseLayerOptions extends SeedOptions {
  inFeatures: number;
  outFeatures: number;
  /** Default true. */
  bias?: boolean;
  /** Default 'heNormal' (for a layer followed by ReLU). */
  init?: InitName;
}

/** Fully connected layer: [N, inFeatures] · w [inFeatures, outFeatures] + b → [N, outFeatures]. */
export class Dense extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
  readonly init: InitName;
  readonly seed?: number;
  readonly w: Tensor;
  readonly b: Tensor | null;

  constructor(opts: DenseLayerOptions) {
    super();
    const where = 'Dense';
    checkOptions(where, opts, '{ inFeatures, outFeatures, bias?, init?, seed?, rng? }');
    this.inFeatures = checkInt(where, 'options.inFeatures', opts.inFeatures, 1);
    this.outFeatures = checkInt(where, 'options.outFeatures', opts.outFeatures, 1);
    this.bias = checkBool(where, 'options.bias', opts.bias, true);
    this.init = checkOption(where, 'options.init', opts.init ?? 'heNormal', INITIALIZERS);
    const { rng, seed } = resolveRng(where, opts);
    if (seed !== undefined) this.seed = seed;
    this.w = this.addParameter('w', initWeights(this.init, [this.inFeatures, this.outFeatures], rng));
    this.b = this.bias ? this.addParameter('b', zeros([this.outFeatures])) : null;
  }

  forward(x: Tensor): Tensor {
    const contract = `input [N,${this.inFeatures}]`;
    checkInput('Dense.forward', x, 2, contract);
    if (x.shape[1] !== this.inFeatures) throw rangeError('Dense.forward', contract, `shape ${fmtShape(x.shape)}`);
    return dense(x, this.w, this.b);
  }

  config(): ModuleConfig {
    return {
      type: 'Dense', inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias, init: this.init,
      ...(this.seed !== undefined ? { seed: this.seed } : {}),
    };
  }
}

// ---------------------------------------------------------------------------------------------

/** max(x, 0), element by element. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
  config(): ModuleConfig { return { type: 'ReLU' }; }
}

export interface Pool2dLayerOptions {
  /** Window: one number or [height, width]. */
  size: number | readonly [number, number];
  /** Default: the window size. */
  stride?: number | readonly [number, number];
  /** 'valid' (default) or 'same'. */
  padding?: Padding;
}

abstract class Pool2d extends Module {
  readonly size: [number, number];
  readonly stride: [number, number];
  readonly padding: Padding;

  constructor(where: string, opts: Pool2dLayerOptions) {
    super();
    checkOptions(where, opts, '{ size, stride?, padding? }');
    this.size = pair(where, 'options.size', opts.size);
    this.stride = opts.stride === undefined ? [...this.size] : pair(where, 'options.stride', opts.stride);
    this.padding = checkOption(where, 'options.padding', opts.padding ?? 'valid', ['valid', 'same'] as const);
  }

  protected poolConfig(type: string): ModuleConfig {
    return { type, size: [...this.size], stride: [...this.stride], padding: this.padding };
  }
}

/** Max over windows of NHWC input (see maxPool2d). */
export class MaxPool2d extends Pool2d {
  constructor(opts: Pool2dLayerOptions) { super('MaxPool2d', opts); }
  forward(x: Tensor): Tensor { return maxPool2d(x, { size: this.size, stride: this.stride, padding: this.padding }); }
  config(): ModuleConfig { return this.poolConfig('MaxPool2d'); }
}

/** Average over windows of NHWC input (see avgPool2d). */
export class AvgPool2d extends Pool2d {
  constructor(opts: Pool2dLayerOptions) { super('AvgPool2d', opts); }
  forward(x: Tensor): Tensor { return avgPool2d(x, { size: this.size, stride: this.stride, padding: this.padding }); }
  config(): ModuleConfig { return this.poolConfig('AvgPool2d'); }
}

/** [N, …] → [N, product of the rest] (shares memory: a reshape). */
export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw typeError('Flatten.forward', 'a Tensor', describe(x));
    if (x.rank < 1) throw rangeError('Flatten.forward', 'input of rank >= 1 [N,…]', `shape ${fmtShape(x.shape)}`);
    return reshape(x, [x.shape[0], x.shape.slice(1).reduce((a, b) => a * b, 1)]);
  }
  config(): ModuleConfig { return { type: 'Flatten' }; }
}

export interface ReshapeLayerOptions {
  /** The shape of one sample; the batch axis is kept: [N, …] → [N, ...shape]. */
  shape: readonly number[];
}

/** [N, …] → [N, ...shape] with the same number of values per sample. */
export class Reshape extends Module {
  readonly shape: number[];
  constructor(opts: ReshapeLayerOptions) {
    super();
    checkOptions('Reshape', opts, '{ shape }');
    if (!Array.isArray(opts.shape)) throw typeError('Reshape', 'options.shape to be an array of integers >= 1', describe(opts.shape));
    this.shape = opts.shape.map((d, i) => checkInt('Reshape', `options.shape[${i}]`, d, 1));
  }
  forward(x: Tensor): Tensor {
    const per = this.shape.reduce((a, b) => a * b, 1);
    if (!(x instanceof Tensor) || x.rank < 1 || (x.shape[0] > 0 && x.size / x.shape[0] !== per)) {
      throw rangeError('Reshape.forward', `input [N,…] with ${per} values per sample (to reshape to [N,${this.shape}])`,
        x instanceof Tensor ? `shape ${fmtShape(x.shape)}` : describe(x));
    }
    return reshape(x, [x.shape[0], ...this.shape]);
  }
  config(): ModuleConfig { return { type: 'Reshape', shape: [...this.shape] }; }
}

export interface L2NormalizeLayerOptions {
  /** Norms below eps divide by eps (default 1e-12). */
  eps?: number;
}

/** Each row of [N,D] divided by its Euclidean norm (embeddings on the unit sphere). */
export class L2Normalize extends Module {
  readonly eps: number;
  constructor(opts: L2NormalizeLayerOptions = {}) {
    super();
    checkOptions('L2Normalize', opts, '{ eps? }');
    this.eps = checkNumber('L2Normalize', 'options.eps', opts.eps ?? 1e-12, 0);
  }
  forward(x: Tensor): Tensor {
    checkInput('L2Normalize.forward', x, 2, 'input [N,D]');
    return l2Normalize(x, { eps: this.eps });
  }
  config(): ModuleConfig { return { type: 'L2Normalize', eps: this.eps }; }
}

// ---------------------------------------------------------------------------------------------

export interface CosineClassifierLayerOptions extends SeedOptions {
  /** D: the embedding size. */
  inFeatures: number;
  /** C: the number of classes (people) in training. */
  classes: number;
}

/**
 * A training head for margin softmax losses (NormFace, CosFace): one weight vector per class,
 * w [C,D]; forward(x [N,D]) gives the cosines [N,C] between each L2-normalised row of x and each
 * L2-normalised class vector. Feed them to softmaxCrossEntropy(cos, labels, { scale, margin }).
 * Used in training only (train's `classifier` option); it is not part of a saved embedding model.
 */
export class CosineClassifier extends Module {
  readonly inFeatures: number;
  readonly classes: number;
  readonly seed?: number;
  readonly w: Tensor;

  constructor(opts: CosineClassifierLayerOptions) {
    super();
    const where = 'CosineClassifier';
    checkOptions(where, opts, '{ inFeatures, classes, seed?, rng? }');
    this.inFeatures = checkInt(where, 'options.inFeatures', opts.inFeatures, 1);
    this.classes = checkInt(where, 'options.classes', opts.classes, 1);
    const { rng, seed } = resolveRng(where, opts);
    if (seed !== undefined) this.seed = seed;
    this.w = this.addParameter('w', initWeights('glorotNormal', [this.classes, this.inFeatures], rng));
  }

  forward(x: Tensor): Tensor {
    const contract = `input [N,${this.inFeatures}]`;
    checkInput('CosineClassifier.forward', x, 2, contract);
    if (x.shape[1] !== this.inFeatures) throw rangeError('CosineClassifier.forward', contract, `shape ${fmtShape(x.shape)}`);
    return matmul(l2Normalize(x), l2Normalize(this.w), { transB: true });
  }

  config(): ModuleConfig {
    return { type: 'CosineClassifier', inFeatures: this.inFeatures, classes: this.classes, ...(this.seed !== undefined ? { seed: this.seed } : {}) };
  }
}

// ---------------------------------------------------------------------------------------------

export interface BatchNormLayerOptions {
  /** C: the size of the last axis ([N,C] or NHWC [N,H,W,C]). */
  numFeatures: number;
  /** Weight of a new batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/**
 * Batch normalisation over the last axis, with learnable `gamma` (ones) and `beta` (zeros) and the
 * buffers `runningMean` (zeros) and `runningVar` (ones). Training mode normalises with the batch's
 * statistics and updates the running ones; evaluation mode uses the running ones.
 */
export class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly momentum: number;
  readonly eps: number;
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;

  constructor(opts: BatchNormLayerOptions) {
    super();
    checkOptions('BatchNorm', opts, '{ numFeatures, momentum?, eps? }');
    this.numFeatures = checkInt('BatchNorm', 'options.numFeatures', opts.numFeatures, 1);
    this.momentum = checkNumber('BatchNorm', 'options.momentum', opts.momentum ?? 0.1, 0, 1);
    this.eps = checkNumber('BatchNorm', 'options.eps', opts.eps ?? 1e-5, 0);
    if (!(Math.fround(this.eps) > 0)) throw rangeError('BatchNorm', 'options.eps to be > 0', describe(this.eps));
    this.gamma = this.addParameter('gamma', ones([this.numFeatures]));
    this.beta = this.addParameter('beta', zeros([this.numFeatures]));
    this.runningMean = this.addBuffer('runningMean', zeros([this.numFeatures]));
    this.runningVar = this.addBuffer('runningVar', ones([this.numFeatures]));
  }

  forward(x: Tensor): Tensor {
    const C = this.numFeatures;
    if (!(x instanceof Tensor) || x.rank < 2 || x.shape[x.rank - 1] !== C) {
      throw rangeError('BatchNorm.forward', `input with ${C} features on the last axis ([N,${C}] or [N,H,W,${C}])`,
        x instanceof Tensor ? `shape ${fmtShape(x.shape)}` : describe(x));
    }
    return batchNorm(x, this.gamma, this.beta, this.options());
  }

  /**
   * The forward followed by a 2×2 max-pool (stride 2) and, with relu, a ReLU, in one pass over an
   * NHWC input (batchNormMaxPool): the same values and gradients as maxPool2d(forward(x), { size: 2 }).
   */
  forwardMaxPool(x: Tensor, relu = false): Tensor {
    const C = this.numFeatures;
    if (!(x instanceof Tensor) || x.rank !== 4 || x.shape[3] !== C) {
      throw rangeError('BatchNorm.forwardMaxPool', `input [N,H,W,${C}]`, x instanceof Tensor ? `shape ${fmtShape(x.shape)}` : describe(x));
    }
    return batchNormMaxPool(x, this.gamma, this.beta, { ...this.options(), relu });
  }

  private options(): BatchNormOptions {
    return { training: this.training, runningMean: this.runningMean, runningVar: this.runningVar, momentum: this.momentum, eps: this.eps };
  }

  config(): ModuleConfig { return { type: 'BatchNorm', numFeatures: this.numFeatures, momentum: this.momentum, eps: this.eps }; }
}

export interface DropoutLayerOptions extends SeedOptions {
  /** Probability of zeroing an element, in [0, 1). */
  rate: number;
}

/**
 * Inverted dropout in training mode (a new mask for every forward, its seed drawn from the layer's
 * own generator); the identity in evaluation mode.
 */
export class Dropout extends Module {
  readonly rate: number;
  readonly seed?: number;
  private readonly rng: Rng;

  constructor(opts: DropoutLayerOptions) {
    super();
    checkOptions('Dropout', opts, '{ rate, seed?, rng? }');
    this.rate = checkNumber('Dropout', 'options.rate', opts.rate, 0);
    if (this.rate >= 1) throw rangeError('Dropout', 'options.rate to be in [0, 1)', describe(this.rate));
    const { rng, seed } = resolveRng('Dropout', opts);
    // A generator of its own (even when given a shared one), so that training draws do not shift
    // the draws of whoever shares it.
    this.rng = seed !== undefined ? rng : new Rng(rng.nextU32());
    if (seed !== undefined) this.seed = seed;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.rate === 0) return x;
    return dropout(x, { rate: this.rate, seed: this.rng.nextU32(), training: true });
  }

  config(): ModuleConfig { return { type: 'Dropout', rate: this.rate, ...(this.seed !== undefined ? { seed: this.seed } : {}) }; }
}

export interface UpsampleLayerOptions {
  /** Integer factor for both axes, or [fh, fw]. */
  factor: number | readonly [number, number];
}

/** Nearest-neighbour upsampling of NHWC input by integer factors. */
export class UpsampleNearest extends Module {
  readonly factor: [number, number];
  constructor(opts: UpsampleLayerOptions) {
    super();
    checkOptions('UpsampleNearest', opts, '{ factor }');
    this.factor = upsampleFactors('UpsampleNearest', opts.factor);
  }
  forward(x: Tensor): Tensor { return upsampleNearest(x, { factor: this.factor }); }
  config(): ModuleConfig { return { type: 'UpsampleNearest', factor: [...this.factor] }; }
}

/** The options of a config: everything but `type`. */
export function configOptions<T>(config: ModuleConfig): T {
  const { type: _type, ...rest } = config;
  return rest as T;
}

registerModuleType('Conv2d', (c) => new Conv2d(configOptions(c)));
registerModuleType('Dense', (c) => new Dense(configOptions(c)));
registerModuleType('ReLU', () => new ReLU());
registerModuleType('MaxPool2d', (c) => new MaxPool2d(configOptions(c)));
registerModuleType('AvgPool2d', (c) => new AvgPool2d(configOptions(c)));
registerModuleType('Flatten', () => new Flatten());
registerModuleType('Reshape', (c) => new Reshape(configOptions(c)));
registerModuleType('L2Normalize', (c) => new L2Normalize(configOptions(c)));
registerModuleType('BatchNorm', (c) => new BatchNorm(configOptions(c)));
registerModuleType('Dropout', (c) => new Dropout(configOptions(c)));
registerModuleType('UpsampleNearest', (c) => new UpsampleNearest(configOptions(c)));
registerModuleType('CosineClassifier', (c) => new CosineClassifier(configOptions(c)));
