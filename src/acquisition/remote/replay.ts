/**
 * The current state a backend replays to a listener that subscribes late (`LiveBackend.subscribe`):
 * the microscope connection (`connected` with its info, cleared by `disconnected`), the stage
 * position, the current session, an acquisition that is running (`acquisition` `started`
 * without its `finished`), and the counters — each as the newest event that said so. Pure and
 * universal; `BridgeClient` and `BrowserBackend` feed it every event they hand out.
 *
 * @example
 * const state = new LiveStateReplay();
 * state.note({ type: 'position', position });   // every event the backend emits
 * for (const e of state.events()) listener(e); // what a late listener is told first
 */
import type { LiveEvent } from '../live-backend.ts';

type Of<T extends LiveEvent['type']> = Extract<LiveEvent, { type: T }>;

export type LiveListener = (event: LiveEvent) => void;

export class LiveStateReplay {
  private connected: Of<'connected'> | null = null;
  private position: Of<'position'> | null = null;
  private session: Of<'session'> | null = null;
  private running: Of<'acquisition'> | null = null;
  private counters: Of<'counters'> | null = null;

  /**
   * Adds `listener` to `listeners` and tells it the current state first, in a microtask (so the
   * caller holds the unsubscribe function) and before any newer event; returns the unsubscribe.
   * A listener that throws keeps its failure to itself.
   */
  subscribe(listeners: Set<LiveListener>, listener: LiveListener): () => void {
    listeners.add(listener);
    queueMicrotask(() => {
      for (const e of this.events()) {
        if (!listeners.has(listener)) return;
        try {
          listener(e);
        } catch {
          // One failing subscriber does not starve the others.
        }
      }
    });
    return () => listeners.delete(listener);
  }

  /** Takes an event the backend emitted (data events are ignored). */
  note(e: LiveEvent): void {
    switch (e.type) {
      case 'connected':
        this.connected = e;
        break;
      case 'disconnected':
        this.connected = null;
        this.running = null;
        break;
      case 'position':
        this.position = e;
        break;
      case 'session':
        this.session = e;
        break;
      case 'acquisition':
        this.running = e.phase === 'started' ? e : null;
        break;
      case 'counters':
        this.counters = e;
        break;
      default:
        break;
    }
  }

  /** The name of the session whose acquisition runs, or null. */
  runningSession(): string | null {
    return this.running?.session ?? null;
  }

  /**
   * The state as events, in the order a fresh listener needs them: connected, position, session,
   * the running acquisition, counters. Events already known are handed out again (as copies).
   */
  events(): LiveEvent[] {
    const out: LiveEvent[] = [];
    if (this.connected) out.push({ ...this.connected });
    if (this.position) out.push({ type: 'position', position: { ...this.position.position } });
    if (this.session) out.push({ type: 'session', session: { ...this.session.session } });
    if (this.running && (this.session === null || this.session.session.name === this.running.session)) out.push({ ...this.running });
    if (this.counters) out.push({ type: 'counters', counters: { ...this.counters.counters } });
    return out;
  }
}
