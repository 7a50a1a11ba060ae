// facemetric: the public API.
export { init, isReady, flavour, relaxedSimdSupported, type Flavour } from './wasm.js';
export { setThreads, getThreads } from './threads.js';
export { tidy, keep, memoryStats, type MemoryStats } from './memory.js';
export { Tensor, tensor, zeros, ones, full, randn, uniform, parameter, type Shape, type TensorOptions } from './tensor.js';
export { noGrad, isGradEnabled, defineOp, backward, Ctx, type OpDef } from './autograd.js';
export { Rng } from './random.js';
export * from './ops/elementwise.js';
export * from './ops/dense.js';
export * from './ops/conv2d.js';
export * from './ops/pool.js';
export * from './ops/activation.js';
export * from './ops/normalize.js';
export * from './ops/loss.js';
export * from './ops/triplet.js';
export * from './optim/optimizer.js';
export * from './optim/sgd.js';
export * from './optim/adam.js';
export * from './optim/schedule.js';
export * from './optim/clip.js';
export * from './ops/batchnorm.js';
export * from './ops/dropout.js';
export * from './ops/upsample.js';
export * from './nn/index.js';
export * from './data/index.js';
export * from './metric/lecture.js';
export * from './metric/gallery.js';
export * from './metric/verify.js';
export * from './metric/evaluate.js';
export * from './metric/train.js';
export * from './metric/health.js';
export * from './metric/validate.js';
export { embedDataset, type EmbeddingSet, type TrainableModel } from './metric/model.js';
export { saveModel, loadModel, modelHash, type ModelFile } from './io/model-file.js';
export { FileFormatError } from './io/container.js';
export { saveGallery, loadGallery, type GalleryFile, type SaveGalleryOptions, type LoadGalleryOptions } from './io/gallery-file.js';
export * from './plot/index.js';
export * from './metric/protocol.js';
export * from './metric/megaface.js';
export * from './metric/compact.js';
export {
  writeGalleryStream, saveGalleryStream, readGalleryStream, readGalleryStreamAsync, galleryFileRows, crc32Fast, crc32Combine, STREAM_VERSION, SYNTHETIC,
  type GalleryStreamInfo, type StreamSummary, type FillRows, type ReadGalleryStreamOptions, type GalleryStream,
} from './io/gallery-stream.js';
export { exportNpy, npyHeader, type NpyExport } from './io/export-npy.js';
