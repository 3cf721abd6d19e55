// The signal-mask argument of ppoll, pselect6, epoll_pwait and epoll_pwait2 (set_user_sigmask in
// kernel/signal.c). The mask stands for the thread's own while the call waits: see
// Kernel.signalBeforeWait, Waiter.sigmask and native/waitmask.cc.
import type { Kernel } from '../kernel.js';
import * as E from '../errno.js';

const UNBLOCKABLE = (1n << 8n) | (1n << 18n); // SIGKILL, SIGSTOP (sigdelsetmask in set_user_sigmask)

/** The mask at addr (undefined when addr is NULL), or -EINVAL for a size other than 8, -EFAULT. */
export function readWaitMask(k: Kernel, tid: number, addr: number, size: number): bigint | undefined | number {
  if (addr === 0) return undefined;
  if (size !== 8) return -E.EINVAL;
  const r = k.mem.read(tid, addr, 8);
  if (r < 0) return r;
  return k.mem.view.getBigUint64(0, true) & ~UNBLOCKABLE;
}
