// One timer heap for every deadline in the kernel (poll timeouts, timerfds, ...): a binary
// min-heap ordered by monotonic deadline, driven by a single Node timer for the earliest.

export interface TimerHandle {
  deadline: number;
  fn: () => void;
  index: number; // position in the heap, -1 when not scheduled
}

/** Milliseconds on CLOCK_MONOTONIC, the guests' monotonic clock (process.hrtime reads it). */
export function nowMs(): number {
  const [sec, ns] = process.hrtime();
  return sec * 1000 + ns / 1e6;
}

/** The longest delay setTimeout takes (2^31-1 ms, about 24.8 days). */
const MAX_DELAY = 0x7fffffff;

export class TimerQueue {
  private heap: TimerHandle[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  /** Run fn at the monotonic time deadline (ms). */
  at(deadline: number, fn: () => void): TimerHandle {
    const h: TimerHandle = { deadline, fn, index: this.heap.length };
    this.heap.push(h);
    this.up(h.index);
    this.rearm();
    return h;
  }

  cancel(h: TimerHandle): void {
    const i = h.index;
    if (i < 0) return;
    const last = this.heap.pop()!;
    h.index = -1;
    if (last !== h) {
      this.heap[i] = last;
      last.index = i;
      this.down(i);
      this.up(last.index);
    }
    this.rearm();
  }

  /** Drop every timer. */
  clear(): void {
    for (const h of this.heap) h.index = -1;
    this.heap = [];
    this.rearm();
  }

  get size(): number {
    return this.heap.length;
  }

  private fire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = nowMs();
    while (this.heap.length > 0 && this.heap[0].deadline <= now) {
      const h = this.heap[0];
      this.cancel(h);
      h.fn();
    }
    this.rearm();
  };

  private rearm(): void {
    const first = this.heap[0];
    if (!first) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.armedFor = Infinity;
      return;
    }
    if (this.timer && this.armedFor <= first.deadline) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = first.deadline;
    // setTimeout fires at once past 2^31-1 ms (a poll of 2^40 s would end at 1 ms): wait at
    // most that long, and fire() re-arms for whatever is still ahead.
    this.timer = setTimeout(this.fire, Math.min(MAX_DELAY, Math.max(0, Math.ceil(first.deadline - nowMs()))));
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].deadline <= h[i].deadline) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l].deadline < h[m].deadline) m = l;
      if (r < h.length && h[r].deadline < h[m].deadline) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    [h[a], h[b]] = [h[b], h[a]];
    h[a].index = a;
    h[b].index = b;
  }
}
