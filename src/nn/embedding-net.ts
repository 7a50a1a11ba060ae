// EmbeddingNet: the lecture's truncated CNN. Per block a 3×3 'same' convolution (+ optional batch
// norm) + ReLU + 2×2 max-pool; then Flatten, optional dropout, a dense layer of embeddingDim
// neurons (the embedding), and L2 normalisation onto the unit sphere. The default is exactly the
// reference network: 64×64×1 input, convolutions of 32/64/128 filters, dense 128.
import { Tensor } from '../tensor.js';
import { tidy } from '../memory.js';
import { noGrad } from '../autograd.js';
import { checkInt, checkNumber, describe, fmtShape, rangeError, typeError } from '../errors.js';
import { Module, type ModuleConfig } from './module.js';
import { registerModuleType } from './registry.js';
import { Dense, Dropout, Flatten, L2Normalize, checkOptions, configOptions } from './layers.js';
import { ConvBlock, Sequential } from './sequential.js';
import { resolveRng, type SeedOptions } from './init.js';
import { add, scale } from '../ops/elementwise.js';
import { l2Normalize } from '../ops/normalize.js';

/** What identification and verification need from a network: images in, embeddings out. */
export interface EmbeddingModel {
  /** [H, W, C] of one input image. */
  readonly inputShape: readonly number[];
  /** D: the length of one embedding. */
  readonly embeddingDim: number;
  /** Embeddings [N, D] of images [N, H, W, C], for inference (evaluation mode, no gradient). */
  embed(x: Tensor, batchSize?: number): Tensor;
}

/** Checks a [H, W, C] option; throws `<where>: expected …`. */
export function checkInputShape(where: string, v: unknown): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3) throw rangeError(where, 'options.inputShape to be [H, W, C] (three integers >= 1)', describe(v));
  return [checkInt(where, 'options.inputShape[0] (H)', v[0], 1), checkInt(where, 'options.inputShape[1] (W)', v[1], 1),
    checkInt(where, 'options.inputShape[2] (C)', v[2], 1)];
}

/** Throws `<where>: expected input [N,H,W,C] …, got shape …` unless x is a batch of such images. */
export function checkImages(where: string, x: unknown, [h, w, c]: readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw typeError(where, 'a Tensor of images [N,H,W,C]', describe(x));
  if (x.rank !== 4 || x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== c) {
    throw rangeError(where, `input [N,${h},${w},${c}] (N images of ${h}×${w} pixels with ${c} channel${c === 1 ? '' : 's'}, NHWC)`,
      `shape ${fmtShape(x.shape)}`, x.rank === 3 && x.shape[0] === h ? 'add the batch axis: one image is [1,H,W,C]' : undefined);
  }
  return x;
}

/**
 * Runs fn on x [N, ...inputShape] in chunks of batchSize samples, in evaluation mode and without
 * gradient, and gathers the outputs [chunk, dim] into one tensor [N, dim]. The module's mode is
 * restored afterwards.
 */
export function embedInChunks(m: Module, where: string, x: Tensor, inputShape: readonly number[], dim: number,
  batchSize: number, fn: (chunk: Tensor) => Tensor): Tensor {
  checkImages(where, x, inputShape);
  checkInt(where, 'batchSize', batchSize, 1);
  const n = x.shape[0], per = x.size / Math.max(n, 1);
  const wasTraining = m.training;
  m.eval();
  try {
    return noGrad(() => {
      const out = new Tensor([n, dim]);
      for (let s = 0; s < n; s += batchSize) {
        const e = Math.min(n, s + batchSize);
        tidy(() => {
          const chunk = s === 0 && e === n ? x : new Tensor([e - s, ...inputShape]);
          if (chunk !== x) chunk.data.set(x.data.subarray(s * per, e * per));
          const y = fn(chunk);
          if (y.rank !== 2 || y.shape[0] !== e - s || y.shape[1] !== dim) {
            throw new Error(`${where}: the network returned shape ${fmtShape(y.shape)} for a chunk of ${e - s}, expected [${e - s},${dim}]`);
          }
          out.data.set(y.data, s * dim);
        });
      }
      return out;
    });
  } finally {
    m.train(wasTraining);
  }
}

export interface EmbeddingNetOptions extends SeedOptions {
  /** [H, W, C] of one image (default [64, 64, 1]). */
  inputShape?: readonly number[];
  /** Filters of each conv block (default [32, 64, 128]); each block halves H and W. */
  blocks?: readonly number[];
  /** Neurons of the last dense layer: the embedding's length (default 128). */
  embeddingDim?: number;
  /** L2-normalise the embedding (default true). */
  normalize?: boolean;
  /** Batch norm after each convolution (default false). */
  batchNorm?: boolean;
  /** Dropout rate before the dense layer (default 0: none). */
  dropout?: number;
  /**
   * Test-time flip (default false): embed() returns the sum of the embeddings of each image and of
   * its mirror image, L2-normalised again (their mean when normalize is false). Training (forward)
   * is unaffected; the option is part of the architecture, so model files keep it.
   */
  flipTest?: boolean;
}

/** Images [N,H,W,C] mirrored left-right (a new tensor, off the graph). */
export function mirrorImages(x: Tensor): Tensor {
  const [n, h, w, c] = x.shape;
  const out = new Tensor([...x.shape]);
  const src = x.data, dst = out.data;
  for (let r = 0; r < n * h; r++) {
    const row = r * w * c;
    for (let j = 0; j < w; j++) {
      const a = row + j * c, b = row + (w - 1 - j) * c;
      for (let k = 0; k < c; k++) dst[b + k] = src[a + k];
    }
  }
  return out;
}

/**
 * The truncated CNN that maps face images [N,H,W,C] to embeddings [N, embeddingDim]. Parameters:
 * `blocks.<i>.conv.w`, `blocks.<i>.conv.b` (or `blocks.<i>.bn.gamma/beta` with batch norm),
 * `embedding.w`, `embedding.b`.
 */
export class EmbeddingNet extends Module implements EmbeddingModel {
  readonly inputShape: readonly [number, number, number];
  readonly blocks: readonly number[];
  readonly embeddingDim: number;
  readonly normalize: boolean;
  readonly batchNorm: boolean;
  readonly dropoutRate: number;
  readonly flipTest: boolean;
  readonly seed?: number;
  /** Shape [H, W, C] after the conv blocks. */
  readonly featureShape: readonly [number, number, number];
  private readonly features: Sequential;
  private readonly flatten: Flatten;
  private readonly drop: Dropout | null;
  private readonly embedding: Dense;
  private readonly norm: L2Normalize | null;

  constructor(opts: EmbeddingNetOptions = {}) {
    super();
    const where = 'EmbeddingNet';
    checkOptions(where, opts, '{ inputShape?, blocks?, embeddingDim?, normalize?, batchNorm?, dropout?, flipTest?, seed?, rng? }');
    this.inputShape = checkInputShape(where, opts.inputShape ?? [64, 64, 1]);
    const blocks = opts.blocks ?? [32, 64, 128];
    if (!Array.isArray(blocks)) throw typeError(where, 'options.blocks to be an array of filter counts', describe(blocks));
    this.blocks = blocks.map((b, i) => checkInt(where, `options.blocks[${i}]`, b, 1));
    this.embeddingDim = checkInt(where, 'options.embeddingDim', opts.embeddingDim ?? 128, 1);
    for (const k of ['normalize', 'batchNorm', 'flipTest'] as const) {
      if (opts[k] !== undefined && typeof opts[k] !== 'boolean') throw typeError(where, `options.${k} to be a boolean`, describe(opts[k]));
    }
    this.normalize = opts.normalize ?? true;
    this.batchNorm = opts.batchNorm ?? false;
    this.flipTest = opts.flipTest ?? false;
    this.dropoutRate = checkNumber(where, 'options.dropout', opts.dropout ?? 0, 0);
    if (this.dropoutRate >= 1) throw rangeError(where, 'options.dropout to be a rate in [0, 1)', describe(this.dropoutRate));
    const { rng, seed } = resolveRng(where, opts);
    if (seed !== undefined) this.seed = seed;

    let shape: [number, number, number] = [...this.inputShape];
    const convs: ConvBlock[] = [];
    for (const out of this.blocks) {
      if (shape[0] < 2 || shape[1] < 2) {
        throw rangeError(where, `options.inputShape large enough for ${this.blocks.length} 2×2 max-pools (at least ${2 ** this.blocks.length} pixels a side)`,
          fmtShape(this.inputShape));
      }
      const block = new ConvBlock({ inChannels: shape[2], outChannels: out, batchNorm: this.batchNorm, rng });
      shape = block.outputShape(shape);
      convs.push(block);
    }
    this.featureShape = shape;
    this.features = this.addModule('blocks', new Sequential(...convs));
    this.flatten = this.addModule('flatten', new Flatten());
    this.drop = this.dropoutRate > 0 ? this.addModule('dropout', new Dropout({ rate: this.dropoutRate, rng })) : null;
    this.embedding = this.addModule('embedding', new Dense({
      inFeatures: shape[0] * shape[1] * shape[2], outFeatures: this.embeddingDim, init: 'glorotUniform', rng,
    }));
    this.norm = this.normalize ? this.addModule('normalize', new L2Normalize()) : null;
  }

  /** Embeddings [N, embeddingDim] of images [N, H, W, C] (on the autograd graph in training). */
  forward(x: Tensor): Tensor {
    checkImages('EmbeddingNet.forward', x, this.inputShape);
    let h = this.flatten.forward(this.features.forward(x));
    if (this.drop) h = this.drop.forward(h);
    h = this.embedding.forward(h);
    return this.norm ? this.norm.forward(h) : h;
  }

  /**
   * Embeddings for inference: evaluation mode (the mode is restored after), no gradient, images
   * processed batchSize at a time (default 64) so that large sets fit in memory. Returns [N, D].
   */
  embed(x: Tensor, batchSize = 64): Tensor {
    return embedInChunks(this, 'EmbeddingNet.embed', x, this.inputShape, this.embeddingDim, batchSize, (c) => {
      if (!this.flipTest) return this.forward(c);
      const both = add(this.forward(c), this.forward(mirrorImages(c)));
      return this.normalize ? l2Normalize(both) : scale(both, 0.5);
    });
  }

  config(): ModuleConfig {
    return {
      type: 'EmbeddingNet', inputShape: [...this.inputShape], blocks: [...this.blocks], embeddingDim: this.embeddingDim,
      normalize: this.normalize, batchNorm: this.batchNorm, dropout: this.dropoutRate,
      ...(this.flipTest ? { flipTest: true } : {}), ...(this.seed !== undefined ? { seed: this.seed } : {}),
    };
  }
}

registerModuleType('EmbeddingNet', (c) => new EmbeddingNet(configOptions(c)));
