// One intercepted syscall, decoded from the engine's record. A single Call object is reused for
// every notification (no allocation on the hot path): handlers that block copy what they need.
import type { Task } from './task.js';

/** Handler results beyond the -4095..-1 errno range. */
export const CONTINUE = -100001; // let the host run it natively
export const ANSWERED = -100002; // the handler answered already (addFd with send, or commit)
export const BLOCKED = -100003; // parked on wait queues; a later event answers

const TWO32 = 4294967296;

export class Call {
  slot = 0;
  /** Low 32 bits of the seccomp notification id (sequential per listener). */
  id = 0;
  tid = 0;
  nr = 0;
  readonly lo = new Uint32Array(6);
  readonly hi = new Uint32Array(6);
  task!: Task;

  /** Argument i as a C int. */
  int(i: number): number {
    return this.lo[i] | 0;
  }
  /** Argument i as an unsigned 32-bit value. */
  u32(i: number): number {
    return this.lo[i];
  }
  /** Argument i as an address or size (exact below 2^53). */
  ptr(i: number): number {
    return this.hi[i] * TWO32 + this.lo[i];
  }
  /** Argument i as a signed 64-bit value (exact within +-2^53). */
  i64(i: number): number {
    return (this.hi[i] | 0) * TWO32 + this.lo[i];
  }
  /** Argument i as a C long used as an int that may be sign-extended (fd, AT_FDCWD). */
  fd(i: number): number {
    return this.lo[i] | 0;
  }

  /** A copy that outlives this notification (for handlers that block and resume). */
  clone(): Call {
    const o = new Call();
    o.slot = this.slot;
    o.id = this.id;
    o.tid = this.tid;
    o.nr = this.nr;
    o.lo.set(this.lo);
    o.hi.set(this.hi);
    o.task = this.task;
    return o;
  }

  load(rec: Uint32Array, at: number): void {
    this.slot = rec[at];
    this.tid = rec[at + 1];
    this.nr = rec[at + 2];
    this.id = rec[at + 3];
    for (let i = 0; i < 6; i++) {
      this.lo[i] = rec[at + 4 + 2 * i];
      this.hi[i] = rec[at + 5 + 2 * i];
    }
  }
}
