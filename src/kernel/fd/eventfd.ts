// eventfd(2): a 64-bit counter. read takes it (or 1 with EFD_SEMAPHORE) and blocks at zero;
// write adds and blocks if the sum would pass 0xfffffffffffffffe.
import { OpenFile, O_RDWR, type IoVec } from './openfile.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { EAGAIN, EINVAL } from '../errno.js';
import { ANSWERED } from '../call.js';
import { POLLERR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../wait.js';
import { placeholder } from './hostfile.js';

export const EFD_SEMAPHORE = 1;
const MAX = 0xfffffffffffffffen;

let nextIno = 1;

export class EventFd extends OpenFile {
  readonly native = false;
  readonly hostFd = placeholder();
  readonly ino = nextIno++;
  private buf = Buffer.alloc(8);

  constructor(
    public count: bigint,
    flags: number,
    readonly semaphore: boolean,
  ) {
    super((flags & ~3) | O_RDWR);
    this.guestPath = 'anon_inode:[eventfd]';
  }

  override pollMask(_events: number): number {
    let m = 0;
    if (this.count > 0n) m |= POLLIN | POLLRDNORM;
    if (this.count === 0xffffffffffffffffn) m |= POLLERR;
    if (this.count < MAX) m |= POLLOUT | POLLWRNORM;
    return m;
  }

  override read(k: Kernel, t: Task, slot: number, iov: IoVec): number {
    if (iov.total < 8) return -EINVAL;
    if (this.count === 0n) return -EAGAIN;
    const v = this.semaphore ? 1n : this.count;
    this.buf.writeBigUInt64LE(v);
    const n = k.mem.scatter(t.tid, iov, this.buf, 0, 8);
    if (n < 0) return n;
    if (k.deliver(slot, 8)) {
      this.count -= v;
      k.commit(8, () => {
        this.count += v;
        this.waitQueue.notify(POLLIN | POLLRDNORM);
        return true;
      });
      this.waitQueue.notify(POLLOUT | POLLWRNORM);
    }
    return ANSWERED;
  }

  override write(k: Kernel, t: Task, slot: number, iov: IoVec): number {
    if (iov.total !== 8) return -EINVAL; // as Linux 6.x: exactly one counter
    const data = k.mem.gather(t.tid, iov, 8);
    if (typeof data === 'number') return data;
    if (data.length < 8) return -14; // EFAULT
    const v = data.readBigUInt64LE(0);
    if (v === 0xffffffffffffffffn) return -EINVAL;
    if (this.count + v > MAX) return -EAGAIN;
    if (k.deliver(slot, 8)) {
      this.count += v;
      if (v > 0n) this.waitQueue.notify(POLLIN | POLLRDNORM);
    }
    return ANSWERED;
  }

  /** noop_llseek, as Linux's eventfd */
  override seek(): number {
    return 0;
  }

  override describe(): string {
    return this.guestPath;
  }
}
