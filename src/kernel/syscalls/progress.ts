// Writes that may complete in parts. A blocking write to a pipe or a stream socket waits until
// everything is queued, taking what fits as room appears (pipe(7): only writes of at most
// PIPE_BUF are atomic); a signal or a send timeout then returns what was written. Non-blocking
// writes return what fitted at once.
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { ANSWERED, BLOCKED } from '../call.js';
import * as E from '../errno.js';
import { IoVec } from '../fd/openfile.js';
import type { WaitQueue } from '../wait.js';

const SIGPIPE = 13;

export interface PartialWriter {
  /** Queue what fits now from iov: bytes, -EAGAIN to wait for room, or -errno. */
  put(iov: IoVec): number;
  /** How to take the last put back if its answer is dropped; undefined when it cannot be. */
  takeBack(): (() => boolean) | undefined;
  /** A stream keeps writing after a partial put; a message is done after one. */
  readonly stream: boolean;
  /** Return at once rather than wait (O_NONBLOCK, MSG_DONTWAIT). */
  readonly nonblocking: boolean;
  /** What a waiting write waits on. */
  queues(): WaitQueue[];
  /** SO_SNDTIMEO in ms, 0 for none: then EAGAIN (or the part written), and EINTR on a signal. */
  readonly timeoutMs: number;
  /** EPIPE comes with SIGPIPE (not under MSG_NOSIGNAL). */
  readonly sigpipe: boolean;
}

export function copyIov(iov: IoVec): IoVec {
  const o = new IoVec();
  for (let i = 0; i < iov.bases.length; i++) o.push(iov.bases[i], iov.lens[i]);
  return o;
}

/** Drop n bytes from the front of iov (after a partial transfer). */
export function advance(iov: IoVec, n: number): void {
  iov.total -= n;
  let i = 0;
  while (n > 0 && i < iov.lens.length) {
    const d = Math.min(n, iov.lens[i]);
    iov.bases[i] += d;
    iov.lens[i] -= d;
    n -= d;
    if (iov.lens[i] === 0) i++;
  }
  iov.bases.splice(0, i);
  iov.lens.splice(0, i);
}

/** Write iov through w, answering the call itself or parking it. */
export function writeCore(k: Kernel, c: Call, w: PartialWriter, iov: IoVec): number {
  const t = c.task;
  const slot = c.slot;
  let done = 0;
  let single = true; // one put carried the whole answer, so it can be taken back
  const step = (): number => {
    for (;;) {
      const r = w.put(iov);
      if (r === -E.EAGAIN) return done > 0 && w.nonblocking ? done : -E.EAGAIN;
      if (r < 0) return done > 0 ? done : r;
      if (done > 0) single = false;
      done += r;
      if (!w.stream || r >= iov.total) return done;
      advance(iov, r);
    }
  };
  const finish = (r: number, parked: boolean): number => {
    if (r === -E.EPIPE && w.sigpipe) {
      k.raiseWithError(t, slot, SIGPIPE, -E.EPIPE);
      return ANSWERED;
    }
    if (r < 0 || parked) return r;
    const undo = single ? w.takeBack() : undefined;
    if (k.deliver(slot, r)) {
      if (undo) k.commit(r, undo);
    } else {
      undo?.();
    }
    return ANSWERED;
  };
  const r = step();
  if (r !== -E.EAGAIN || w.nonblocking) return finish(r, false);
  iov = copyIov(iov);
  const waiter = k.block(
    c,
    w.queues(),
    () => {
      const r2 = step();
      if (done > 0) waiter.restartCode = done;
      return r2 === -E.EAGAIN ? r2 : finish(r2, true);
    },
    w.timeoutMs || undefined,
    () => (done > 0 ? done : -E.EAGAIN),
  );
  if (w.timeoutMs) waiter.restartCode = -E.EINTR;
  return BLOCKED;
}
