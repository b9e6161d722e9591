/**
 * `flamingo-viv transform` on files (Node): an `.npy` array (uint8, uint16 or float32) gives a
 * new `.npy` of the same dtype; an OME-Zarr image (a session, any 0.4/0.5 image or a legacy
 * session) gives a new session whose level 0 is every channel transformed, with its pyramid.
 * The work runs in a worker pool, channel by channel; a failure never leaves a half-written
 * `.npy` (written atomically) and leaves a partial session marked `interrupted`.
 *
 * @example
 * const r = await transformFile({ input: 'stack.npy', output: 'smooth.npy',
 *   ops: [{ op: 'gaussian', sigma: [1, 2, 2] }], workers: 2 });
 * r.outputShape; // [z, y, x]
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pkg from '../../../package.json' with { type: 'json' };
import { existingPlaneMeta, importPlanSummary } from '../../session/metadata/build.ts';
import { sessionLayout, type ChannelInit, type SessionLayoutInit } from '../../session/metadata/layout.ts';
import type { SessionDtype } from '../../session/metadata/types.ts';
import { encodeNpy } from '../../session/npy-write.ts';
import type { DataType, ImageDescription, LevelDescription } from '../../session/read/description.ts';
import { parseNpyHeader, readNpy } from '../../session/read/npy.ts';
import { openPath } from '../../session/read/open-file.node.ts';
import { createNodeSessionWriter, uniqueSessionPath } from '../../session/writer/index.node.ts';
import type { FramePlacement, WriterFrame } from '../../session/writer/writer.ts';
import { createNodeTransformPool } from '../pool/node-pool.node.ts';
import type { TransformPool } from '../pool/types.ts';
import { TransformError, checkOp, outputShape, type Shape3, type TransformOp, type Volume, type VoxelArray } from '../types.ts';

export interface TransformFileOptions {
  input: string;
  /** `.npy` output for an `.npy` input; otherwise a session folder (`….ome.zarr`, never overwritten). */
  output: string;
  ops: readonly TransformOp[];
  /** Worker threads (default 2). */
  workers?: number;
  signal?: AbortSignal;
  /** Volumes (channels) done so far and in all, with the slab progress of the current one. */
  onProgress?: (p: { volume: number; volumes: number; slabsDone: number; slabsTotal: number }) => void;
}

export interface TransformFileResult {
  kind: 'npy' | 'session';
  input: string;
  output: string;
  dtype: DataType;
  inputShape: number[];
  outputShape: number[];
  seconds: number;
}

const SESSION_DTYPE: Partial<Record<DataType, SessionDtype>> = { uint8: '|u1', uint16: '<u2', float32: '<f4' };

/** Output zyx shape of a pipeline, checking every op on the way (a clear error before any work). */
export function pipelineShape(shape: Shape3, ops: readonly TransformOp[]): [number, number, number] {
  let s: [number, number, number] = [shape[0], shape[1], shape[2]];
  for (const op of ops) {
    checkOp(op);
    s = outputShape(s, op);
  }
  return s;
}

function zyxOf(level: LevelDescription, what: string): { lead: number[]; zyx: Shape3 } {
  const shape = [...level.shape];
  if (shape.length < 3) throw new TransformError('bad-volume', `${what} has ${shape.length} axes; transforms need z, y and x.`);
  return { lead: shape.slice(0, -3), zyx: shape.slice(-3) as unknown as Shape3 };
}

function checkDtype(level: LevelDescription, what: string): void {
  if (!SESSION_DTYPE[level.dtype]) {
    throw new TransformError('bad-dtype', `${what} holds ${level.dtype} data; transforms take uint8, uint16 or float32.`);
  }
}

async function readVolume(level: LevelDescription, leadIndex: readonly number[], zyx: Shape3, signal?: AbortSignal): Promise<Volume> {
  const block = await level.readRegion({ start: [...leadIndex, 0, 0, 0], stop: [...leadIndex.map((i) => i + 1), ...zyx] }, signal ? { signal } : {});
  return { data: block.data as VoxelArray, shape: zyx };
}

async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function transformFile(o: TransformFileOptions): Promise<TransformFileResult> {
  if (o.ops.length === 0) throw new TransformError('bad-parameter', 'Give at least one operation.');
  const t0 = performance.now();
  const isNpy = /\.npy$/i.test(o.input);
  if (isNpy && !/\.npy$/i.test(o.output)) {
    throw new TransformError('bad-parameter', `The output of an .npy input must be an .npy file; got ${o.output}.`);
  }
  if (!isNpy && /\.npy$/i.test(o.output)) {
    throw new TransformError('bad-parameter', `The output of an image folder is a session folder (….ome.zarr); got ${o.output}.`);
  }
  const openOptions = o.signal ? { signal: o.signal } : {};
  // An .npy file is read once: its header keeps the file's own number of dimensions.
  const npyBytes = isNpy ? await readFile(o.input) : null;
  const image = npyBytes ? await readNpy(npyBytes, o.input, openOptions) : await openPath(o.input, openOptions);
  const level = image.levels[0];
  if (!level) throw new TransformError('bad-volume', `${o.input} has no image levels.`);
  checkDtype(level, o.input);
  const { lead, zyx } = zyxOf(level, o.input);
  const outZyx = pipelineShape(zyx, o.ops); // bad parameters fail before any worker starts
  const pool = createNodeTransformPool(o.workers ?? 2);
  const job: Job = { o, level, lead, zyx, outZyx, pool, t0 };
  try {
    if (npyBytes) return await runNpy(job, parseNpyHeader(npyBytes, o.input).shape.length);
    return await runSession(job, image);
  } finally {
    await pool.close();
  }
}

/** One transform run: the request, the level it reads, its z y x shape before and after, the pool. */
interface Job {
  o: TransformFileOptions;
  level: LevelDescription;
  /** Shape of the axes before z (c, or t and c). */
  lead: number[];
  zyx: Shape3;
  outZyx: [number, number, number];
  pool: TransformPool;
  t0: number;
}

function* leadIndices(lead: readonly number[]): Generator<number[]> {
  const idx = lead.map(() => 0);
  const total = lead.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    yield [...idx];
    for (let d = lead.length - 1; d >= 0; d--) {
      idx[d]!++;
      if (idx[d]! < lead[d]!) break;
      idx[d] = 0;
    }
  }
}

async function runVolume(o: TransformFileOptions, pool: TransformPool, input: Volume, k: number, volumes: number): Promise<Volume> {
  return pool.run(input, o.ops, {
    ...(o.signal ? { signal: o.signal } : {}),
    onProgress: (slabsDone, slabsTotal) => o.onProgress?.({ volume: k, volumes, slabsDone, slabsTotal }),
  });
}

async function runNpy(job: Job, rank: number): Promise<TransformFileResult> {
  const { o, level, lead, zyx, outZyx, pool, t0 } = job;
  const volumes = lead.reduce((a, b) => a * b, 1);
  const per = outZyx[0] * outZyx[1] * outZyx[2];
  let out: VoxelArray | null = null;
  let k = 0;
  for (const index of leadIndices(lead)) {
    const result = await runVolume(o, pool, await readVolume(level, index, zyx, o.signal), k, volumes);
    out ??= new (result.data.constructor as new (n: number) => VoxelArray)(per * volumes);
    out.set(result.data, k * per);
    k++;
  }
  // The file's number of dimensions (the reader pads 2-D and 3-D arrays to c, z, y, x).
  const outShape = [...lead, ...outZyx].slice(-rank);
  if (rank === 2 && outZyx[0] !== 1) throw new TransformError('bad-parameter', `${o.input} is 2-D but the operations give ${outZyx[0]} planes.`);
  await writeAtomically(path.resolve(o.output), encodeNpy(out!, outShape));
  return { kind: 'npy', input: o.input, output: o.output, dtype: level.dtype, inputShape: [...level.shape].slice(-rank), outputShape: outShape, seconds: (performance.now() - t0) / 1000 };
}

function describeOps(ops: readonly TransformOp[]): string {
  return ops.map((op) => JSON.stringify(op)).join(' → ');
}

async function runSession(job: Job, image: ImageDescription): Promise<TransformFileResult> {
  const { o, level, lead, zyx, outZyx, pool, t0 } = job;
  if (lead.length > 1 && lead.slice(0, -1).some((n) => n !== 1)) {
    throw new TransformError('bad-volume', `${o.input} has more than one time point (shape ${level.shape.join('×')}); transform one time point at a time.`);
  }
  const C = lead.length === 0 ? 1 : lead[lead.length - 1]!;
  const n = level.shape.length;
  const scale = (i: number): number => level.scale[n - 3 + i] ?? 1;
  const origin = (i: number): number => level.translation[n - 3 + i] ?? 0;
  // Block reduction moves voxel centres: the first output voxel sits at the centre of its block.
  const factor = o.ops.reduce((f, op) => (op.op === 'downsample' ? f * op.factor : f), 1);
  const layout: SessionLayoutInit = {
    name: `${image.name} (transformed)`.slice(0, 200),
    dtype: SESSION_DTYPE[level.dtype]!,
    shape: [C, ...outZyx],
    voxel_size_um: { z: scale(0) * factor, y: scale(1) * factor, x: scale(2) * factor },
    world_origin_um: [0, 1, 2].map((i) => origin(i) + ((factor - 1) / 2) * scale(i)) as [number, number, number],
    channels: image.channels.slice(0, C).map(
      (ch): ChannelInit => ({ name: ch.name, color: ch.color, contrast: [ch.window.start, ch.window.end], visible: ch.visible }),
    ),
  };
  sessionLayout(layout); // geometry errors before the folder exists
  const outPath = await uniqueSessionPath(path.dirname(path.resolve(o.output)), path.basename(o.output).replace(/\.ome\.zarr\/?$/i, ''));
  const placement = new WeakMap<WriterFrame, FramePlacement>();
  const writer = await createNodeSessionWriter({
    path: outPath,
    threads: 1,
    layout,
    info: {
      app_version: pkg.version,
      description: `Derived from ${image.location} by ${describeOps(o.ops)}.`,
      microscope: { name: 'flamingo-viv transform', connection: 'none', address: null, orientation: null },
      plan: importPlanSummary(layout.channels.length),
      frames_expected: null,
      stage_reference: null,
    },
    accumulation: 'latest',
    mode: 'streaming',
    slabsPerChannel: 1,
    place: (f) => placement.get(f) ?? { channel: -1, z: -1, y: 0, x: 0 },
  });
  const [Z, Y, X] = outZyx;
  let frameNumber = 0;
  try {
    for (let c = 0; c < C; c++) {
      const index = lead.length === 0 ? [] : [...lead.slice(0, -1).map(() => 0), c];
      const result = await runVolume(o, pool, await readVolume(level, index, zyx, o.signal), c, C);
      for (let z = 0; z < Z; z++) {
        const frame: WriterFrame = {
          pixels: result.data.subarray(z * Y * X, (z + 1) * Y * X),
          width: X,
          height: Y,
          meta: existingPlaneMeta(c, z, Z, frameNumber++),
        };
        placement.set(frame, { channel: c, z, y: 0, x: 0 });
        if ((await writer.write(frame)) === 'dropped') throw new TransformError('worker-failed', `The session writer dropped plane ${z} of channel ${c}.`);
      }
    }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    await writer.abort(`the transform failed: ${why}`).catch(() => undefined);
    throw new TransformError(err instanceof TransformError ? err.code : 'worker-failed', `${why.replace(/\.$/, '')}; the partial session ${outPath} is marked interrupted.`, { cause: err });
  }
  const summary = await writer.finalize();
  if (summary.errors.length > 0) {
    throw new TransformError('worker-failed', `The session ${outPath} was written but did not validate: ${summary.errors.join('; ')}.`);
  }
  return {
    kind: 'session',
    input: o.input,
    output: outPath,
    dtype: level.dtype,
    inputShape: [...level.shape],
    outputShape: [C, ...outZyx],
    seconds: (performance.now() - t0) / 1000,
  };
}
