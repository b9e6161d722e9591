/** Session and image readers (spec §7, §8): one description for every source. */
export * from './description.ts';
export { openImage } from './open.ts';
export { readNpy, parseNpyHeader } from './npy.ts';
export type { NpyHeader } from './npy.ts';
export { readTiff, walkIfds } from './tiff.ts';
export { isLegacySession, keepNonFinite } from './legacy.ts';
export { planeAtLevel, zAxisOf } from './geometry.ts';
export { parseTolerantJson } from './json.ts';
