/**
 * The contract between the viewer (panels, live layers) and whatever runs the microscope
 * and the session writer for it: the bridge over a WebSocket (`BridgeClient`), or the
 * browser-only pipeline in a worker (simulated connector + OPFS session). The viewer
 * never talks to a connector directly; it sends commands here and receives events.
 *
 * Live data reaches the viewer two ways, both versioned per session:
 * - `plane` events: the newest plane per channel at a chosen pyramid level (latest wins;
 *   a backend skips planes a slow viewer cannot take and counts them);
 * - `volume` events: z-ranges of the display volume (one coarse pyramid level, complete:
 *   every frame contributes) that changed since the last event for that channel.
 * Flushed chunks of every level are read from the session store (`storeUrl` over HTTP, or
 * the OPFS store in browser-only mode).
 *
 * @example
 * const off = backend.subscribe((e) => { if (e.type === 'plane') cache.putPlane(e); });
 * await backend.connect({ microscope: 'sim' });
 * const session = await backend.startAcquisition({ zStartMm: 5, zEndMm: 5.2, stepUm: 2, lasers: [488] });
 */
import type { AcquisitionSummary, Frame, LiveFrameMeta, MicroscopeInfo, StagePosition } from './connector.ts';

/** Counters the status region shows and the benchmark reads. */
export interface LiveCounters {
  framesExpected: number;
  /** Frames received from the microscope in the current acquisition. */
  framesAcquired: number;
  /** Frames whose data reached a layer update in this viewer. */
  framesDisplayed: number;
  /** Frames the display skipped (latest wins; expected when the viewer is slower than the camera). */
  framesDisplayDropped: number;
  framesWritten: number;
  /** Frames the session writer dropped (must stay 0). */
  framesWriterDropped: number;
  /** Frames waiting in the writer's queue. */
  writerQueueDepth: number;
}

/** Every counter at zero (before an acquisition); spread it for a fresh object. */
export const ZERO_COUNTERS: Readonly<LiveCounters> = Object.freeze({
  framesExpected: 0,
  framesAcquired: 0,
  framesDisplayed: 0,
  framesDisplayDropped: 0,
  framesWritten: 0,
  framesWriterDropped: 0,
  writerQueueDepth: 0,
});

/** A live-view frame (outside any session) as the plane event viewers get: session '', channel 0, z 0, level 0. */
export function liveViewPlane(f: Frame<LiveFrameMeta>, version: number): PlaneEvent {
  return { type: 'plane', session: '', channel: 0, z: 0, level: 0, width: f.width, height: f.height, pixels: f.pixels, version, acquiredAtMs: f.meta.receivedMonotonicMs, frameNumber: f.meta.frameNumber };
}

export interface AcquisitionRequest {
  kind?: 'zstack' | 'tile';
  zStartMm: number;
  zEndMm: number;
  stepUm: number;
  /** Laser wavelengths (nm) in channel order. */
  lasers: readonly number[];
  sides?: ReadonlyArray<'left' | 'right'>;
  /** Stack centre; default: the current stage position. */
  xMm?: number;
  yMm?: number;
  /** Tiles `[nx, ny]` and overlap in percent, for `kind: 'tile'`. */
  tiles?: readonly [number, number];
  overlapPercent?: number;
  /** Camera ROI (centred on the sensor) for this plan; default: the current image size. */
  roi?: { width: number; height: number };
  /** Session name and description (the session panel's fields). */
  name?: string;
  description?: string;
}

/** A session the viewer can show: the one being written, or one opened read-only. */
export interface LiveSessionInfo {
  /** Session name as stored (folder name without `.ome.zarr`). */
  name: string;
  /** Absolute HTTP URL of the OME-Zarr folder (ends with `/`) when served by the bridge; null in browser-only mode. */
  storeUrl: string | null;
  /** `acquiring`, `interrupted` or `complete` (the `flamingo.status`), or `external` for a foreign image. */
  status: 'acquiring' | 'interrupted' | 'complete' | 'external';
  /** Level shapes `[c, z, y, x]`, finest first. */
  levelShapes: number[][];
  /** Level-0 voxel size in µm. */
  voxelSizeUm: { z: number; y: number; x: number };
  channels: Array<{ name: string; color: string; wavelengthNm: number | null; contrast: [number, number]; visible: boolean }>;
  /** The pyramid level the `volume` events fill (complete while acquiring). */
  displayLevel: number;
  /** Data version: grows whenever any data of the session changes. */
  version: number;
}

/** Newest plane of a channel at `level` (pixels `height × width`, row-major, that level's full yx extent). */
export interface PlaneEvent {
  type: 'plane';
  session: string;
  channel: number;
  z: number;
  level: number;
  width: number;
  height: number;
  pixels: Uint16Array;
  version: number;
  /** Monotonic ms (performance.now() of the producing process) when the frame arrived from the microscope. */
  acquiredAtMs: number;
  /** Frame number within the acquisition. */
  frameNumber: number;
}

/** Planes `zStart … zEnd-1` of the display level for one channel (`(zEnd − zStart) × height × width`). */
export interface VolumeEvent {
  type: 'volume';
  session: string;
  channel: number;
  level: number;
  zStart: number;
  zEnd: number;
  width: number;
  height: number;
  data: Uint16Array;
  version: number;
}

export type LiveEvent =
  | PlaneEvent
  | VolumeEvent
  | { type: 'connected'; info: MicroscopeInfo; microscope: string }
  | { type: 'disconnected'; reason: string }
  | { type: 'position'; position: StagePosition }
  | { type: 'session'; session: LiveSessionInfo }
  /** Chunks of `levels` in `zStart … zEnd-1` of `channel` were flushed to the store. */
  | { type: 'flushed'; session: string; channel: number; zStart: number; zEnd: number; version: number }
  | { type: 'counters'; counters: LiveCounters }
  | { type: 'acquisition'; phase: 'started' | 'finished'; session: string; summary?: AcquisitionSummary; status?: LiveSessionInfo['status'] }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export interface SessionEntry {
  name: string;
  status: LiveSessionInfo['status'];
  storeUrl: string | null;
  /** Bytes on disk. */
  bytes: number;
  modified: string;
}

export interface LiveBackend {
  readonly kind: 'bridge' | 'browser';
  /** Connects to `sim` (the built-in simulator) or `HOST:PORT`. */
  connect(options?: { microscope?: string }): Promise<MicroscopeInfo>;
  disconnect(): Promise<void>;
  getPosition(): Promise<StagePosition>;
  moveTo(target: Partial<StagePosition>): Promise<StagePosition>;
  startLiveView(): Promise<void>;
  stopLiveView(): Promise<void>;
  /** Starts the plan and the session written with it; resolves once it runs. */
  startAcquisition(request: AcquisitionRequest): Promise<LiveSessionInfo>;
  stopAcquisition(): Promise<void>;
  listSessions(): Promise<SessionEntry[]>;
  /** Opens a stored session (by name) read-only for viewing. */
  openSession(name: string): Promise<LiveSessionInfo>;
  /**
   * Stores the viewer state (channels, contrast, camera, transforms) and name/description
   * into the session's `flamingo` metadata; the data are already on disk.
   */
  saveSession(name: string, state: { description?: string; viewer?: Record<string, unknown> }): Promise<SessionEntry>;
  /** The planes level this viewer wants `plane` events at (default: the finest level ≤ 1024 px). */
  setPlaneLevel(level: number): void;
  /**
   * Adds a listener for every event from now on; returns the function that removes it. A
   * listener that subscribes after the backend connected (a panel mounted later) is first told
   * the current state, as the newest event of each kind: `connected` (microscope and info;
   * absent when disconnected), `position`, `session` (the current session), `acquisition`
   * `started` while one runs, and `counters` — delivered asynchronously (a microtask after
   * `subscribe` returns, before any newer event), so the returned function exists by then.
   * Data events (`plane`, `volume`, `flushed`) are not replayed.
   */
  subscribe(listener: (event: LiveEvent) => void): () => void;
  /**
   * The viewer reports that the plane of `frameNumber` reached a layer update; planes replaced
   * before that count as display-dropped (latest wins).
   */
  markDisplayed?(frameNumber: number): void;
  counters(): LiveCounters;
  close(): Promise<void>;
}
