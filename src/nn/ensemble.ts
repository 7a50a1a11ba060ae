// EmbeddingEnsemble: several embedding networks trained separately (another seed, another recipe,
// each on its own core) used as one. A photo's embedding is the concatenation of the members'
// L2-normalised embeddings divided by √M, so it is a unit vector again and the squared distance
// between two photos is the mean of the members' squared distances. Members keep their own
// options (batch norm, test-time flip…); they must take the same input shape, and their model files
// the same preprocessing (the CLI's `ensemble` command checks both).
import { Tensor } from '../tensor.js';
import { describe, rangeError, typeError } from '../errors.js';
import { Module, type ModuleConfig } from './module.js';
import { moduleFromConfig, registerModuleType } from './registry.js';
import { checkOptions } from './layers.js';
import { embedInChunks, mirrorImages, type EmbeddingModel } from './embedding-net.js';
import { add } from '../ops/elementwise.js';
import { l2Normalize } from '../ops/normalize.js';

export interface EmbeddingEnsembleOptions {
  /** Two or more embedding models (modules with embed(), the same inputShape). */
  members: Array<Module & EmbeddingModel>;
  /**
   * Test-time flip for the whole ensemble (default false): each photo's ensemble embedding is
   * summed with its mirror image's and normalised again (as EmbeddingNet's flipTest does for one
   * network; members with their own flipTest then see four images).
   */
  flipTest?: boolean;
}

/** Several embedding networks as one: members' unit embeddings side by side, divided by √M. */
export class EmbeddingEnsemble extends Module implements EmbeddingModel {
  readonly inputShape: readonly number[];
  readonly embeddingDim: number;
  readonly members: ReadonlyArray<Module & EmbeddingModel>;
  readonly flipTest: boolean;

  constructor(opts: EmbeddingEnsembleOptions) {
    super();
    const where = 'EmbeddingEnsemble';
    checkOptions(where, opts, '{ members, flipTest? }');
    if (opts.flipTest !== undefined && typeof opts.flipTest !== 'boolean') throw typeError(where, 'options.flipTest to be a boolean', describe(opts.flipTest));
    this.flipTest = opts.flipTest ?? false;
    const members = opts.members;
    if (!Array.isArray(members) || members.length < 2) throw rangeError(where, 'options.members: an array of 2 or more embedding models', describe(members));
    members.forEach((m, i) => {
      if (!(m instanceof Module) || typeof (m as EmbeddingModel).embed !== 'function' || !Array.isArray((m as EmbeddingModel).inputShape)) {
        throw typeError(where, `options.members[${i}] to be an embedding model (a Module with embed() and inputShape)`, describe(m));
      }
    });
    const shape = members[0].inputShape;
    members.forEach((m, i) => {
      if (m.inputShape.join() !== shape.join()) {
        throw rangeError(where, `members with one input shape (member 0 takes [${shape.join(',')}])`, `member ${i} taking [${m.inputShape.join(',')}]`);
      }
    });
    this.inputShape = [...shape];
    this.embeddingDim = members.reduce((s, m) => s + m.embeddingDim, 0);
    members.forEach((m, i) => this.addModule(`m${i}`, m));
    this.members = [...members];
  }

  /** Not differentiable: an ensemble is not trained as one model. Train each member, then combine them. */
  forward(x: Tensor): Tensor {
    void x;
    throw new Error('EmbeddingEnsemble.forward: an ensemble is not trained as one model; train each member, then combine them (embed() gives the ensemble\'s embeddings)');
  }

  /**
   * Embeddings [N, Σ D_i]: each member's embed() (its own batch size, flip and mode), each row
   * divided by its norm (members that do not normalise are normalised here), side by side, times 1/√M.
   */
  embed(x: Tensor, batchSize = 64): Tensor {
    const M = this.members.length;
    const scale = 1 / Math.sqrt(M);
    const joined = (c: Tensor): Tensor => {
      const n = c.shape[0];
      const out = new Tensor([n, this.embeddingDim]);
      let at = 0;
      for (const m of this.members) {
        const e = m.embed(c, batchSize);
        const d = m.embeddingDim, src = e.data, dst = out.data, w = this.embeddingDim;
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let t = 0; t < d; t++) s += src[i * d + t] * src[i * d + t];
          const f = s > 0 ? scale / Math.sqrt(s) : 0;
          for (let t = 0; t < d; t++) dst[i * w + at + t] = src[i * d + t] * f;
        }
        e.dispose();
        at += d;
      }
      return out;
    };
    return embedInChunks(this, 'EmbeddingEnsemble.embed', x, this.inputShape, this.embeddingDim, batchSize, (c) => {
      if (!this.flipTest) return joined(c);
      return l2Normalize(add(joined(c), joined(mirrorImages(c))));
    });
  }

  config(): ModuleConfig {
    return { type: 'EmbeddingEnsemble', members: this.members.map((m) => m.config()), ...(this.flipTest ? { flipTest: true } : {}) };
  }
}

registerModuleType('EmbeddingEnsemble', (c) => {
  const members = (c as { members?: unknown }).members;
  if (!Array.isArray(members)) throw typeError('EmbeddingEnsemble', 'config.members to be an array of module configs', describe(members));
  const flipTest = (c as { flipTest?: boolean }).flipTest;
  return new EmbeddingEnsemble({ members: members.map((m) => moduleFromConfig(m as ModuleConfig) as Module & EmbeddingModel), ...(flipTest !== undefined ? { flipTest } : {}) });
});
