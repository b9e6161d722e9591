/**
 * Browser page for `render.browser.test.ts`: a live session fed through DisplayProducer →
 * events → LiveImage, drawn by deck.gl with the live layer factories; `renderPage.draw(kind)`
 * resolves with the canvas pixels once every tile has loaded.
 */
import { Deck, OrthographicView, OrbitView } from '@deck.gl/core';
import type { Layer } from '@deck.gl/core';
import type { LiveSessionInfo } from '../../../src/acquisition/live-backend.ts';
import { DisplayProducer } from '../../../src/acquisition/volume/display-cache.ts';
import { LiveImage } from '../../../src/layers/live-image.ts';
import { createLiveMipLayer, createLivePlaneLayer, createLiveVolumeLayer } from '../../../src/layers/layers.ts';
import type { ChannelView } from '../../../src/layers/types.ts';
import { ContrastClient } from '../../../src/layers/contrast-client.ts';
import { contrastLimits, sampleForContrast } from '../../../src/layers/contrast.ts';

const N = 768;
const Z = 4;
const levelShapes = [[2, Z, N, N], [2, Z, N / 2, N / 2], [2, Z, N / 4, N / 4]];
const info: LiveSessionInfo = {
  name: 'render', storeUrl: null, status: 'acquiring', levelShapes, voxelSizeUm: { z: 1, y: 1, x: 1 },
  channels: [
    { name: 'green', color: '00FF00', wavelengthNm: 488, contrast: [0, 2000], visible: true },
    { name: 'magenta', color: 'FF00FF', wavelengthNm: 561, contrast: [0, 3000], visible: true },
  ],
  displayLevel: 1, version: 0,
};

/** Background 100; channel 0 a 2000 square at y 100–199, x 300–399 on z 2 only; channel 1 a 3000 square at y, x 500–599 on every z. */
function frame(c: number, z: number): Uint16Array {
  const px = new Uint16Array(N * N).fill(100);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      if (c === 0 && z === 2 && y >= 100 && y < 200 && x >= 300 && x < 400) px[y * N + x] = 2000;
      if (c === 1 && y >= 500 && y < 600 && x >= 500 && x < 600) px[y * N + x] = 3000;
    }
  }
  return px;
}

const channels: ChannelView[] = [
  { index: 0, color: [0, 255, 0], contrast: [0, 2000], visible: true },
  { index: 1, color: [255, 0, 255], contrast: [0, 3000], visible: true },
];

async function setup(): Promise<LiveImage> {
  const image = await LiveImage.open(info, null);
  const producer = new DisplayProducer({ session: 'render', levelShapes, displayLevel: 1 });
  let n = 0;
  for (let z = 0; z < Z; z++) for (let c = 0; c < 2; c++) producer.putFrame({ channel: c, z, y: 0, x: 0, width: N, height: N, pixels: frame(c, z), frameNumber: n++, acquiredAtMs: 0 });
  // The newest planes (z 3 for both channels) arrive as plane events.
  for (const e of producer.takeVolumeEvents()) image.apply(e);
  image.apply(producer.planeEvent(0, 1)!);
  image.apply(producer.planeEvent(1, 1)!);
  return image;
}

/** One frame drawn after now, copied from the canvas in the task that drew it. */
function nextFrame(deck: Deck, size: number): Promise<number[]> {
  return new Promise((resolve) => {
    deck.setProps({
      onAfterRender: () => {
        deck.setProps({ onAfterRender: () => {} });
        const out = document.createElement('canvas');
        out.width = size;
        out.height = size;
        const ctx = out.getContext('2d')!;
        ctx.drawImage(deck.getCanvas()!, 0, 0, size, size);
        resolve(Array.from(ctx.getImageData(0, 0, size, size).data));
      },
    });
    deck.redraw('capture');
  });
}

/**
 * Waits until every layer has loaded, then returns the first frame that shows anything (Viv's
 * volume uploads its texture a frame or more after `isLoaded`); after 30 s, whatever is drawn.
 */
async function capture(deck: Deck, size: number): Promise<number[]> {
  const started = performance.now();
  const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  while (!((deck.props.layers as Layer[]) ?? []).every((l) => l.isLoaded)) {
    if (performance.now() - started > 30000) throw new Error('layers did not load in 30 s');
    await wait(50);
  }
  for (;;) {
    const rgba = await nextFrame(deck, size);
    let lit = false;
    for (let i = 0; i < rgba.length && !lit; i += 4) lit = Math.max(rgba[i]!, rgba[i + 1]!, rgba[i + 2]!) > 100;
    if (lit || performance.now() - started > 30000) return rgba;
    await wait(100);
  }
}

async function draw(kind: 'plane' | 'mip' | 'volume'): Promise<{ size: number; rgba: number[]; errors: string[] }> {
  const image = await setup();
  const size = 384;
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  canvas.style.width = `${size}px`;
  canvas.style.height = `${size}px`;
  document.body.appendChild(canvas);
  const layer =
    kind === 'plane' ? createLivePlaneLayer({ id: 'plane', image, channels, z: 2 })
      : kind === 'mip' ? createLiveMipLayer({ id: 'mip', image, channels })
        : createLiveVolumeLayer({ id: 'volume', image, channels, renderingMode: 'mip' });
  const view = kind === 'volume' ? new OrbitView({ id: 'v', orbitAxis: 'Y', fovy: 20 }) : new OrthographicView({ id: 'v' });
  const viewState = kind === 'volume'
    ? { target: [384, 384, 2], zoom: -1.2, rotationX: 0, rotationOrbit: 0 }
    : { target: [N / 2, N / 2, 0], zoom: -1 };
  const deck: Deck = new Deck({
    canvas,
    width: size,
    height: size,
    useDevicePixels: false,
    views: [view] as never,
    viewState: viewState as never,
    controller: false,
    layers: [layer],
    deviceProps: { type: 'webgl', webgl: { preserveDrawingBuffer: true } } as never,
  });
  const rgba = await capture(deck, size);
  deck.finalize();
  canvas.remove();
  return { size, rgba, errors: image.errors.map((e) => e.message) };
}

/** Contrast limits of the live display volume computed in the contrast worker, and on this thread for comparison. */
async function contrast(): Promise<{ worker: [number, number]; here: [number, number] }> {
  const image = await setup();
  const sample = await image.contrastSample(1, 10000);
  const worker = new Worker('/contrast-worker.js', { type: 'module' });
  const client = new ContrastClient(worker, () => worker.terminate());
  try {
    const options = { lowPercentile: 1, highPercentile: 99.9 };
    return { worker: await client.limits(sample, options), here: contrastLimits(sampleForContrast(sample), options) };
  } finally {
    client.close();
  }
}

Object.assign(globalThis, { renderPage: { draw, contrast } });
