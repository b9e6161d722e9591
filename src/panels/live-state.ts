/**
 * The state panels show, folded from a backend's events: connection, stage position, the
 * session being shown, counters, whether an acquisition runs, and recent messages. A pure
 * reducer (tested without React) plus `useLiveState`, the hook that subscribes to a backend.
 *
 * @example
 * const [live, fold] = useLiveState(backend);
 * live.acquiring; live.counters.framesWritten; live.position?.zMm;
 */
import { useCallback, useEffect, useState } from 'react';
import type { AcquisitionSummary, MicroscopeInfo, StagePosition } from '../acquisition/connector.ts';
import type { LiveBackend, LiveCounters, LiveEvent, LiveSessionInfo } from '../acquisition/live-backend.ts';
import { ZERO_COUNTERS } from '../acquisition/live-backend.ts';

export interface LiveMessage {
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface LiveState {
  microscope: { name: string; info: MicroscopeInfo } | null;
  position: StagePosition | null;
  session: LiveSessionInfo | null;
  counters: LiveCounters;
  acquiring: boolean;
  lastSummary: AcquisitionSummary | null;
  /** The newest messages, oldest first (at most `MESSAGE_LIMIT`). */
  messages: LiveMessage[];
}

export const MESSAGE_LIMIT = 20;

export function zeroCounters(): LiveCounters {
  return { ...ZERO_COUNTERS };
}

export function initialLiveState(counters: LiveCounters = zeroCounters()): LiveState {
  return { microscope: null, position: null, session: null, counters, acquiring: false, lastSummary: null, messages: [] };
}

function withMessage(state: LiveState, m: LiveMessage): LiveMessage[] {
  return [...state.messages, m].slice(-MESSAGE_LIMIT);
}

/** The state after `event`; the same object when the event changes nothing shown. */
export function reduceLiveState(state: LiveState, event: LiveEvent): LiveState {
  switch (event.type) {
    case 'connected':
      return { ...state, microscope: { name: event.microscope, info: event.info } };
    case 'disconnected':
      return {
        ...state,
        microscope: null,
        position: null,
        acquiring: false,
        messages: withMessage(state, { level: 'warn', message: `Disconnected: ${event.reason}` }),
      };
    case 'position':
      return { ...state, position: event.position };
    case 'session':
      return { ...state, session: event.session };
    case 'counters':
      return { ...state, counters: event.counters };
    case 'acquisition':
      if (event.phase === 'started') return { ...state, acquiring: true, lastSummary: null };
      return { ...state, acquiring: false, lastSummary: event.summary ?? null };
    case 'log':
      return { ...state, messages: withMessage(state, { level: event.level, message: event.message }) };
    default:
      return state;
  }
}

/**
 * Subscribes to `backend` for the life of the component and folds its events. The second
 * value folds an event the panel learned itself (e.g. the info `connect()` resolved with, when
 * the backend announced the connection before this panel subscribed).
 */
export function useLiveState(backend: LiveBackend): [LiveState, (event: LiveEvent) => void] {
  const [state, setState] = useState<LiveState>(() => initialLiveState(backend.counters()));
  useEffect(() => {
    setState(initialLiveState(backend.counters()));
    return backend.subscribe((event) => {
      if (event.type === 'plane' || event.type === 'volume' || event.type === 'flushed') return;
      setState((s) => reduceLiveState(s, event));
    });
  }, [backend]);
  const fold = useCallback((event: LiveEvent) => setState((s) => reduceLiveState(s, event)), []);
  return [state, fold];
}

/** The counters as one line of text, as the status region shows them. */
export function countersText(c: LiveCounters): string {
  return [
    `Frames acquired ${c.framesAcquired} of ${c.framesExpected}`,
    `displayed ${c.framesDisplayed}`,
    `skipped by display ${c.framesDisplayDropped}`,
    `written ${c.framesWritten}`,
    `dropped by writer ${c.framesWriterDropped}`,
    `writer queue ${c.writerQueueDepth}`,
  ].join(', ');
}

/** The message of any thrown value. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
