/**
 * Which pyramid level the live display uses (pure): the display volume is the finest level
 * whose planes have at most 512 × 512 voxels; `plane` events default to the finest level
 * whose planes are at most 1024 voxels on a side. Level shapes end in `[…, y, x]`, finest
 * first (`LiveSessionInfo.levelShapes`).
 *
 * @example
 * const shapes = [[1, 100, 2048, 2048], [1, 100, 1024, 1024], [1, 100, 512, 512], [1, 100, 256, 256]];
 * displayLevelFor(shapes); // 2
 * defaultPlaneLevel(shapes); // 1
 */
import { TaggedError } from '../../tagged-error.ts';

export type DisplayErrorCode = 'bad-levels' | 'bad-level' | 'bad-option';

/** A display producer or cache given shapes or options it cannot use. */
export class DisplayError extends TaggedError<DisplayErrorCode> {
  override readonly name = 'DisplayError';
}

export function isDisplayError(err: unknown, code?: DisplayErrorCode): err is DisplayError {
  return err instanceof DisplayError && (code === undefined || err.code === code);
}

/** Largest y·x of a display-volume plane. */
export const DISPLAY_PLANE_VOXELS = 512 * 512;
/** Largest side of a default `plane` event. */
export const PLANE_EVENT_SIDE = 1024;

function yx(shape: readonly number[]): [number, number] {
  return [shape[shape.length - 2] ?? 1, shape[shape.length - 1] ?? 1];
}

function checkShapes(levelShapes: readonly (readonly number[])[]): void {
  if (levelShapes.length === 0) throw new DisplayError('bad-levels', 'The level shapes list is empty; expected at least level 0.');
  for (const [i, s] of levelShapes.entries()) {
    if (s.length < 2 || s.some((v) => !Number.isInteger(v) || v < 1)) {
      throw new DisplayError('bad-levels', `Level ${i} has shape [${s.join(', ')}]; expected positive integers ending in y, x.`);
    }
  }
}

/** The finest level with y·x ≤ 512·512, else the coarsest. */
export function displayLevelFor(levelShapes: readonly (readonly number[])[]): number {
  checkShapes(levelShapes);
  for (let l = 0; l < levelShapes.length; l++) {
    const [y, x] = yx(levelShapes[l]!);
    if (y * x <= DISPLAY_PLANE_VOXELS) return l;
  }
  return levelShapes.length - 1;
}

/** The finest level with max(y, x) ≤ 1024, else the coarsest. */
export function defaultPlaneLevel(levelShapes: readonly (readonly number[])[]): number {
  checkShapes(levelShapes);
  for (let l = 0; l < levelShapes.length; l++) {
    const [y, x] = yx(levelShapes[l]!);
    if (Math.max(y, x) <= PLANE_EVENT_SIDE) return l;
  }
  return levelShapes.length - 1;
}

/**
 * Checks that `levelShapes` is a `[c, z, y, x]` pyramid whose y and x halve (rounded up) from
 * level to level with c and z kept, as the session writer builds it; returns `[C, Z]`.
 */
export function checkPyramid(levelShapes: readonly (readonly number[])[]): [number, number] {
  checkShapes(levelShapes);
  const s0 = levelShapes[0]!;
  if (s0.length !== 4) throw new DisplayError('bad-levels', `Level 0 has shape [${s0.join(', ')}]; the live display expects [c, z, y, x].`);
  for (let l = 1; l < levelShapes.length; l++) {
    const p = levelShapes[l - 1]!;
    const s = levelShapes[l]!;
    const want = [p[0]!, p[1]!, Math.ceil(p[2]! / 2), Math.ceil(p[3]! / 2)];
    if (s.length !== 4 || s.some((v, k) => v !== want[k])) {
      throw new DisplayError('bad-levels', `Level ${l} has shape [${s.join(', ')}]; after level ${l - 1} [${p.join(', ')}] a pyramid level is [${want.join(', ')}].`);
    }
  }
  return [s0[0]!, s0[1]!];
}
