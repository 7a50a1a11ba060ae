// The network library: modules, layers, initialisers, the embedding network and the autoencoder.
// Importing this file registers every built-in module type for moduleFromConfig.
export { Module, type ModuleConfig, type ModuleStateDict, type TensorState } from './module.js';
export { registerModuleType, moduleFromConfig, moduleTypes } from './registry.js';
export {
  INITIALIZERS, computeFans, heNormal, heUniform, glorotUniform, glorotNormal, initWeights, seedModules,
  type InitName, type SeedOptions,
} from './init.js';
export {
  Conv2d, Dense, ReLU, MaxPool2d, AvgPool2d, Flatten, Reshape, L2Normalize, BatchNorm, Dropout, UpsampleNearest, CosineClassifier,
  type Conv2dLayerOptions, type DenseLayerOptions, type Pool2dLayerOptions, type ReshapeLayerOptions,
  type L2NormalizeLayerOptions, type BatchNormLayerOptions, type DropoutLayerOptions, type UpsampleLayerOptions,
  type CosineClassifierLayerOptions,
} from './layers.js';
export { Sequential, ConvBlock, type ConvBlockOptions } from './sequential.js';
export { EmbeddingNet, mirrorImages, type EmbeddingNetOptions, type EmbeddingModel } from './embedding-net.js';
export { EmbeddingEnsemble, type EmbeddingEnsembleOptions } from './ensemble.js';
export { Autoencoder, type AutoencoderOptions } from './autoencoder.js';
