/**
 * The Flamingo simulator: a protocol-faithful stand-in for the microscope's control
 * server (spec §11.2), imaging a seeded phantom through a light sheet and a noisy
 * camera. `startSimulator` opens the command port and the live port (+1).
 *
 * @example
 * import { startSimulator } from './simulator/index.ts';
 * const sim = await startSimulator({ port: 0, profile: 'rig' });
 * // … drive it with a connector or py2flamingo …
 * await sim.close();
 */
export { startSimulator, type RunningSimulator, type SimulatorOptions, type SimulatorStats } from './server.ts';
export { QUIRK_FLAGS, profileQuirks, resolveQuirks, type QuirkProfile, type QuirkSwitches } from './quirks.ts';
export {
  createPhantom,
  LED_CHANNEL,
  type Phantom,
  type PhantomNucleus,
  type PhantomFibre,
  type PhantomCapillary,
  type PhantomOptions,
  type PlaneView,
} from './phantom.ts';
export { SimulatorEngine, SETTINGS_QUIET_MS, type EngineOptions, type EngineOutput, type EngineStats, type LiveFrame } from './engine.ts';
export { CameraModel, displayRange, type CameraOptions } from './camera.ts';
export { FrameSource, type FrameRequest, type FrameSourceStats } from './frame-source.ts';
