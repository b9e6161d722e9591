/**
 * One unit of pool work: compute output planes [zStart, zEnd) of one op from a shared input
 * buffer into a shared output buffer. Pure (no Node, no DOM), so Node workers, browser workers
 * and the main thread run the same function.
 *
 * @example
 * runSlab({ op, input: { buffer, type: 'uint16', shape: [8, 8, 8] }, output: { buffer: out, type: 'uint16', shape: [8, 8, 8] }, zStart: 0, zEnd: 4 });
 */
import { applyTransform } from '../apply.ts';
import { adoptMemory, memoryOf } from '../kernels/wasm/shared-memories.ts';
import type { Shape3, TransformOp, VoxelArray, VoxelType } from '../types.ts';

export interface SharedVolume {
  buffer: SharedArrayBuffer | ArrayBuffer;
  type: VoxelType;
  shape: Shape3;
  /** The WebAssembly memory `buffer` belongs to, if any: it travels with the task, so kernels in the worker find it. */
  memory?: WebAssembly.Memory;
}

/** A shared volume over `buffer`, naming its WebAssembly memory when it has one. */
export function sharedVolume(buffer: SharedArrayBuffer | ArrayBuffer, type: VoxelType, shape: Shape3): SharedVolume {
  const memory = memoryOf(buffer);
  return memory ? { buffer, type, shape, memory } : { buffer, type, shape };
}

export interface SlabTask {
  op: TransformOp;
  input: SharedVolume;
  output: SharedVolume;
  zStart: number;
  zEnd: number;
}

export function viewOf(v: SharedVolume): VoxelArray {
  const n = v.shape[0] * v.shape[1] * v.shape[2];
  const buffer = v.memory ? adoptMemory(v.memory) : v.buffer;
  return v.type === 'uint8' ? new Uint8Array(buffer, 0, n) : v.type === 'uint16' ? new Uint16Array(buffer, 0, n) : new Float32Array(buffer, 0, n);
}

/** Computes the task's planes into its output buffer. */
export function runSlab(task: SlabTask): void {
  applyTransform({ data: viewOf(task.input), shape: task.input.shape }, task.op, { zStart: task.zStart, zEnd: task.zEnd, out: viewOf(task.output) });
}

/** Splits `planes` output planes into about `slabs` contiguous ranges of near-equal size. */
export function planSlabs(planes: number, slabs: number): [number, number][] {
  const count = Math.max(1, Math.min(planes, Math.floor(slabs)));
  const out: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const a = Math.floor((i * planes) / count);
    const b = Math.floor(((i + 1) * planes) / count);
    if (b > a) out.push([a, b]);
  }
  return out;
}
