/** The seeded frames of the crash test, shared by the child and the checking test. */
import type { Frame } from '../../../src/acquisition/connector.ts';
import { frame } from './helpers.ts';

export const CRASH_SHAPE = [1, 200, 96, 80] as const;

export function crashFrame(z: number): Frame {
  return frame(CRASH_SHAPE[3], CRASH_SHAPE[2], 31 + z, { zIndex: z, frameNumber: z });
}
