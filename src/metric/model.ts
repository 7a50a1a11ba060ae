// What the training loop needs of a model, and embedding a whole data set.
import { tidy } from '../memory.js';
import { imagesToTensor, type FaceDataset } from '../data/index.js';
import type { Module } from '../nn/module.js';
import type { EmbeddingModel } from '../nn/embedding-net.js';

export type StateDict = ReturnType<Module['stateDict']>;

/** A model the training loop can train: a Module mapping images to embeddings (or, for an autoencoder, to images). */
export type TrainableModel = Module & EmbeddingModel;

/** Embeddings of a data set: `count` rows of `dim` floats. */
export interface EmbeddingSet { dim: number; count: number; data: Float32Array }

/** Embeds every photo of a data set for inference, `batchSize` photos at a time. */
export function embedDataset(model: EmbeddingModel, data: FaceDataset, batchSize = 64, onProgress?: (done: number, total: number) => void): EmbeddingSet {
  const n = data.size;
  const dim = model.embeddingDim;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i += batchSize) {
    const m = Math.min(batchSize, n - i);
    tidy(() => {
      const x = imagesToTensor(Array.from({ length: m }, (_, j) => data.get(i + j)));
      out.set(model.embed(x, batchSize).data, i * dim);
    });
    onProgress?.(i + m, n);
  }
  return { dim, count: n, data: out };
}
