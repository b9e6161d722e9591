/** Fixed sizes, markers, flags and limits of the Flamingo wire protocol (spec §2, §6, §7). */

export const RECORD_SIZE = 128;
export const START_MARKER = 0xf321e654;
export const END_MARKER = 0xfedc4321;
/** The start marker as it appears on the wire (little-endian). */
export const START_MARKER_BYTES: readonly number[] = [0x54, 0xe6, 0x21, 0xf3];
export const TEXT_BUFFER_SIZE = 72;
/** At most 71 bytes of text so that a C reader always finds a NUL terminator. */
export const MAX_TEXT_BYTES = TEXT_BUFFER_SIZE - 1;

/**
 * Default upper bound for `addDataBytes`. A larger value is treated as corruption:
 * the parser never allocates more than this for a payload.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export const FRAME_HEADER_SIZE = 40;
/** Default upper bound for a live frame (4096 × 4096 × 2 bytes = 32 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 4096 * 4096 * 2;
export const BYTES_PER_PIXEL = 2;

/** `cmdDataBits0` flags (spec §2.2). Only TRIGGER_CALL_BACK is ever needed by clients. */
export const Flags = {
  TRIGGER_CALL_BACK: 0x80000000,
  EXPERIMENT_TIME_REMAINING: 0x00000001,
  STAGE_POSITIONS_IN_BUFFER: 0x00000002,
  MAX_PROJECTION: 0x00000004,
  SAVE_TO_DISK: 0x00000008,
  STAGE_NOT_UPDATE_CLIENT: 0x00000010,
  STAGE_ZSWEEP: 0x00000020,
} as const;

/** System state values (spec §7.1); state broadcasts use the value as the record's code. */
export const SystemState = {
  DISCONNECTED: 0xa001,
  IDLE: 0xa002,
  SNAP_SHOT: 0xa003,
  LIVE_VIEW: 0xa004,
  WORK_FLOW_RUNNING: 0xa005,
} as const;
export type SystemStateValue = (typeof SystemState)[keyof typeof SystemState];

/** py2flamingo counts 0 and IDLE as idle; anything else is busy (spec §7.1). */
export function isIdleState(value: number): boolean {
  return value === 0 || value === SystemState.IDLE;
}

/** Stage axes in `int32Data0` (spec §7.2). X/Y/Z in mm, R in degrees. */
export const Axis = { X: 1, Y: 2, Z: 3, R: 4 } as const;
export type AxisId = (typeof Axis)[keyof typeof Axis];
export const AXIS_NAMES: Readonly<Record<AxisId, 'x' | 'y' | 'z' | 'r'>> = { 1: 'x', 2: 'y', 3: 'z', 4: 'r' };

/** Live-frame `optionsSettings1` bits (spec §6.1). */
export const ImageOptions = {
  SUBTRACT: 0x01,
  RGB: 0x02,
  CROSSHAIR: 0x04,
  ZOOM: 0x08,
  IMAGE_DATA: 0x10,
  MAX_PROJECTION: 0x20,
  SPLIT_OVERLAY: 0x40,
  ZOOM_CAMERA_1: 0x100,
  ZOOM_CAMERA_2: 0x200,
  ZOOM_CAMERA_3: 0x400,
} as const;
