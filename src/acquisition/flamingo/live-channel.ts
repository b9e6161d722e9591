/**
 * The live image port over TCP (Node): `LiveLink` (live-link.ts, where the frame reading
 * lives) with the TCP transport as its default.
 *
 * @example
 * const live = new LiveChannel({ host: '127.0.0.1', port: 53718 });
 * live.onFrame((f) => ring.push(f));
 * await live.connect();
 */
import { LiveLink, type LiveLinkOptions } from './live-link.ts';
import { tcpTransport } from './socket.ts';

export type { LiveChannelStats, LiveCloseInfo, LiveFrame } from './live-link.ts';

export interface LiveChannelOptions extends Omit<LiveLinkOptions, 'transport'> {
  /** Default: TCP. */
  transport?: LiveLinkOptions['transport'];
}

export class LiveChannel extends LiveLink {
  constructor(options: LiveChannelOptions) {
    super({ ...options, transport: options.transport ?? tcpTransport });
  }
}
