// Autoencoder: the lecture's first way to learn an embedding without labels. The encoder is the
// truncated CNN (conv blocks, Flatten, a dense bottleneck of n neurons: the embedding); the
// decoder goes back to the image: dense to the encoder's last feature map, ReLU, then per block a
// 2× nearest upsampling + 3×3 'same' convolution + ReLU, and a last 3×3 convolution to the
// image's channels (linear output). Trained with mseLoss(forward(x), x).
import { Tensor } from '../tensor.js';
import { checkInt, describe, fmtShape, rangeError, typeError } from '../errors.js';
import { Module, type ModuleConfig } from './module.js';
import { registerModuleType } from './registry.js';
import { Conv2d, Dense, Flatten, ReLU, Reshape, UpsampleNearest, checkOptions, configOptions } from './layers.js';
import { ConvBlock, Sequential } from './sequential.js';
import { resolveRng, type SeedOptions } from './init.js';
import { checkImages, checkInputShape, embedInChunks, type EmbeddingModel } from './embedding-net.js';

export interface AutoencoderOptions extends SeedOptions {
  /** [H, W, C] of one image (default [64, 64, 1]); H and W divisible by 2^blocks.length. */
  inputShape?: readonly number[];
  /** Filters of each encoder conv block (default [32, 64, 128]); the decoder mirrors them. */
  blocks?: readonly number[];
  /** Neurons of the bottleneck: the embedding's length (default 128). */
  bottleneck?: number;
}

/**
 * forward(x) → reconstruction [N,H,W,C]; encode(x) → bottleneck [N, bottleneck] (on the graph);
 * embed(x) → the same for inference. Parameters: `encoder.<i>.conv.w/b`, `bottleneck.w/b`,
 * `expand.w/b`, `decoder.<i>.1.w/b` (the convolution after each upsampling), `output.w/b`.
 */
export class Autoencoder extends Module implements EmbeddingModel {
  readonly inputShape: readonly [number, number, number];
  readonly blocks: readonly number[];
  readonly bottleneck: number;
  readonly seed?: number;
  /** Shape [h, w, c] of the encoder's last feature map (and of the decoder's first). */
  readonly featureShape: readonly [number, number, number];
  private readonly encoder: Sequential;
  private readonly flatten: Flatten;
  private readonly code: Dense;
  private readonly expand: Dense;
  private readonly expandRelu: ReLU;
  private readonly unflatten: Reshape;
  private readonly decoder: Sequential;
  private readonly output: Conv2d;

  constructor(opts: AutoencoderOptions = {}) {
    super();
    const where = 'Autoencoder';
    checkOptions(where, opts, '{ inputShape?, blocks?, bottleneck?, seed?, rng? }');
    this.inputShape = checkInputShape(where, opts.inputShape ?? [64, 64, 1]);
    const blocks = opts.blocks ?? [32, 64, 128];
    if (!Array.isArray(blocks) || blocks.length === 0) throw typeError(where, 'options.blocks to be a non-empty array of filter counts', describe(blocks));
    this.blocks = blocks.map((b, i) => checkInt(where, `options.blocks[${i}]`, b, 1));
    this.bottleneck = checkInt(where, 'options.bottleneck', opts.bottleneck ?? 128, 1);
    const [H, W, C] = this.inputShape;
    const f = 2 ** this.blocks.length;
    if (H % f !== 0 || W % f !== 0) {
      throw rangeError(where, `options.inputShape with H and W divisible by ${f} (one 2×2 max-pool per block, undone by the decoder)`,
        fmtShape(this.inputShape));
    }
    const { rng, seed } = resolveRng(where, opts);
    if (seed !== undefined) this.seed = seed;

    const last = this.blocks[this.blocks.length - 1];
    this.featureShape = [H / f, W / f, last];
    const features = H / f * (W / f) * last;
    let c = C;
    const enc = this.blocks.map((out) => { const b = new ConvBlock({ inChannels: c, outChannels: out, rng }); c = out; return b; });
    this.encoder = this.addModule('encoder', new Sequential(...enc));
    this.flatten = this.addModule('flatten', new Flatten());
    this.code = this.addModule('bottleneck', new Dense({ inFeatures: features, outFeatures: this.bottleneck, init: 'glorotUniform', rng }));
    this.expand = this.addModule('expand', new Dense({ inFeatures: this.bottleneck, outFeatures: features, rng }));
    this.expandRelu = this.addModule('expandRelu', new ReLU());
    this.unflatten = this.addModule('unflatten', new Reshape({ shape: [...this.featureShape] }));
    const dec: Sequential[] = [];
    for (let j = this.blocks.length - 1; j >= 0; j--) {
      const out = this.blocks[Math.max(j - 1, 0)];
      dec.push(new Sequential(
        new UpsampleNearest({ factor: 2 }),
        new Conv2d({ inChannels: c, outChannels: out, kernelSize: 3, padding: 'same', rng }),
        new ReLU(),
      ));
      c = out;
    }
    this.decoder = this.addModule('decoder', new Sequential(...dec));
    this.output = this.addModule('output', new Conv2d({ inChannels: c, outChannels: C, kernelSize: 3, padding: 'same', init: 'glorotUniform', rng }));
  }

  /** The embedding length (= bottleneck), as for an EmbeddingNet. */
  get embeddingDim(): number {
    return this.bottleneck;
  }

  /** Bottleneck embeddings [N, bottleneck] of images [N,H,W,C] (on the autograd graph in training). */
  encode(x: Tensor): Tensor {
    checkImages('Autoencoder.encode', x, this.inputShape);
    return this.code.forward(this.flatten.forward(this.encoder.forward(x)));
  }

  /** Images [N,H,W,C] reconstructed from bottleneck embeddings z [N, bottleneck]. */
  decode(z: Tensor): Tensor {
    if (!(z instanceof Tensor) || z.rank !== 2 || z.shape[1] !== this.bottleneck) {
      throw rangeError('Autoencoder.decode', `embeddings [N,${this.bottleneck}]`, z instanceof Tensor ? `shape ${fmtShape(z.shape)}` : describe(z));
    }
    const h = this.unflatten.forward(this.expandRelu.forward(this.expand.forward(z)));
    return this.output.forward(this.decoder.forward(h));
  }

  /** The reconstruction decode(encode(x)), [N,H,W,C]: train it with mseLoss(forward(x), x). */
  forward(x: Tensor): Tensor {
    checkImages('Autoencoder.forward', x, this.inputShape);
    return this.decode(this.encode(x));
  }

  /** Bottleneck embeddings [N, bottleneck] for inference (evaluation mode, no gradient, in chunks of batchSize). */
  embed(x: Tensor, batchSize = 64): Tensor {
    return embedInChunks(this, 'Autoencoder.embed', x, this.inputShape, this.bottleneck, batchSize, (c) => this.encode(c));
  }

  config(): ModuleConfig {
    return {
      type: 'Autoencoder', inputShape: [...this.inputShape], blocks: [...this.blocks], bottleneck: this.bottleneck,
      ...(this.seed !== undefined ? { seed: this.seed } : {}),
    };
  }
}

registerModuleType('Autoencoder', (c) => new Autoencoder(configOptions(c)));
