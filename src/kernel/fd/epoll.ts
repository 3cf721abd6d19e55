// epoll (epoll(7)): an interest list of (descriptor, open file) entries and a ready list. An
// entry joins the ready list when a wait queue of its file wakes it; epoll_wait reports what is
// ready now: level-triggered entries stay listed while ready, EPOLLET ones leave after each
// report (a new wake-up is a new edge), EPOLLONESHOT ones are disabled until EPOLL_CTL_MOD.
// A registration belongs to the open file: it ends when the file's last descriptor closes.
// EPOLLEXCLUSIVE entries wait exclusively on the file's queues: an event wakes the first
// epoll instance that has a thread in epoll_wait and stops there (ep_poll_callback).
import { OpenFile, O_RDWR } from './openfile.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, WaitQueue, type Wakeable } from '../wait.js';
import { placeholder } from './hostfile.js';

export const EPOLLIN = 0x001, EPOLLPRI = 0x002, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010;
export const EPOLLRDNORM = 0x040, EPOLLRDBAND = 0x080, EPOLLWRNORM = 0x100, EPOLLWRBAND = 0x200;
export const EPOLLMSG = 0x400, EPOLLRDHUP = 0x2000;
export const EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29, EPOLLONESHOT = 1 << 30, EPOLLET = 1 << 31;
const INPUT_FLAGS = EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET;

export class EpollEntry implements Wakeable {
  private queues: WaitQueue[] = [];
  ready = false;
  disabled = false;

  constructor(
    readonly ep: EpollFile,
    readonly fd: number,
    readonly file: OpenFile,
    public events: number,
    public data: Buffer,
  ) {}

  /** Returns whether an exclusive entry's wake-up counted (ep_poll_callback's ewake). */
  wake(mask: number): boolean {
    const exclusive = (this.events & EPOLLEXCLUSIVE) !== 0;
    if (this.disabled) return !exclusive;
    if (mask && !(mask & this.events)) return !exclusive; // not an event this entry waits for
    if (!this.ready) {
      this.ready = true;
      this.ep.ready.push(this);
    }
    let counted = !exclusive;
    if (this.ep.wq.size !== 0) {
      // an exclusive wake-up counts when a thread waits in epoll_wait and the event is one it
      // asked for (or unnamed)
      const io = mask & (POLLIN | POLLOUT);
      if (exclusive && (io === 0 || (io !== (POLLIN | POLLOUT) && (io & this.events) !== 0))) counted = true;
      this.ep.wakeWaiters();
    }
    this.ep.waitQueue.notify();
    return counted;
  }

  /** Listen to the file's queues (and re-arm host watches). */
  subscribe(): void {
    const exclusive = (this.events & EPOLLEXCLUSIVE) !== 0;
    for (const q of this.file.pollQueues(this.events & ~INPUT_FLAGS)) {
      if (!this.queues.includes(q)) {
        q.add(this, exclusive);
        this.queues.push(q);
      }
    }
  }

  /** What is ready now, among the events asked for (errors and hangups always). */
  mask(): number {
    const want = (this.events & ~INPUT_FLAGS) | EPOLLERR | EPOLLHUP;
    return this.file.pollMask(want) & want;
  }

  detach(): void {
    for (const q of this.queues) q.remove(this);
    this.queues = [];
    this.ep.forget(this);
    this.file.holders?.delete(this);
  }
}

export class EpollFile extends OpenFile {
  readonly native = false;
  readonly hostFd = placeholder();
  readonly interest = new Map<number, EpollEntry[]>();
  ready: EpollEntry[] = [];
  /** Threads in epoll_wait (Linux's ep->wq); waitQueue is for pollers and outer epolls (ep->poll_wait). */
  readonly wq = new WaitQueue();
  private wakeQueued = false;

  constructor(flags: number) {
    super(flags | O_RDWR);
    this.guestPath = 'anon_inode:[eventpoll]';
  }

  /**
   * Wake the threads in epoll_wait once the operation that readied entries is over, as a woken
   * Linux thread runs only after the waker: one operation that wakes several queues of a file
   * (a shutdown wakes readers, writers and pollers) is one edge for an EPOLLET entry, not one
   * per queue.
   */
  wakeWaiters(): void {
    if (this.wakeQueued) return;
    this.wakeQueued = true;
    queueMicrotask(() => {
      this.wakeQueued = false;
      this.wq.notify();
    });
  }

  find(fd: number, file: OpenFile): EpollEntry | undefined {
    return this.interest.get(fd)?.find((e) => e.file === file);
  }

  add(fd: number, file: OpenFile, events: number, data: Buffer): EpollEntry {
    const e = new EpollEntry(this, fd, file, events, data);
    const list = this.interest.get(fd) ?? [];
    list.push(e);
    this.interest.set(fd, list);
    (file.holders ??= new Set()).add(e);
    e.subscribe();
    if (e.mask()) e.wake(0);
    return e;
  }

  modify(e: EpollEntry, events: number, data: Buffer): void {
    e.events = events;
    e.data = data;
    e.disabled = false;
    e.subscribe();
    if (e.mask()) e.wake(0);
  }

  forget(e: EpollEntry): void {
    const list = this.interest.get(e.fd);
    if (list) {
      const rest = list.filter((x) => x !== e);
      if (rest.length) this.interest.set(e.fd, rest);
      else this.interest.delete(e.fd);
    }
    e.ready = false;
    this.ready = this.ready.filter((x) => x !== e);
  }

  /** Does the epoll set contain other, directly or through nested epolls (loop check)? */
  reaches(other: OpenFile, depth = 0): boolean {
    if (depth > 5) return true;
    for (const list of this.interest.values()) {
      for (const e of list) {
        if (e.file === other) return true;
        if (e.file instanceof EpollFile && e.file.reaches(other, depth + 1)) return true;
      }
    }
    return false;
  }

  /** Take up to max ready events: [events, data] pairs into out. */
  collect(max: number, out: { events: number; data: Buffer }[]): void {
    const keep: EpollEntry[] = [];
    const list = this.ready;
    this.ready = [];
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (out.length >= max) {
        keep.push(e);
        continue;
      }
      if (e.disabled) {
        e.ready = false;
        continue;
      }
      const m = e.mask();
      if (!m) {
        e.ready = false;
        e.subscribe(); // re-arm a host watch for the next change
        continue;
      }
      out.push({ events: m, data: e.data });
      if (e.events & EPOLLONESHOT) {
        e.disabled = true;
        e.ready = false;
      } else if (e.events & EPOLLET) {
        e.ready = false;
        e.subscribe();
      } else {
        keep.push(e);
      }
    }
    this.ready = keep.concat(this.ready);
  }

  override pollMask(_events: number): number {
    for (const e of this.ready) if (!e.disabled && e.mask()) return POLLIN | POLLRDNORM;
    return 0;
  }

  override pollQueues(_events: number): WaitQueue[] {
    return [this.waitQueue];
  }

  protected override release(): void {
    for (const list of [...this.interest.values()]) for (const e of list) e.detach();
  }
}

