/**
 * Worker-thread body of `ThreadDisplaySource`: one `DisplayProducer` for the session, fed
 * the frames the bridge posts (pixels transferred), answering plane, dirty-range and volume
 * requests with encoded wire messages (buffers transferred back). Every frame processed is
 * acknowledged so the bridge can bound what is in flight.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DisplayFrame, DisplayProducerOptions } from '../acquisition/volume/display-producer.ts';
import { ProducerCore } from './display-source.ts';

type Request =
  | { t: 'frame'; f: Omit<DisplayFrame, 'pixels'>; buffer: ArrayBuffer }
  | { t: 'planes'; id: number; requests: Array<{ channel: number; level: number }> }
  | { t: 'dirty'; id: number }
  | { t: 'volume'; id: number; channel: number; zStart: number; zEnd: number }
  | { t: 'close' };

const core = new ProducerCore(workerData as DisplayProducerOptions);
const port = parentPort!;

const transferOf = (bytes: Array<Uint8Array | null>): ArrayBuffer[] => bytes.flatMap((b) => (b ? [b.buffer as ArrayBuffer] : []));

port.on('message', (m: Request) => {
  try {
    switch (m.t) {
      case 'frame':
        core.producer.putFrame({ ...m.f, pixels: new Uint16Array(m.buffer) });
        port.postMessage({ t: 'ack', version: core.producer.version });
        return;
      case 'planes': {
        const planes = core.planes(m.requests);
        port.postMessage({ t: 'reply', id: m.id, version: core.producer.version, result: planes }, transferOf(planes.map((p) => p.bytes)));
        return;
      }
      case 'dirty':
        port.postMessage({ t: 'reply', id: m.id, version: core.producer.version, result: core.takeDirty() });
        return;
      case 'volume': {
        const bytes = core.volume(m.channel, m.zStart, m.zEnd);
        port.postMessage({ t: 'reply', id: m.id, version: core.producer.version, result: bytes }, transferOf([bytes]));
        return;
      }
      case 'close':
        port.close();
        return;
    }
  } catch (err) {
    if ('id' in m) port.postMessage({ t: 'reply', id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
port.postMessage({ t: 'ready' });
