// timerfd (timerfd_create(2)): expirations counted by the kernel's timer heap; read returns the
// count since the last read and blocks while it is zero.
import { OpenFile, O_RDWR, type IoVec } from './openfile.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { EAGAIN, EINVAL } from '../errno.js';
import { ANSWERED } from '../call.js';
import { POLLIN, POLLRDNORM } from '../wait.js';
import { placeholder } from './hostfile.js';
import { nowMs, type TimerQueue, type TimerHandle } from '../timers.js';

export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9;

/** Offset from our monotonic milliseconds to the clock's own, at creation. */
function clockOffset(clock: number): number {
  if (clock === CLOCK_REALTIME || clock === CLOCK_REALTIME_ALARM) return Date.now() - nowMs();
  return 0;
}

export class TimerFd extends OpenFile {
  readonly native = false;
  readonly hostFd = placeholder();
  /** Expirations not yet read. */
  ticks = 0n;
  /** Next expiry on our monotonic clock (ms), 0 when disarmed; interval in ms. */
  private next = 0;
  private interval = 0;
  private handle: TimerHandle | undefined;
  private buf = Buffer.alloc(8);

  constructor(
    readonly clock: number,
    flags: number,
    private readonly timers: TimerQueue,
  ) {
    super((flags & ~3) | O_RDWR);
    this.guestPath = 'anon_inode:[timerfd]';
  }

  /** Arm: value ms from now (or at absolute clock time), then every interval ms. */
  set(valueMs: number, intervalMs: number, absolute: boolean): void {
    this.disarm();
    this.ticks = 0n;
    this.interval = intervalMs;
    if (valueMs === 0) return;
    const start = absolute ? valueMs - clockOffset(this.clock) : nowMs() + valueMs;
    this.schedule(start);
  }

  /** [remaining ms, interval ms] */
  get(): [number, number] {
    if (this.next === 0) return [0, this.interval];
    return [Math.max(this.next - nowMs(), 0.000001), this.interval];
  }

  private schedule(at: number): void {
    this.next = at;
    this.handle = this.timers.at(at, this.expire);
  }

  private expire = (): void => {
    this.handle = undefined;
    const now = nowMs();
    if (this.interval > 0) {
      const missed = Math.floor((now - this.next) / this.interval);
      this.ticks += BigInt(1 + Math.max(missed, 0));
      this.schedule(this.next + (1 + Math.max(missed, 0)) * this.interval);
    } else {
      this.ticks += 1n;
      this.next = 0;
    }
    this.waitQueue.notify(POLLIN | POLLRDNORM);
  };

  private disarm(): void {
    if (this.handle) this.timers.cancel(this.handle);
    this.handle = undefined;
    this.next = 0;
  }

  override pollMask(_events: number): number {
    return this.ticks > 0n ? POLLIN | POLLRDNORM : 0;
  }

  override read(k: Kernel, t: Task, slot: number, iov: IoVec): number {
    if (iov.total < 8) return -EINVAL;
    if (this.ticks === 0n) return -EAGAIN;
    const v = this.ticks;
    this.buf.writeBigUInt64LE(v);
    const n = k.mem.scatter(t.tid, iov, this.buf, 0, 8);
    if (n < 0) return n;
    if (k.deliver(slot, 8)) {
      this.ticks -= v;
      k.commit(8, () => {
        this.ticks += v;
        this.waitQueue.notify(POLLIN | POLLRDNORM);
        return true;
      });
    }
    return ANSWERED;
  }

  override write(): number {
    return -EINVAL;
  }

  /** noop_llseek, as Linux's timerfd */
  override seek(): number {
    return 0;
  }

  protected override release(): void {
    this.disarm();
  }
}
