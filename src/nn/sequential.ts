// Sequential (modules applied in order, named 0, 1, …) and ConvBlock (the truncated CNN's block:
// a 'same' convolution, optional batch norm, ReLU, 2×2 max-pool).
import type { Tensor } from '../tensor.js';
import { checkInt, describe, rangeError, typeError } from '../errors.js';
import { Module, type ModuleConfig } from './module.js';
import { moduleFromConfig, registerModuleType } from './registry.js';
import { BatchNorm, Conv2d, MaxPool2d, ReLU, checkOptions, configOptions } from './layers.js';
import { resolveRng, type SeedOptions } from './init.js';

/** Applies its modules in order; they are named '0', '1', … (so parameters are `0.w`, `1.b`, …). */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => {
      if (!(m instanceof Module)) throw typeError('Sequential', `argument ${i} to be a Module`, describe(m));
      this.addModule(String(i), m);
    });
    this.layers = [...layers];
  }

  forward(x: Tensor): Tensor {
    for (const m of this.layers) x = m.forward(x);
    return x;
  }

  config(): ModuleConfig {
    return { type: 'Sequential', layers: this.layers.map((m) => m.config()) };
  }
}

registerModuleType('Sequential', (c) => {
  if (!Array.isArray(c.layers)) throw typeError('Sequential', 'config.layers to be an array of module configs', describe(c.layers));
  return new Sequential(...c.layers.map((l) => moduleFromConfig(l as ModuleConfig)));
});

export interface ConvBlockOptions extends SeedOptions {
  inChannels: number;
  outChannels: number;
  /** Square filter size (default 3), 'same' padding. */
  kernelSize?: number;
  /** Batch norm between the convolution and the ReLU (default false; the convolution then has no bias). */
  batchNorm?: boolean;
  /** Max-pool window and stride after the ReLU (default 2; 0 = no pooling). */
  pool?: number;
}

/**
 * conv (kernelSize × kernelSize, 'same', He init) → [bn] → relu → [pool (pool × pool max-pool)]:
 * parameters `conv.w`, `conv.b` (no bias with batch norm), `bn.gamma`, `bn.beta`; buffers
 * `bn.runningMean`, `bn.runningVar`.
 */
export class ConvBlock extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly batchNorm: boolean;
  readonly pool: number;
  readonly seed?: number;
  readonly conv: Conv2d;
  readonly bn: BatchNorm | null;
  readonly relu: ReLU;
  readonly maxPool: MaxPool2d | null;

  constructor(opts: ConvBlockOptions) {
    super();
    const where = 'ConvBlock';
    checkOptions(where, opts, '{ inChannels, outChannels, kernelSize?, batchNorm?, pool?, seed?, rng? }');
    this.inChannels = checkInt(where, 'options.inChannels', opts.inChannels, 1);
    this.outChannels = checkInt(where, 'options.outChannels', opts.outChannels, 1);
    this.kernelSize = checkInt(where, 'options.kernelSize', opts.kernelSize ?? 3, 1);
    if (opts.batchNorm !== undefined && typeof opts.batchNorm !== 'boolean') throw typeError(where, 'options.batchNorm to be a boolean', describe(opts.batchNorm));
    this.batchNorm = opts.batchNorm ?? false;
    this.pool = checkInt(where, 'options.pool', opts.pool ?? 2, 0);
    const { rng, seed } = resolveRng(where, opts);
    if (seed !== undefined) this.seed = seed;
    this.conv = this.addModule('conv', new Conv2d({
      inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize, padding: 'same', bias: !this.batchNorm, rng,
    }));
    this.bn = this.batchNorm ? this.addModule('bn', new BatchNorm({ numFeatures: this.outChannels })) : null;
    this.relu = this.addModule('relu', new ReLU());
    this.maxPool = this.pool > 0 ? this.addModule('pool', new MaxPool2d({ size: this.pool })) : null;
  }

  /**
   * conv → (batch norm) → ReLU → max-pool, computed as conv → (batch norm) → max-pool → ReLU: the
   * same values (the max of ReLUs is the ReLU of the max) and the same gradients (both send a
   * window's gradient to its first largest input, and nowhere when that input is ≤ 0), with the
   * ReLU on a quarter of the elements. With a 2×2 pool the pool and the ReLU run inside the kernel
   * before them — the convolution's (Conv2d.forwardMaxPool) or the batch norm's
   * (BatchNorm.forwardMaxPool) — whose full-size output is then never written; again the same values
   * and gradients.
   */
  forward(x: Tensor): Tensor {
    if (this.pool === 2) return this.bn ? this.bn.forwardMaxPool(this.conv.forward(x), true) : this.conv.forwardMaxPool(x, true);
    let h = this.conv.forward(x);
    if (this.bn) h = this.bn.forward(h);
    if (this.maxPool) h = this.maxPool.forward(h);
    return this.relu.forward(h);
  }

  /** Output [H, W, C] of one sample for an input [H, W, inChannels]. */
  outputShape([h, w]: readonly number[]): [number, number, number] {
    if (this.pool === 0) return [h, w, this.outChannels];
    const oh = Math.floor(h / this.pool), ow = Math.floor(w / this.pool);
    if (oh < 1 || ow < 1) {
      throw rangeError('ConvBlock', `an input of at least ${this.pool}×${this.pool} pixels for the ${this.pool}×${this.pool} max-pool`, `${h}×${w}`);
    }
    return [oh, ow, this.outChannels];
  }

  config(): ModuleConfig {
    return {
      type: 'ConvBlock', inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize,
      batchNorm: this.batchNorm, pool: this.pool, ...(this.seed !== undefined ? { seed: this.seed } : {}),
    };
  }
}

registerModuleType('ConvBlock', (c) => new ConvBlock(configOptions(c)));
