/**
 * The contract between a microscope and everything above it (session writer, live
 * layers, bridge, benchmarks). A connector talks to one microscope: the real Flamingo
 * over TCP (`FlamingoConnector`), the simulator, or later a remote one through the
 * bridge. Frames come out as an async stream with their metadata assigned from the
 * plan, never guessed.
 */

/** Stage position: X, Y, Z in millimetres, R in degrees. */
export interface StagePosition {
  xMm: number;
  yMm: number;
  zMm: number;
  rDeg: number;
}

export interface AxisRange {
  min: number;
  max: number;
}

export interface StageLimits {
  x: AxisRange;
  y: AxisRange;
  z: AxisRange;
  r: AxisRange;
}

export type IlluminationSide = 'left' | 'right';

/** What a connector learns about the microscope on connect (ScopeSettings plus queries). */
export interface MicroscopeInfo {
  /** `Type / Microscope name` from ScopeSettings. */
  name: string;
  /** Pixel size at the sample in µm, from optics (spec §7.5). */
  pixelSizeUm: number;
  /** What the server answered to CAMERA_PIXEL_FIELD_OF_VIEW_GET, in µm; null if unknown. */
  reportedPixelSizeUm: number | null;
  /** Current camera image size (the ROI). */
  width: number;
  height: number;
  hardLimits: StageLimits;
  softLimits: StageLimits;
  home: StagePosition;
  /** Default velocities: mm/s for X/Y/Z, °/s for R. */
  velocity: StagePosition;
  /** Laser lines by laser index 1–4 (nm), where known. */
  lasers: ReadonlyArray<{ index: number; wavelengthNm: number }>;
  /** The raw ScopeSettings text as received. */
  settingsText: string;
}

/** Where and how a frame was taken. Assigned from the plan, then checked against the server's counts. */
export interface FrameMeta {
  /** Channel id: left side laser − 1 (0–3), right side laser + 3 (4–7) (spec §8.9). */
  channel: number;
  /** Index of the channel within the plan's channel list (0-based, the session's c index). */
  channelIndex: number;
  /** Laser index 1–4 (0 for LED/unknown). */
  laser: number;
  wavelengthNm: number | null;
  side: IlluminationSide;
  /** Plane index within its stack, 0-based, in acquisition order (start Z → end Z). */
  zIndex: number;
  /** Planes in this stack according to the plan. */
  zCount: number;
  /** Stage position of this plane: the tile's X/Y and the plane's Z. */
  stage: StagePosition;
  /** Tile index in the server's visiting order (0 for a single z-stack). */
  tileIndex: number;
  timepoint: number;
  /** Stack index within the whole acquisition. */
  stackIndex: number;
  /** Running number of this frame within the acquisition (0-based, after trimming and MIP removal). */
  frameNumber: number;
  /** Wall clock at receipt (ms since the epoch). */
  receivedAtMs: number;
  /** Monotonic clock at receipt (ms, `performance.now()`). */
  receivedMonotonicMs: number;
}

export interface Frame<M = FrameMeta> {
  /** uint16 pixels, row-major, height × width. */
  pixels: Uint16Array;
  width: number;
  height: number;
  meta: M;
}

/** Metadata of a live-view frame (no plan, so only what is known). */
export interface LiveFrameMeta {
  frameNumber: number;
  receivedAtMs: number;
  receivedMonotonicMs: number;
  /** Display range suggested by the server. */
  scaleMin: number;
  scaleMax: number;
}

export interface LaserSetting {
  /** Laser index 1–4 (Laser n is channel n − 1). */
  laser: number;
  /** Power in percent, 0–100. */
  powerPercent: number;
}

/** One acquisition: a z-stack at one position, or a server-side tile scan. */
export interface AcquisitionPlan {
  kind: 'zstack' | 'tile';
  /** Start and end of the z sweep in mm (end may be below start). */
  zStartMm: number;
  zEndMm: number;
  /** Planes per stack. */
  planes: number;
  /** Z step in µm (informational when `planes` is given; the workflow carries both). */
  stepUm: number;
  /** Stack centre for a z-stack; the first corner tile centre for a tile scan. */
  xMm: number;
  yMm: number;
  rDeg?: number;
  /** Far corner tile centre for a tile scan. */
  xEndMm?: number;
  yEndMm?: number;
  /** Tile overlap in percent (clamped 0–50). */
  overlapPercent?: number;
  lasers: readonly LaserSetting[];
  sides: readonly IlluminationSide[];
  exposureUs?: number;
  /** Camera frame rate in frames/s (sets the z sweep velocity); default 40. */
  frameRate?: number;
  sampleName?: string;
  comments?: string;
  /**
   * Camera ROI (centred on the sensor) to run with; default: the current image size.
   * Frame size and the tile field of view follow it.
   */
  roi?: { width: number; height: number };
}

export interface AcquisitionProgress {
  framesReceived: number;
  framesExpected: number;
  /** Counts the server reported (0x9004 / 0x3011), if any. */
  serverAcquired: number | null;
  stacksCompleted: number;
  stacksExpected: number;
}

export interface AcquisitionSummary {
  outcome: 'complete' | 'stopped' | 'rejected' | 'failed';
  framesExpected: number;
  framesReceived: number;
  /** Planned frames that never arrived. */
  framesMissing: number;
  /** Surplus frames trimmed from stack ends. */
  framesTrimmed: number;
  /** MIP frames dropped. */
  mipFramesDropped: number;
  /** Frames dropped by a bounded buffer because the consumer was too slow. */
  framesDropped: number;
  seconds: number;
  /** Human-readable notes on every mismatch between plan and stream. */
  notes: string[];
  error?: string;
}

/** A running acquisition. Iterate `frames` to receive every frame; `done` settles when it ends. */
export interface AcquisitionRun {
  readonly frames: AsyncIterable<Frame>;
  readonly done: Promise<AcquisitionSummary>;
  progress(): AcquisitionProgress;
  /** Stops the workflow on the microscope; `done` then resolves with outcome `stopped`. */
  stop(): Promise<void>;
  /**
   * Calls `listener` with each frame as it arrives, before it waits in `frames` (for a live
   * display: `frames` is consumed at the session writer's pace, which may lag); the listener
   * must not hold it up. Returns the function that removes it.
   */
  onArrival(listener: (frame: Frame) => void): () => void;
}

/** A live view. Iterate for the newest frames (a bounded ring; old frames are dropped and counted). */
export interface LiveView extends AsyncIterable<Frame<LiveFrameMeta>> {
  stop(): Promise<void>;
  readonly dropped: number;
}

export interface ConnectorCounters {
  framesReceived: number;
  bytesReceived: number;
  framesDropped: number;
  recordsReceived: number;
  recordsDiscardedBytes: number;
  reconnects: number;
}

export type ConnectorEvent =
  | { type: 'state'; state: number }
  | { type: 'motion-stopped'; axis: number }
  | { type: 'progress'; progress: AcquisitionProgress }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'disconnected'; reason: string }
  | { type: 'reconnected' };

export interface MicroscopeConnector {
  /** Connects, loads ScopeSettings and reads the camera; resolves with what it learned. */
  connect(options?: { signal?: AbortSignal }): Promise<MicroscopeInfo>;
  readonly info: MicroscopeInfo | null;
  getPosition(): Promise<StagePosition>;
  /** Moves the given axes one after another and resolves with the read-back position. */
  moveTo(target: Partial<StagePosition>, options?: { signal?: AbortSignal }): Promise<StagePosition>;
  /** System state value (spec §7.1). */
  getState(): Promise<number>;
  startLiveView(options?: { bufferFrames?: number }): Promise<LiveView>;
  acquire(plan: AcquisitionPlan, options?: { signal?: AbortSignal; bufferFrames?: number }): Promise<AcquisitionRun>;
  /** Subscribes to connector events; returns the unsubscribe function. */
  on(listener: (event: ConnectorEvent) => void): () => void;
  counters(): ConnectorCounters;
  close(): Promise<void>;
}
