/**
 * `flamingo-viv transform IN OUT --op …`: gaussian smoothing, rotation, general affine
 * resampling, shift or downsampling of an `.npy` array (a new `.npy` of the same dtype) or of
 * an OME-Zarr image (a new session), in worker threads, with the numerics of the benchmark
 * (scipy.ndimage's).
 *
 * @example
 * flamingo-viv transform stack.npy smooth.npy --op gaussian --sigma 1,2,2
 * flamingo-viv transform embryo.ome.zarr embryo-rot.ome.zarr --op rotate --axis y --angle 15 --order 1
 */
import type { TransformOp } from '../transforms/types.ts';
import { UsageError, type Command, type OptionValues } from './command.ts';
import { parseChoice, parseIntOption, parseNumberOption } from './parse-values.ts';
import { progressBar } from './progress.ts';

const OPS = ['gaussian', 'rotate', 'affine', 'shift', 'downsample'] as const;

function numbers(name: string, value: unknown, count: number | readonly number[]): number[] {
  if (typeof value !== 'string') throw new UsageError(`${name} is required for this operation.`);
  const parts = value.split(',').map((s) => s.trim());
  const counts = typeof count === 'number' ? [count] : count;
  if (!counts.includes(parts.length)) {
    throw new UsageError(`${name} takes ${counts.join(' or ')} comma-separated numbers, got ${parts.length} ('${value}').`);
  }
  return parts.map((p) => parseNumberOption(name, p, -1e9, 1e9));
}

function order(values: OptionValues): 0 | 1 {
  const v = values['order'];
  return typeof v === 'string' ? (parseIntOption('--order', v, 0, 1) as 0 | 1) : 1;
}

/** The operation the options describe; every missing or malformed value is a usage error. */
export function opFromOptions(values: OptionValues): TransformOp {
  const name = parseChoice('--op', typeof values['op'] === 'string' ? values['op'] : '', OPS);
  const triple = (n: string, v: number[]): [number, number, number] => (v.length === 1 ? [v[0]!, v[0]!, v[0]!] : (v as [number, number, number]));
  switch (name) {
    case 'gaussian': {
      const sigma = triple('--sigma', numbers('--sigma', values['sigma'], [1, 3]));
      const truncate = typeof values['truncate'] === 'string' ? parseNumberOption('--truncate', values['truncate'], 0.1, 100) : 4;
      return { op: 'gaussian', sigma, truncate };
    }
    case 'rotate': {
      const axis = parseChoice('--axis', typeof values['axis'] === 'string' ? values['axis'] : '', ['x', 'y', 'z'] as const);
      const angle = numbers('--angle', values['angle'], 1)[0]!;
      return { op: 'rotate', axis, angleDeg: angle, order: order(values) };
    }
    case 'affine': {
      const matrix = numbers('--matrix', values['matrix'], 9);
      const offset = triple('--offset', numbers('--offset', values['offset'], 3));
      return { op: 'affine', matrix, offset, order: order(values) };
    }
    case 'shift': {
      const offset = triple('--offset', numbers('--offset', values['offset'], 3));
      return { op: 'shift', offset, order: order(values) };
    }
    case 'downsample': {
      if (typeof values['factor'] !== 'string') throw new UsageError('--factor is required for --op downsample.');
      const factor = parseIntOption('--factor', values['factor'], 1, 1024);
      const reduce = typeof values['reduce'] === 'string' ? parseChoice('--reduce', values['reduce'], ['mean', 'max'] as const) : 'mean';
      return { op: 'downsample', factor, reduce };
    }
  }
}

export const transformCommand: Command = {
  name: 'transform',
  summary: 'smooth, rotate, resample, shift or downsample an .npy array or an OME-Zarr image',
  positionals: 'IN OUT',
  options: {
    op: { type: 'string', value: 'OP', description: `the operation: ${OPS.join(', ')}` },
    sigma: { type: 'string', value: 'S[,S,S]', description: 'gaussian: sigma in voxels (one for all axes, or z,y,x)' },
    truncate: { type: 'string', value: 'T', description: 'gaussian: kernel radius in sigmas (default 4)' },
    axis: { type: 'string', value: 'x|y|z', description: 'rotate: the axis (x is array axis 2)' },
    angle: { type: 'string', value: 'DEG', description: 'rotate: the angle in degrees' },
    matrix: { type: 'string', value: 'm00,…,m22', description: 'affine: 9 numbers, row-major, output → input voxel coordinates (z, y, x)' },
    offset: { type: 'string', value: 'o0,o1,o2', description: 'affine: offset in voxels; shift: dz,dy,dx' },
    order: { type: 'string', value: '0|1', description: 'rotate/affine/shift: 0 nearest, 1 linear (default 1)' },
    factor: { type: 'string', value: 'F', description: 'downsample: the integer factor on every axis' },
    reduce: { type: 'string', value: 'mean|max', description: 'downsample: block mean (default) or maximum' },
    workers: { type: 'string', value: 'N', description: 'worker threads (default 2)' },
    json: { type: 'boolean', description: 'print one JSON object: {kind, input, output, dtype, input_shape, output_shape, seconds}' },
  },
  details:
    'IN is an .npy file (uint8, uint16 or float32) or an OME-Zarr image folder; OUT is an .npy file or a new session folder (never overwritten: a timestamp is appended). Exit status: 0 done, 1 failed, 2 bad usage.',
  async run(values, positionals, io) {
    if (positionals.length !== 2) throw new UsageError(`give an input and an output path, got ${positionals.length} path(s).`);
    const op = opFromOptions(values);
    const workers = typeof values['workers'] === 'string' ? parseIntOption('--workers', values['workers'], 1, 64) : 2;
    const [{ transformFile }, { isTransformError }] = await Promise.all([import('../transforms/io/transform-files.node.ts'), import('../transforms/types.ts')]);
    const bar = io.interactive && !values['json'] ? progressBar(io.err, op.op) : null;
    let result;
    try {
      result = await transformFile({
        input: positionals[0]!,
        output: positionals[1]!,
        ops: [op],
        workers,
        signal: io.signal,
        ...(bar ? { onProgress: (p: { volume: number; volumes: number; slabsDone: number; slabsTotal: number }) => bar.update(p.volume * p.slabsTotal + p.slabsDone, p.volumes * p.slabsTotal, 'slabs') } : {}),
      });
    } catch (err) {
      if (isTransformError(err, 'bad-parameter')) throw new UsageError(err.message);
      throw err;
    } finally {
      bar?.done();
    }
    if (values['json']) {
      const { kind, input, output, dtype, inputShape, outputShape, seconds } = result;
      io.out(JSON.stringify({ kind, input, output, dtype, input_shape: inputShape, output_shape: outputShape, seconds }) + '\n');
    } else {
      io.out(`${op.op}: ${result.input} [${result.inputShape.join(', ')}] → ${result.output} [${result.outputShape.join(', ')}] ${result.dtype} in ${result.seconds.toFixed(2)} s\n`);
    }
    return 0;
  },
};
