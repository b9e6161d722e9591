/**
 * A bounded asynchronous queue between the socket reader (which never waits) and one
 * consumer that iterates with `for await`. When the consumer falls behind by more than
 * `capacity` items (or `maxBytes`), items are dropped and counted: the oldest for a
 * live view (the newest frames win, spec §6.6), the incoming one for an acquisition (the
 * consumer keeps an unbroken prefix). A consumer that is only a bit slow loses nothing.
 *
 * @example
 * const q = new FrameQueue<Frame>({ capacity: 4, policy: 'drop-oldest', sizeOf: (f) => f.pixels.byteLength });
 * socketFrames.forEach((f) => q.push(f));
 * for await (const f of q) show(f);      // ends after q.close()
 */

export type OverflowPolicy = 'drop-oldest' | 'drop-newest';

export interface FrameQueueOptions<T> {
  /** Most items held (at least 1). */
  capacity: number;
  policy: OverflowPolicy;
  /** Most bytes held, measured by `sizeOf` (default: unbounded). */
  maxBytes?: number;
  sizeOf?: (item: T) => number;
  /** Called for every dropped item. */
  onDrop?: (item: T) => void;
}

export class FrameQueue<T> implements AsyncIterable<T> {
  readonly capacity: number;
  readonly policy: OverflowPolicy;
  private readonly maxBytes: number;
  private readonly sizeOf: (item: T) => number;
  private readonly onDrop: ((item: T) => void) | undefined;
  private items: T[] = [];
  private head = 0;
  private bytes = 0;
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private ended = false;
  private detached = false;
  private droppedCount = 0;
  private pushedCount = 0;

  constructor(o: FrameQueueOptions<T>) {
    if (!Number.isInteger(o.capacity) || o.capacity < 1) throw new Error(`Queue capacity must be a whole number of at least 1, got ${o.capacity}.`);
    this.capacity = o.capacity;
    this.policy = o.policy;
    this.maxBytes = o.maxBytes ?? Number.POSITIVE_INFINITY;
    this.sizeOf = o.sizeOf ?? (() => 0);
    this.onDrop = o.onDrop;
  }

  /** Items dropped because the consumer was too slow or had stopped iterating. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Items pushed, dropped ones included. */
  get pushed(): number {
    return this.pushedCount;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Adds an item; returns false when it (or, for drop-oldest, an older one) was dropped. */
  push(item: T): boolean {
    if (this.ended) {
      this.drop(item);
      return false;
    }
    this.pushedCount++;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: item, done: false });
      return true;
    }
    if (this.detached) {
      this.drop(item);
      return false;
    }
    const size = this.sizeOf(item);
    let kept = true;
    if (this.policy === 'drop-newest') {
      if (this.length >= this.capacity || (this.length > 0 && this.bytes + size > this.maxBytes)) {
        this.drop(item);
        return false;
      }
    } else {
      while (this.length > 0 && (this.length >= this.capacity || this.bytes + size > this.maxBytes)) {
        this.drop(this.shift());
        kept = false;
      }
    }
    this.items.push(item);
    this.bytes += size;
    return kept;
  }

  /** No more items: the consumer drains what is held, then its iteration ends. */
  close(): void {
    this.ended = true;
    if (this.waiting && this.length === 0) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.length > 0) return Promise.resolve({ value: this.shift(), done: false });
    if (this.ended || this.detached) return Promise.resolve({ value: undefined, done: true });
    if (this.waiting) return Promise.reject(new Error('This frame stream already has a consumer waiting; iterate it from one place only.'));
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** The consumer stopped (break/return): what is held and what comes later is dropped and counted. */
  return(): Promise<IteratorResult<T>> {
    this.detached = true;
    while (this.length > 0) this.drop(this.shift());
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next(), return: () => this.return() };
  }

  private shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T;
    this.head++;
    this.bytes -= this.sizeOf(item);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  private drop(item: T): void {
    this.droppedCount++;
    this.onDrop?.(item);
  }
}
