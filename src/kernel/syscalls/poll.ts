// poll, ppoll, select and pselect6 over the one readiness model (OpenFile.pollMask and its wait
// queues): POLLNVAL for bad descriptors in poll, EBADF in select, the remaining time written
// back where Linux writes it (also when a signal ends the wait: poll_select_finish). ppoll and
// pselect6 wait under their signal mask (waitmask.ts).
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import type { Task } from '../task.js';
import { BLOCKED } from '../call.js';
import * as E from '../errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM, type WaitQueue } from '../wait.js';
import { nowMs } from '../timers.js';
import type { OpenFile } from '../fd/openfile.js';
import { readWaitMask } from './waitmask.js';

const POLLRDBAND = 0x080, POLLWRBAND = 0x200;
const SELECT_IN = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const SELECT_OUT = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const SELECT_EX = POLLPRI;

/** A timeout read from the guest: ms from now (Infinity for none), or -errno. */
function readTimespec(k: Kernel, tid: number, addr: number, usec: boolean): number {
  if (addr === 0) return Infinity;
  const r = k.mem.read(tid, addr, 16);
  if (r < 0) return r;
  const sec = Number(k.mem.view.getBigInt64(0, true));
  const frac = Number(k.mem.view.getBigInt64(8, true));
  if (sec < 0 || frac < 0 || frac >= (usec ? 1e6 : 1e9)) return -E.EINVAL;
  return sec * 1000 + (usec ? frac / 1e3 : frac / 1e6);
}

/** Write back the time left until deadline (ms, monotonic), as select and ppoll do; none after a timeout. */
function writeRemaining(k: Kernel, tid: number, addr: number, deadline: number, usec: boolean, timedOut = false): void {
  if (addr === 0 || deadline === Infinity) return;
  const left = timedOut ? 0 : Math.max(0, deadline - nowMs());
  const sec = Math.floor(left / 1000);
  const frac = usec ? Math.floor((left - sec * 1000) * 1e3) : Math.floor((left - sec * 1000) * 1e6);
  k.mem.view.setBigInt64(0, BigInt(sec), true);
  k.mem.view.setBigInt64(8, BigInt(frac), true);
  k.mem.write(tid, addr, 16);
}

// ---- poll ---------------------------------------------------------------------------------

class PollSet {
  fds: number[] = [];
  events: number[] = [];
  revents: number[] = [];
}

function scanPoll(t: Task, ps: PollSet): number {
  let n = 0;
  for (let i = 0; i < ps.fds.length; i++) {
    const fd = ps.fds[i];
    let rev = 0;
    if (fd >= 0) {
      const f = t.files.get(fd);
      if (!f) rev = POLLNVAL;
      else rev = f.pollMask(ps.events[i] | POLLERR | POLLHUP) & (ps.events[i] | POLLERR | POLLHUP);
    }
    ps.revents[i] = rev;
    if (rev) n++;
  }
  return n;
}

function pollQueues(t: Task, fds: number[], events: (i: number) => number): WaitQueue[] {
  const qs: WaitQueue[] = [];
  for (let i = 0; i < fds.length; i++) {
    const f = fds[i] >= 0 ? t.files.get(fds[i]) : undefined;
    if (f) for (const q of f.pollQueues(events(i))) if (!qs.includes(q)) qs.push(q);
  }
  return qs;
}

function writePollfds(k: Kernel, tid: number, addr: number, ps: PollSet): number {
  const v = k.mem.view;
  for (let i = 0; i < ps.fds.length; i++) {
    v.setInt32(i * 8, ps.fds[i], true);
    v.setInt16(i * 8 + 4, ps.events[i], true);
    v.setInt16(i * 8 + 6, ps.revents[i], true);
  }
  return k.mem.write(tid, addr, ps.fds.length * 8);
}

function pollCore(k: Kernel, c: Call, timeoutMs: number, tsAddr: number, sigmask?: bigint): number {
  const t = c.task;
  timeoutMs = k.restartedTimeout(c, timeoutMs);
  const addr = c.ptr(0);
  const nfds = c.ptr(1);
  if (nfds > t.group.nofile[0]) return -E.EINVAL;
  if (nfds * 8 > k.mem.buf.length) return -E.ENOMEM;
  const ps = new PollSet();
  if (nfds > 0) {
    const r = k.mem.read(c.tid, addr, nfds * 8);
    if (r < 0) return r;
    for (let i = 0; i < nfds; i++) {
      ps.fds.push(k.mem.view.getInt32(i * 8, true));
      ps.events.push(k.mem.view.getUint16(i * 8 + 4, true));
      ps.revents.push(0);
    }
  }
  const tid = c.tid;
  const deadline = nowMs() + timeoutMs;
  const finish = (n: number, timedOut = false): number => {
    const w = writePollfds(k, tid, addr, ps);
    writeRemaining(k, tid, tsAddr, deadline, false, timedOut);
    return w < 0 ? w : n;
  };
  const n = scanPoll(t, ps);
  if (n > 0) return finish(n);
  // with nothing ready, a signal ends even a zero-timeout poll (do_poll checks signal_pending)
  const sig = sigmask === undefined ? 0 : k.signalBeforeWait(c, sigmask);
  if (sig < 0) {
    finish(0);
    return sig;
  }
  if (timeoutMs <= 0) return finish(0, true);
  const queues = pollQueues(t, ps.fds, (i) => ps.events[i]);
  const w = k.block(c, queues, () => {
    const m = scanPoll(t, ps);
    if (m > 0) return finish(m);
    pollQueues(t, ps.fds, (i) => ps.events[i]); // re-arm host watches
    return -E.EAGAIN;
  }, timeoutMs === Infinity ? undefined : timeoutMs, () => finish(0, true));
  w.restartCode = -514; // ERESTARTNOHAND: never restarted after a handler
  w.sigmask = sigmask;
  w.interrupted = () => finish(0); // do_sys_poll writes revents (all 0) and the time left
  return BLOCKED;
}

function poll(k: Kernel, c: Call): number {
  const ms = c.int(2);
  return pollCore(k, c, ms < 0 ? Infinity : ms, 0);
}

function ppoll(k: Kernel, c: Call): number {
  const ms = readTimespec(k, c.tid, c.ptr(2), false);
  if (ms < 0) return ms;
  const mask = readWaitMask(k, c.tid, c.ptr(3), c.ptr(4));
  if (typeof mask === 'number') return mask;
  return pollCore(k, c, ms, c.ptr(2), mask);
}

// ---- select -------------------------------------------------------------------------------

function selectCore(k: Kernel, c: Call, timeoutMs: number, tsAddr: number, usec: boolean, sigmask?: bigint): number {
  const t = c.task;
  timeoutMs = k.restartedTimeout(c, timeoutMs);
  const nfds = c.int(0);
  if (nfds < 0) return -E.EINVAL;
  const n = Math.min(nfds, t.group.nofile[0]);
  const words = Math.ceil(n / 64);
  const addrs = [c.ptr(1), c.ptr(2), c.ptr(3)];
  const sets: (Uint8Array | undefined)[] = [undefined, undefined, undefined];
  for (let s = 0; s < 3; s++) {
    if (addrs[s] === 0 || words === 0) continue;
    const r = k.mem.read(c.tid, addrs[s], words * 8);
    if (r < 0) return r;
    sets[s] = Uint8Array.from(k.mem.buf.subarray(0, words * 8));
  }
  const fds: number[] = [];
  const want: number[] = [];
  for (let fd = 0; fd < n; fd++) {
    let w = 0;
    for (let s = 0; s < 3; s++) if (sets[s] && sets[s]![fd >> 3] & (1 << (fd & 7))) w |= 1 << s;
    if (!w) continue;
    if (!t.files.get(fd)) return -E.EBADF;
    fds.push(fd);
    want.push(w);
  }
  const masks = [SELECT_IN, SELECT_OUT, SELECT_EX];
  const events = (i: number) => (want[i] & 1 ? POLLIN : 0) | (want[i] & 2 ? POLLOUT : 0) | (want[i] & 4 ? POLLPRI : 0);
  const out = [new Uint8Array(words * 8), new Uint8Array(words * 8), new Uint8Array(words * 8)];
  const scan = (): number => {
    let count = 0;
    for (const o of out) o.fill(0);
    for (let i = 0; i < fds.length; i++) {
      const f = t.files.get(fds[i]) as OpenFile | undefined;
      if (!f) continue;
      const m = f.pollMask(events(i) | POLLERR | POLLHUP);
      for (let s = 0; s < 3; s++) {
        if (want[i] & (1 << s) && m & masks[s]) {
          out[s][fds[i] >> 3] |= 1 << (fds[i] & 7);
          count++;
        }
      }
    }
    return count;
  };
  const tid = c.tid;
  const deadline = nowMs() + timeoutMs;
  const finish = (count: number, timedOut = false): number => {
    for (let s = 0; s < 3; s++) {
      if (!sets[s]) continue;
      const w = k.mem.writeFrom(tid, addrs[s], out[s], 0, words * 8);
      if (w < 0) return w;
    }
    writeRemaining(k, tid, tsAddr, deadline, usec, timedOut);
    return count;
  };
  const ready = scan();
  if (ready > 0) return finish(ready);
  // core_sys_select: nothing ready and a signal pending is EINTR, even with a zero timeout; the
  // sets are not written back then, the time left is
  const sig = sigmask === undefined ? 0 : k.signalBeforeWait(c, sigmask);
  if (sig < 0) {
    writeRemaining(k, tid, tsAddr, deadline, usec);
    return sig;
  }
  if (timeoutMs <= 0) return finish(0, true);
  const queues = pollQueues(t, fds, events);
  const w = k.block(c, queues, () => {
    const m = scan();
    if (m > 0) return finish(m);
    pollQueues(t, fds, events);
    return -E.EAGAIN;
  }, timeoutMs === Infinity ? undefined : timeoutMs, () => finish(0, true));
  w.restartCode = -514; // ERESTARTNOHAND: never restarted after a handler
  w.sigmask = sigmask;
  w.interrupted = () => writeRemaining(k, tid, tsAddr, deadline, usec);
  return BLOCKED;
}

function select(k: Kernel, c: Call): number {
  const ms = readTimespec(k, c.tid, c.ptr(4), true);
  if (ms < 0) return ms;
  return selectCore(k, c, ms, c.ptr(4), true);
}

function pselect6(k: Kernel, c: Call): number {
  // the sixth argument points at { const sigset_t *ss; size_t ss_len } (get_sigset_argpack)
  let maskAddr = 0;
  let maskSize = 0;
  if (c.ptr(5) !== 0) {
    const r = k.mem.read(c.tid, c.ptr(5), 16);
    if (r < 0) return r;
    maskAddr = Number(k.mem.view.getBigUint64(0, true));
    maskSize = Number(k.mem.view.getBigUint64(8, true));
  }
  const ms = readTimespec(k, c.tid, c.ptr(4), false);
  if (ms < 0) return ms;
  const mask = readWaitMask(k, c.tid, maskAddr, maskSize);
  if (typeof mask === 'number') return mask;
  return selectCore(k, c, ms, c.ptr(4), false, mask);
}

export const pollFamily: Family = { poll, ppoll, select, pselect6 };
