// Wait queues (DESIGN.md section 4): everything that blocks parks a Waiter on the queues of the
// objects it waits for. A wake re-runs the waiter's attempt; it ends with a result, its deadline,
// or the cancellation of its notification (a signal interrupted the guest thread, or it exited).
import type { Task } from './task.js';
import { BLOCKED } from './call.js';

export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const POLLRDNORM = 0x040;
export const POLLWRNORM = 0x100;
export const POLLRDHUP = 0x2000;

export class WaitQueue {
  private readonly waiters = new Set<Waiter>();

  add(w: Waiter): void {
    this.waiters.add(w);
  }
  remove(w: Waiter): void {
    this.waiters.delete(w);
  }
  get size(): number {
    return this.waiters.size;
  }
  /** Wake every waiter; each re-runs its attempt and leaves if it completed. */
  notify(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w.wake();
  }
}

/**
 * A parked syscall. attempt() returns BLOCKED to keep waiting, or a result for the kernel to
 * answer (ANSWERED when it answered itself). onTimeout gives the result at the deadline.
 */
export class Waiter {
  readonly queues: WaitQueue[] = [];
  timer: NodeJS.Timeout | undefined;
  done = false;

  constructor(
    readonly task: Task,
    readonly slot: number,
    readonly nr: number,
    private readonly attempt: () => number,
    private readonly finish: (w: Waiter, result: number) => void,
  ) {}

  wake(): void {
    if (this.done) return;
    const r = this.attempt();
    if (r !== BLOCKED) this.end(r);
  }

  end(result: number): void {
    if (this.done) return;
    this.detach();
    this.finish(this, result);
  }

  /** Leave every queue and timer without answering (the notification is gone). */
  detach(): void {
    this.done = true;
    for (const q of this.queues) q.remove(this);
    this.queues.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.task.parked === this) this.task.parked = undefined;
  }
}
