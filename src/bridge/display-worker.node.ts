/**
 * Worker-thread body of `ThreadDisplaySource`: one `DisplayProducer` for the session, fed
 * the frames the bridge posts (pixels transferred), answering plane, dirty-range and volume
 * requests with encoded wire messages (buffers transferred back). Every frame processed is
 * acknowledged so the bridge can bound what is in flight.
 *
 * Frames wait in a queue and are placed one per event-loop turn, so requests are answered
 * between them. A plane request first places the queued frames of its channel's newest z (in
 * their order), so the plane a viewer gets is the newest one even while the thread works
 * through a backlog; the older frames are placed afterwards without becoming the newest plane.
 * The display volume ends up the same as with every frame placed in arrival order: planes of
 * different z are independent, and the frames of one z keep their order.
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

interface Queued {
  seq: number;
  frame: DisplayFrame;
}
/** Frames received and not placed yet, in arrival order. */
let queue: Queued[] = [];
let nextSeq = 0;
/** Per channel: the arrival number of the newest frame placed ahead of the queue. */
const placedAhead = new Map<number, number>();
let draining = false;

function place(q: Queued): void {
  const ahead = placedAhead.get(q.frame.channel);
  try {
    core.producer.putFrame(q.frame, { newest: ahead === undefined || q.seq > ahead });
  } finally {
    port.postMessage({ t: 'ack', version: core.producer.version });
  }
}

function drainOne(): void {
  draining = false;
  const q = queue.shift();
  if (q) place(q);
  if (queue.length > 0) scheduleDrain();
}

function scheduleDrain(): void {
  if (draining) return;
  draining = true;
  setImmediate(drainOne);
}

/** Places the queued frames of `channel`'s newest z now (in their order). */
function placeNewest(channel: number): void {
  let last: Queued | undefined;
  for (const q of queue) if (q.frame.channel === channel) last = q;
  if (!last) return;
  const z = last.frame.z;
  const now = queue.filter((q) => q.frame.channel === channel && q.frame.z === z);
  queue = queue.filter((q) => !(q.frame.channel === channel && q.frame.z === z));
  for (const q of now) place(q);
  placedAhead.set(channel, last.seq);
}

const transferOf = (bytes: Array<Uint8Array | null>): ArrayBuffer[] => bytes.flatMap((b) => (b ? [b.buffer as ArrayBuffer] : []));

port.on('message', (m: Request) => {
  try {
    switch (m.t) {
      case 'frame':
        queue.push({ seq: nextSeq++, frame: { ...m.f, pixels: new Uint16Array(m.buffer) } });
        scheduleDrain();
        return;
      case 'planes': {
        for (const channel of new Set(m.requests.map((r) => r.channel))) placeNewest(channel);
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
