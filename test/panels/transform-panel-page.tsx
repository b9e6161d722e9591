/**
 * The page of the Transform panel's browser test: the panel with an in-memory viewer controller,
 * the viewer's TransformHub over a real browser pool (/transform-worker.js), and the transform
 * layer built for a small live volume the way the host's 3D factory builds it.
 *
 * @example
 * await page.evaluate(() => transformPage.layerInfo());
 */
import { createRoot } from 'react-dom/client';
import type { LiveBackend, LiveSessionInfo } from '../../src/acquisition/live-backend.ts';
import { LiveImage } from '../../src/layers/live-image.ts';
import { displayModelMatrix } from '../../src/layers/transform-layer.ts';
import type { ChannelView } from '../../src/layers/types.ts';
import { TransformPanel } from '../../src/panels/transform-panel.tsx';
import { transformLayerFor } from '../../src/panels/transform-display-slot.ts';
import { transformHubFor } from '../../src/panels/transform-state.ts';
import type { ViewerController, ViewerSnapshot } from '../../src/panels/types.ts';
import { TransformManager } from '../../src/transforms/manager/transform-manager.ts';
import { createBrowserTransformPool } from '../../src/transforms/pool/browser-pool.ts';

const info: LiveSessionInfo = {
  name: 'xf', storeUrl: null, status: 'acquiring', levelShapes: [[1, 16, 24, 20]], voxelSizeUm: { z: 1, y: 1, x: 1 },
  channels: [{ name: 'GFP', color: '00FF00', wavelengthNm: 488, contrast: [0, 1000], visible: true }],
  displayLevel: 0, version: 0,
};
const channels: ChannelView[] = [{ index: 0, color: [0, 255, 0], contrast: [0, 1000], visible: true }];
const image = await LiveImage.open(info, null);
image.apply({ type: 'volume', session: 'xf', channel: 0, level: 0, zStart: 0, zEnd: 16, width: 20, height: 24, data: new Uint16Array(16 * 24 * 20).map((_, i) => (i * 7919) % 1000), version: 1 });

const backend = {} as LiveBackend;
transformHubFor(backend, () => new TransformManager({ pool: createBrowserTransformPool(2, { createWorker: () => new Worker('/transform-worker.js', { type: 'module' }) }) }));

let snapshot: ViewerSnapshot = {
  viewer: { mode: '3d', view_state: { target_um: { x: 0, y: 0, z: 0 }, zoom: 0, rotation_x_deg: 0, rotation_orbit_deg: 0 }, selection: { z: 0, t: 0 }, render_3d: 'maximum-intensity', channel_settings: [] },
  channels: [{ index: 0, name: 'GFP', color: '00FF00', contrast: [0, 1000], visible: true }],
  transforms: [],
};
const el = document.createElement('div');
document.body.append(el);
const root = createRoot(el);
const viewer: ViewerController = {
  snapshot: () => snapshot,
  restore: (s) => {
    snapshot = { ...snapshot, ...s };
    render();
  },
  show: () => undefined,
  content: () => null,
};
function render(): void {
  root.render(<TransformPanel backend={backend} viewer={viewer} />);
}
render();

let redraws = 0;
const reported: string[] = [];
const host = { state: new Map<string, unknown>(), backend, redraw: () => void redraws++, reportError: (m: string) => void reported.push(m) };

type Props = { props: Record<string, unknown> };
const transformPage = {
  snapshot: () => snapshot.transforms,
  restore: (transforms: ViewerSnapshot['transforms']) => viewer.restore({ transforms }),
  redraws: () => redraws,
  reported: () => reported,
  /** The layer as the host would build it now. */
  layerInfo() {
    const layer = transformLayerFor(host, { id: 'xf', viewId: 'volume', image, channels }, 'image/xf') as unknown as Props | null;
    if (layer === null) return null;
    const subs = layer.props.sublayers as Props[];
    return subs.map((s) => {
      const loader = (s.props.loader as { shape: number[] }[])[0]!;
      const m = s.props.modelMatrix as number[] | null | undefined;
      return { id: (s as unknown as { id: string }).id, shape: loader.shape, modelMatrix: m ? Array.from(m) : null, resampled: loader !== image.volumeLoader() };
    });
  },
  /** Sum of plane z of the first sublayer's source, channel 0. */
  async planeSum(z: number): Promise<number> {
    const layer = transformLayerFor(host, { id: 'xf', viewId: 'volume', image, channels }, 'image/xf') as unknown as Props;
    const src = ((layer.props.sublayers as Props[])[0]!.props.loader as { getRaster: (a: unknown) => Promise<{ data: Uint16Array }> }[])[0]!;
    return (await src.getRaster({ selection: { c: 0, z } })).data.reduce((a, b) => a + b, 0);
  },
  expectedMatrix: (angleDeg: number) => displayModelMatrix([{ op: 'rotate', axis: 'z', angleDeg, order: 1 }], [16, 24, 20], image.volumeLoader().meta.physicalSizes).matrix,
};
Object.assign(globalThis, { transformPage });
