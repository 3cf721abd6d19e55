// epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2.
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { BLOCKED } from '../call.js';
import * as E from '../errno.js';
import { EpollFile, EPOLLEXCLUSIVE, EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP, EPOLLPRI, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET, EPOLLRDNORM, EPOLLRDBAND, EPOLLWRNORM, EPOLLWRBAND, EPOLLMSG } from '../fd/epoll.js';
import { HostFile } from '../fd/hostfile.js';
import { O_CLOEXEC } from '../fd/openfile.js';
import { installLowest } from '../fd/install.js';
import { readWaitMask } from './waitmask.js';

const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
const EVENT_SIZE = 12; // struct epoll_event is packed on x86_64
const EP_MAX_EVENTS = Math.floor(0x7fffffff / EVENT_SIZE);
const EXCLUSIVE_OK = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
const KNOWN = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM |
  EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP | EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET;

function create(k: Kernel, c: Call, flags: number): number {
  if (flags & ~O_CLOEXEC) return -E.EINVAL;
  return installLowest(k, c, new EpollFile(0), 0, (flags & O_CLOEXEC) !== 0);
}

function ctl(k: Kernel, c: Call): number {
  const t = c.task;
  const ep = t.files.get(c.fd(0));
  const op = c.int(1);
  const fd = c.fd(2);
  const file = t.files.get(fd);
  if (!ep || !file) return -E.EBADF;
  let events = 0;
  let data = Buffer.alloc(8);
  if (op !== EPOLL_CTL_DEL) {
    const r = k.mem.read(c.tid, c.ptr(3), EVENT_SIZE);
    if (r < 0) return r;
    events = k.mem.view.getUint32(0, true) & KNOWN;
    data = Buffer.from(k.mem.buf.subarray(4, 12));
  }
  if (!(ep instanceof EpollFile) || ep === file) return -E.EINVAL;
  // Files that never wait (regular files, directories) cannot be watched
  if (file instanceof HostFile && file.isRegular) return -E.EPERM;
  if (!file.native && file.pollQueues(0).length === 0) return -E.EPERM;
  const entry = ep.find(fd, file);
  switch (op) {
    case EPOLL_CTL_ADD:
      if (entry) return -E.EEXIST;
      if (events & EPOLLEXCLUSIVE && (events & ~EXCLUSIVE_OK || file instanceof EpollFile)) return -E.EINVAL;
      if (file instanceof EpollFile && (file === ep || file.reaches(ep))) return -E.ELOOP;
      ep.add(fd, file, events | EPOLLERR | EPOLLHUP, data);
      return 0;
    case EPOLL_CTL_MOD:
      if (!entry) return -E.ENOENT;
      if (events & EPOLLEXCLUSIVE || entry.events & EPOLLEXCLUSIVE) return -E.EINVAL;
      ep.modify(entry, events | EPOLLERR | EPOLLHUP, data);
      return 0;
    case EPOLL_CTL_DEL:
      if (!entry) return -E.ENOENT;
      entry.detach();
      return 0;
    default:
      return -E.EINVAL;
  }
}

function waitCore(k: Kernel, c: Call, timeoutMs: number, sigmask?: bigint): number {
  const t = c.task;
  timeoutMs = k.restartedTimeout(c, timeoutMs);
  const ep = t.files.get(c.fd(0));
  const addr = c.ptr(1);
  const max = c.int(2);
  if (max <= 0 || max > EP_MAX_EVENTS) return -E.EINVAL;
  if (!ep) return -E.EBADF;
  if (!(ep instanceof EpollFile)) return -E.EINVAL;
  const tid = c.tid;
  const out: { events: number; data: Buffer }[] = [];
  const attempt = (): number => {
    out.length = 0;
    ep.collect(max, out);
    if (out.length === 0) return -E.EAGAIN;
    const buf = Buffer.alloc(out.length * EVENT_SIZE);
    out.forEach((e, i) => {
      buf.writeUInt32LE(e.events >>> 0, i * EVENT_SIZE);
      e.data.copy(buf, i * EVENT_SIZE + 4);
    });
    const w = k.mem.writeFrom(tid, addr, buf, 0, buf.length);
    return w < 0 ? w : out.length;
  };
  const r = attempt();
  if (r !== -E.EAGAIN) return r;
  // ep_poll: a zero timeout returns 0 before it looks for signals
  if (timeoutMs <= 0) return 0;
  const sig = sigmask === undefined ? 0 : k.signalBeforeWait(c, sigmask);
  if (sig < 0) return sig;
  const w = k.block(c, [ep.wq], attempt, timeoutMs === Infinity ? undefined : timeoutMs, 0);
  w.restartCode = -514; // ERESTARTNOHAND: never restarted after a handler
  w.sigmask = sigmask;
  return BLOCKED;
}

function epollPwait(k: Kernel, c: Call): number {
  const mask = readWaitMask(k, c.tid, c.ptr(4), c.ptr(5));
  if (typeof mask === 'number') return mask;
  return waitCore(k, c, c.int(3) < 0 ? Infinity : c.int(3), mask);
}

function epollPwait2(k: Kernel, c: Call): number {
  let ms = Infinity;
  if (c.ptr(3) !== 0) {
    const r = k.mem.read(c.tid, c.ptr(3), 16);
    if (r < 0) return r;
    const sec = Number(k.mem.view.getBigInt64(0, true));
    const nsec = Number(k.mem.view.getBigInt64(8, true));
    if (sec < 0 || nsec < 0 || nsec >= 1e9) return -E.EINVAL;
    ms = sec * 1000 + nsec / 1e6;
  }
  const mask = readWaitMask(k, c.tid, c.ptr(4), c.ptr(5));
  if (typeof mask === 'number') return mask;
  return waitCore(k, c, ms, mask);
}

export const epollFamily: Family = {
  epoll_create: (k, c) => (c.int(0) <= 0 ? -E.EINVAL : create(k, c, 0)),
  epoll_create1: (k, c) => create(k, c, c.int(0)),
  epoll_ctl: ctl,
  epoll_wait: (k, c) => waitCore(k, c, c.int(3) < 0 ? Infinity : c.int(3)),
  epoll_pwait: epollPwait,
  epoll_pwait2: epollPwait2,
};

