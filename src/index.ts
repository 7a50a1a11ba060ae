// facemetric: the public API.
export { init, isReady, flavour } from './wasm.js';
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
