// signalfd(2): the host's own signalfd, made by the kernel and installed in the guest, so a
// read dequeues the reading guest's signals natively. Readiness is the guest's, not ours: the
// kernel computes it from the owner's pending signals (the host's /proc) and the signal watch
// wakes pollers when one arrives.
import { HostFile } from './hostfile.js';
import { O_RDWR } from './openfile.js';
import type { ThreadGroup } from '../task.js';
import { POLLIN, POLLRDNORM, type WaitQueue } from '../wait.js';
import { pendingSignals } from '../../host/procstatus.js';

export class SignalFd extends HostFile {
  constructor(
    hostFd: number,
    flags: number,
    /** The signals it reports (bit n-1 for signal n). */
    public mask: bigint,
    /** The process whose signals it reads (its creator; signalfd reads the reader's own). */
    readonly owner: ThreadGroup,
  ) {
    super(hostFd, O_RDWR | flags, undefined, 'anon_inode:[signalfd]');
  }

  /** Whether a signal of the mask is pending for the owner (any of its threads). */
  ready(): boolean {
    for (const tid of this.owner.threads.keys()) if (pendingSignals(tid) & this.mask) return true;
    return false;
  }

  override pollMask(): number {
    return this.ready() ? POLLIN | POLLRDNORM : 0;
  }

  override pollQueues(): WaitQueue[] {
    return [this.waitQueue];
  }

  /** Called by the signal watch: wake pollers once a signal of the mask is pending. */
  check(): void {
    if (this.waitQueue.size > 0 && this.ready()) this.waitQueue.notify(POLLIN | POLLRDNORM);
  }

  protected override release(): void {
    this.onRelease?.(this);
    super.release();
  }
  onRelease: ((f: SignalFd) => void) | undefined;
}
