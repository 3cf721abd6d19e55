// Wait queues (DESIGN.md section 4): everything that blocks parks a Waiter on the queues of the
// objects it waits for. A wake re-runs the waiter's attempt; it ends with a result, its deadline,
// or the cancellation of its notification (a signal interrupted the guest thread, or it exited).
import type { Task } from './task.js';
import { BLOCKED } from './call.js';
import type { TimerHandle, TimerQueue } from './timers.js';

export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const POLLRDNORM = 0x040;
export const POLLWRNORM = 0x100;
export const POLLRDHUP = 0x2000;

/** Anything a wait queue can wake: a parked syscall, an epoll interest, a poll table. */
export interface Wakeable {
  /**
   * mask: the events that happened (0 when unknown); a listener may ignore the others. An
   * exclusive waiter returns whether the wake-up counted (woke someone), as a Linux wake
   * function's result does.
   */
  wake(mask: number): boolean | void;
}

export class WaitQueue {
  private readonly waiters = new Set<Wakeable>();
  /** Exclusive waiters (EPOLLEXCLUSIVE), in the order they came (add_wait_queue_exclusive). */
  private readonly exclusive = new Set<Wakeable>();

  add(w: Wakeable, exclusive = false): void {
    (exclusive ? this.exclusive : this.waiters).add(w);
  }
  remove(w: Wakeable): void {
    this.waiters.delete(w);
    this.exclusive.delete(w);
  }
  get size(): number {
    return this.waiters.size + this.exclusive.size;
  }
  /**
   * Wake every waiter; each re-runs its attempt and leaves if it completed. mask names what
   * happened (POLLIN for new data, POLLOUT for new room ...) so an edge-triggered epoll entry
   * is woken only by the events it asked for, as Linux's wake-up keys do. Exclusive waiters
   * come last and only until one counts (__wake_up_common with nr_exclusive = 1).
   */
  notify(mask = 0): void {
    if (this.waiters.size !== 0) for (const w of [...this.waiters]) w.wake(mask);
    if (this.exclusive.size !== 0) for (const w of [...this.exclusive]) if (w.wake(mask)) break;
  }
}

/**
 * A parked syscall. attempt() returns BLOCKED to keep waiting, or a result for the kernel to
 * answer (ANSWERED when it answered itself). onTimeout gives the result at the deadline.
 */
export class Waiter implements Wakeable {
  readonly queues: WaitQueue[] = [];
  timer: TimerHandle | undefined;
  timers: TimerQueue | undefined;
  done = false;
  /** Called when the waiter leaves (answered, timed out or cancelled): release watches. */
  onDetach: (() => void) | undefined;
  /**
   * The answer when a signal must interrupt the wait: -ERESTARTSYS (restarted after a handler
   * with SA_RESTART, else EINTR) or -ERESTARTNOHAND for calls Linux never restarts after a
   * handler (poll, select, epoll_wait). With no handler the host restarts either transparently.
   */
  restartCode = -512;
  /** The signal mask the wait runs under (ppoll, pselect6, epoll_pwait, epoll_pwait2). */
  sigmask: bigint | undefined;
  /** Called when a signal ends the wait, before the answer (select writes back the time left). */
  interrupted: (() => void) | undefined;
  /** Absolute deadline (ms, CLOCK_MONOTONIC), Infinity when none; and the call, for restarts. */
  deadline = Infinity;
  call: { nr: number; lo: Uint32Array; hi: Uint32Array } | undefined;

  constructor(
    readonly task: Task,
    readonly slot: number,
    readonly nr: number,
    private readonly attempt: () => number,
    private readonly finish: (w: Waiter, result: number) => void,
  ) {}

  private running = false;
  private again = false;

  wake(_mask = 0): void {
    if (this.done) return;
    // An attempt can wake its own queue (an eventfd write wakes the eventfd's waiters): never
    // run it twice at once; run it again afterwards instead.
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        const r = this.attempt();
        if (r !== BLOCKED) {
          this.end(r);
          return;
        }
      } while (this.again && !this.done);
    } finally {
      this.running = false;
    }
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
    if (this.timer) this.timers?.cancel(this.timer);
    this.timer = undefined;
    if (this.task.parked === this) this.task.parked = undefined;
    this.onDetach?.();
    this.onDetach = undefined;
  }
}
