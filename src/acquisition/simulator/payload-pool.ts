/**
 * Reference-counted pixel buffers (pure). One synthesised frame is shared by every
 * viewer queue that holds it; when the last holder releases it, the buffer goes back to
 * a small pool for the next frame, so steady streaming allocates nothing.
 *
 * @example
 * const pool = new PayloadPool();
 * const p = pool.acquire(64 * 64 * 2);   // refs = 1
 * p.retain();                             // a viewer queues it: refs = 2
 * p.release(); p.release();               // back in the pool
 */

export class PooledPayload {
  /** Little-endian uint16 pixels as bytes: what goes on the wire. */
  readonly bytes: Uint8Array;
  /** The same memory as uint16 pixels (host order; the simulator only runs little-endian). */
  readonly pixels: Uint16Array;
  private refs = 1;
  private readonly pool: PayloadPool | null;

  constructor(byteLength: number, pool: PayloadPool | null) {
    this.bytes = new Uint8Array(byteLength);
    this.pixels = new Uint16Array(this.bytes.buffer, 0, byteLength >> 1);
    this.pool = pool;
  }

  get refCount(): number {
    return this.refs;
  }

  retain(): this {
    if (this.refs <= 0) throw new Error('A released frame buffer was retained again.');
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs <= 0) throw new Error('A frame buffer was released more often than retained.');
    this.refs--;
    if (this.refs === 0) this.pool?.give(this);
  }

  /** Pool use only: bring a recycled buffer back to life. */
  revive(): this {
    this.refs = 1;
    return this;
  }
}

export class PayloadPool {
  private readonly free = new Map<number, PooledPayload[]>();
  private readonly maxFreePerSize: number;
  allocated = 0;
  reused = 0;

  constructor(maxFreePerSize = 6) {
    this.maxFreePerSize = maxFreePerSize;
  }

  /** A buffer of exactly `byteLength` bytes, with one reference held by the caller. Contents are stale. */
  acquire(byteLength: number): PooledPayload {
    const list = this.free.get(byteLength);
    const p = list?.pop();
    if (p) {
      this.reused++;
      return p.revive();
    }
    this.allocated++;
    return new PooledPayload(byteLength, this);
  }

  give(p: PooledPayload): void {
    let list = this.free.get(p.bytes.byteLength);
    if (!list) {
      // Only keep buffers of the newest size: the ROI changes rarely.
      this.free.clear();
      list = [];
      this.free.set(p.bytes.byteLength, list);
    }
    if (list.length < this.maxFreePerSize) list.push(p);
  }
}
