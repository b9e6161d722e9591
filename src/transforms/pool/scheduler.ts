/**
 * The slab scheduler both pools share: copies the input into shared memory, splits every stage
 * of a pipeline into z-slabs, hands each idle worker the next slab, reports progress per slab and
 * checks cancellation before each dispatch (slabs in flight finish; nothing new starts).
 *
 * @example
 * const pool = new SlabPool(runners); // runners: one SlabRunner per worker
 * const out = await pool.run(vol, [{ op: 'gaussian', sigma: [1, 1, 1] }], { signal });
 */
import { TransformError, checkOp, checkVolume, outputShape, voxelTypeOf } from '../types.ts';
import type { TransformOp, Volume, VoxelArray, VoxelType } from '../types.ts';
import { isMaskedCopy } from '../kernels/shift.ts';
import { PAGE_BYTES } from '../kernels/wasm/emit.ts';
import { sharedVolumeBuffer } from '../kernels/wasm/shared-memories.ts';
import { planSlabs, sharedVolume, viewOf } from './slab.ts';
import type { SharedVolume, SlabTask } from './slab.ts';
import type { RunOptions, TransformPool } from './types.ts';

/** One worker, seen from the scheduler. */
export interface SlabRunner {
  run(task: SlabTask): Promise<void>;
  terminate(): Promise<void>;
}

/** Slabs per worker and stage: enough for load balance and prompt cancellation. */
export const SLABS_PER_WORKER = 4;

/**
 * Memory-bound ops (a copy, a block reduction) get one slab per worker: dispatch costs more than
 * balance gains. They still go to the workers rather than run in this thread: a fresh output
 * buffer costs a page fault per 4 KiB on first write (≈ 7 ms of a 10 ms masked copy at 200³
 * uint16), and two workers take those faults in parallel (measured 7 ms against 10–13 ms inline).
 */
function slabsPerWorker(op: TransformOp): number {
  if (op.op === 'downsample') return 1;
  if (op.op === 'shift' && isMaskedCopy(op.offset, op.order)) return 1;
  return SLABS_PER_WORKER;
}

/**
 * A new shared buffer for the output of `op`: over a WebAssembly memory for the masked copy,
 * which moves planes there with one copy less (kernels/shift.ts), else a plain one.
 */
function outputBuffer(op: TransformOp, bytes: number): SharedArrayBuffer {
  return op.op === 'shift' && isMaskedCopy(op.offset, op.order) ? sharedVolumeBuffer(bytes) : new SharedArrayBuffer(bytes);
}

const BYTES: Record<VoxelType, number> = { uint8: 1, uint16: 2, float32: 4 };

function sharedCopy(vol: Volume): SharedVolume {
  const type = voxelTypeOf(vol.data);
  const d = vol.data;
  if (d.buffer instanceof SharedArrayBuffer && d.byteOffset === 0) return sharedVolume(d.buffer, type, vol.shape);
  const buffer = new SharedArrayBuffer(d.length * BYTES[type]);
  viewOf({ buffer, type, shape: vol.shape }).set(d as never);
  return { buffer, type, shape: vol.shape };
}

function cancelled(): TransformError {
  return new TransformError('cancelled', 'The transform was cancelled.');
}

export class SlabPool implements TransformPool {
  private closed = false;
  private readonly idle: SlabRunner[];
  private readonly waiting: ((r: SlabRunner) => void)[] = [];
  private readonly rejectors = new Set<(e: Error) => void>();

  constructor(private readonly runners: readonly SlabRunner[]) {
    if (runners.length === 0) throw new TransformError('bad-parameter', 'A transform pool needs at least one worker.');
    this.idle = [...runners];
  }

  get size(): number {
    return this.runners.length;
  }

  private acquire(): Promise<SlabRunner> {
    const r = this.idle.pop();
    if (r) return Promise.resolve(r);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(r: SlabRunner): void {
    const next = this.waiting.shift();
    if (next) next(r);
    else this.idle.push(r);
  }

  async run<T extends VoxelArray>(input: Volume<T>, ops: TransformOp | readonly TransformOp[], options: RunOptions = {}): Promise<Volume<T>> {
    if (this.closed) throw new TransformError('closed', 'The transform pool is closed.');
    const list = Array.isArray(ops) ? (ops as readonly TransformOp[]) : [ops as TransformOp];
    checkVolume(input);
    list.forEach(checkOp);
    const { signal, onProgress } = options;
    if (signal?.aborted) throw cancelled();
    // Shapes and slab plans of every stage up front, so progress has a fixed total.
    const shapes: [number, number, number][] = [];
    let shape = input.shape;
    for (const op of list) {
      const s = outputShape(shape, op);
      shapes.push(s);
      shape = s;
    }
    const plans = shapes.map((s, k) => planSlabs(s[0], this.size * slabsPerWorker(list[k]!)));
    const last = shapes[shapes.length - 1];
    const out = options.out;
    if (out !== undefined && last !== undefined) {
      const need = last[0] * last[1] * last[2];
      if (voxelTypeOf(out) !== voxelTypeOf(input.data) || out.length !== need) {
        throw new TransformError('bad-volume', `The output array (${voxelTypeOf(out)}, ${out.length} voxels) does not fit the result (${voxelTypeOf(input.data)}, ${need} voxels).`);
      }
    }
    const total = plans.reduce((n, p) => n + p.length, 0);
    let done = 0;
    let current = sharedCopy(input);
    const type = current.type;
    // Written in place only when shared and not the input itself (every op reads neighbours).
    const direct = out !== undefined && out.buffer instanceof SharedArrayBuffer && out.byteOffset === 0 && out.buffer !== current.buffer;
    const scratch: SharedArrayBuffer[] = [];
    for (let k = 0; k < list.length; k++) {
      const op = list[k]!;
      const outShape = shapes[k]!;
      const bytes = outShape[0] * outShape[1] * outShape[2] * BYTES[type];
      const final = k === list.length - 1;
      // Intermediate stages reuse this pool's scratch buffers; the final stage writes the caller's array when shared.
      const buffer = final && direct ? (out.buffer as SharedArrayBuffer) : final ? outputBuffer(op, bytes) : this.scratchBuffer(op, bytes, scratch);
      const output = sharedVolume(buffer, type, outShape);
      try {
        await this.runStage(op, current, output, plans[k]!, signal, () => {
          done++;
          onProgress?.(done, total);
        });
      } finally {
        if (k > 0 && current.buffer !== input.data.buffer) this.giveBack(current.buffer as SharedArrayBuffer, scratch);
      }
      current = output;
    }
    for (const b of scratch) this.giveBack(b, []);
    if (direct) return { data: out as T, shape: current.shape };
    const data = viewOf(current) as T;
    if (out !== undefined) {
      out.set(data as never);
      return { data: out as T, shape: current.shape };
    }
    return { data, shape: current.shape };
  }

  private runStage(op: TransformOp, input: SharedVolume, output: SharedVolume, slabs: [number, number][], signal: AbortSignal | undefined, onSlab: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let next = 0;
      let inFlight = 0;
      let failure: Error | null = null;
      const finish = (): void => {
        if (inFlight > 0) return;
        this.rejectors.delete(onClose);
        if (failure) reject(failure);
        else if (next >= slabs.length) resolve();
      };
      const onClose = (e: Error): void => {
        failure ??= e;
        next = slabs.length;
      };
      this.rejectors.add(onClose);
      const pump = async (): Promise<void> => {
        while (next < slabs.length && !failure) {
          if (signal?.aborted) {
            failure = cancelled();
            break;
          }
          const runner = await this.acquire();
          if (failure || next >= slabs.length || signal?.aborted) {
            this.release(runner);
            if (!failure && signal?.aborted) failure = cancelled();
            break;
          }
          const [zStart, zEnd] = slabs[next++]!;
          inFlight++;
          runner
            .run({ op, input, output, zStart, zEnd })
            .then(
              () => {
                if (!failure) onSlab();
              },
              (e: unknown) => {
                failure ??= e instanceof TransformError ? e : new TransformError('worker-failed', `A transform worker failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
              },
            )
            .finally(() => {
              inFlight--;
              this.release(runner);
              finish();
            });
        }
        finish();
      };
      void pump();
    });
  }

  private readonly spare: SharedArrayBuffer[] = [];

  /** A scratch buffer for `bytes` of the output of `op` (reused across runs), recorded in `inUse`. */
  private scratchBuffer(op: TransformOp, bytes: number, inUse: SharedArrayBuffer[]): SharedArrayBuffer {
    // Buffers over WebAssembly memory are whole pages.
    const at = this.spare.findIndex((b) => b.byteLength >= bytes && b.byteLength - bytes < PAGE_BYTES);
    const b = at >= 0 ? this.spare.splice(at, 1)[0]! : outputBuffer(op, bytes);
    inUse.push(b);
    return b;
  }

  private giveBack(b: SharedArrayBuffer, inUse: SharedArrayBuffer[]): void {
    const at = inUse.indexOf(b);
    if (at >= 0) inUse.splice(at, 1);
    if (!this.spare.includes(b)) this.spare.push(b);
    while (this.spare.length > 4) this.spare.shift();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new TransformError('closed', 'The transform pool was closed while a transform was running.');
    for (const r of this.rejectors) r(err);
    await Promise.all(this.runners.map((r) => r.terminate()));
  }
}
