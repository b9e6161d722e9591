/**
 * What a panel receives from the viewer that mounts it: the backend (bridge or browser-only)
 * and a small controller over the viewer itself (what it shows, its state for saving).
 * Panels render from these and keep no module-level state.
 *
 * @example
 * function MyPanel({ backend, viewer }: PanelProps) {
 *   return <button onClick={() => void backend.stopAcquisition()}>Stop</button>;
 * }
 */
import type { LiveBackend } from '../acquisition/live-backend.ts';
import type { TransformEntry, ViewerState } from '../session/metadata/types.ts';
import type { HostChannel, HostContent } from '../plugin.ts';

/** One channel as the viewer shows it (colour `RRGGBB`, contrast in data values). */
export type ViewerChannel = HostChannel;

/** Everything a saved session brings back besides its data. */
export interface ViewerSnapshot {
  /** The `flamingo.viewer` record (mode, camera, selection, 3D render mode). */
  viewer: ViewerState;
  channels: ViewerChannel[];
  transforms: TransformEntry[];
}

/** What the viewer shows: a session of the backend, or an image opened from a file, folder or URL. */
export type ViewerContent = HostContent;

/** The viewer, as panels see it. */
export interface ViewerController {
  /** The current channels, camera, mode and transforms. */
  snapshot(): ViewerSnapshot;
  /** Applies what a saved session stored; missing parts keep their current value. */
  restore(snapshot: Partial<ViewerSnapshot>): void;
  /** Shows `content` in the 2D and 3D views. */
  show(content: ViewerContent): void;
  /** What is shown now, or null. */
  content(): ViewerContent | null;
}

/** Props of every panel the plugin contributes. */
export interface PanelProps {
  backend: LiveBackend;
  viewer: ViewerController;
}
