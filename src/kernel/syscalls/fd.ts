// Descriptor syscalls: close, close_range, dup, dup2, dup3, fcntl, ioctl.
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { CONTINUE, ANSWERED } from '../call.js';
import { EBADF, EBUSY, EFAULT, EINVAL, ENOTTY, EPERM, ESRCH } from '../errno.js';
import * as host from '../../host/sys.js';
import { NR } from '../abi/sysnames.js';
import { O_ASYNC, O_CLOEXEC, O_NONBLOCK, type OpenFile } from '../fd/openfile.js';
import { AsyncNotify, F_OWNER_PGRP, F_OWNER_PID, F_OWNER_TID, type FileOwner } from '../fd/fasync.js';
import { installAt, installLowest } from '../fd/install.js';
import { PipeEnd, PIPE_BUF } from '../fd/pipe.js';
import { PtyMaster, ptyPeer, TIOCGPTPEER } from '../fd/pty.js';

const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4;
const F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7, F_SETOWN = 8, F_GETOWN = 9;
const F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
const F_SETLEASE = 1024, F_GETLEASE = 1025, F_DUPFD_CLOEXEC = 1030;
const F_SETSIG = 10, F_GETSIG = 11, F_SETOWN_EX = 15, F_GETOWN_EX = 16;
const F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032, F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;

function close(k: Kernel, c: Call): number {
  const fd = c.fd(0);
  if (!c.task.files.get(fd)) return -EBADF;
  // The host closes its descriptor at the same number; ours goes only if it did.
  if (k.proceed(c.slot)) c.task.files.close(fd);
  return ANSWERED;
}

function closeRange(k: Kernel, c: Call): number {
  const first = c.u32(0);
  const last = c.u32(1);
  const flags = c.u32(2);
  if (first > last || flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) return -EINVAL;
  const t = c.task;
  if (!k.proceed(c.slot)) return ANSWERED;
  if (flags & CLOSE_RANGE_UNSHARE && t.files.users > 1) {
    t.files.users--;
    t.files = t.files.clone();
    t.files.users++;
  }
  for (const fd of t.files.numbers()) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) t.files.setCloexec(fd, true);
    else t.files.close(fd);
  }
  return ANSWERED;
}

function dup(k: Kernel, c: Call): number {
  const f = c.task.files.get(c.fd(0));
  if (!f) return -EBADF;
  return installLowest(k, c, f, 0, false);
}

function dupTo(k: Kernel, c: Call, oldfd: number, newfd: number, cloexec: boolean): number {
  const f = c.task.files.get(oldfd);
  if (!f) return -EBADF;
  if (newfd < 0 || newfd >= c.task.group.nofile[0]) return -EBADF;
  return installAt(k, c, f, newfd, cloexec);
}

function dup2(k: Kernel, c: Call): number {
  const oldfd = c.fd(0);
  const newfd = c.fd(1);
  if (oldfd === newfd) return c.task.files.get(oldfd) ? newfd : -EBADF;
  return dupTo(k, c, oldfd, newfd, false);
}

function dup3(k: Kernel, c: Call): number {
  const flags = c.int(2);
  if (flags & ~O_CLOEXEC) return -EINVAL;
  if (c.fd(0) === c.fd(1)) return -EINVAL;
  return dupTo(k, c, c.fd(0), c.fd(1), (flags & O_CLOEXEC) !== 0);
}

function fcntl(k: Kernel, c: Call): number {
  const t = c.task;
  const fd = c.fd(0);
  const f = t.files.get(fd);
  if (!f) return -EBADF;
  const cmd = c.int(1);
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      const min = c.int(2);
      if (min < 0 || min >= t.group.nofile[0]) return -EINVAL;
      return installLowest(k, c, f, min, cmd === F_DUPFD_CLOEXEC);
    }
    case F_GETFD:
      return t.files.isCloexec(fd) ? 1 : 0;
    case F_SETFD:
      t.files.setCloexec(fd, (c.int(2) & 1) !== 0);
      return CONTINUE; // the host's flag must match: its exec closes the host descriptor
    case F_GETFL:
      return f.native ? CONTINUE : f.flags;
    case F_SETFL:
      f.setFlags(c.int(2));
      syncAsync(k, f, fd);
      return f.native ? CONTINUE : 0;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
    case F_SETLEASE:
    case F_GETLEASE:
    case F_ADD_SEALS:
    case F_GET_SEALS:
      return f.native ? CONTINUE : -EINVAL;
    case F_GETPIPE_SZ:
      return f instanceof PipeEnd ? f.pipe.capacity : -EBADF;
    case F_SETPIPE_SZ: {
      if (!(f instanceof PipeEnd)) return -EBADF;
      const want = c.int(2);
      if (want < 0 || want > 1048576) return want < 0 ? -EINVAL : -EPERM;
      let size = Math.max(PIPE_BUF, 4096);
      while (size < want) size *= 2;
      if (size < f.pipe.size) return -EBUSY;
      f.pipe.capacity = size;
      f.pipe.writeQueue.notify();
      return size;
    }
    case F_GETOWN:
      if (f.native) return CONTINUE;
      return f.fown ? (f.fown.type === F_OWNER_PGRP ? -f.fown.id : f.fown.id) : 0;
    case F_SETOWN: {
      const who = c.int(2);
      if (who === -0x80000000) return -EINVAL;
      return setOwner(k, f, who ? { type: who < 0 ? F_OWNER_PGRP : F_OWNER_PID, id: Math.abs(who) } : undefined);
    }
    case F_SETOWN_EX: {
      const r = k.mem.read(c.tid, c.ptr(2), 8);
      if (r < 0) return r;
      const type = k.mem.view.getInt32(0, true);
      const id = k.mem.view.getInt32(4, true);
      if (type < F_OWNER_TID || type > F_OWNER_PGRP) return -EINVAL;
      if (id < 0) return -EINVAL;
      return setOwner(k, f, id ? { type, id } : undefined);
    }
    case F_GETOWN_EX: {
      if (f.native) return CONTINUE;
      k.mem.view.setInt32(0, f.fown?.type ?? F_OWNER_PID, true);
      k.mem.view.setInt32(4, f.fown?.id ?? 0, true);
      return k.mem.write(c.tid, c.ptr(2), 8) < 0 ? -EFAULT : 0;
    }
    case F_SETSIG: {
      const sig = c.int(2);
      if (sig < 0 || sig > 64) return -EINVAL;
      if (f.native) return CONTINUE;
      f.fownSig = sig;
      return 0;
    }
    case F_GETSIG:
      return f.native ? CONTINUE : f.fownSig;
    default:
      return -EINVAL;
  }
}

// ioctl requests
const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TCSBRK = 0x5409;
const TCXONC = 0x540a, TCFLSH = 0x540b, TIOCSCTTY = 0x540e, TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410;
const TIOCOUTQ = 0x5411, TIOCSTI = 0x5412, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541b;
const TIOCLINUX = 0x541c, TIOCCONS = 0x541d, FIONBIO = 0x5421, TIOCNOTTY = 0x5422, TIOCSETD = 0x5423;
const TIOCGSID = 0x5429, TCGETS2 = 0x802c542a, TCSETS2 = 0x402c542b, TCSETSW2 = 0x402c542c, TCSETSF2 = 0x402c542d;
const TIOCGPTN = 0x80045430, FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452, FIGETBSZ = 2;
const FS_IOC_GETFLAGS = 0x80086601, TCGETA = 0x5405, TIOCGLCKTRMIOS = 0x5456;
const TIOCSPTLCK = 0x40045431, TIOCGPTLCK = 0x80045439, TIOCPKT = 0x5420, TIOCGPKT = 0x80045438;
const TIOCEXCL = 0x540c, TIOCNXCL = 0x540d, TIOCGEXCL = 0x80045440, TIOCMGET = 0x5415;

/** Requests a host descriptor may see natively: terminal queries and settings, sizes. */
const NATIVE_IOCTLS = new Set([
  TCGETS, TCSETS, TCSETSW, TCSETSF, TCGETA, TCSBRK, TCXONC, TCFLSH, TIOCGPGRP, TIOCSPGRP, TIOCOUTQ,
  TIOCGWINSZ, TIOCSWINSZ, FIONREAD, TIOCGSID, TCGETS2, TCSETS2, TCSETSW2, TCSETSF2, TIOCGPTN, FIGETBSZ,
  FS_IOC_GETFLAGS, TIOCGLCKTRMIOS, TIOCSCTTY, TIOCNOTTY, FIOASYNC, TIOCSPTLCK, TIOCGPTLCK, TIOCPKT,
  TIOCGPKT, TIOCEXCL, TIOCNXCL, TIOCGEXCL, TIOCMGET,
]);
/** Requests that would reach past the sandbox (typing into the host terminal, consoles). */
const FORBIDDEN_IOCTLS = new Set([TIOCSTI, TIOCLINUX, TIOCCONS, TIOCSETD]);

function ioctl(k: Kernel, c: Call): number {
  const t = c.task;
  const fd = c.fd(0);
  const f = t.files.get(fd);
  if (!f) return -EBADF;
  const req = c.u32(1);
  switch (req) {
    case FIOCLEX:
    case FIONCLEX:
      t.files.setCloexec(fd, req === FIOCLEX);
      return CONTINUE;
    case FIONBIO: {
      const v = k.mem.u32(c.tid, c.ptr(2));
      if (v < 0) return v;
      f.flags = v ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
      return f.native ? CONTINUE : 0;
    }
    case FIONREAD:
      if (f instanceof PipeEnd) return k.mem.putI32(c.tid, c.ptr(2), f.pipe.size);
      break;
    case FIOASYNC: {
      if (f.native) break;
      const v = k.mem.u32(c.tid, c.ptr(2));
      if (v < 0) return v;
      f.flags = v ? f.flags | O_ASYNC : f.flags & ~O_ASYNC;
      syncAsync(k, f, fd);
      return 0;
    }
  }
  if (FORBIDDEN_IOCTLS.has(req)) return -EPERM;
  if (req === TIOCGPTPEER) return f instanceof PtyMaster ? ptyPeer(k, c, f, c.int(2)) : -ENOTTY;
  if (f.native) return NATIVE_IOCTLS.has(req) ? CONTINUE : -ENOTTY;
  return f.ioctl(k, t, req, c.ptr(2));
}

/**
 * F_SETOWN and F_SETOWN_EX: only sandbox tasks, processes and process groups can be told
 * (ESRCH for others, as for a pid that does not exist). The host sends a host file's signals
 * itself, so it may not be told to signal a group starry-sandbox is in.
 */
function setOwner(k: Kernel, f: OpenFile, owner: FileOwner | undefined): number {
  if (owner) {
    const exists =
      owner.type === F_OWNER_PGRP ? k.signalProcessGroup(owner.id, 0) > 0 : owner.type === F_OWNER_TID ? k.tasks.has(owner.id) : k.groups.has(owner.id);
    if (!exists) return -ESRCH;
    if (f.native && owner.type === F_OWNER_PGRP && owner.id === host.sys(NR.getpgid, 0)) return -EPERM;
  }
  if (f.native) return CONTINUE;
  f.fown = owner;
  return 0;
}

/** O_ASYNC set or cleared on the kernel's own file: start or stop listening for its events. */
function syncAsync(k: Kernel, f: OpenFile, fd: number): void {
  const on = (f.flags & O_ASYNC) !== 0 && !f.native;
  if (on && f.asyncNotify) {
    f.asyncNotify.fd = fd;
  } else if (on) {
    f.asyncNotify = new AsyncNotify(k, f, fd);
    (f.holders ??= new Set()).add(f.asyncNotify);
  } else if (!on && f.asyncNotify) {
    f.asyncNotify.detach();
    f.holders?.delete(f.asyncNotify);
    f.asyncNotify = undefined;
  }
}

export const fdFamily: Family = { close, close_range: closeRange, dup, dup2, dup3, fcntl, ioctl };
