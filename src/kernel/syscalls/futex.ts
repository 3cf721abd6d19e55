// futex runs natively (see native/ALLOWLIST.md) except for the priority-inheritance
// operations, which reach here: their futex word names the owner thread by tid, and the host
// would attach to (and boost) whatever task has that tid, inside the sandbox or not.
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { CONTINUE } from '../call.js';
import { ESRCH } from '../errno.js';

const FUTEX_TID_MASK = 0x3fffffff;
const LOCK_PI = 6, TRYLOCK_PI = 8, CMP_REQUEUE_PI = 12, LOCK_PI2 = 13;

function futex(k: Kernel, c: Call): number {
  const op = c.int(1) & 0x7f;
  // the word whose owner the host would look up: uaddr, or uaddr2 for CMP_REQUEUE_PI
  const word = op === LOCK_PI || op === TRYLOCK_PI || op === LOCK_PI2 ? c.ptr(0) : op === CMP_REQUEUE_PI ? c.ptr(4) : 0;
  if (word !== 0) {
    const v = k.mem.u32(c.tid, word);
    if (v < 0) return v; // EFAULT, as the host would say
    const owner = v & FUTEX_TID_MASK;
    if (owner !== 0 && !k.tasks.has(owner)) return -ESRCH;
  }
  return CONTINUE;
}

export const futexFamily: Family = {
  futex,
  futex_waitv: () => CONTINUE, // native in the filter; here only under --strace
};
