// send/sendto/sendmsg/sendmmsg and recv/recvfrom/recvmsg/recvmmsg, and read/write on sockets:
// one send core and one receive core. Ancillary data: SCM_RIGHTS and SCM_CREDENTIALS.
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { ANSWERED, BLOCKED } from '../call.js';
import * as E from '../errno.js';
import type { IoVec, OpenFile } from '../fd/openfile.js';
import { installQuiet } from '../fd/install.js';
import { writeCore, copyIov, advance } from './progress.js';
import {
  Socket,
  MSG_CMSG_CLOEXEC,
  MSG_CTRUNC,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  MSG_OOB,
  MSG_PEEK,
  MSG_TRUNC,
  MSG_WAITALL,
  MSG_WAITFORONE,
  SOL_SOCKET,
  type Outgoing,
} from '../net/socket.js';
import { StreamSocket } from '../net/stream.js';
import type { Reading } from '../net/msgqueue.js';
import { AF_UNIX, decodeName, encodeName, type SockName } from '../net/sockaddr.js';
import { socketAt, credOf } from './socket.js';
import type { Task } from '../task.js';

const SIGPIPE = 13;
const SCM_RIGHTS = 1;
const SCM_CREDENTIALS = 2;
const SCM_MAX_FD = 253;
const CMSG_HDR = 16;
const MSGHDR = 56;
const MMSGHDR = 64;
const UIO_MAXIOV = 1024;
const align8 = (n: number): number => (n + 7) & ~7;

// ---------------------------------------------------------------------------------------------
// Sending

/** The send core: a socket as a PartialWriter (see progress.ts). */
export function sendCore(k: Kernel, c: Call, s: Socket, out: Outgoing): number {
  const t = c.task;
  const dontwait = (out.flags & MSG_DONTWAIT) !== 0;
  return writeCore(
    k,
    c,
    {
      put: (iov) => {
        out.iov = iov;
        const r = s.send(k, t, out);
        if (r > 0) out.rights = undefined; // they rode with the first part
        return r;
      },
      takeBack: () => {
        const push = s.lastPush;
        s.lastPush = undefined;
        return push && !push.m.rights ? () => push.q.unpush(push.m) : undefined;
      },
      stream: s.streaming,
      nonblocking: s.nonblocking || dontwait,
      queues: () => [s.queueFor(true), s.waitQueue],
      timeoutMs: s.sndTimeoMs,
      sigpipe: !(out.flags & MSG_NOSIGNAL),
    },
    out.iov,
  );
}

/** Parse a sendmsg control buffer into out (rights, credentials). */
function parseControl(k: Kernel, c: Call, s: Socket, addr: number, len: number, out: Outgoing): number {
  if (len === 0) return 0;
  if (len > 65536) return -E.ENOBUFS;
  const buf = Buffer.allocUnsafe(len);
  if (k.mem.readInto(c.tid, addr, buf, 0, len) < 0) return -E.EFAULT;
  for (let at = 0; at + CMSG_HDR <= len; ) {
    const clen = Number(buf.readBigUInt64LE(at));
    if (clen < CMSG_HDR || clen > len - at) return -E.EINVAL;
    const level = buf.readInt32LE(at + 8);
    const type = buf.readInt32LE(at + 12);
    if (level === SOL_SOCKET) {
      if (s.domain !== AF_UNIX) return -E.EINVAL;
      if (type === SCM_RIGHTS) {
        const n = (clen - CMSG_HDR) >> 2;
        if (n > SCM_MAX_FD || (out.rights?.length ?? 0) + n > SCM_MAX_FD) return -E.EINVAL;
        const files = out.rights ?? [];
        for (let i = 0; i < n; i++) {
          const f = c.task.files.get(buf.readInt32LE(at + CMSG_HDR + 4 * i));
          if (!f) return -E.EBADF;
          files.push(f);
        }
        out.rights = files;
      } else if (type === SCM_CREDENTIALS) {
        if (clen < CMSG_HDR + 12) return -E.EINVAL;
        const cred = { pid: buf.readInt32LE(at + 16), uid: buf.readInt32LE(at + 20), gid: buf.readInt32LE(at + 24) };
        const own = credOf(c.task);
        if (cred.pid !== own.pid || cred.uid !== own.uid || cred.gid !== own.gid) return -E.EPERM;
        out.cred = cred;
      } else {
        return -E.EINVAL;
      }
    } else if (s.domain === AF_UNIX) {
      return -E.EINVAL;
    }
    at += align8(clen);
  }
  return 0;
}

/** A send whose message was decoded: take the references rights need, then the core. */
function sendPrepared(k: Kernel, c: Call, s: Socket, out: Outgoing): number {
  if (out.flags & MSG_OOB && s.domain === AF_UNIX && s.type !== 1) return -E.EOPNOTSUPP;
  if (out.rights) for (const f of out.rights) f.incRef();
  const rights = out.rights;
  const r = sendCore(k, c, s, out);
  // rights that were not queued (an error) are released again
  if (rights && r !== BLOCKED && !queued(s, rights)) for (const f of rights) f.decRef();
  return r;
}
function queued(s: Socket, rights: OpenFile[]): boolean {
  const q = s.lastRights === rights;
  s.lastRights = undefined;
  return q;
}

function destination(k: Kernel, c: Call, s: Socket, addr: number, len: number): SockName | undefined | number {
  if (addr === 0) return undefined;
  if (len < 0 || len > 128) return -E.EINVAL;
  const r = k.mem.read(c.tid, addr, len);
  if (r < 0) return r;
  const n = decodeName(s.domain, k.mem.buf, len);
  if (typeof n === 'number') return n;
  // connected stream sockets ignore the address (unix) or refuse it (EISCONN)
  if (s instanceof StreamSocket) {
    if (s.domain === AF_UNIX) return s.state === 'connected' ? (s.type === 1 ? -E.EISCONN : undefined) : -E.EOPNOTSUPP;
    return s.state === 'connected' ? -E.EISCONN : undefined;
  }
  return n;
}

function sendto(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  const to = destination(k, c, s, c.ptr(4), c.int(5));
  if (typeof to === 'number') return to;
  const iov = k.mem.single(c.ptr(1), c.ptr(2));
  return sendPrepared(k, c, s, { iov, flags: c.int(3), to, rights: undefined, cred: credOf(c.task) });
}

/** Decode a struct msghdr at addr into an Outgoing (its iovec in a fresh IoVec). */
function readMsghdr(k: Kernel, c: Call, s: Socket, addr: number, flags: number): Outgoing | number {
  const r = k.mem.read(c.tid, addr, MSGHDR);
  if (r < 0) return r;
  const v = k.mem.view;
  const name = Number(v.getBigUint64(0, true));
  const namelen = v.getInt32(8, true);
  const iovAddr = Number(v.getBigUint64(16, true));
  const iovLen = Number(v.getBigUint64(24, true));
  const ctl = Number(v.getBigUint64(32, true));
  const ctlLen = Number(v.getBigUint64(40, true));
  if (iovLen > UIO_MAXIOV) return -E.EMSGSIZE;
  const to = destination(k, c, s, name, namelen);
  if (typeof to === 'number') return to;
  const ir = k.mem.iovec(c.tid, iovAddr, iovLen);
  if (ir < 0) return ir;
  const out: Outgoing = { iov: copyIov(k.mem.iov), flags, to, rights: undefined, cred: credOf(c.task) };
  const cr = parseControl(k, c, s, ctl, ctlLen, out);
  if (cr < 0) return cr;
  return out;
}

function sendmsg(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  const out = readMsghdr(k, c, s, c.ptr(1), c.int(2));
  if (typeof out === 'number') return out;
  return sendPrepared(k, c, s, out);
}

/** sendmmsg: each message sent without blocking after the first; msg_len written per message. */
function sendmmsg(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  const vec = c.ptr(1);
  const vlen = Math.min(c.u32(2), UIO_MAXIOV);
  const flags = c.int(3);
  let sent = 0;
  for (; sent < vlen; sent++) {
    const out = readMsghdr(k, c, s, vec + sent * MMSGHDR, flags | (sent > 0 ? MSG_DONTWAIT : 0));
    if (typeof out === 'number') return sent > 0 ? sent : out;
    const rights = out.rights;
    if (rights) for (const f of rights) f.incRef();
    const r = s.send(k, c.task, out);
    // rights that were not queued (an error, or no data to ride on: unix(7)) are released
    if (rights && !queued(s, rights)) for (const f of rights) f.decRef();
    if (r < 0) {
      if (sent > 0) break;
      if (r === -E.EAGAIN && !s.nonblocking && !(flags & MSG_DONTWAIT)) {
        // the first message waits like sendmsg; the caller retries the rest
        return sendPrepared(k, c, s, out);
      }
      if (r === -E.EPIPE && !(flags & MSG_NOSIGNAL)) {
        k.raiseWithError(c.task, c.slot, SIGPIPE, -E.EPIPE);
        return ANSWERED;
      }
      return r;
    }
    s.lastPush = undefined;
    const w = k.mem.putI32(c.tid, vec + sent * MMSGHDR + 56, r);
    if (w < 0) return sent > 0 ? sent + 1 : w;
  }
  return sent;
}

// ---------------------------------------------------------------------------------------------
// Receiving

/** Where recvmsg writes what it learned besides the data. */
interface RecvTarget {
  nameAddr: number;
  /** Address of the socklen_t (recvfrom) or of msg_namelen (recvmsg); 0 for none. */
  nameLenAddr: number;
  ctlAddr: number;
  ctlLen: number;
  /** The struct msghdr (recvmsg) for msg_controllen and msg_flags; 0 for recvfrom. */
  msghdr: number;
}

/** Install the descriptors a message carries and build the control buffer. */
function controlFor(k: Kernel, c: Call, s: Socket, rd: Reading, tg: RecvTarget, flags: number): { buf: Buffer; used: number; ctrunc: boolean; installed: number[] } | number {
  const buf = Buffer.alloc(Math.min(tg.ctlLen, 65536));
  let used = 0;
  let ctrunc = false;
  const installed: number[] = [];
  const room = (): number => buf.length - used;
  const header = (len: number, type: number): void => {
    buf.writeBigUInt64LE(BigInt(len), used);
    buf.writeInt32LE(SOL_SOCKET, used + 8);
    buf.writeInt32LE(type, used + 12);
  };
  if (s.passCred && s.domain === AF_UNIX) {
    const cred = rd.first.cred ?? { pid: 0, uid: 65534, gid: 65534 };
    if (tg.ctlAddr === 0 || room() < CMSG_HDR + 12) ctrunc = true;
    else {
      header(CMSG_HDR + 12, SCM_CREDENTIALS);
      buf.writeInt32LE(cred.pid, used + 16);
      buf.writeInt32LE(cred.uid, used + 20);
      buf.writeInt32LE(cred.gid, used + 24);
      used += Math.min(align8(CMSG_HDR + 12), room());
    }
  }
  const files = rd.rights?.rights;
  if (files && files.length > 0) {
    const fit = tg.ctlAddr === 0 || room() <= CMSG_HDR ? 0 : Math.min(files.length, (room() - CMSG_HDR) >> 2);
    if (fit < files.length) ctrunc = true;
    const cloexec = (flags & MSG_CMSG_CLOEXEC) !== 0;
    for (let i = 0; i < fit; i++) {
      const fd = c.task.files.lowestFree(0, c.task.group.nofile[0]);
      if (fd < 0) {
        ctrunc = true;
        break;
      }
      const r = installQuiet(k, c, files[i], fd, cloexec);
      if (r < 0) {
        for (const x of installed) c.task.files.close(x);
        return r;
      }
      installed.push(fd);
    }
    if (installed.length > 0) {
      header(CMSG_HDR + 4 * installed.length, SCM_RIGHTS);
      installed.forEach((fd, i) => buf.writeInt32LE(fd, used + CMSG_HDR + 4 * i));
      used += Math.min(align8(CMSG_HDR + 4 * installed.length), room());
    }
  }
  return { buf, used, ctrunc, installed };
}

/**
 * The receive core: copy what is queued, write the sender's name, control data and flags,
 * answer, and only then consume (a dropped answer leaves the data queued).
 */
export function recvCore(k: Kernel, c: Call, s: Socket, iov: IoVec, flags: number, tg: RecvTarget): number {
  const t = c.task;
  const slot = c.slot;
  if (flags & MSG_OOB) return s.domain === AF_UNIX ? -E.EOPNOTSUPP : -E.EINVAL;
  const peek = (flags & MSG_PEEK) !== 0;
  const waitAll = (flags & MSG_WAITALL) !== 0 && s.streaming && !peek;
  const dontwait = (flags & MSG_DONTWAIT) !== 0;
  let done = 0;
  const attempt = (): number => {
    for (;;) {
      const rd = s.recvPeek(k, t, iov, flags);
      if (typeof rd === 'number') {
        if (done > 0 && rd !== -E.EAGAIN) return finishPartial(done);
        if (rd === -E.EAGAIN && done > 0 && (s.nonblocking || dontwait)) return finishPartial(done);
        return rd;
      }
      if (waitAll && rd.n < iov.total && !rd.rights) {
        // MSG_WAITALL: take what came and keep waiting for the rest
        s.consumed(rd.n);
        done += rd.n;
        advance(iov, rd.n);
        continue;
      }
      return answer(rd, done + rd.n);
    }
  };
  const finishPartial = (n: number): number => n;
  const answer = (rd: Reading, n: number): number => {
    const m = writeMsg(k, c, s, rd, tg, flags, n);
    if (typeof m === 'number') return m;
    if (!k.deliver(slot, m.result)) {
      for (const fd of m.installed) t.files.close(fd);
      return ANSWERED;
    }
    if (peek) return ANSWERED;
    const rightsMsg = rd.rights;
    releaseRights(rd);
    const taken = s.consumed(rd.n);
    if (!rightsMsg && done === 0) k.commit(m.result, () => (s.rx.untake(taken), true));
    return ANSWERED;
  };
  const r = attempt();
  if (r !== -E.EAGAIN || s.nonblocking || dontwait) return r;
  iov = copyIov(iov);
  c = c.clone(); // the attempt runs again after this notification's Call is reused
  const w = k.block(c, [s.queueFor(false), s.waitQueue], () => {
    const r2 = attempt();
    if (done > 0) w.restartCode = done;
    return r2;
  }, s.rcvTimeoMs || undefined, () => (done > 0 ? done : -E.EAGAIN));
  if (s.rcvTimeoMs) w.restartCode = -E.EINTR;
  return BLOCKED;
}

/**
 * Write what a received message brings besides its bytes: the sender's name, and for recvmsg
 * and recvmmsg (tg.msghdr) the control data, installing passed descriptors, msg_controllen
 * and msg_flags. The result (n, or the datagram's full length with MSG_TRUNC), or -errno.
 */
function writeMsg(k: Kernel, c: Call, s: Socket, rd: Reading, tg: RecvTarget, flags: number, n: number): { result: number; installed: number[] } | number {
  const truncated = !s.streaming && rd.first.left > rd.n;
  const result = truncated && flags & MSG_TRUNC ? rd.first.left : n;
  if (tg.nameAddr !== 0 && tg.nameLenAddr !== 0) {
    const w = writeFrom(k, c.tid, s, rd, tg);
    if (w < 0) return w;
  }
  if (tg.msghdr === 0) return { result, installed: [] };
  const ctl = controlFor(k, c, s, rd, tg, flags);
  if (typeof ctl === 'number') return ctl;
  const undo = (e: number): number => {
    for (const fd of ctl.installed) c.task.files.close(fd);
    return e;
  };
  if (ctl.used > 0 && k.mem.writeFrom(c.tid, tg.ctlAddr, ctl.buf, 0, ctl.used) < 0) return undo(-E.EFAULT);
  k.mem.view.setBigUint64(0, BigInt(ctl.used), true);
  if (k.mem.write(c.tid, tg.msghdr + 40, 8) < 0) return undo(-E.EFAULT);
  const mflags = (truncated ? MSG_TRUNC : 0) | (ctl.ctrunc ? MSG_CTRUNC : 0);
  if (k.mem.putI32(c.tid, tg.msghdr + 48, mflags) < 0) return undo(-E.EFAULT);
  return { result, installed: ctl.installed };
}

/** A consumed message's descriptors that were not installed (MSG_CTRUNC) are closed, as scm_detach_fds does. */
function releaseRights(rd: Reading): void {
  const msg = rd.rights;
  const files = msg?.rights;
  if (!files) return;
  msg.rights = undefined; // first: a release may look at the queues (unixgc.ts)
  for (const f of files) f.decRef();
}

/** The sender's name for recvfrom/recvmsg: none (length 0) from streams and unnamed senders. */
function writeFrom(k: Kernel, tid: number, s: Socket, rd: Reading, tg: RecvTarget): number {
  const from = s.domain === AF_UNIX || !s.streaming ? rd.first.from : undefined;
  const ulen = k.mem.u32(tid, tg.nameLenAddr);
  if (ulen < 0) return ulen;
  if ((ulen | 0) < 0) return -E.EINVAL;
  const n = from ? encodeName(s.domain, from, k.mem.buf) : 0;
  if (n > 0 && k.mem.write(tid, tg.nameAddr, Math.min(n, ulen)) < 0) return -E.EFAULT;
  return k.mem.putI32(tid, tg.nameLenAddr, n);
}

function recvfrom(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  const iov = k.mem.single(c.ptr(1), c.ptr(2));
  return recvCore(k, c, s, iov, c.int(3), { nameAddr: c.ptr(4), nameLenAddr: c.ptr(5), ctlAddr: 0, ctlLen: 0, msghdr: 0 });
}

function recvTargetOf(k: Kernel, c: Call, addr: number): [IoVec, RecvTarget] | number {
  const r = k.mem.read(c.tid, addr, MSGHDR);
  if (r < 0) return r;
  const v = k.mem.view;
  const tg: RecvTarget = {
    nameAddr: Number(v.getBigUint64(0, true)),
    nameLenAddr: addr + 8,
    ctlAddr: Number(v.getBigUint64(32, true)),
    ctlLen: Number(v.getBigUint64(40, true)),
    msghdr: addr,
  };
  const iovAddr = Number(v.getBigUint64(16, true));
  const iovLen = Number(v.getBigUint64(24, true));
  if (iovLen > UIO_MAXIOV) return -E.EMSGSIZE;
  if (tg.nameAddr === 0) tg.nameLenAddr = 0;
  const ir = k.mem.iovec(c.tid, iovAddr, iovLen);
  if (ir < 0) return ir;
  return [copyIov(k.mem.iov), tg];
}

function recvmsg(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  const p = recvTargetOf(k, c, c.ptr(1));
  if (typeof p === 'number') return p;
  if (p[1].nameAddr === 0) k.mem.putI32(c.tid, c.ptr(1) + 8, 0);
  return recvCore(k, c, s, p[0], c.int(2), p[1]);
}

/**
 * recvmmsg: the first message may wait; the rest are taken while available. Each message is
 * answered through the receive core on a sub-call, so we gather here without blocking.
 */
function recvmmsg(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  const vec = c.ptr(1);
  const vlen = Math.min(c.u32(2), UIO_MAXIOV);
  const flags = c.int(3);
  if (vlen === 0) return 0;
  const t = c.task;
  const take = (): number => {
    let got = 0;
    for (; got < vlen; got++) {
      const at = vec + got * MMSGHDR;
      const p = recvTargetOf(k, c, at);
      if (typeof p === 'number') return got > 0 ? got : p;
      const [iov, tg] = p;
      const rd = s.recvPeek(k, t, iov, flags);
      if (typeof rd === 'number') {
        if (got > 0) return got;
        return rd;
      }
      // each message as recvmsg gives it: name, control data (passed descriptors), flags
      const m = writeMsg(k, c, s, rd, tg, flags, rd.n);
      if (typeof m === 'number') return got > 0 ? got : m;
      k.mem.putI32(c.tid, at + 56, m.result);
      if (!(flags & MSG_PEEK)) {
        releaseRights(rd);
        s.consumed(rd.n);
      }
      if (rd.n === 0 && s.streaming) return got + 1;
      if (flags & MSG_WAITFORONE) return got + 1 < vlen && s.rx.count > 0 ? (got++, take2()) : got + 1;
    }
    return got;
    function take2(): number {
      return got;
    }
  };
  const r = take();
  if (r !== -E.EAGAIN || s.nonblocking || flags & MSG_DONTWAIT) return r;
  c = c.clone();
  const w = k.block(c, [s.queueFor(false), s.waitQueue], take, s.rcvTimeoMs || undefined, -E.EAGAIN);
  if (s.rcvTimeoMs) w.restartCode = -E.EINTR;
  return BLOCKED;
}

/** read/write/readv/writev on a socket: recv/send with no flags. */
export function socketTransfer(k: Kernel, c: Call, s: Socket, write: boolean, iov: IoVec): number {
  if (write) {
    if (s instanceof StreamSocket && s.state !== 'connected' && s.domain === AF_UNIX) return -E.ENOTCONN;
    return sendPrepared(k, c, s, { iov, flags: 0, to: undefined, rights: undefined, cred: credOf(c.task) });
  }
  return recvCore(k, c, s, iov, 0, { nameAddr: 0, nameLenAddr: 0, ctlAddr: 0, ctlLen: 0, msghdr: 0 });
}

export type { Task };

export const sendrecvFamily: Family = {
  sendto,
  recvfrom,
  sendmsg,
  recvmsg,
  sendmmsg,
  recvmmsg,
};
