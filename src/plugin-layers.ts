/**
 * The layers `plugin.json` contributes, as a host calls them (`LayerContext` in plugin.ts):
 * each factory finds or opens the `LiveImage` of what the host shows (kept in the host's
 * `context.state`, shared by the three), follows the backend's events, hands Viv new loaders
 * through the 2D/3D throttles (asking the host to redraw on each release), and returns one of
 * the live layers: the newest plane (or the chosen z), the max-intensity projection, or the
 * volume.
 *
 * @example
 * // plugin.json: { "id": "flamingo.live-plane", "factory": "livePlaneContribution", "views": ["2d"] }
 * const layer = livePlaneContribution(context); // a Viv MultiscaleImageLayer, or null while opening
 */
import type { LiveBackend, LiveEvent } from './acquisition/live-backend.ts';
import { createLiveMipLayer, createLivePlaneLayer, createLiveVolumeLayer } from './layers/layers.ts';
import { LiveImage } from './layers/live-image.ts';
import { watchImage } from './layers/throttle.ts';
import { ContrastClient } from './layers/contrast-client.ts';
import type { ReleasedLoaders } from './layers/throttle.ts';
import { rgbFromHex } from './layers/types.ts';
import type { ChannelView } from './layers/types.ts';
import type { HostContent, LayerContext } from './plugin.ts';
import { sessionStoreFor } from './panels/session-store.ts';
import { transformLayerFor } from './panels/transform-display-slot.ts';
import type { ReadableSessionStore } from './session/store/types.ts';

const SLOT = 'flamingo.live-image';

/** A backend that can hand out a session's store (the browser-only one), and one that counts what was displayed (the bridge client). */
type BackendExtras = LiveBackend & {
  sessionStore?: (name: string) => Promise<ReadableSessionStore>;
  markDisplayed?: (frameNumber: number) => void;
};

type Throttle = { readonly current: ReleasedLoaders; dispose(): void };

/** One opened image and its throttles, kept in `context.state`. */
class ImageSlot {
  image: LiveImage | null = null;
  failed = false;
  private t2d: Throttle | null = null;
  private t3d: Throttle | null = null;
  private off: (() => void) | null = null;
  private disposed = false;
  private readonly shown = new Map<number, number>();
  private lastSuggestion = -Infinity;
  private contrastTimer: ReturnType<typeof setTimeout> | null = null;
  private contrast: ContrastClient | null = null;
  private contrastBusy = false;
  /** The host's `suggestContrast`, as of the latest render. */
  suggest: ((index: number, limits: [number, number]) => void) | null = null;

  constructor(
    readonly key: unknown,
    readonly backend: BackendExtras,
    private readonly redraw: () => void,
  ) {}

  /** Opens the session `content` names, applying the events that arrive meanwhile. */
  openSession(content: Extract<HostContent, { kind: 'session' }>, report: (m: string) => void): void {
    const queued: LiveEvent[] = [];
    this.off = this.backend.subscribe((e) => {
      if (this.image === null) queued.push(e);
      else this.image.apply(e);
    });
    const info = content.session;
    sessionStoreFor(this.backend, info)
      .then((store) => LiveImage.open(info, store))
      .then((image) => {
        if (this.disposed) return;
        for (const e of queued.splice(0)) image.apply(e);
        this.attach(image);
      })
      .catch((err: unknown) => {
        this.failed = true;
        report(`Session ${info.name} cannot be shown: ${err instanceof Error ? err.message : String(err)}`);
      });
  }

  attach(image: LiveImage): void {
    this.image = image;
    this.t2d = watchImage(image, '2d', {
      onRelease: () => {
        this.markDisplayed();
        this.suggestContrast();
        this.redraw();
      },
    });
    this.t3d = watchImage(image, '3d', { onRelease: () => this.redraw() });
    this.suggestContrast();
    this.redraw();
  }

  /**
   * Suggests contrast limits per channel: percentiles of the maximum-intensity projection of
   * the display level (every plane so far), computed off the main thread, at most once a second.
   */
  private suggestContrast(): void {
    const image = this.image;
    const now = globalThis.performance?.now() ?? Date.now();
    if (image === null || this.disposed || this.suggest === null || typeof Worker === 'undefined') return;
    if (this.contrastBusy || now - this.lastSuggestion < 1000) {
      // Run once more when the interval ends, so the last data are never left out.
      this.contrastTimer ??= setTimeout(() => {
        this.contrastTimer = null;
        this.suggestContrast();
      }, Math.max(50, 1000 - (now - this.lastSuggestion)));
      return;
    }
    this.lastSuggestion = now;
    this.contrast ??= ContrastClient.inWorker();
    const client = this.contrast;
    const mip = image.mipLoader();
    const channels = image.levelShapes[0]![0]!;
    const suggest = this.suggest;
    this.contrastBusy = true;
    void (async () => {
      for (let c = 0; c < channels; c++) {
        const raster = await mip.getRaster({ selection: { c, z: 0 } });
        const [lo, hi] = await client.limits(raster.data, { lowPercentile: 1, highPercentile: 99.9 });
        if (this.disposed) return;
        if (hi - lo >= 4) suggest(c, [lo, hi]);
      }
    })()
      .catch(() => undefined)
      .finally(() => {
        this.contrastBusy = false;
      });
  }

  loaders(view: '2d' | '3d'): ReleasedLoaders | undefined {
    return (view === '2d' ? this.t2d : this.t3d)?.current;
  }

  /** Tells a counting backend which newest planes reached a layer update. */
  private markDisplayed(): void {
    const image = this.image;
    if (image === null || image.cache === null || this.backend.markDisplayed === undefined) return;
    for (let c = 0; c < image.levelShapes[0]![0]!; c++) {
      const plane = image.cache.newestPlane(c);
      if (plane === null || this.shown.get(c) === plane.frameNumber) continue;
      this.shown.set(c, plane.frameNumber);
      this.backend.markDisplayed(plane.frameNumber);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.off?.();
    this.t2d?.dispose();
    this.t3d?.dispose();
    this.contrast?.close();
    if (this.contrastTimer !== null) clearTimeout(this.contrastTimer);
  }
}

function slotFor(ctx: LayerContext): ImageSlot {
  const key = ctx.content.kind === 'session' ? `session:${ctx.content.session.name}` : ctx.content.image;
  const old = ctx.state.get(SLOT) as ImageSlot | undefined;
  if (old !== undefined && old.key === key && old.backend === ctx.backend) {
    old.suggest = ctx.suggestContrast;
    return old;
  }
  old?.dispose();
  const slot = new ImageSlot(key, ctx.backend as BackendExtras, ctx.redraw);
  ctx.state.set(SLOT, slot);
  slot.suggest = ctx.suggestContrast;
  if (ctx.content.kind === 'session') slot.openSession(ctx.content, ctx.reportError);
  else slot.attach(LiveImage.fromDescription(ctx.content.image));
  return slot;
}

function channelViews(ctx: LayerContext): ChannelView[] {
  return ctx.channels.map((c) => ({ index: c.index, color: rgbFromHex(c.color), contrast: [c.contrast[0], c.contrast[1]], visible: c.visible }));
}

function baseId(ctx: LayerContext): string {
  return ctx.id.endsWith(`-#${ctx.viewId}#`) ? ctx.id.slice(0, -`-#${ctx.viewId}#`.length) : ctx.id;
}

/** The newest plane of each channel while acquiring, or plane `context.z`. */
export function livePlaneContribution(ctx: LayerContext): unknown {
  const slot = slotFor(ctx);
  if (slot.image === null) return null;
  const loaders = slot.loaders('2d');
  return createLivePlaneLayer({
    id: baseId(ctx),
    viewId: ctx.viewId,
    image: slot.image,
    ...(loaders ? { loaders } : {}),
    channels: channelViews(ctx),
    z: ctx.z === null ? 'newest' : ctx.z,
  });
}

/** The maximum-intensity projection of the display volume, in 2D. */
export function liveMipContribution(ctx: LayerContext): unknown {
  const slot = slotFor(ctx);
  if (slot.image === null) return null;
  const loaders = slot.loaders('2d');
  return createLiveMipLayer({ id: baseId(ctx), viewId: ctx.viewId, image: slot.image, ...(loaders ? { loaders } : {}), channels: channelViews(ctx) });
}

/** The display volume in 3D (maximum intensity or additive). */
export function liveVolumeContribution(ctx: LayerContext): unknown {
  const slot = slotFor(ctx);
  if (slot.image === null) return null;
  const loaders = slot.loaders('3d');
  return createLiveVolumeLayer({
    id: baseId(ctx),
    viewId: ctx.viewId,
    image: slot.image,
    ...(loaders ? { loaders } : {}),
    channels: channelViews(ctx),
    renderingMode: ctx.render3d === 'additive' ? 'additive' : 'mip',
  });
}

/** The display volume in 3D with the Transform panel's transforms: rigid ones at once, resampled results when computed. */
export function transformVolumeContribution(ctx: LayerContext): unknown {
  const slot = slotFor(ctx);
  if (slot.image === null) return null;
  const loaders = slot.loaders('3d');
  const sourceId = ctx.content.kind === 'session' ? `session/${ctx.content.session.name}` : `image/${ctx.content.image.name}`;
  return transformLayerFor(
    ctx,
    { id: baseId(ctx), viewId: ctx.viewId, image: slot.image, ...(loaders ? { loaders } : {}), channels: channelViews(ctx), renderingMode: ctx.render3d === 'additive' ? 'additive' : 'mip' },
    sourceId,
  );
}
