/**
 * The transforms' public API for browsers, workers and Node: the op vocabulary, single-thread
 * kernels, rotation helpers and the browser pool. The Node pool is in
 * `./pool/node-pool.node.ts` (Node only).
 *
 * @example
 * import { applyTransform, createBrowserTransformPool } from './transforms/index.ts';
 */
export * from './types.ts';
export { applyPipeline, applyTransform, implementationOf, rotateAsAffine, type ApplyOptions } from './apply.ts';
export { rotationAffine, rotationMatrix, rotationOffset, type OffsetArithmetic, type RotationAxis } from './kernels/rotation.ts';
export { gaussianRadius, gaussianWeights } from './kernels/gaussian-weights.ts';
export { setGaussianImplementation, type GaussianImplementation } from './kernels/gaussian.ts';
export { simdSupported } from './kernels/wasm/gaussian-simd.ts';
export { sharedVolumeBuffer } from './kernels/wasm/shared-memories.ts';
export type { RunOptions, TransformPool } from './pool/types.ts';
export { BrowserTransformPool, createBrowserTransformPool, type BrowserPoolOptions } from './pool/browser-pool.ts';
