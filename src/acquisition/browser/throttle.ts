/**
 * Latest-wins throttling (pure): `note()` says "something new is ready"; `send` runs at once
 * when the last send is at least `intervalMs` ago (leading edge, so an idle display reacts
 * without delay), otherwise once when the interval is over (trailing edge, with whatever is
 * newest then). So `send` runs at most once per interval and never more than one interval
 * after the newest note. `notes` counts the notes since the last send (the frames a send
 * stands for; all but one were skipped).
 *
 * @example
 * const t = new LatestWins(100, (notes) => { post(producer.planeEvent(c, level)); dropped += notes - 1; });
 * t.note();            // every frame
 * t.flush();           // at the end: send what is pending now
 */
export class LatestWins {
  private last = -Infinity;
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (notes: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Notes since the last send. */
  get notes(): number {
    return this.pending;
  }

  note(): void {
    this.pending++;
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) this.fire();
    else this.timer ??= setTimeout(() => this.fire(), wait);
  }

  /** Sends what is pending now (whatever the interval), and clears the timer. */
  flush(): void {
    if (this.pending > 0) this.fire();
    else this.cancel();
  }

  /** Drops what is pending without sending it. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = 0;
  }

  private fire(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const notes = this.pending;
    this.pending = 0;
    if (notes === 0) return;
    this.last = this.now();
    this.send(notes);
  }
}
