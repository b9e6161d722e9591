/**
 * Quirk switches of the simulator (spec §11.2 item 15): behaviours of the real server
 * that clients must survive, each switchable on its own, and two profiles: `default`
 * (every quirk off, so py2flamingo works unchanged) and `rig` (the ★ quirks seen on
 * real microscopes on).
 *
 * @example
 * const q = { ...profileQuirks('rig'), droppedFrames: true };
 * QUIRK_FLAGS['stale-idle'];   // 'staleIdle'
 */

export interface QuirkSwitches {
  /** ★ A stale 0xA002 right after 12292, before the run goes busy. */
  staleIdle: boolean;
  /** ★ 1–3 extra frames at the end of each stack (the camera runs on). */
  trailingFrames: boolean;
  /** Randomly dropped live frames (seeded). */
  droppedFrames: boolean;
  /** Options-only headers (imageSize = 0) interleaved on the live port. */
  sizeZeroHeaders: boolean;
  /** No 0x9004 in Tile runs. */
  noTileProgress: boolean;
  /** ★ STAGE_POSITION_GET unanswered while a workflow runs. */
  positionSilenceDuringRun: boolean;
  /** LED (0x4001–0x4003) and illumination (0x7004–0x7007) commands unanswered. */
  silentLedIllumination: boolean;
  /** Stop answering everything after LIVE_VIEW_START while a workflow runs. */
  crashOnLiveViewDuringRun: boolean;
  /** Close command connections idle for `idleDropMs`. */
  dropIdleConnections: boolean;
  /** Planes = round(|ΔZ| / step) instead of `Number of planes`. */
  recomputePlanes: boolean;
  /** (Test quirk, in no profile.) Close the live socket in the middle of a frame, once. */
  dropMidFrame: boolean;
}

export type QuirkProfile = 'default' | 'rig';

/** Kebab-case CLI names of the switches. */
export const QUIRK_FLAGS: Record<string, keyof QuirkSwitches> = {
  'stale-idle': 'staleIdle',
  'trailing-frames': 'trailingFrames',
  'dropped-frames': 'droppedFrames',
  'size-zero-headers': 'sizeZeroHeaders',
  'no-tile-progress': 'noTileProgress',
  'position-silence-during-run': 'positionSilenceDuringRun',
  'silent-led-illumination': 'silentLedIllumination',
  'crash-on-live-view-during-run': 'crashOnLiveViewDuringRun',
  'drop-idle-connections': 'dropIdleConnections',
  'recompute-planes': 'recomputePlanes',
  'drop-mid-frame': 'dropMidFrame',
};

/** The switches of a profile: `default` has all off; `rig` has the ★ ones on. */
export function profileQuirks(profile: QuirkProfile): QuirkSwitches {
  const rig = profile === 'rig';
  if (profile !== 'default' && profile !== 'rig') {
    throw new Error(`Quirk profile must be 'default' or 'rig', got '${String(profile)}'.`);
  }
  return {
    staleIdle: rig,
    trailingFrames: rig,
    droppedFrames: false,
    sizeZeroHeaders: false,
    noTileProgress: false,
    positionSilenceDuringRun: rig,
    silentLedIllumination: false,
    crashOnLiveViewDuringRun: false,
    dropIdleConnections: false,
    recomputePlanes: false,
    dropMidFrame: false,
  };
}

/** A profile with per-switch overrides applied on top; unknown keys are refused. */
export function resolveQuirks(profile: QuirkProfile = 'default', overrides: Partial<QuirkSwitches> = {}): QuirkSwitches {
  const q = profileQuirks(profile);
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in q)) throw new Error(`Unknown quirk switch '${key}'.`);
    if (value !== undefined) q[key as keyof QuirkSwitches] = Boolean(value);
  }
  return q;
}
