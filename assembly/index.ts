// The facemetric WebAssembly module: re-exports of every kernel family, nothing else.
// Memory is imported (env.memory) and owned by the TypeScript allocator (src/memory.ts); kernels
// only read and write the pointers they are given.
export { heap_base } from './kernels/runtime';
export * from './kernels/elementwise';
export * from './kernels/gemm';
export * from './kernels/conv2d';
export * from './kernels/winograd';
export * from './kernels/pool';
export * from './kernels/activation';
export * from './kernels/normalize';
export * from './kernels/loss';
export * from './kernels/triplet';
export * from './kernels/optim';
export * from './kernels/knn';
export * from './kernels/diameter';
export * from './kernels/batchnorm';
export * from './kernels/dropout';
export * from './kernels/upsample';
export * from './kernels/quant';
export { build_relaxed_simd } from './simd';
