/**
 * The transform layer (plain deck.gl/Viv, no React): the volume of what is shown with display
 * transforms (`TransformOp`s, per channel). The rigid part shows at once as the layer's
 * `modelMatrix` (`previewModelMatrix`, no compute); where a resampled result is needed (a
 * gaussian or downsample in the list, or `resample: true`) the channel's volume is sent to the
 * `TransformManager` under its source id and data version (`LiveImage.version`), and when the
 * result arrives the layer swaps in a volume layer over it (an in-memory Viv `PixelSource`).
 * A result computed for an older data version, or for other ops, is never shown.
 *
 * Coordinates: Viv scales a volume by its voxel size (relative to the smallest axis) and then
 * applies `modelMatrix`, so the index-space preview P becomes S·P·S⁻¹. The display space is the
 * output index space of the ops (as `previewModelMatrix` defines it): the resampled result is
 * drawn with the input's voxel size and no model matrix, the preview lands on the same place.
 *
 * @example
 * const display = new TransformDisplay({ manager, sourceId: 'session/demo', onChange: redraw });
 * const layer = display.layer({ id: 'xf', viewId: 'volume', image, channels, opsFor: () => [{ op: 'rotate', axis: 'z', angleDeg: 30, order: 1 }] });
 * display.dispose();
 */
import { CompositeLayer } from '@deck.gl/core';
import type { Layer } from '@deck.gl/core';
import { Matrix4 } from '@math.gl/core';
import { previewModelMatrix } from '../transforms/display/model-matrix.ts';
import { opsKey, type TransformManager } from '../transforms/manager/transform-manager.ts';
import { TransformError, isTransformError, type Shape3, type TransformOp, type Volume, type VoxelArray } from '../transforms/types.ts';
import { createLiveVolumeLayer, layerId } from './layers.ts';
import type { LiveImage } from './live-image.ts';
import type { ReleasedLoaders } from './throttle.ts';
import type { ChannelView, LivePixelSource, PhysicalSize, PixelData, Selection, VivDtype, VivTypedArray } from './types.ts';

type Physical = { x: PhysicalSize; y: PhysicalSize; z: PhysicalSize };

const DTYPE_OF: Record<string, VivDtype> = { Uint8Array: 'Uint8', Uint16Array: 'Uint16', Float32Array: 'Float32' };

/** A copy of `count` voxels of `data` from `start`, on a plain ArrayBuffer (what Viv takes). */
function copyOut(data: VoxelArray, start: number, count: number): VivTypedArray {
  const part = data.subarray(start, start + count);
  if (data instanceof Uint8Array) return new Uint8Array(part as Uint8Array);
  if (data instanceof Uint16Array) return new Uint16Array(part as Uint16Array);
  return new Float32Array(part as Float32Array);
}

/**
 * A Viv `PixelSource` (`[c, z, y, x]`) over in-memory volumes, one per channel index; channels
 * without a volume read as zeros. Every volume must have the same shape and type.
 */
export function volumePixelSource(volumes: ReadonlyMap<number, Volume>, channelCount: number, physicalSizes: Physical | undefined, version: number): LivePixelSource {
  const first = volumes.values().next().value as Volume | undefined;
  if (first === undefined) throw new RangeError('A volume source needs at least one channel volume.');
  const [Z, Y, X] = first.shape;
  for (const [c, v] of volumes) {
    if (v.shape[0] !== Z || v.shape[1] !== Y || v.shape[2] !== X || v.data.constructor !== first.data.constructor) {
      throw new RangeError(`Channel ${c} has shape ${v.shape.join('×')} but channel volumes must all be ${Z}×${Y}×${X} of one type.`);
    }
  }
  const dtype = DTYPE_OF[first.data.constructor.name] ?? 'Uint16';
  const plane = (sel: Selection, rect: { y: number; x: number; height: number; width: number }): PixelData => {
    const v = volumes.get(sel.c);
    const z = Math.max(0, Math.min(Z - 1, sel.z));
    const out = v ? copyOut(v.data, z * Y * X, Y * X) : (new (first.data.constructor as new (n: number) => VoxelArray)(Y * X) as VivTypedArray);
    if (rect.x === 0 && rect.y === 0 && rect.width === X && rect.height === Y) return { data: out, width: X, height: Y };
    const tile = new (out.constructor as new (n: number) => VivTypedArray)(rect.width * rect.height);
    for (let r = 0; r < rect.height; r++) tile.set(out.subarray((rect.y + r) * X + rect.x, (rect.y + r) * X + rect.x + rect.width) as never, r * rect.width);
    return { data: tile, width: rect.width, height: rect.height };
  };
  const tileSize = Math.max(Y, X);
  return {
    shape: [channelCount, Z, Y, X],
    dtype,
    labels: ['c', 'z', 'y', 'x'],
    tileSize,
    meta: physicalSizes ? { physicalSizes } : {},
    level: 0,
    version,
    getRaster: ({ selection }) => Promise.resolve(plane(selection, { y: 0, x: 0, height: Y, width: X })),
    getTile: ({ x, y, selection }) => {
      const y0 = y * tileSize;
      const x0 = x * tileSize;
      return Promise.resolve(plane(selection, { y: y0, x: x0, height: Math.min(tileSize, Y - y0), width: Math.min(tileSize, X - x0) }));
    },
    onTileError: () => undefined,
  };
}

/** Channel `c` of a `[c, z, y, x]` source as a volume (every plane read with `getRaster`). */
export async function readChannelVolume(source: LivePixelSource, c: number, signal?: AbortSignal): Promise<Volume> {
  const [, Z, Y, X] = source.shape as [number, number, number, number];
  const ctor = source.dtype === 'Uint8' ? Uint8Array : source.dtype === 'Uint16' ? Uint16Array : source.dtype === 'Float32' ? Float32Array : null;
  if (ctor === null) throw new RangeError(`Transforms take uint8, uint16 or float32 data; this image is ${source.dtype}.`);
  const data = new ctor(Z * Y * X);
  for (let z = 0; z < Z; z++) {
    const p = await source.getRaster({ selection: { c, z }, ...(signal ? { signal } : {}) });
    data.set(p.data as never, z * Y * X);
  }
  return { data, shape: [Z, Y, X] };
}

/** Viv's voxel scale ratio (x, y, z), as its VolumeLayer computes it from `physicalSizes`. */
function scaleRatio(physical: Physical | undefined): [number, number, number] {
  if (!physical || !physical.x.size || !physical.y.size || !physical.z.size) return [1, 1, 1];
  const min = Math.min(physical.x.size, physical.y.size, physical.z.size);
  return [physical.x.size / min, physical.y.size / min, physical.z.size / min];
}

/**
 * The layer `modelMatrix` (column-major 4×4) that shows `ops` on a volume of `shape` (z, y, x)
 * drawn with `physical` voxel sizes: S·P·S⁻¹ with P = `previewModelMatrix(ops, shape).matrix`.
 */
export function displayModelMatrix(ops: readonly TransformOp[], shape: Shape3, physical?: Physical): { matrix: number[]; exact: boolean } {
  const preview = previewModelMatrix(ops, shape);
  const s = scaleRatio(physical);
  const m = [...preview.matrix];
  for (let col = 0; col < 4; col++) {
    for (let row = 0; row < 3; row++) {
      const sr = s[row]!;
      const sc = col < 3 ? s[col]! : 1;
      m[4 * col + row] = (m[4 * col + row]! * sr) / sc;
    }
  }
  return { matrix: m, exact: preview.exact };
}

export interface TransformDisplayOptions {
  manager: TransformManager;
  /** Identifies the image (e.g. `session/<name>`); the channel is appended for the manager. */
  sourceId: string;
  /** Called when a resampled result arrives (ask the host to render again). */
  onChange: () => void;
  /** A failed computation, as one sentence. */
  onError?: (message: string) => void;
  /** Manager priority of the requests (what is on screen: high). Default 10. */
  priority?: number;
}

export interface TransformLayerProps {
  id: string;
  viewId?: string;
  image: LiveImage;
  /** Loaders released by a throttle (default: the image's current ones). */
  loaders?: ReleasedLoaders;
  channels: readonly ChannelView[];
  /** The ops shown for channel `c` (an empty list: the channel as it is). */
  opsFor: (channel: number) => readonly TransformOp[];
  /** Resample even when the ops are rigid (for export or saving a result). */
  resample?: boolean;
  renderingMode?: 'mip' | 'additive';
}

/** What the layer draws for one group of channels with the same ops. */
export interface GroupPlan {
  channels: number[];
  ops: readonly TransformOp[];
  key: string;
  /** The preview matrix (column-major), or null when a resampled result is drawn instead. */
  modelMatrix: number[] | null;
  /** The resampled volumes per channel when every channel of the group has one for this version. */
  result: Map<number, Volume> | null;
  /** Whether a resampled result is wanted for this group. */
  resample: boolean;
}

interface Pending {
  controller: AbortController;
}

/** The sublayers of a transform layer, and the `loader` the host fits its camera to. */
class TransformGroupsLayer extends CompositeLayer<{ loader: unknown[]; sublayers: Layer[] }> {
  static override layerName = 'FlamingoTransformLayer';
  override renderLayers(): Layer[] {
    return this.props.sublayers;
  }
}

/** One image's transformed display: plans, requests, results (keyed by channel, version and ops). */
export class TransformDisplay {
  private readonly manager: TransformManager;
  private readonly options: TransformDisplayOptions;
  private readonly results = new Map<string, Volume>();
  private readonly pending = new Map<string, Pending>();
  private version = -1;
  private disposed = false;
  private held = false;

  constructor(options: TransformDisplayOptions) {
    this.manager = options.manager;
    this.options = options;
  }

  /** The manager's source id of channel `c`. */
  channelSource(c: number): string {
    return `${this.options.sourceId}/c${c}`;
  }

  /**
   * What to draw now for the image's data `version`, requesting the resampled results that are
   * missing (each once). Results of other versions are dropped; requests for them cancelled.
   */
  plan(props: Pick<TransformLayerProps, 'image' | 'loaders' | 'channels' | 'opsFor' | 'resample'>): GroupPlan[] {
    const source = props.loaders?.volume ?? props.image.volumeLoader();
    const version = source.version;
    if (version !== this.version) this.newVersion(version);
    const [, Z, Y, X] = source.shape as [number, number, number, number];
    const shape: Shape3 = [Z, Y, X];
    const physical = source.meta.physicalSizes;
    const groups = new Map<string, GroupPlan>();
    for (const ch of props.channels) {
      const ops = props.opsFor(ch.index);
      const key = ops.length === 0 ? '[]' : opsKey(ops);
      let g = groups.get(key);
      if (!g) {
        const preview = ops.length === 0 ? { matrix: null, exact: true } : displayModelMatrix(ops, shape, physical);
        const resample = ops.length > 0 && (!preview.exact || props.resample === true);
        g = { channels: [], ops, key, modelMatrix: preview.matrix, result: resample ? new Map() : null, resample };
        groups.set(key, g);
      }
      g.channels.push(ch.index);
      if (!g.resample) continue;
      const rkey = this.resultKey(ch.index, version, key);
      const got = this.results.get(rkey);
      if (got) g.result?.set(ch.index, got);
      else this.request(source, ch.index, version, ops, rkey);
    }
    for (const g of groups.values()) {
      if (g.result && g.result.size === g.channels.length) {
        g.modelMatrix = null;
      } else {
        // Until the result arrives, the preview shows the geometric part of the ops (a gaussian moves nothing).
        g.result = null;
      }
    }
    return [...groups.values()];
  }

  /** The layer for the current data and ops (null when no channel is drawn). */
  layer(props: TransformLayerProps): Layer | null {
    const plans = this.plan(props);
    if (plans.length === 0) return null;
    const base = props.loaders?.volume ?? props.image.volumeLoader();
    const channelCount = (base.shape[0] as number) ?? props.channels.length;
    const sublayers = plans.map((g) => {
      const id = `${props.id}-${g.channels.join('.')}${g.result ? `-r${base.version}` : ''}`;
      const channels = props.channels.filter((c) => g.channels.includes(c.index));
      if (g.result) {
        const volume = volumePixelSource(g.result, channelCount, base.meta.physicalSizes, base.version);
        return createLiveVolumeLayer({
          id,
          ...(props.viewId ? { viewId: props.viewId } : {}),
          image: props.image,
          loaders: { version: base.version, levels: props.loaders?.levels ?? props.image.loaders(), mip: props.loaders?.mip ?? props.image.mipLoader(), volume },
          channels,
          ...(props.renderingMode ? { renderingMode: props.renderingMode } : {}),
        });
      }
      return createLiveVolumeLayer({
        id,
        ...(props.viewId ? { viewId: props.viewId } : {}),
        image: props.image,
        ...(props.loaders ? { loaders: props.loaders } : {}),
        channels,
        ...(props.renderingMode ? { renderingMode: props.renderingMode } : {}),
        ...(g.modelMatrix ? { modelMatrix: new Matrix4(g.modelMatrix) } : {}),
      });
    });
    return new TransformGroupsLayer({ id: layerId(props.id, props.viewId), loader: [base], sublayers }) as unknown as Layer;
  }

  /** Stops the computations in flight; no new ones start until `resume()` (the preview stays). */
  cancel(): void {
    this.held = true;
    for (const p of this.pending.values()) p.controller.abort();
    this.pending.clear();
  }

  /** Lets `plan` request missing results again. */
  resume(): void {
    this.held = false;
  }

  /** Cancels every request; later results are ignored. */
  dispose(): void {
    this.disposed = true;
    for (const p of this.pending.values()) p.controller.abort();
    this.pending.clear();
    this.results.clear();
  }

  private resultKey(c: number, version: number, ops: string): string {
    return `${c}|${version}|${ops}`;
  }

  private newVersion(version: number): void {
    this.version = version;
    for (const [k, p] of this.pending) {
      if (!k.includes(`|${version}|`)) {
        p.controller.abort();
        this.pending.delete(k);
      }
    }
    for (const k of [...this.results.keys()]) if (!k.includes(`|${version}|`)) this.results.delete(k);
  }

  private request(source: LivePixelSource, c: number, version: number, ops: readonly TransformOp[], rkey: string): void {
    if (this.pending.has(rkey) || this.disposed || this.held) return;
    const controller = new AbortController();
    this.pending.set(rkey, { controller });
    // Not during the caller's render: the manager reports (queued, hit) to listeners synchronously.
    void Promise.resolve()
      .then(() => {
        if (controller.signal.aborted) throw new TransformError('cancelled', `The transform of channel ${c} was cancelled before it started.`);
        return this.manager.run({
          sourceId: this.channelSource(c),
          version,
          input: () => readChannelVolume(source, c, controller.signal),
          ops,
          priority: this.options.priority ?? 10,
          signal: controller.signal,
        });
      })
      .then(
        (result) => {
          if (this.pending.get(rkey)?.controller !== controller) return;
          this.pending.delete(rkey);
          // A result for a version no longer shown is dropped, never drawn.
          if (this.disposed || version !== this.version) return;
          this.results.set(rkey, result);
          this.options.onChange();
        },
        (err: unknown) => {
          if (this.pending.get(rkey)?.controller === controller) this.pending.delete(rkey);
          if (isTransformError(err, 'cancelled') || controller.signal.aborted || this.disposed) return;
          this.options.onError?.(`The transform of channel ${c} failed: ${err instanceof Error ? err.message : String(err)}`);
        },
      );
  }
}
