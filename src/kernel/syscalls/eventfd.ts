// eventfd and eventfd2 (EFD_SEMAPHORE, EFD_NONBLOCK, EFD_CLOEXEC).
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { EINVAL } from '../errno.js';
import { EventFd, EFD_SEMAPHORE } from '../fd/eventfd.js';
import { O_CLOEXEC, O_NONBLOCK } from '../fd/openfile.js';
import { installLowest } from '../fd/install.js';

function eventfd2(k: Kernel, c: Call, flags: number): number {
  if (flags & ~(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK)) return -EINVAL;
  const f = new EventFd(BigInt(c.u32(0)), flags & O_NONBLOCK, (flags & EFD_SEMAPHORE) !== 0);
  return installLowest(k, c, f, 0, (flags & O_CLOEXEC) !== 0);
}

export const eventfdFamily: Family = {
  eventfd: (k, c) => eventfd2(k, c, 0),
  eventfd2: (k, c) => eventfd2(k, c, c.int(1)),
};
