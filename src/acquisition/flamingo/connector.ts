/**
 * `FlamingoConnector`: the Node TCP client for a Flamingo microscope (or the simulator),
 * implementing `MicroscopeConnector` (../connector.ts) per spec §11.3. The protocol logic
 * is `FlamingoProtocolConnector` (protocol-connector.ts); this class gives it the TCP
 * transport by default.
 *
 * @example
 * const scope = new FlamingoConnector({ host: '127.0.0.1', port: 53717 });
 * const info = await scope.connect();
 * await scope.moveTo({ xMm: 7.5, yMm: 14 });
 * const run = await scope.acquire({ kind: 'zstack', zStartMm: 18, zEndMm: 18.5, planes: 200, stepUm: 2.5,
 *   xMm: 7.5, yMm: 14, lasers: [{ laser: 2, powerPercent: 10 }], sides: ['left'] });
 * for await (const frame of run.frames) save(frame);
 * console.log(await run.done);
 * await scope.close();
 */
import { FlamingoProtocolConnector, type FlamingoConnectorOptions } from './protocol-connector.ts';
import { tcpTransport } from './socket.ts';

export type { FlamingoConnectorOptions } from './protocol-connector.ts';

export class FlamingoConnector extends FlamingoProtocolConnector {
  constructor(options: FlamingoConnectorOptions = {}) {
    super({ ...options, transport: options.transport ?? tcpTransport });
  }
}
