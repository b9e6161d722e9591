/**
 * The transform layer as the host's layer factory builds it: one `TransformDisplay` per shown
 * image, kept in the host's `context.state`, fed with the Transform panel's entries (through
 * the viewer's `TransformHub`) converted to kernel ops at the volume's own level and voxel size.
 * Apply in the panel redraws; Cancel stops the computations until the next Apply.
 *
 * @example
 * // in a contributed 3D layer factory, once the LiveImage is open:
 * return transformLayerFor({ state: ctx.state, backend: ctx.backend, redraw: ctx.redraw, reportError: ctx.reportError },
 *   { id, viewId, image, loaders, channels, renderingMode: 'mip' }, `session/${name}`);
 */
import type { Layer } from '@deck.gl/core';
import type { LiveImage } from '../layers/live-image.ts';
import { TransformDisplay, type TransformLayerProps } from '../layers/transform-layer.ts';
import { opsFromEntries, type EntryGeometry } from '../transforms/display/session-entries.ts';
import type { TransformOp } from '../transforms/types.ts';
import { transformHubFor, type TransformHub } from './transform-state.ts';

const SLOT = 'flamingo.transform-display';

export interface TransformSlotHost {
  state: Map<string, unknown>;
  backend: object;
  redraw(): void;
  reportError(message: string): void;
}

class DisplaySlot {
  readonly display: TransformDisplay;
  private readonly off: () => void;
  private memo: { generation: number; geometry: string; ops: Map<number, TransformOp[]> } | null = null;
  skipped: string[] = [];

  constructor(
    readonly key: unknown,
    readonly hub: TransformHub,
    host: TransformSlotHost,
    sourceId: string,
  ) {
    this.display = new TransformDisplay({ manager: hub.manager(), sourceId, onChange: () => host.redraw(), onError: (m) => host.reportError(m) });
    this.off = hub.on((e) => {
      if (e.type === 'cancel') this.display.cancel();
      else {
        this.display.resume();
        host.redraw();
      }
    });
  }

  /** The kernel ops of channel `c` for a volume of `geo` (recomputed when the entries or geometry change). */
  opsFor(c: number, geo: EntryGeometry): TransformOp[] {
    const gkey = JSON.stringify(geo);
    if (!this.memo || this.memo.generation !== this.hub.generation || this.memo.geometry !== gkey) {
      this.memo = { generation: this.hub.generation, geometry: gkey, ops: new Map() };
    }
    let ops = this.memo.ops.get(c);
    if (!ops) {
      const got = opsFromEntries(this.hub.entriesFor(c), geo);
      ops = got.ops;
      this.skipped = got.skipped.map((s) => `${s.op}: ${s.reason}`);
      this.memo.ops.set(c, ops);
    }
    return ops;
  }

  dispose(): void {
    this.off();
    this.display.dispose();
  }
}

/** The voxel size in µm of a source's `physicalSizes` (1 where unknown; nm and mm converted). */
function micrometres(size: { size: number; unit: string } | undefined): number {
  if (!size || !(size.size > 0)) return 1;
  const u = size.unit.toLowerCase();
  if (u === 'nm' || u === 'nanometer') return size.size / 1000;
  if (u === 'mm' || u === 'millimeter') return size.size * 1000;
  return size.size;
}

/** The transformed volume of `image` for the viewer's current entries, or null while nothing is drawn. */
export function transformLayerFor(host: TransformSlotHost, props: Omit<TransformLayerProps, 'opsFor'>, sourceId: string): Layer | null {
  const hub = transformHubFor(host.backend);
  let slot = host.state.get(SLOT) as DisplaySlot | undefined;
  if (!slot || slot.key !== props.image || slot.hub !== hub) {
    slot?.dispose();
    slot = new DisplaySlot(props.image as LiveImage, hub, host, sourceId);
    host.state.set(SLOT, slot);
  }
  const volume = props.loaders?.volume ?? props.image.volumeLoader();
  const [, z, y, x] = volume.shape as [number, number, number, number];
  const p = volume.meta.physicalSizes;
  const geo: EntryGeometry = { shape: [z, y, x], voxelUm: [micrometres(p?.z), micrometres(p?.y), micrometres(p?.x)] };
  const current = slot;
  return current.display.layer({ ...props, opsFor: (c) => current.opsFor(c, geo) });
}
